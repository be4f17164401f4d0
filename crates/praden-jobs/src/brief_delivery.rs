//! Delivery of published briefs to the configured webhooks: the LINE Messaging API's push
//! endpoint or a generic JSON webhook, with retries and exponential backoff.
//!
//! Deliveries live in the store (one row per brief revision and webhook). A worker claims
//! the due ones there, so with several processes each attempt is made by one of them, and a
//! restart resumes where the last process stopped. Each attempt's outcome is recorded and
//! shown on the brief's page.

use crate::brief_schedule::Clock;
use crate::settings::{BriefConfig, WebhookConfig, WebhookKind};
use praden_store::{AttemptResult, BriefDelivery, Store, StoredBrief};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How long a claimed attempt may take before another process may take it over.
const LEASE: Duration = Duration::minutes(5);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::hours(1);
/// Deliveries created by other processes are noticed at least this often.
const RECHECK: Duration = Duration::minutes(1);
/// LINE accepts at most five messages per push request.
const LINE_MESSAGES_PER_PUSH: usize = 5;

/// Why an attempt failed.
#[derive(Debug)]
pub enum SendError {
    /// Worth retrying: the network, a timeout, 5xx, 408 or 429.
    Transient(String),
    /// Retrying cannot help: the receiver refused the request (4xx), or the webhook is
    /// misconfigured.
    Permanent(String),
}

pub struct Deliverer {
    client: reqwest::Client,
    webhooks: Vec<WebhookConfig>,
    max_attempts: i64,
    backoff: Duration,
}

/// The wait after failed attempt number `attempt` (1-based): `base`, doubling, at most an
/// hour.
pub fn backoff(base: Duration, attempt: i64) -> Duration {
    let wait = praden_core::backoff::backoff(
        base.unsigned_abs(),
        attempt.max(0).unsigned_abs(),
        MAX_BACKOFF.unsigned_abs(),
    );
    Duration::try_from(wait).unwrap_or(MAX_BACKOFF)
}

impl Deliverer {
    pub fn new(config: &BriefConfig, user_agent: &str) -> anyhow::Result<Self> {
        let client = crate::webhook::client(user_agent, std::time::Duration::from_secs(20))?;
        Ok(Self {
            client,
            webhooks: config.webhooks.clone(),
            max_attempts: i64::from(config.delivery_attempts),
            backoff: config.delivery_backoff,
        })
    }

    /// Delivers until `shutdown`: everything due, then sleeps until the next attempt is due,
    /// a brief is published (`wake`) or a minute has passed.
    pub async fn run(
        self,
        store: Store,
        clock: Arc<dyn Clock>,
        wake: Arc<Notify>,
        shutdown: CancellationToken,
    ) {
        loop {
            if let Err(e) = self.deliver_due(&store, clock.as_ref()).await {
                tracing::error!(
                    error = format!("{e:#}"),
                    "brief delivery: cannot read the store"
                );
            }
            let now = clock.now();
            let next = match store.next_delivery_due().await {
                Ok(Some(t)) if t > now => t.min(now + RECHECK),
                Ok(Some(_)) => now + Duration::seconds(1),
                _ => now + RECHECK,
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = wake.notified() => {}
                _ = clock.sleep_until(next) => {}
            }
        }
    }

    /// Makes every attempt that is due now; returns how many were made.
    pub async fn deliver_due(&self, store: &Store, clock: &dyn Clock) -> anyhow::Result<usize> {
        let mut made = 0;
        loop {
            let now = clock.now();
            let Some(claimed) = store.claim_due_delivery(now, now + LEASE).await? else {
                return Ok(made);
            };
            made += 1;
            let result = self.attempt(store, &claimed).await;
            let finished_at = clock.now();
            let result = match result {
                Ok(()) => AttemptResult::Delivered,
                Err(SendError::Permanent(error)) => AttemptResult::GaveUp { error },
                Err(SendError::Transient(error)) if claimed.attempts >= self.max_attempts => {
                    AttemptResult::GaveUp {
                        error: format!("{error} (gave up after {} attempts)", claimed.attempts),
                    }
                }
                Err(SendError::Transient(error)) => AttemptResult::Retry {
                    at: finished_at + backoff(self.backoff, claimed.attempts),
                    error,
                },
            };
            match &result {
                AttemptResult::Delivered => tracing::info!(
                    target_name = %claimed.target, attempts = claimed.attempts, "brief delivered"
                ),
                AttemptResult::Retry { error, at } => tracing::warn!(
                    target_name = %claimed.target, attempts = claimed.attempts, %error,
                    retry_at = %at, "brief delivery failed; will retry"
                ),
                AttemptResult::GaveUp { error } => tracing::error!(
                    target_name = %claimed.target, attempts = claimed.attempts, %error,
                    "brief delivery failed for good"
                ),
            }
            if !store
                .finish_delivery_attempt(&claimed, &result, finished_at)
                .await?
            {
                tracing::warn!(
                    target_name = %claimed.target,
                    "brief delivery took longer than its lease; another process took it over"
                );
            }
        }
    }

    async fn attempt(&self, store: &Store, claimed: &BriefDelivery) -> Result<(), SendError> {
        let hook = self
            .webhooks
            .iter()
            .find(|w| w.name == claimed.target)
            .ok_or_else(|| {
                SendError::Permanent(format!(
                    "webhook {:?} is no longer configured in [brief]",
                    claimed.target
                ))
            })?;
        let brief = store
            .brief_by_id(claimed.brief_id)
            .await
            .map_err(|e| SendError::Transient(format!("cannot read the brief: {e}")))?
            .ok_or_else(|| {
                SendError::Permanent(format!("brief {} does not exist", claimed.brief_id))
            })?;
        match hook.kind {
            WebhookKind::Line => self.push_line(hook, &brief, claimed).await,
            WebhookKind::Json => self.post_json(hook, &brief, claimed).await,
        }
    }

    /// LINE push: `{"to", "messages": [{"type": "text", "text"}]}`, five messages per
    /// request, each request with its own `X-Line-Retry-Key`, so a retry of a request LINE
    /// already accepted is answered 409 instead of being delivered twice.
    async fn push_line(
        &self,
        hook: &WebhookConfig,
        brief: &StoredBrief,
        claimed: &BriefDelivery,
    ) -> Result<(), SendError> {
        let to = hook.to.as_deref().unwrap_or_default();
        for (chunk, messages) in brief.messages.chunks(LINE_MESSAGES_PER_PUSH).enumerate() {
            let body = serde_json::json!({
                "to": to,
                "messages": messages
                    .iter()
                    .map(|m| serde_json::json!({"type": "text", "text": m}))
                    .collect::<Vec<_>>(),
            });
            let mut request = self
                .client
                .post(&hook.url)
                .header("content-type", "application/json")
                .header("x-line-retry-key", retry_key(brief, claimed, chunk))
                .body(body.to_string());
            if let Some(token) = &hook.token {
                request = request.bearer_auth(token.expose());
            }
            match check(request.send().await) {
                // 409 with a retry key: LINE accepted this request on an earlier attempt.
                Err(SendError::Permanent(e)) if e.starts_with("HTTP 409") => {}
                other => other?,
            }
        }
        Ok(())
    }

    async fn post_json(
        &self,
        hook: &WebhookConfig,
        brief: &StoredBrief,
        claimed: &BriefDelivery,
    ) -> Result<(), SendError> {
        let content: serde_json::Value = serde_json::from_str(&brief.content)
            .map_err(|e| SendError::Permanent(format!("the stored brief is not JSON: {e}")))?;
        let slot = content["slot"].as_str().unwrap_or_default().to_string();
        let body = serde_json::json!({
            "event": "brief.published",
            "slot": slot,
            "revision": brief.revision,
            "late": brief.late,
            "page": format!("/briefs/{slot}"),
            "api": format!("/api/v1/briefs/{slot}?revision={}", brief.revision),
            "messages": brief.messages,
            "markdown": brief.markdown,
            "brief": content,
        });
        let mut request = self
            .client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header(
                "idempotency-key",
                format!("praden-brief-{}-{}", brief.id, claimed.id),
            )
            .body(body.to_string());
        if let Some(token) = &hook.token {
            request = request.bearer_auth(token.expose());
        }
        check(request.send().await)
    }
}

fn check(sent: Result<reqwest::Response, reqwest::Error>) -> Result<(), SendError> {
    let response = sent.map_err(|e| SendError::Transient(format!("request failed: {e}")))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let code = status.as_u16();
    let message = format!("HTTP {code} from the receiver");
    if status.is_server_error() || code == 408 || code == 429 {
        Err(SendError::Transient(message))
    } else {
        Err(SendError::Permanent(message))
    }
}

/// A UUID-shaped key (LINE requires the UUID format) that is the same for every attempt of
/// one request and different for every other request.
fn retry_key(brief: &StoredBrief, claimed: &BriefDelivery, chunk: usize) -> String {
    let secs = brief.generated_at.unix_timestamp() as u64;
    let id = claimed.id as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        secs & 0xffff_ffff,
        (id >> 12) & 0xffff,
        chunk & 0xfff,
        id & 0xfff,
        (brief.id as u64) & 0xffff_ffff_ffff
    )
}

/// Delivered, failed, or still to go, at `now`: for the command line.
pub fn describe(d: &BriefDelivery, now: OffsetDateTime) -> String {
    let mut s = format!(
        "{}: {} after {} attempt(s)",
        d.target,
        d.status.as_str(),
        d.attempts
    );
    if let Some(e) = &d.last_error {
        s.push_str(&format!("; last error: {e}"));
    }
    if let Some(t) = d.next_attempt_at.filter(|t| *t > now) {
        s.push_str(&format!(
            "; next attempt in {} s",
            (t - now).whole_seconds()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::seconds(30);
        assert_eq!(backoff(base, 1), Duration::seconds(30));
        assert_eq!(backoff(base, 2), Duration::seconds(60));
        assert_eq!(backoff(base, 4), Duration::seconds(240));
        assert_eq!(backoff(base, 12), Duration::hours(1));
        assert_eq!(backoff(base, 1000), Duration::hours(1));
    }
}
