//! Closed KPI quarters: a fiscal quarter an admin closed keeps its issues as they counted then
//! (`kpi_closed_quarters`), so its figures stay as reported to the Prime Minister whatever
//! arrives later. Closing and re-opening each commit with their audit record.

use super::DecisionContext;
use crate::audit::bind_audit;
use crate::{on_pool, BeginWrite, Store, StoreError};
use praden_core::kpi::{count_with_closed, ClosedQuarter, CountedIssue, DeadlineDays, Period};
use serde_json::json;
use time::{Date, OffsetDateTime};

/// A closed quarter, with who closed it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedQuarterRecord {
    pub quarter: ClosedQuarter,
    pub closed_at: OffsetDateTime,
    pub closed_by: String,
    /// How deadlines were counted when it was closed, in Thai.
    pub deadline_rule: String,
}

#[derive(sqlx::FromRow)]
struct ClosedRow {
    code: String,
    closed_at: OffsetDateTime,
    closed_by: String,
    deadline_rule: String,
    issues: String,
}

impl ClosedRow {
    fn into_record(self) -> Result<ClosedQuarterRecord, StoreError> {
        let bad = |reason: String| StoreError::CorruptRow {
            table: "kpi_closed_quarters",
            id: 0,
            reason: format!("quarter {}: {reason}", self.code),
        };
        let period = Period::parse(&self.code).map_err(|e| bad(e.to_string()))?;
        let issues: Vec<CountedIssue> =
            serde_json::from_str(&self.issues).map_err(|e| bad(e.to_string()))?;
        Ok(ClosedQuarterRecord {
            quarter: ClosedQuarter { period, issues },
            closed_at: self.closed_at,
            closed_by: self.closed_by.clone(),
            deadline_rule: self.deadline_rule.clone(),
        })
    }
}

/// What the audit trail keeps of a closed quarter: its rule and counts, not every issue.
fn summary(code: &str, rule: &str, issues: &[CountedIssue]) -> serde_json::Value {
    let n = |key: &str| issues.iter().filter(|i| i.outcome.key() == key).count();
    json!({
        "quarter": code,
        "deadline_rule": rule,
        "issues": issues.len(),
        "in_time": n("in_time"),
        "late": n("late"),
        "not_clarified": n("not_clarified"),
        "pending": n("pending"),
    })
}

const SELECT_CLOSED: &str =
    "SELECT code, closed_at, closed_by, deadline_rule, issues FROM kpi_closed_quarters";

/// The issues behind a period's figures, and the closed quarters some of them come from.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiIssues {
    pub issues: Vec<CountedIssue>,
    pub closed: Vec<ClosedQuarterRecord>,
}

impl Store {
    /// The issues assigned within `period` as they count on `today` (Bangkok): those of a
    /// closed quarter as it kept them, the rest from the facts now, deadlines counted by
    /// `days`.
    pub async fn kpi_issues(
        &self,
        period: &Period,
        days: &DeadlineDays,
        today: Date,
    ) -> Result<KpiIssues, StoreError> {
        let closed = self.kpi_closed_quarters(period.first, period.last).await?;
        let frozen: Vec<ClosedQuarter> = closed.iter().map(|c| c.quarter.clone()).collect();
        // Only the days no closed quarter covers need their facts read.
        let open_days = |d: &Date| !frozen.iter().any(|c| c.period.contains(*d));
        let first = std::iter::successors(Some(period.first), |d| d.next_day())
            .take_while(|d| *d <= period.last)
            .find(open_days);
        let facts = match first {
            Some(first) => {
                let last = std::iter::successors(Some(period.last), |d| d.previous_day())
                    .take_while(|d| *d >= first)
                    .find(open_days)
                    .unwrap_or(first);
                self.kpi_facts(first, last).await?
            }
            None => Vec::new(),
        };
        Ok(KpiIssues {
            issues: count_with_closed(&facts, &frozen, period, days, today),
            closed,
        })
    }

    /// The closed quarters overlapping the Bangkok days `first` to `last`, oldest first.
    pub async fn kpi_closed_quarters(
        &self,
        first: Date,
        last: Date,
    ) -> Result<Vec<ClosedQuarterRecord>, StoreError> {
        let sql = format!("{SELECT_CLOSED} WHERE first_day <= $2 AND last_day >= $1 ORDER BY first_day");
        let rows: Vec<ClosedRow> = on_pool!(self, p => sqlx::query_as(&sql)
            .bind(first)
            .bind(last)
            .fetch_all(p)
            .await?);
        rows.into_iter().map(ClosedRow::into_record).collect()
    }

    /// Closes `quarter` with `issues` as they count now; false if it was closed already
    /// (nothing is written then).
    pub async fn close_kpi_quarter(
        &self,
        quarter: &Period,
        deadline_rule: &str,
        issues: &[CountedIssue],
        ctx: &DecisionContext,
    ) -> Result<bool, StoreError> {
        let now = ctx.now.to_offset(time::UtcOffset::UTC);
        let code = quarter.code();
        let kept = serde_json::to_string(issues).map_err(|e| StoreError::CorruptRow {
            table: "kpi_closed_quarters",
            id: 0,
            reason: e.to_string(),
        })?;
        let closed = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = sqlx::query(
                "INSERT INTO kpi_closed_quarters (code, first_day, last_day, closed_at, \
                 closed_by, deadline_rule, issues) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (code) DO NOTHING",
            )
            .bind(&code)
            .bind(quarter.first)
            .bind(quarter.last)
            .bind(now)
            .bind(&ctx.actor)
            .bind(deadline_rule)
            .bind(&kept)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if done {
                let entry = ctx.audit(
                    "kpi.close",
                    "kpi_quarter",
                    &code,
                    None,
                    Some(summary(&code, deadline_rule, issues)),
                );
                bind_audit!(entry, now).fetch_one(&mut *tx).await?;
                tx.commit().await?;
            }
            done
        });
        Ok(closed)
    }

    /// Re-opens quarter `code` (e.g. `2570Q1`): its figures follow the data again. False if it
    /// was not closed.
    pub async fn reopen_kpi_quarter(
        &self,
        code: &str,
        ctx: &DecisionContext,
    ) -> Result<bool, StoreError> {
        let now = ctx.now.to_offset(time::UtcOffset::UTC);
        let sql = format!("{SELECT_CLOSED} WHERE code = $1");
        let reopened = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<ClosedRow> = sqlx::query_as(&sql)
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
            match row {
                None => false,
                Some(row) => {
                    sqlx::query("DELETE FROM kpi_closed_quarters WHERE code = $1")
                        .bind(code)
                        .execute(&mut *tx)
                        .await?;
                    let (closed_at, closed_by) = (row.closed_at, row.closed_by.clone());
                    let record = row.into_record()?;
                    let mut before =
                        summary(code, &record.deadline_rule, &record.quarter.issues);
                    before["closed_at"] = json!(closed_at
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default());
                    before["closed_by"] = json!(closed_by);
                    let entry = ctx.audit("kpi.reopen", "kpi_quarter", code, Some(before), None);
                    bind_audit!(entry, now).fetch_one(&mut *tx).await?;
                    tx.commit().await?;
                    true
                }
            }
        });
        Ok(reopened)
    }
}
