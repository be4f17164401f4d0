//! Per-source polling state and the items that could not be stored. The pollers keep no
//! state of their own: the schedule (next poll, current interval), the conditional-GET
//! validators and the health of each source live here, so a restart resumes where it stopped.

use crate::{on_pool, Store, StoreError};
use time::OffsetDateTime;

/// Whether a source currently delivers. A failing source is still polled (slowly), never
/// dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceStatus {
    Ok,
    Failing,
}

impl SourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failing => "failing",
        }
    }
}

// Not `Eq`: the publishing rate is a float.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceState {
    pub source_id: String,
    pub status: SourceStatus,
    pub last_poll_at: Option<OffsetDateTime>,
    pub last_success_at: Option<OffsetDateTime>,
    pub consecutive_failures: i64,
    pub last_error: Option<String>,
    pub items_found_total: i64,
    pub items_found_last: i64,
    /// Items a feed listed that could not become documents (see `item_failures`).
    pub items_failed_total: i64,
    pub items_failed_last: i64,
    pub next_poll_at: Option<OffsetDateTime>,
    /// The current, adapted polling interval in milliseconds.
    pub interval_ms: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The source's estimated publishing rate, new items per hour (a time-decayed average kept
    /// by the scheduler); `None` until it has been measured.
    pub rate_per_hour: Option<f64>,
}

impl SourceState {
    /// The state of a source never polled: due now, at its configured interval.
    pub fn new(source_id: &str, interval_ms: i64) -> Self {
        Self {
            source_id: source_id.to_string(),
            status: SourceStatus::Ok,
            last_poll_at: None,
            last_success_at: None,
            consecutive_failures: 0,
            last_error: None,
            items_found_total: 0,
            items_found_last: 0,
            items_failed_total: 0,
            items_failed_last: 0,
            next_poll_at: None,
            interval_ms,
            etag: None,
            last_modified: None,
            rate_per_hour: None,
        }
    }
}

/// One feed item that could not become a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFailure {
    pub source_id: String,
    /// The item's link or id, as far as it has one, else its position in the feed.
    pub item: String,
    pub reason: String,
    pub first_seen_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    /// How many polls have seen it fail.
    pub times: i64,
}

#[derive(sqlx::FromRow)]
struct StateRow {
    source_id: String,
    status: String,
    last_poll_at: Option<OffsetDateTime>,
    last_success_at: Option<OffsetDateTime>,
    consecutive_failures: i64,
    last_error: Option<String>,
    items_found_total: i64,
    items_found_last: i64,
    items_failed_total: i64,
    items_failed_last: i64,
    next_poll_at: Option<OffsetDateTime>,
    interval_ms: i64,
    etag: Option<String>,
    last_modified: Option<String>,
    rate_per_hour: Option<f64>,
}

impl TryFrom<StateRow> for SourceState {
    type Error = StoreError;
    fn try_from(r: StateRow) -> Result<Self, StoreError> {
        let status = match r.status.as_str() {
            "ok" => SourceStatus::Ok,
            "failing" => SourceStatus::Failing,
            other => {
                return Err(StoreError::CorruptRow {
                    table: "source_state",
                    id: 0,
                    reason: format!("source {:?} has status {other:?}", r.source_id),
                })
            }
        };
        Ok(Self {
            source_id: r.source_id,
            status,
            last_poll_at: r.last_poll_at,
            last_success_at: r.last_success_at,
            consecutive_failures: r.consecutive_failures,
            last_error: r.last_error,
            items_found_total: r.items_found_total,
            items_found_last: r.items_found_last,
            items_failed_total: r.items_failed_total,
            items_failed_last: r.items_failed_last,
            next_poll_at: r.next_poll_at,
            interval_ms: r.interval_ms,
            etag: r.etag,
            last_modified: r.last_modified,
            rate_per_hour: r.rate_per_hour,
        })
    }
}

#[derive(sqlx::FromRow)]
struct FailureRow {
    source_id: String,
    item: String,
    reason: String,
    first_seen_at: OffsetDateTime,
    last_seen_at: OffsetDateTime,
    times: i64,
}

const SELECT_STATE: &str = "SELECT source_id, status, last_poll_at, last_success_at, \
    consecutive_failures, last_error, items_found_total, items_found_last, items_failed_total, \
    items_failed_last, next_poll_at, interval_ms, etag, last_modified, rate_per_hour \
    FROM source_state";

const UPSERT_STATE: &str = "INSERT INTO source_state (source_id, status, last_poll_at, \
    last_success_at, consecutive_failures, last_error, items_found_total, items_found_last, \
    items_failed_total, items_failed_last, next_poll_at, interval_ms, etag, last_modified, \
    rate_per_hour) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
    ON CONFLICT (source_id) DO UPDATE SET status = excluded.status, \
    last_poll_at = excluded.last_poll_at, last_success_at = excluded.last_success_at, \
    consecutive_failures = excluded.consecutive_failures, last_error = excluded.last_error, \
    items_found_total = excluded.items_found_total, items_found_last = excluded.items_found_last, \
    items_failed_total = excluded.items_failed_total, \
    items_failed_last = excluded.items_failed_last, next_poll_at = excluded.next_poll_at, \
    interval_ms = excluded.interval_ms, etag = excluded.etag, \
    last_modified = excluded.last_modified, rate_per_hour = excluded.rate_per_hour";

const UPSERT_FAILURE: &str = "INSERT INTO item_failures \
    (source_id, item, reason, first_seen_at, last_seen_at, times) VALUES ($1, $2, $3, $4, $4, 1) \
    ON CONFLICT (source_id, item) DO UPDATE SET reason = excluded.reason, \
    last_seen_at = excluded.last_seen_at, times = item_failures.times + 1";

impl Store {
    /// Every source's state, by source id.
    pub async fn source_states(&self) -> Result<Vec<SourceState>, StoreError> {
        let sql = format!("{SELECT_STATE} ORDER BY source_id");
        let rows: Vec<StateRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        rows.into_iter().map(SourceState::try_from).collect()
    }

    pub async fn source_state(&self, source_id: &str) -> Result<Option<SourceState>, StoreError> {
        let sql = format!("{SELECT_STATE} WHERE source_id = $1");
        let row: Option<StateRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(source_id).fetch_optional(pool).await?
        });
        row.map(SourceState::try_from).transpose()
    }

    /// Writes a source's state (inserting it the first time).
    pub async fn save_source_state(&self, s: &SourceState) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(UPSERT_STATE)
                .bind(&s.source_id)
                .bind(s.status.as_str())
                .bind(s.last_poll_at)
                .bind(s.last_success_at)
                .bind(s.consecutive_failures)
                .bind(&s.last_error)
                .bind(s.items_found_total)
                .bind(s.items_found_last)
                .bind(s.items_failed_total)
                .bind(s.items_failed_last)
                .bind(s.next_poll_at)
                .bind(s.interval_ms)
                .bind(&s.etag)
                .bind(&s.last_modified)
                .bind(s.rate_per_hour)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Records items of `source_id` that could not be stored, as `(item, reason)`; an item
    /// already recorded gets the new reason and one more sighting.
    pub async fn record_item_failures(
        &self,
        source_id: &str,
        failures: &[(String, String)],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if failures.is_empty() {
            return Ok(());
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (item, reason) in failures {
                sqlx::query(UPSERT_FAILURE)
                    .bind(source_id)
                    .bind(item)
                    .bind(reason)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The transcript files `source_id` has read: file key (a name in a watched directory,
    /// or a listing's URL) to the stamp it had when it was read.
    pub async fn read_files(
        &self,
        source_id: &str,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT file_key, stamp FROM transcript_files WHERE source_id = $1")
                .bind(source_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().collect())
    }

    /// Records that `source_id` has read these files, as `(file key, stamp)`; a file read
    /// again gets its new stamp.
    pub async fn remember_read_files(
        &self,
        source_id: &str,
        files: &[(String, String)],
    ) -> Result<(), StoreError> {
        if files.is_empty() {
            return Ok(());
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (key, stamp) in files {
                sqlx::query(
                    "INSERT INTO transcript_files (source_id, file_key, stamp) VALUES ($1, $2, $3) \
                     ON CONFLICT (source_id, file_key) DO UPDATE SET stamp = excluded.stamp",
                )
                .bind(source_id)
                .bind(key)
                .bind(stamp)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The recorded item failures of one source, most recent first.
    pub async fn item_failures(
        &self,
        source_id: &str,
        limit: i64,
    ) -> Result<Vec<ItemFailure>, StoreError> {
        let rows: Vec<FailureRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT source_id, item, reason, first_seen_at, last_seen_at, times \
                 FROM item_failures WHERE source_id = $1 \
                 ORDER BY last_seen_at DESC, item LIMIT $2",
            )
            .bind(source_id)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| ItemFailure {
                source_id: r.source_id,
                item: r.item,
                reason: r.reason,
                first_seen_at: r.first_seen_at,
                last_seen_at: r.last_seen_at,
                times: r.times,
            })
            .collect())
    }
}
