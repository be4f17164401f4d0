//! Push delivery of the feed, for admins: where each subscriber is, what was given up on
//! (dead letters), and replay from an event on.

use crate::auth::context;
use crate::auth::Identity;
use crate::extract::{Json, Path};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Extension;
use praden_store::{DeadLetter, WebhookCursor};
use serde::{Deserialize, Serialize};

/// A configured subscriber as admins see it (never its secret).
#[derive(Debug, Clone, Serialize)]
pub struct WebhookSubscriber {
    pub name: String,
    pub url: String,
}

#[derive(Serialize)]
pub struct SubscriberState {
    name: String,
    url: String,
    /// Events not yet delivered.
    behind: i64,
    #[serde(flatten)]
    cursor: WebhookCursor,
}

#[derive(Serialize)]
pub struct WebhookOverview {
    latest_seq: i64,
    subscribers: Vec<SubscriberState>,
    /// Events given up on and not replayed yet.
    dead_letters: Vec<DeadLetter>,
}

pub async fn overview(State(state): State<AppState>) -> Result<Json<WebhookOverview>, ApiError> {
    let latest_seq = state.store.latest_issue_event().await?;
    let mut subscribers = Vec::new();
    for s in state.webhooks.iter() {
        let cursor = state.store.webhook_cursor(&s.name).await?;
        subscribers.push(SubscriberState {
            name: s.name.clone(),
            url: s.url.clone(),
            behind: (latest_seq - cursor.delivered_seq).max(0),
            cursor,
        });
    }
    Ok(Json(WebhookOverview {
        latest_seq,
        subscribers,
        dead_letters: state.store.webhook_dead_letters(None).await?,
    }))
}

#[derive(Deserialize)]
pub struct ReplayBody {
    /// Deliver again from this event's seq on.
    from_seq: i64,
}

pub async fn replay(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Json(body): Json<ReplayBody>,
) -> Result<Json<WebhookCursor>, ApiError> {
    if !state.webhooks.iter().any(|s| s.name == name) {
        return Err(ApiError::NotFound(format!(
            "webhook subscriber {name:?} is not configured"
        )));
    }
    if body.from_seq < 1 {
        return Err(ApiError::BadParameter(format!(
            "from_seq {} is out of range (events start at 1)",
            body.from_seq
        )));
    }
    let cursor = state
        .store
        .replay_webhook(&name, body.from_seq, &context(&who, &headers))
        .await?;
    Ok(Json(cursor))
}
