//! The approved-issues feed: one event per approval, edit, withdrawal, agency answer and report,
//! totally ordered by `seq`, each with the issue as it was right after (and the answer).

use super::{corrupt, json};
use crate::{on_pool, Store, StoreError};
use praden_core::review::{Issue, IssueEvent, IssueEventKind};
use time::OffsetDateTime;

/// Appends a feed event for `issue` inside the deciding transaction: takes the next `seq`
/// from the counter row (its row lock orders the committing transactions, see the migration)
/// and stores the issue snapshot.
pub(crate) async fn append_event<DB, C>(
    conn: &mut C,
    kind: IssueEventKind,
    issue: &Issue,
    detail: Option<String>,
    at: OffsetDateTime,
) -> Result<i64, sqlx::Error>
where
    DB: sqlx::Database,
    C: sqlx::Connection<Database = DB>,
    for<'c> &'c mut C: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> OffsetDateTime: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let seq: i64 = sqlx::query_scalar("UPDATE issue_event_seq SET last = last + 1 RETURNING last")
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO issue_events (seq, issue_id, kind, at, issue, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(seq)
    .bind(issue.id)
    .bind(kind.as_str())
    .bind(at)
    .bind(json(issue))
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(seq)
}

impl Store {
    /// Feed events after `after` (a seq), oldest first.
    pub async fn issue_events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<IssueEvent>, StoreError> {
        type Row = (i64, String, OffsetDateTime, String, Option<String>);
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT seq, kind, at, issue, detail FROM issue_events WHERE seq > $1 \
             ORDER BY seq LIMIT $2")
            .bind(after)
            .bind(limit.max(1))
            .fetch_all(p)
            .await?);
        rows.into_iter()
            .map(|(seq, kind, at, issue, detail)| {
                let kind = IssueEventKind::ALL
                    .into_iter()
                    .find(|k| k.as_str() == kind)
                    .ok_or_else(|| corrupt("issue_events", seq, format!("kind {kind:?}")))?;
                let issue: Issue =
                    serde_json::from_str(&issue).map_err(|e| corrupt("issue_events", seq, e))?;
                // The detail is the step's own record: a report on `reported`, an assessment
                // on `assessed`, an answer on the agencies' other steps.
                let (mut response, mut report, mut assessment) = (None, None, None);
                if let Some(d) = detail {
                    let bad = |e: serde_json::Error| corrupt("issue_events", seq, e);
                    match kind {
                        IssueEventKind::Reported => {
                            report = Some(serde_json::from_str(&d).map_err(bad)?)
                        }
                        IssueEventKind::Assessed => {
                            assessment = Some(serde_json::from_str(&d).map_err(bad)?)
                        }
                        _ => response = Some(serde_json::from_str(&d).map_err(bad)?),
                    }
                }
                Ok(IssueEvent {
                    seq,
                    kind,
                    at,
                    issue,
                    response,
                    report,
                    assessment,
                })
            })
            .collect()
    }
}
