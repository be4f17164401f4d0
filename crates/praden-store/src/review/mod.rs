//! The review queue: candidates written by the detector, monitors' decisions on them, the
//! issues approvals create and the ordered feed of issue events.
//!
//! Every decision is one transaction that checks the version the monitor saw (optimistic
//! locking), changes the rows, appends the audit record and, for issues, the feed event.
//!
//! `candidates` holds what the detector writes and what the queue lists, `decisions` the
//! monitors' decisions on candidates, `issues` the approved issues and their changes, `events`
//! the feed. Status names and the statuses each decision may start from are the enums' of
//! `praden_core::review`; the SQL here is built from them, never spelled out.

mod assessments;
mod candidates;
mod clarifications;
mod decisions;
pub(crate) mod events;
mod issues;
mod kpi;
mod reports;
mod responses;

pub use candidates::{CandidateFilter, ProposalChange, ProposalOutcome};
pub use clarifications::{FoundClarification, NewClarification};
pub use issues::due_date;
pub use kpi::{ClosedQuarterRecord, KpiIssues, KpiVersion};

use crate::audit::AuditEntry;
use crate::StoreError;
use praden_core::review::{AgencyRef, CandidateStatus, IssueStatus};
use praden_core::thai_time::BANGKOK;
use time::OffsetDateTime;

/// Who makes a decision, and under which HTTP request.
#[derive(Debug, Clone)]
pub struct DecisionContext {
    pub actor: String,
    pub request_id: Option<String>,
    pub now: OffsetDateTime,
}

impl DecisionContext {
    /// The audit record of this caller's `action` on `entity` `entity_id`.
    pub(crate) fn audit(
        &self,
        action: &str,
        entity: &str,
        entity_id: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> AuditEntry {
        AuditEntry {
            actor: self.actor.clone(),
            action: action.into(),
            entity: entity.into(),
            entity_id: Some(entity_id.into()),
            before,
            after,
            request_id: self.request_id.clone(),
        }
    }

    fn in_utc(&self) -> Self {
        Self {
            now: utc(self.now),
            ..self.clone()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("{entity} {id} does not exist")]
    NotFound { entity: &'static str, id: i64 },
    /// Someone else decided first: the caller's view is stale and nothing was written.
    #[error(
        "{entity} {id} was changed by {by} at {at} (now version {current}, status {status}); \
         you were looking at version {expected}: reload it and decide again"
    )]
    Conflict {
        entity: &'static str,
        id: i64,
        expected: i64,
        current: i64,
        status: String,
        by: String,
        at: String,
    },
    #[error("cannot {action} {entity} {id}: it is {status}")]
    InvalidState {
        entity: &'static str,
        id: i64,
        action: &'static str,
        status: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for DecisionError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Sql(e))
    }
}

/// A monitor's approval: the issue as it will be sent.
#[derive(Debug, Clone)]
pub struct Approval {
    pub title: String,
    pub agency: AgencyRef,
    pub deadline_days: u32,
    pub source: String,
}

impl Approval {
    /// Approving a candidate and editing its issue accept the same issues.
    fn validate(&self) -> Result<(), DecisionError> {
        if self.title.trim().is_empty() {
            return Err(DecisionError::Invalid("title is empty".into()));
        }
        if self.agency.name_th.trim().is_empty() {
            return Err(DecisionError::Invalid(
                "the responsible agency is missing".into(),
            ));
        }
        if !(1..=90).contains(&self.deadline_days) {
            return Err(DecisionError::Invalid(format!(
                "deadline_days {} is out of range (1 to 90)",
                self.deadline_days
            )));
        }
        if self.source.trim().is_empty() {
            return Err(DecisionError::Invalid("source (ที่มา) is empty".into()));
        }
        Ok(())
    }
}

/// A table monitors decide on, and what its rows are called in errors and the audit trail.
#[derive(Debug, Clone, Copy)]
struct Table {
    name: &'static str,
    entity: &'static str,
}

const CANDIDATES: Table = Table {
    name: "candidates",
    entity: "candidate",
};

const ISSUES: Table = Table {
    name: "issues",
    entity: "issue",
};

/// A status enum of `praden_core::review`, as stored in a `status` column.
trait Status: Copy {
    fn name(self) -> &'static str;
}

impl Status for CandidateStatus {
    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl Status for IssueStatus {
    fn name(self) -> &'static str {
        self.as_str()
    }
}

/// `status` as an SQL literal. Status names are fixed identifiers without quotes, so they are
/// written into the text rather than bound: each statement stays one text for both backends
/// with the same parameters as before.
fn lit(status: impl Status) -> String {
    format!("'{}'", status.name())
}

/// `statuses` as the inside of an SQL `IN (…)`.
fn in_list<S: Status>(statuses: &[S]) -> String {
    statuses
        .iter()
        .map(|&s| lit(s))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The optimistic-locking update a decision starts with: it changes the row only if it is
/// still at the version the monitor saw and in one of the statuses the decision starts `from`,
/// so touching no row means a conflict, a missing row or a wrong state (`explain_miss` says
/// which). `$1` is the time of the decision, `$2` the id, `$3` the version seen; `set` (more
/// assignments, or empty) may use `$4`.
fn guarded_update<S: Status>(table: Table, set: &str, from: &[S]) -> String {
    let set = if set.is_empty() {
        String::new()
    } else {
        format!("{set}, ")
    };
    format!(
        "UPDATE {} SET {set}version = version + 1, updated_at = $1 \
         WHERE id = $2 AND version = $3 AND status IN ({})",
        table.name,
        in_list(from)
    )
}

/// The conflict, missing-row or wrong-state error for a guarded update of `table` row `id`
/// that touched no row.
async fn explain_miss<DB, C>(
    conn: &mut C,
    table: Table,
    id: i64,
    expected: i64,
    action: &'static str,
) -> Result<DecisionError, sqlx::Error>
where
    DB: sqlx::Database,
    C: sqlx::Connection<Database = DB>,
    for<'c> &'c mut C: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    (i64, String): for<'r> sqlx::FromRow<'r, DB::Row>,
    (String, OffsetDateTime): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let sql = format!("SELECT version, status FROM {} WHERE id = $1", table.name);
    let row: Option<(i64, String)> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let entity = table.entity;
    Ok(match row {
        None => DecisionError::NotFound { entity, id },
        Some((current, status)) if current != expected => {
            let last: Option<(String, OffsetDateTime)> = sqlx::query_as(
                "SELECT actor, at FROM audit_log WHERE entity = $1 AND entity_id = $2 \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(entity)
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
            let (by, at) = last
                .map(|(a, t)| (a, t.to_offset(BANGKOK).to_string()))
                .unwrap_or_else(|| ("someone".into(), "an unknown time".into()));
            DecisionError::Conflict {
                entity,
                id,
                expected,
                current,
                status,
                by,
                at,
            }
        }
        Some((_, status)) => DecisionError::InvalidState {
            entity,
            id,
            action,
            status,
        },
    })
}

fn corrupt(table: &'static str, id: i64, reason: impl ToString) -> StoreError {
    StoreError::CorruptRow {
        table,
        id,
        reason: reason.to_string(),
    }
}

/// Times are stored in UTC: SQLite compares them as text, which is only right in one offset.
fn utc(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(time::UtcOffset::UTC)
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("review records serialise")
}

/// `$1, $2, …, $n` for an IN list.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_name_the_statuses_decisions_start_from() {
        assert_eq!(
            guarded_update(
                CANDIDATES,
                "status = 'approved'",
                CandidateStatus::DECIDABLE
            ),
            "UPDATE candidates SET status = 'approved', version = version + 1, updated_at = $1 \
             WHERE id = $2 AND version = $3 AND status IN ('pending', 'snoozed')"
        );
        assert_eq!(
            guarded_update(ISSUES, "", IssueStatus::CHANGEABLE),
            "UPDATE issues SET version = version + 1, updated_at = $1 \
             WHERE id = $2 AND version = $3 AND status IN ('approved')"
        );
    }
}
