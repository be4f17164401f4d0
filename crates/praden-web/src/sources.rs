//! `GET /api/v1/sources`: every source in sources.toml with its polling state from the store,
//! so monitors see which sources deliver and which are failing.

use crate::extract::Json;
use crate::{ApiError, AppState};
use axum::extract::State;
use praden_store::SourceState;
use serde::Serialize;
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A source as configured in sources.toml; the binary hands these over (the web crate does
/// not read sources.toml itself).
#[derive(Debug, Clone, Serialize)]
pub struct SourceConfig {
    pub id: String,
    pub name: String,
    pub outlet: String,
    pub kind: String,
    pub url: String,
    pub enabled: bool,
}

#[derive(Serialize)]
pub(crate) struct SourcesBody {
    sources: Vec<SourceView>,
}

#[derive(Serialize)]
struct SourceView {
    #[serde(flatten)]
    config: SourceConfig,
    /// `ok`, `failing` (several polls in a row failed, or its last poll did and it has never
    /// delivered; it is still retried), or `pending` (never polled yet).
    status: &'static str,
    last_poll_at: Option<String>,
    last_success_at: Option<String>,
    next_poll_at: Option<String>,
    consecutive_failures: i64,
    last_error: Option<String>,
    items_found_total: i64,
    items_found_last_poll: i64,
    items_failed_total: i64,
    items_failed_last_poll: i64,
    interval_seconds: Option<f64>,
    etag: Option<String>,
    last_modified: Option<String>,
}

fn rfc3339(t: Option<OffsetDateTime>) -> Option<String> {
    t.and_then(|t| t.format(&Rfc3339).ok())
}

impl SourceView {
    fn new(config: SourceConfig, state: Option<SourceState>) -> Self {
        let state = match state {
            Some(s) => s,
            None => {
                let mut never = SourceState::new(&config.id, 0);
                never.interval_ms = -1;
                return Self {
                    status: "pending",
                    interval_seconds: None,
                    ..Self::new(config, Some(never))
                };
            }
        };
        Self {
            config,
            status: state.status.as_str(),
            last_poll_at: rfc3339(state.last_poll_at),
            last_success_at: rfc3339(state.last_success_at),
            next_poll_at: rfc3339(state.next_poll_at),
            consecutive_failures: state.consecutive_failures,
            last_error: state.last_error,
            items_found_total: state.items_found_total,
            items_found_last_poll: state.items_found_last,
            items_failed_total: state.items_failed_total,
            items_failed_last_poll: state.items_failed_last,
            interval_seconds: Some(state.interval_ms as f64 / 1000.0),
            etag: state.etag,
            last_modified: state.last_modified,
        }
    }
}

/// `GET /api/v1/sources`: monitors and admins (mounted in lib.rs's route table).
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<SourcesBody>, ApiError> {
    let mut stored: HashMap<String, SourceState> = state
        .store
        .source_states()
        .await
        .map_err(ApiError::StoreUnavailable)?
        .into_iter()
        .map(|s| (s.source_id.clone(), s))
        .collect();
    let sources = state
        .sources
        .iter()
        .map(|c| SourceView::new(c.clone(), stored.remove(&c.id)))
        .collect();
    Ok(Json(SourcesBody { sources }))
}
