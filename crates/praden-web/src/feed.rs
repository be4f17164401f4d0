//! The feed the downstream assignment system follows: every approval, edit and withdrawal of
//! an issue in one total order, resumable from an opaque cursor. The store guarantees that
//! events become visible in `seq` order (see its migration), so "everything after my
//! cursor" never skips an event that commits late.

use crate::extract::{Json, Query};
use crate::{ApiError, AppState};
use axum::extract::State;
use praden_core::review::IssueEvent;
use serde::{Deserialize, Serialize};

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

#[derive(Deserialize)]
pub struct FeedParams {
    after: Option<String>,
    limit: Option<i64>,
}

#[derive(Serialize)]
pub struct FeedEvent {
    /// Stable across retries: the same event always has the same id.
    event_id: String,
    #[serde(flatten)]
    event: IssueEvent,
}

#[derive(Serialize)]
pub struct FeedPage {
    events: Vec<FeedEvent>,
    /// Pass as `after` to read on; when there was nothing new, the cursor given.
    next_cursor: String,
    /// More events are waiting: read again at once.
    has_more: bool,
}

/// Cursors are opaque to consumers; today they carry the last seq seen.
fn cursor(seq: i64) -> String {
    format!("v1.{seq}")
}

fn parse_cursor(s: &str) -> Result<i64, ApiError> {
    s.strip_prefix("v1.")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            ApiError::BadParameter(format!(
                "after {s:?} is not a cursor of this feed (use next_cursor from a previous page, \
                 or leave it out to start from the beginning)"
            ))
        })
}

pub async fn approved(
    State(state): State<AppState>,
    Query(p): Query<FeedParams>,
) -> Result<Json<FeedPage>, ApiError> {
    let after = match p.after.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => parse_cursor(s)?,
        None => 0,
    };
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadParameter(format!(
            "limit {limit} is out of range (1 to {MAX_LIMIT})"
        )));
    }
    // One more than asked tells whether more are waiting.
    let mut events = state.store.issue_events_after(after, limit + 1).await?;
    let has_more = events.len() as i64 > limit;
    events.truncate(limit as usize);
    let last = events.last().map_or(after, |e| e.seq);
    Ok(Json(FeedPage {
        events: events
            .into_iter()
            .map(|event| FeedEvent {
                event_id: format!("issue-event-{}", event.seq),
                event,
            })
            .collect(),
        next_cursor: cursor(last),
        has_more,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        assert_eq!(parse_cursor(&cursor(42)).unwrap(), 42);
        for bad in ["42", "v1.", "v1.-3", "v2.5", "v1.x"] {
            assert!(parse_cursor(bad).is_err(), "{bad}");
        }
    }
}
