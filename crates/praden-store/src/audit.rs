//! The audit trail: who decided or changed what, when, before and after, under which request.
//! Append-only: the table's triggers refuse UPDATE and DELETE.

use crate::{on_pool, Store, StoreError};
use serde::Serialize;
use time::OffsetDateTime;

/// One decision or edit, as the caller describes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AuditEntry {
    /// A user name, or `token:NAME` for a machine, or `detector`.
    pub actor: String,
    /// What was done, e.g. `candidate.approve`, `user.add`.
    pub action: String,
    /// What it was done to, e.g. `candidate`, `issue`, `user`, `token`.
    pub entity: String,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// Which audit records to read: newest first, before `before_id` when paging.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: OffsetDateTime,
    actor: String,
    action: String,
    entity: String,
    entity_id: Option<String>,
    before: Option<String>,
    after: Option<String>,
    request_id: Option<String>,
}

impl AuditRow {
    fn into_record(self) -> Result<AuditRecord, StoreError> {
        let json = |s: Option<String>| -> Result<Option<serde_json::Value>, StoreError> {
            s.map(|s| serde_json::from_str(&s))
                .transpose()
                .map_err(|e| StoreError::CorruptRow {
                    table: "audit_log",
                    id: self.id,
                    reason: e.to_string(),
                })
        };
        Ok(AuditRecord {
            id: self.id,
            at: self.at,
            entry: AuditEntry {
                actor: self.actor,
                action: self.action,
                entity: self.entity,
                entity_id: self.entity_id,
                before: json(self.before)?,
                after: json(self.after)?,
                request_id: self.request_id,
            },
        })
    }
}

pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_log \
    (at, actor, action, entity, entity_id, before, after, request_id) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";

/// Binds an entry to [`INSERT_AUDIT`]; used inside the deciding transactions too, so a
/// decision and its record commit together.
macro_rules! bind_audit {
    ($entry:expr, $at:expr) => {
        sqlx::query_scalar::<_, i64>($crate::audit::INSERT_AUDIT)
            .bind($at)
            .bind(&$entry.actor)
            .bind(&$entry.action)
            .bind(&$entry.entity)
            .bind(&$entry.entity_id)
            .bind($entry.before.as_ref().map(|v| v.to_string()))
            .bind($entry.after.as_ref().map(|v| v.to_string()))
            .bind(&$entry.request_id)
    };
}
pub(crate) use bind_audit;

impl Store {
    /// Records `entry` at `at`; returns its id.
    pub async fn append_audit(
        &self,
        entry: &AuditEntry,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let id = on_pool!(self, p => bind_audit!(entry, at).fetch_one(p).await?);
        Ok(id)
    }

    /// Audit records matching `filter`, newest first.
    pub async fn audit_records(
        &self,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        // Optional filters as `$n IS NULL OR column = $n` keep one SQL text for both backends.
        let sql = "SELECT id, at, actor, action, entity, entity_id, before, after, request_id \
            FROM audit_log \
            WHERE ($1 IS NULL OR entity = $1) AND ($2 IS NULL OR entity_id = $2) \
              AND ($3 IS NULL OR actor = $3) AND ($4 IS NULL OR id < $4) \
            ORDER BY id DESC LIMIT $5";
        let rows: Vec<AuditRow> = on_pool!(self, p => sqlx::query_as(sql)
            .bind(&filter.entity)
            .bind(&filter.entity_id)
            .bind(&filter.actor)
            .bind(filter.before_id)
            .bind(filter.limit.max(1))
            .fetch_all(p)
            .await?);
        rows.into_iter().map(AuditRow::into_record).collect()
    }
}
