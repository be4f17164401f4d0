//! Pushes the approved-issues feed to each configured subscriber, in `seq` order, one event
//! at a time: POST the event as JSON, signed with HMAC-SHA256; a 2xx moves the subscriber's
//! cursor on; anything else is retried with exponential backoff until `feed.webhook_attempts`,
//! then the event becomes a dead letter (visible to admins, replayable) and delivery goes on.
//! The cursor lives in the store, so a restart resumes where delivery stopped: at least once.
//!
//! Receivers verify `X-Praden-Signature: sha256=HEX`, the HMAC-SHA256 of
//! `"{X-Praden-Timestamp}.{body}"` under the shared secret, and drop repeats by
//! `X-Praden-Event-Id`.

use crate::settings::{FeedConfig, FeedWebhook};
use praden_core::review::IssueEvent;
use praden_store::Store;
use std::time::Duration;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

/// How often an idle subscriber looks for new events.
const POLL: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(600);
const BATCH: i64 = 50;

/// The wait before attempt `attempts + 1`.
fn backoff(base: Duration, attempts: u32) -> Duration {
    praden_core::backoff::backoff(base, attempts.into(), MAX_BACKOFF)
}

/// The body sent for `event`: the feed's own event shape.
pub fn payload(event: &IssueEvent) -> String {
    serde_json::json!({
        "event_id": format!("issue-event-{}", event.seq),
        "seq": event.seq,
        "kind": event.kind,
        "at": event.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "issue": event.issue,
    })
    .to_string()
}

async fn deliver(
    client: &reqwest::Client,
    hook: &FeedWebhook,
    event: &IssueEvent,
) -> Result<(), String> {
    let body = payload(event);
    let timestamp = OffsetDateTime::now_utc().unix_timestamp();
    let resp = client
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("x-praden-event-id", format!("issue-event-{}", event.seq))
        .header("x-praden-timestamp", timestamp.to_string())
        .header(
            "x-praden-signature",
            crate::webhook::signature(hook.secret.expose(), timestamp, &body),
        )
        .body(body)
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = resp.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered {status}"))
    }
}

/// Delivers to one subscriber until `shutdown`.
async fn run_one(
    store: Store,
    client: reqwest::Client,
    hook: FeedWebhook,
    config: FeedConfig,
    shutdown: CancellationToken,
) {
    loop {
        let wait = match step(&store, &client, &hook, &config).await {
            Ok(Some(wait)) => wait,
            Ok(None) if !shutdown.is_cancelled() => continue,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(subscriber = %hook.name, error = %e, "webhook delivery failed");
                POLL
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// One delivery attempt at the subscriber's next event, if it is due. `None`: go on at once;
/// `Some(wait)`: wait that long first.
async fn step(
    store: &Store,
    client: &reqwest::Client,
    hook: &FeedWebhook,
    config: &FeedConfig,
) -> Result<Option<Duration>, praden_store::StoreError> {
    let cursor = store.webhook_cursor(&hook.name).await?;
    let now = OffsetDateTime::now_utc();
    if let Some(next) = cursor.next_attempt_at.filter(|t| *t > now) {
        return Ok(Some((next - now).try_into().unwrap_or(POLL).min(POLL)));
    }
    let Some(event) = store
        .issue_events_after(cursor.delivered_seq, BATCH)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(Some(POLL));
    };
    match deliver(client, hook, &event).await {
        Ok(()) => {
            store
                .webhook_delivered(&hook.name, event.seq, OffsetDateTime::now_utc())
                .await?;
            Ok(None)
        }
        Err(reason) => {
            let attempts = cursor.attempts + 1;
            let now = OffsetDateTime::now_utc();
            if attempts >= i64::from(config.attempts) {
                tracing::warn!(subscriber = %hook.name, seq = event.seq, %reason, "webhook event dead-lettered");
                store
                    .webhook_dead_letter(&hook.name, event.seq, attempts, &reason, now)
                    .await?;
                Ok(None)
            } else {
                let wait = backoff(config.backoff, attempts as u32);
                store
                    .webhook_failed(&hook.name, attempts, &reason, now + wait, now)
                    .await?;
                Ok(Some(wait))
            }
        }
    }
}

/// One delivery task per configured subscriber.
pub fn spawn(
    store: &Store,
    config: &FeedConfig,
    node: &praden_core::node::Node,
    shutdown: &CancellationToken,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let client = crate::webhook::client(
        concat!("praden/", env!("CARGO_PKG_VERSION"), " (feed webhook)"),
        Duration::from_secs(30),
    )?;
    Ok(config
        .webhooks
        .iter()
        .map(|hook| {
            // One pusher per subscriber among all processes: two would each send every event.
            let (store, client, hook, config) =
                (store.clone(), client.clone(), hook.clone(), config.clone());
            tokio::spawn(crate::lease::exclusive(
                store.clone(),
                node.clone(),
                format!("feed-webhook:{}", hook.name),
                shutdown.clone(),
                move |held| {
                    run_one(
                        store.clone(),
                        client.clone(),
                        hook.clone(),
                        config.clone(),
                        held,
                    )
                },
            ))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let base = Duration::from_secs(2);
        assert_eq!(backoff(base, 1), Duration::from_secs(2));
        assert_eq!(backoff(base, 2), Duration::from_secs(4));
        assert_eq!(backoff(base, 4), Duration::from_secs(16));
        assert_eq!(backoff(base, 30), MAX_BACKOFF);
    }
}
