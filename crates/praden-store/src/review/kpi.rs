//! Closed KPI quarters: a fiscal quarter an admin closed keeps its issues as they counted then
//! (`kpi_closed_quarters`), so its figures stay as reported to the Prime Minister whatever
//! arrives later. Closing and re-opening each commit with their audit record.

use super::{corrupt, DecisionContext};
use crate::audit::bind_audit;
use crate::{on_pool, BeginWrite, Store, StoreError};
use praden_core::kpi::{
    count_with_closed, facts_of, AssessmentSeen, AssignedIssue, ClosedQuarter, CountedIssue,
    DeadlineDays, EvidenceSeen, IssueFacts, Period, ReportSeen,
};
use praden_core::thai_time::{bangkok_midnight, to_bangkok};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use time::{Date, OffsetDateTime};

/// The ids of the issues approved in `[$1, $2)`.
const APPROVED_BETWEEN: &str = "SELECT id FROM issues WHERE approved_at >= $1 AND approved_at < $2";

#[derive(sqlx::FromRow)]
struct KpiIssueRow {
    id: i64,
    title: String,
    agency: String,
    deadline_days: i64,
    status: String,
    approved_at: OffsetDateTime,
}

/// The two names of an issue's agency the KPI needs, read from its JSON record.
#[derive(serde::Deserialize)]
struct AgencyNames {
    name_th: String,
    ministry_th: String,
}

impl KpiIssueRow {
    fn into_issue(self) -> Result<AssignedIssue, StoreError> {
        let names: AgencyNames =
            serde_json::from_str(&self.agency).map_err(|e| corrupt("issues", self.id, e))?;
        Ok(AssignedIssue {
            id: self.id,
            title: self.title,
            agency: names.name_th,
            ministry: names.ministry_th,
            approved_at: self.approved_at,
            deadline_days: u32::try_from(self.deadline_days)
                .map_err(|e| corrupt("issues", self.id, e))?,
            withdrawn: self.status == "withdrawn",
        })
    }
}

#[derive(sqlx::FromRow)]
struct KpiReportRow {
    id: i64,
    issue_id: i64,
    agency: String,
    clarified_at: OffsetDateTime,
    at: OffsetDateTime,
    channels: String,
}

/// A report's channel, of its `{channel, link}` entries.
#[derive(serde::Deserialize)]
struct ChannelName {
    channel: String,
}

#[derive(sqlx::FromRow)]
struct KpiEvidenceRow {
    issue_id: i64,
    report_id: Option<i64>,
    at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct KpiAssessmentRow {
    id: i64,
    issue_id: i64,
    report_id: i64,
    completeness: String,
}

/// The items of one issue, as the slice of references `facts_of` takes.
fn refs<T>(items: Option<&Vec<T>>) -> Vec<&T> {
    items.map_or_else(Vec::new, |v| v.iter().collect())
}

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

/// See [`Store::kpi_version`].
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KpiVersion {
    event: i64,
    evidence: i64,
    closed: i64,
    last_closed: Option<OffsetDateTime>,
}

/// The issues behind a period's figures, and the closed quarters some of them come from.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiIssues {
    pub issues: Vec<CountedIssue>,
    pub closed: Vec<ClosedQuarterRecord>,
}

impl Store {
    /// The KPI's facts of every issue assigned (approved) on the Bangkok days `first` to
    /// `last`, withdrawn ones included (the KPI leaves them out itself): four queries of the
    /// columns it reads, whatever the number of issues.
    pub async fn kpi_facts(&self, first: Date, last: Date) -> Result<Vec<IssueFacts>, StoreError> {
        let from = super::utc(bangkok_midnight(first));
        let until = super::utc(bangkok_midnight(last + time::Duration::days(1)));
        let of_issues = |select: &str| format!("{select} WHERE issue_id IN ({APPROVED_BETWEEN})");
        // Only the columns the KPI reads: a quarter holds thousands of issues.
        let issues_sql =
            "SELECT id, title, agency, deadline_days, status, approved_at FROM issues \
            WHERE approved_at >= $1 AND approved_at < $2";
        let reports_sql =
            of_issues("SELECT id, issue_id, agency, clarified_at, at, channels FROM issue_reports");
        let evidence_sql = of_issues("SELECT issue_id, report_id, at FROM evidence");
        let assessments_sql =
            of_issues("SELECT id, issue_id, report_id, completeness FROM report_assessments");
        // One after the other: on SQLite, four readers at once took twice as long as in turn.
        let (issues, reports, evidence, assessments) = on_pool!(self, p => {
            let issues: Vec<KpiIssueRow> =
                sqlx::query_as(issues_sql).bind(from).bind(until).fetch_all(p).await?;
            let reports: Vec<KpiReportRow> =
                sqlx::query_as(&reports_sql).bind(from).bind(until).fetch_all(p).await?;
            let evidence: Vec<KpiEvidenceRow> =
                sqlx::query_as(&evidence_sql).bind(from).bind(until).fetch_all(p).await?;
            let assessments: Vec<KpiAssessmentRow> =
                sqlx::query_as(&assessments_sql).bind(from).bind(until).fetch_all(p).await?;
            (issues, reports, evidence, assessments)
        });
        let mut reports_of: HashMap<i64, Vec<ReportSeen>> = HashMap::new();
        for r in reports {
            let channels: Vec<ChannelName> =
                serde_json::from_str(&r.channels).map_err(|e| corrupt("issue_reports", r.id, e))?;
            let distinct: HashSet<&str> = channels.iter().map(|c| c.channel.as_str()).collect();
            reports_of.entry(r.issue_id).or_default().push(ReportSeen {
                id: r.id,
                agency: r.agency,
                clarified_at: r.clarified_at,
                at: r.at,
                channels: distinct.len(),
            });
        }
        let mut evidence_of: HashMap<i64, Vec<EvidenceSeen>> = HashMap::new();
        for e in evidence {
            evidence_of
                .entry(e.issue_id)
                .or_default()
                .push(EvidenceSeen {
                    report_id: e.report_id,
                    at: e.at,
                });
        }
        let mut assessments_of: HashMap<i64, Vec<AssessmentSeen>> = HashMap::new();
        for a in assessments {
            assessments_of
                .entry(a.issue_id)
                .or_default()
                .push(AssessmentSeen {
                    id: a.id,
                    report_id: a.report_id,
                    complete: a.completeness == "yes",
                });
        }
        issues
            .into_iter()
            .map(|row| {
                let issue = row.into_issue()?;
                Ok(facts_of(
                    &issue,
                    &refs(reports_of.get(&issue.id)),
                    &refs(evidence_of.get(&issue.id)),
                    &refs(assessments_of.get(&issue.id)),
                ))
            })
            .collect()
    }

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

    /// Where the store's KPI data stands, from a few primary-key and tiny-table reads: the
    /// newest issue event (every approval, edit, withdrawal, report and assessment appends one
    /// in its transaction), the newest evidence item, and the closed quarters. While it stands
    /// still, every KPI figure does; when it moves, [`Store::kpi_days_touched_since`] says
    /// where.
    pub async fn kpi_version(&self) -> Result<KpiVersion, StoreError> {
        let v: KpiVersion = on_pool!(self, p => sqlx::query_as(
            "SELECT (SELECT COALESCE(MAX(seq), 0) FROM issue_events) AS event, \
             (SELECT COALESCE(MAX(id), 0) FROM evidence) AS evidence, \
             (SELECT COUNT(*) FROM kpi_closed_quarters) AS closed, \
             (SELECT MAX(closed_at) FROM kpi_closed_quarters) AS last_closed",
        )
        .fetch_one(p)
        .await?);
        Ok(v)
    }

    /// The Bangkok days on which the issues changed since `since` were assigned (approved):
    /// the issues of the events and the evidence that came after it. `None` when quarters were
    /// closed or re-opened since, which may change any figure.
    ///
    /// Events are numbered in commit order, so none is missed. Evidence ids are not, on
    /// PostgreSQL: two uploads committing out of order within moments may leave one quality
    /// flag (evidence within 2 days) stale until its quarter next changes or the day turns.
    pub async fn kpi_days_touched_since(
        &self,
        since: &KpiVersion,
    ) -> Result<Option<Vec<Date>>, StoreError> {
        let now = self.kpi_version().await?;
        if (now.closed, now.last_closed) != (since.closed, since.last_closed) {
            return Ok(None);
        }
        let approved: Vec<OffsetDateTime> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT approved_at FROM issues WHERE id IN \
             (SELECT issue_id FROM issue_events WHERE seq > $1 \
              UNION SELECT issue_id FROM evidence WHERE id > $2)",
        )
        .bind(since.event)
        .bind(since.evidence)
        .fetch_all(p)
        .await?);
        let mut days: Vec<Date> = approved.into_iter().map(|t| to_bangkok(t).date()).collect();
        days.sort_unstable();
        days.dedup();
        Ok(Some(days))
    }

    /// The closed quarters overlapping the Bangkok days `first` to `last`, oldest first.
    pub async fn kpi_closed_quarters(
        &self,
        first: Date,
        last: Date,
    ) -> Result<Vec<ClosedQuarterRecord>, StoreError> {
        let sql =
            format!("{SELECT_CLOSED} WHERE first_day <= $2 AND last_day >= $1 ORDER BY first_day");
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
