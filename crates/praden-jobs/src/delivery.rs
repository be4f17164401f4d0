//! Delivery of published briefs and assignment messages, with retries and exponential
//! backoff: to the configured webhooks (the LINE Messaging API's push endpoint or a generic
//! JSON webhook), and for an assignment message to each agency contact it names, by e-mail
//! (SMTP) or LINE, with that agency's own issues.
//!
//! Deliveries live in the store (one row per revision and target). A worker per kind claims
//! the due ones there, so with several processes each attempt is made by one of them, and a
//! restart resumes where the last process stopped. Each attempt's outcome is recorded and
//! shown with the publication.

use crate::assignment::{LINE_TARGET, MAIL_TARGET};
use crate::mail::Mailer;
use crate::schedule::Clock;
use crate::settings::{AssignmentConfig, BriefConfig, LinePush, WebhookConfig, WebhookKind};
use praden_brief::AgencyMessage;
use praden_store::{AttemptResult, Delivery, PublicationKind, Store, StoredPublication};
use std::collections::BTreeMap;
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

/// The part of an assignment message's or a reminder round's content that contacts receive.
#[derive(serde::Deserialize)]
struct ContactMessages {
    recipients: BTreeMap<String, AgencyMessage>,
}

pub struct Deliverer {
    kind: PublicationKind,
    client: reqwest::Client,
    webhooks: Vec<WebhookConfig>,
    max_attempts: i64,
    backoff: Duration,
    /// Assignment messages: e-mail to the agencies' contacts, when SMTP is configured.
    mailer: Option<Mailer>,
    /// Assignment messages: LINE pushes to the agencies' contacts, when configured.
    line: Option<LinePush>,
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
    pub fn for_brief(config: &BriefConfig, user_agent: &str) -> anyhow::Result<Self> {
        Ok(Self {
            kind: PublicationKind::Brief,
            client: crate::webhook::client(user_agent, std::time::Duration::from_secs(20))?,
            webhooks: config.webhooks.clone(),
            max_attempts: i64::from(config.delivery_attempts),
            backoff: config.delivery_backoff,
            mailer: None,
            line: None,
        })
    }

    /// For the assignment message (`kind` Assignment) or the reminder rounds (Reminder), which
    /// reach the agencies' contacts the same ways; only the assignment message goes to the
    /// IA-Chat webhooks.
    pub fn for_agencies(
        kind: PublicationKind,
        config: &AssignmentConfig,
        user_agent: &str,
    ) -> anyhow::Result<Self> {
        let webhooks = match kind {
            PublicationKind::Assignment => config.webhooks.clone(),
            _ => Vec::new(),
        };
        Ok(Self {
            kind,
            client: crate::webhook::client(user_agent, std::time::Duration::from_secs(20))?,
            webhooks,
            max_attempts: i64::from(config.delivery_attempts),
            backoff: config.delivery_backoff,
            mailer: config.mail.as_ref().map(Mailer::new).transpose()?,
            line: config.line.clone(),
        })
    }

    /// Delivers until `shutdown`: everything due, then sleeps until the next attempt is due,
    /// something is published (`wake`) or a minute has passed.
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
                    "{} delivery: cannot read the store",
                    self.kind.noun()
                );
            }
            let now = clock.now();
            let next = match store.publications(self.kind).next_delivery_due().await {
                Ok(Some(t)) if t > now => t.min(now + RECHECK),
                Ok(Some(_)) => {
                    // Due already (it became due while the last attempts were made): go again
                    // after a moment of real time. Not the clock's: a clock moved by hand
                    // would never get there, and the delivery would wait for the next move.
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(std::time::Duration::from_millis(200)) => {}
                    }
                    continue;
                }
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
            let publications = store.publications(self.kind);
            let Some(claimed) = publications.claim_due_delivery(now, now + LEASE).await? else {
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
                    kind = self.kind.noun(), target_name = %claimed.target, attempts = claimed.attempts,
                    "delivered"
                ),
                AttemptResult::Retry { error, at } => tracing::warn!(
                    kind = self.kind.noun(), target_name = %claimed.target,
                    attempts = claimed.attempts, %error, retry_at = %at,
                    "delivery failed; will retry"
                ),
                AttemptResult::GaveUp { error } => tracing::error!(
                    kind = self.kind.noun(), target_name = %claimed.target,
                    attempts = claimed.attempts, %error, "delivery failed for good"
                ),
            }
            if !publications
                .finish_delivery_attempt(&claimed, &result, finished_at)
                .await?
            {
                tracing::warn!(
                    kind = self.kind.noun(), target_name = %claimed.target,
                    "delivery took longer than its lease; another process took it over"
                );
            }
        }
    }

    async fn attempt(&self, store: &Store, claimed: &Delivery) -> Result<(), SendError> {
        let publication = store
            .publications(self.kind)
            .by_id(claimed.publication_id)
            .await
            .map_err(|e| {
                SendError::Transient(format!("cannot read the {}: {e}", self.kind.noun()))
            })?
            .ok_or_else(|| {
                SendError::Permanent(format!(
                    "{} {} does not exist",
                    self.kind.noun(),
                    claimed.publication_id
                ))
            })?;
        if let Some(address) = claimed.target.strip_prefix(MAIL_TARGET) {
            let message = self.agency_message(&publication, &claimed.target)?;
            let mailer = self.mailer.as_ref().ok_or_else(|| {
                SendError::Permanent(
                    "e-mail is not configured (mail.smtp_host and mail.from)".into(),
                )
            })?;
            return mailer.send(address, &message).await;
        }
        if let Some(to) = claimed.target.strip_prefix(LINE_TARGET) {
            let message = self.agency_message(&publication, &claimed.target)?;
            let line = self.line.as_ref().ok_or_else(|| {
                SendError::Permanent(
                    "LINE to agency contacts is not configured (assignment.line_token_env)".into(),
                )
            })?;
            let messages = [message.text];
            return self
                .push_line(
                    &line.url,
                    to,
                    Some(&line.token),
                    &messages,
                    &publication,
                    claimed,
                )
                .await;
        }
        let hook = self
            .webhooks
            .iter()
            .find(|w| w.name == claimed.target)
            .ok_or_else(|| {
                SendError::Permanent(format!(
                    "webhook {:?} is no longer configured in [{}]",
                    claimed.target,
                    self.section()
                ))
            })?;
        match hook.kind {
            WebhookKind::Line => {
                let to = hook.to.as_deref().unwrap_or_default();
                self.push_line(
                    &hook.url,
                    to,
                    hook.token.as_ref(),
                    &publication.messages,
                    &publication,
                    claimed,
                )
                .await
            }
            WebhookKind::Json => self.post_json(hook, &publication, claimed).await,
        }
    }

    /// The configuration section of this kind's webhooks.
    fn section(&self) -> &'static str {
        match self.kind {
            PublicationKind::Brief => "brief",
            PublicationKind::Assignment => "assignment",
            PublicationKind::Reminder => "reminders",
        }
    }

    /// What an agency contact's target receives, as composed when the assignment message or
    /// the reminder round was published.
    fn agency_message(
        &self,
        publication: &StoredPublication,
        target: &str,
    ) -> Result<AgencyMessage, SendError> {
        let noun = self.kind.noun();
        let content: ContactMessages = serde_json::from_str(&publication.content)
            .map_err(|e| SendError::Permanent(format!("the stored {noun} is unreadable: {e}")))?;
        content.recipients.get(target).cloned().ok_or_else(|| {
            SendError::Permanent(format!(
                "the {noun} of {} has nothing for {target}",
                publication.slot
            ))
        })
    }

    /// LINE push: `{"to", "messages": [{"type": "text", "text"}]}`, five messages per
    /// request, each request with its own `X-Line-Retry-Key`, so a retry of a request LINE
    /// already accepted is answered 409 instead of being delivered twice.
    async fn push_line(
        &self,
        url: &str,
        to: &str,
        token: Option<&crate::settings::Secret>,
        messages: &[String],
        publication: &StoredPublication,
        claimed: &Delivery,
    ) -> Result<(), SendError> {
        for (chunk, messages) in messages.chunks(LINE_MESSAGES_PER_PUSH).enumerate() {
            let body = serde_json::json!({
                "to": to,
                "messages": messages
                    .iter()
                    .map(|m| serde_json::json!({"type": "text", "text": m}))
                    .collect::<Vec<_>>(),
            });
            let mut request = self
                .client
                .post(url)
                .header("content-type", "application/json")
                .header(
                    "x-line-retry-key",
                    retry_key(self.kind, publication, claimed, chunk),
                )
                .body(body.to_string());
            if let Some(token) = token {
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
        publication: &StoredPublication,
        claimed: &Delivery,
    ) -> Result<(), SendError> {
        let content: serde_json::Value =
            serde_json::from_str(&publication.content).map_err(|e| {
                SendError::Permanent(format!("the stored {} is not JSON: {e}", self.kind.noun()))
            })?;
        let slot = publication.slot.to_string();
        let revision = publication.revision;
        let body = match self.kind {
            PublicationKind::Brief => serde_json::json!({
                "event": "brief.published",
                "slot": slot,
                "revision": revision,
                "late": publication.late,
                "page": format!("/briefs/{slot}"),
                "api": format!("/api/v1/briefs/{slot}?revision={revision}"),
                "messages": publication.messages,
                "markdown": publication.markdown,
                "brief": content,
            }),
            // Reminders go to contacts only; a webhook is never among their targets.
            PublicationKind::Assignment | PublicationKind::Reminder => serde_json::json!({
                "event": format!("{}.published", self.section()),
                "date": slot,
                "revision": revision,
                "late": publication.late,
                "text": content["text"],
                "issues": content["issues"],
                "api": format!("/api/v1/assignments/{slot}?revision={revision}"),
            }),
        };
        let mut request = self
            .client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header(
                "idempotency-key",
                format!(
                    "praden-{}-{}-{}",
                    self.section(),
                    publication.id,
                    claimed.id
                ),
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
/// one request and different for every other request (of either kind).
fn retry_key(
    kind: PublicationKind,
    publication: &StoredPublication,
    claimed: &Delivery,
    chunk: usize,
) -> String {
    let secs = publication.generated_at.unix_timestamp() as u64;
    let id = claimed.id as u64;
    let kind = match kind {
        PublicationKind::Brief => 0xa,
        PublicationKind::Assignment => 0xb,
        PublicationKind::Reminder => 0x9,
    };
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        secs & 0xffff_ffff,
        (id >> 12) & 0xffff,
        chunk & 0xfff,
        kind,
        id & 0xfff,
        (publication.id as u64) & 0xffff_ffff_ffff
    )
}

/// Delivered, failed, or still to go, at `now`: for the command line.
pub fn describe(d: &Delivery, now: OffsetDateTime) -> String {
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
