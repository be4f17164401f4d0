//! Approved issues: reading them, and the monitors' edits and withdrawals, each of which the
//! feed reports.

use super::events::append_event;
use super::{
    corrupt, explain_miss, guarded_update, json, lit, utc, Approval, DecisionContext,
    DecisionError, ISSUES,
};
use crate::audit::bind_audit;
use crate::{on_pool, BeginWrite, Store, StoreError};
use praden_core::review::{AgencyRef, CriterionRecord, Issue, IssueEventKind, IssueStatus};
use praden_core::thai_time::BANGKOK;
use std::collections::HashSet;
use std::sync::LazyLock;
use time::{Date, Duration, OffsetDateTime};

#[derive(sqlx::FromRow)]
pub(super) struct IssueRow {
    id: i64,
    candidate_id: i64,
    version: i64,
    status: String,
    title: String,
    agency: String,
    deadline_days: i64,
    due_date: Date,
    source: String,
    criteria: String,
    links: String,
    approved_by: String,
    approved_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

pub(super) const SELECT_ISSUE: &str = "SELECT id, candidate_id, version, status, title, agency, \
    deadline_days, due_date, source, criteria, links, approved_by, approved_at, updated_at \
    FROM issues";

pub(super) static ISSUE_BY_ID: LazyLock<String> =
    LazyLock::new(|| format!("{SELECT_ISSUE} WHERE id = $1"));

impl IssueRow {
    pub(super) fn into_issue(self) -> Result<Issue, StoreError> {
        let id = self.id;
        let status = IssueStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == self.status)
            .ok_or_else(|| corrupt("issues", id, format!("status {:?}", self.status)))?;
        let agency: AgencyRef =
            serde_json::from_str(&self.agency).map_err(|e| corrupt("issues", id, e))?;
        let criteria: Vec<CriterionRecord> =
            serde_json::from_str(&self.criteria).map_err(|e| corrupt("issues", id, e))?;
        let links: Vec<String> =
            serde_json::from_str(&self.links).map_err(|e| corrupt("issues", id, e))?;
        Ok(Issue {
            id,
            candidate_id: self.candidate_id,
            version: self.version,
            status,
            title: self.title,
            agency,
            deadline_days: u32::try_from(self.deadline_days)
                .map_err(|e| corrupt("issues", id, e))?,
            due_date: self.due_date,
            source: self.source,
            criteria,
            links,
            approved_by: self.approved_by,
            approved_at: self.approved_at,
            updated_at: self.updated_at,
        })
    }
}

/// The Bangkok calendar day `days` days after `at`: the clarification deadline.
pub fn due_date(at: OffsetDateTime, days: u32) -> Date {
    (at.to_offset(BANGKOK) + Duration::days(i64::from(days))).date()
}

/// Bumps the version before the edit is written, so that a stale edit changes nothing.
static EDIT: LazyLock<String> =
    LazyLock::new(|| guarded_update(ISSUES, "", IssueStatus::CHANGEABLE));

static WITHDRAW: LazyLock<String> = LazyLock::new(|| {
    let set = format!("status = {}", lit(IssueStatus::Withdrawn));
    guarded_update(ISSUES, &set, IssueStatus::CHANGEABLE)
});

impl Store {
    pub async fn issue(&self, id: i64) -> Result<Option<Issue>, StoreError> {
        let row: Option<IssueRow> = on_pool!(self, p => sqlx::query_as(&ISSUE_BY_ID)
            .bind(id)
            .fetch_optional(p)
            .await?);
        row.map(IssueRow::into_issue).transpose()
    }

    /// Issues approved in `[from, until)`, in order of approval.
    pub async fn issues_approved_between(
        &self,
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<Issue>, StoreError> {
        let (from, until) = (utc(from), utc(until));
        let sql = format!(
            "{SELECT_ISSUE} WHERE approved_at >= $1 AND approved_at < $2 ORDER BY approved_at, id"
        );
        let rows: Vec<IssueRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(from).bind(until).fetch_all(p).await?);
        rows.into_iter().map(IssueRow::into_issue).collect()
    }

    /// Approved (not withdrawn) issues edited in `[from, until)`, as they are now, by id: the
    /// assignment message looks among them for issues given to another agency.
    pub async fn issues_edited_between(
        &self,
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<Issue>, StoreError> {
        let (from, until) = (utc(from), utc(until));
        let sql = format!(
            "{SELECT_ISSUE} WHERE status = 'approved' AND id IN (SELECT issue_id FROM \
             issue_events WHERE kind = 'edited' AND at >= $1 AND at < $2) ORDER BY id"
        );
        let rows: Vec<IssueRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(from).bind(until).fetch_all(p).await?);
        rows.into_iter().map(IssueRow::into_issue).collect()
    }

    /// Approved (not withdrawn) issues due on or before `until`, earliest due first: what the
    /// reminders and the monitors' overdue list follow.
    pub async fn open_issues_due_by(&self, until: Date) -> Result<Vec<Issue>, StoreError> {
        let sql = format!(
            "{SELECT_ISSUE} WHERE status = 'approved' AND due_date <= $1 ORDER BY due_date, id"
        );
        let rows: Vec<IssueRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(until).fetch_all(p).await?);
        rows.into_iter().map(IssueRow::into_issue).collect()
    }

    /// Those of `ids` whose agency has reported a clarification (a `reported` event).
    pub async fn reported_issues(&self, ids: &[i64]) -> Result<HashSet<i64>, StoreError> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        // The ids are numbers from the caller's own issue list: inlined, no injection.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let sql = format!(
            "SELECT DISTINCT issue_id FROM issue_events WHERE kind = 'reported' \
             AND issue_id IN ({list})"
        );
        let rows: Vec<i64> = on_pool!(self, p => sqlx::query_scalar(&sql).fetch_all(p).await?);
        Ok(rows.into_iter().collect())
    }

    /// Issues newest first, at most `limit`, with ids below `before` (the list's "older"
    /// cursor), only those in `status` when given.
    pub async fn issues_page(
        &self,
        status: Option<IssueStatus>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Issue>, StoreError> {
        let sql = format!(
            "{SELECT_ISSUE} WHERE id < $1 AND ($2 = '' OR status = $2) ORDER BY id DESC LIMIT $3"
        );
        let rows: Vec<IssueRow> = on_pool!(self, p => sqlx::query_as(&sql)
            .bind(before.unwrap_or(i64::MAX))
            .bind(status.map_or("", IssueStatus::as_str))
            .bind(limit.max(1))
            .fetch_all(p)
            .await?);
        rows.into_iter().map(IssueRow::into_issue).collect()
    }

    /// Edits an approved issue seen at `version`; the feed gets an `edited` event.
    pub async fn edit_issue(
        &self,
        id: i64,
        version: i64,
        edit: &Approval,
        ctx: &DecisionContext,
    ) -> Result<Issue, DecisionError> {
        let ctx = &ctx.in_utc();
        edit.validate()?;
        let issue = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = sqlx::query(&EDIT)
                .bind(ctx.now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(explain_miss(&mut *tx, ISSUES, id, version, "edit").await?);
            }
            let old: IssueRow = sqlx::query_as(&ISSUE_BY_ID)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let old = old.into_issue()?;
            // The deadline counts from the approval, not from the edit.
            let due = due_date(old.approved_at, edit.deadline_days);
            sqlx::query("UPDATE issues SET title = $1, agency = $2, deadline_days = $3, \
                         due_date = $4, source = $5 WHERE id = $6")
                .bind(edit.title.trim())
                .bind(json(&edit.agency))
                .bind(i64::from(edit.deadline_days))
                .bind(due)
                .bind(edit.source.trim())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let row: IssueRow = sqlx::query_as(&ISSUE_BY_ID)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let issue = row.into_issue()?;
            let entry = ctx.audit(
                "issue.edit",
                "issue",
                &id.to_string(),
                Some(serde_json::to_value(&old).expect("issues serialise")),
                Some(serde_json::to_value(&issue).expect("issues serialise")),
            );
            bind_audit!(entry, ctx.now).fetch_one(&mut *tx).await?;
            append_event(&mut *tx, IssueEventKind::Edited, &issue, None, ctx.now).await?;
            tx.commit().await?;
            issue
        });
        Ok(issue)
    }

    /// Withdraws an approved issue seen at `version`; the feed gets a `withdrawn` event.
    pub async fn withdraw_issue(
        &self,
        id: i64,
        version: i64,
        reason: &str,
        ctx: &DecisionContext,
    ) -> Result<Issue, DecisionError> {
        let ctx = &ctx.in_utc();
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(DecisionError::Invalid(
                "withdrawing an issue needs a reason (reason is empty)".into(),
            ));
        }
        let issue = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = sqlx::query(&WITHDRAW)
                .bind(ctx.now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(explain_miss(&mut *tx, ISSUES, id, version, "withdraw").await?);
            }
            let row: IssueRow = sqlx::query_as(&ISSUE_BY_ID)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let issue = row.into_issue()?;
            let entry = ctx.audit(
                "issue.withdraw",
                "issue",
                &id.to_string(),
                Some(serde_json::json!({"status": IssueStatus::Approved.as_str(),
                    "version": version})),
                Some(serde_json::json!({"status": IssueStatus::Withdrawn.as_str(),
                    "version": issue.version, "reason": reason})),
            );
            bind_audit!(entry, ctx.now).fetch_one(&mut *tx).await?;
            append_event(&mut *tx, IssueEventKind::Withdrawn, &issue, None, ctx.now).await?;
            tx.commit().await?;
            issue
        });
        Ok(issue)
    }
}
