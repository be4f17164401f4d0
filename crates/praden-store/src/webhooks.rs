//! Where each webhook subscriber of the approved-issues feed has got to. Delivery is in
//! `seq` order, one event at a time: the cursor moves when an event is acknowledged or given
//! up on (a dead letter), so a restart resumes where delivery stopped.

use crate::audit::bind_audit;
use crate::review::DecisionContext;
use crate::{on_pool, BeginWrite, Store, StoreError};
use serde::Serialize;
use time::OffsetDateTime;

fn utc(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(time::UtcOffset::UTC)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct WebhookCursor {
    pub subscriber: String,
    /// Every event up to this seq is delivered or dead-lettered.
    pub delivered_seq: i64,
    /// Failed attempts at the next event.
    pub attempts: i64,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_success_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct DeadLetter {
    pub id: i64,
    pub subscriber: String,
    pub seq: i64,
    pub attempts: i64,
    pub last_error: String,
    #[serde(with = "time::serde::rfc3339")]
    pub failed_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub replayed_at: Option<OffsetDateTime>,
}

const SELECT_CURSOR: &str = "SELECT subscriber, delivered_seq, attempts, last_error, \
    last_attempt_at, next_attempt_at, last_success_at FROM webhook_cursors";

const ENSURE_CURSOR: &str =
    "INSERT INTO webhook_cursors (subscriber) VALUES ($1) ON CONFLICT (subscriber) DO NOTHING";

impl Store {
    /// The subscriber's cursor (at the start of the feed if it has none yet).
    pub async fn webhook_cursor(&self, subscriber: &str) -> Result<WebhookCursor, StoreError> {
        let sql = format!("{SELECT_CURSOR} WHERE subscriber = $1");
        let row: Option<WebhookCursor> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(subscriber).fetch_optional(p).await?);
        Ok(row.unwrap_or_else(|| WebhookCursor {
            subscriber: subscriber.to_string(),
            ..WebhookCursor::default()
        }))
    }

    /// The event `seq` was acknowledged.
    pub async fn webhook_delivered(
        &self,
        subscriber: &str,
        seq: i64,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO webhook_cursors (subscriber, delivered_seq, last_attempt_at, last_success_at) \
             VALUES ($1, $2, $3, $3) ON CONFLICT (subscriber) DO UPDATE SET \
             delivered_seq = excluded.delivered_seq, attempts = 0, last_error = NULL, \
             next_attempt_at = NULL, last_attempt_at = excluded.last_attempt_at, \
             last_success_at = excluded.last_success_at")
            .bind(subscriber)
            .bind(seq)
            .bind(utc(now))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// An attempt at the next event failed; try again at `next_attempt_at`.
    pub async fn webhook_failed(
        &self,
        subscriber: &str,
        attempts: i64,
        error: &str,
        next_attempt_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO webhook_cursors (subscriber, attempts, last_error, last_attempt_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (subscriber) DO UPDATE SET \
             attempts = excluded.attempts, last_error = excluded.last_error, \
             last_attempt_at = excluded.last_attempt_at, next_attempt_at = excluded.next_attempt_at")
            .bind(subscriber)
            .bind(attempts)
            .bind(error)
            .bind(utc(now))
            .bind(utc(next_attempt_at))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Gives up on event `seq` after `attempts`: it becomes a dead letter and delivery moves
    /// on to the next event.
    pub async fn webhook_dead_letter(
        &self,
        subscriber: &str,
        seq: i64,
        attempts: i64,
        error: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let now = utc(now);
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query(ENSURE_CURSOR).bind(subscriber).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO webhook_dead_letters (subscriber, seq, attempts, last_error, failed_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (subscriber, seq) DO UPDATE SET \
                         attempts = excluded.attempts, last_error = excluded.last_error, \
                         failed_at = excluded.failed_at, replayed_at = NULL")
                .bind(subscriber)
                .bind(seq)
                .bind(attempts)
                .bind(error)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE webhook_cursors SET delivered_seq = $2, attempts = 0, \
                         last_error = $3, last_attempt_at = $4, next_attempt_at = NULL \
                         WHERE subscriber = $1")
                .bind(subscriber)
                .bind(seq)
                .bind(error)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Dead letters not yet replayed, oldest first; all of a subscriber's when given.
    pub async fn webhook_dead_letters(
        &self,
        subscriber: Option<&str>,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, subscriber, seq, attempts, last_error, failed_at, replayed_at \
             FROM webhook_dead_letters WHERE ($1 IS NULL AND replayed_at IS NULL) OR subscriber = $1 \
             ORDER BY subscriber, seq")
            .bind(subscriber)
            .fetch_all(p)
            .await?);
        Ok(rows)
    }

    /// Delivers again from event `from_seq` on (the subscriber sees repeats of what came
    /// after it too, recognisable by event id); its dead letters from there on are marked
    /// replayed. Audited.
    pub async fn replay_webhook(
        &self,
        subscriber: &str,
        from_seq: i64,
        ctx: &DecisionContext,
    ) -> Result<WebhookCursor, StoreError> {
        let now = utc(ctx.now);
        let before = self.webhook_cursor(subscriber).await?;
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query(ENSURE_CURSOR).bind(subscriber).execute(&mut *tx).await?;
            sqlx::query("UPDATE webhook_cursors SET delivered_seq = $2, attempts = 0, \
                         next_attempt_at = NULL WHERE subscriber = $1")
                .bind(subscriber)
                .bind((from_seq - 1).max(0))
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE webhook_dead_letters SET replayed_at = $3 \
                         WHERE subscriber = $1 AND seq >= $2 AND replayed_at IS NULL")
                .bind(subscriber)
                .bind(from_seq)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let entry = ctx.audit(
                "webhook.replay",
                "webhook",
                subscriber,
                Some(serde_json::json!({"delivered_seq": before.delivered_seq})),
                Some(serde_json::json!({"delivered_seq": (from_seq - 1).max(0),
                    "from_seq": from_seq})),
            );
            bind_audit!(entry, now).fetch_one(&mut *tx).await?;
            tx.commit().await?;
        });
        self.webhook_cursor(subscriber).await
    }

    /// The newest event's seq (0 when there is none): how far behind a subscriber is.
    pub async fn latest_issue_event(&self) -> Result<i64, StoreError> {
        let last: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT last FROM issue_event_seq WHERE only_row = 1")
            .fetch_one(p)
            .await?);
        Ok(last)
    }
}
