//! Monitors' decisions on candidates: approve (which creates the issue), reject, snooze and
//! merge. Each starts with a guarded update from the statuses `praden_core::review` allows it
//! from.

use super::candidates::{CandidateRow, CANDIDATE_BY_ID};
use super::events::append_event;
use super::issues::{IssueRow, ISSUE_BY_ID};
use super::{
    due_date, explain_miss, guarded_update, json, lit, utc, Approval, DecisionContext,
    DecisionError, CANDIDATES,
};
use crate::audit::bind_audit;
use crate::{on_pool, BeginWrite, Store};
use praden_core::review::{Candidate, CandidateStatus, Issue, IssueEventKind, IssueStatus};
use praden_core::thai_time::BANGKOK;
use std::sync::LazyLock;
use time::OffsetDateTime;

static APPROVE: LazyLock<String> = LazyLock::new(|| {
    let set = format!("status = {}", lit(CandidateStatus::Approved));
    guarded_update(CANDIDATES, &set, CandidateStatus::DECIDABLE)
});

static REJECT: LazyLock<String> = LazyLock::new(|| {
    let set = format!(
        "status = {}, reject_reason = $4, rejected_articles = articles, development = NULL, \
         snoozed_until = NULL",
        lit(CandidateStatus::Rejected)
    );
    guarded_update(CANDIDATES, &set, CandidateStatus::DECIDABLE)
});

static SNOOZE: LazyLock<String> = LazyLock::new(|| {
    let set = format!(
        "status = {}, snoozed_until = $4",
        lit(CandidateStatus::Snoozed)
    );
    guarded_update(CANDIDATES, &set, CandidateStatus::DECIDABLE)
});

static MERGE_AWAY: LazyLock<String> = LazyLock::new(|| {
    let set = format!(
        "status = {}, merged_into = $4",
        lit(CandidateStatus::Merged)
    );
    guarded_update(CANDIDATES, &set, CandidateStatus::DECIDABLE)
});

/// Bumps the version of the candidate merged into, so a monitor deciding on it from a view
/// taken before the merge is told its view is stale.
static MERGE_INTO: LazyLock<String> =
    LazyLock::new(|| guarded_update(CANDIDATES, "", CandidateStatus::MERGE_TARGETS));

static INSERT_ISSUE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO issues (candidate_id, status, title, agency, deadline_days, due_date, \
         source, criteria, links, approved_by, approved_at, updated_at) \
         VALUES ($1, {}, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        lit(IssueStatus::Approved)
    )
});

/// The value of a decision's `$4`.
enum Param {
    Text(String),
    Time(OffsetDateTime),
}

impl Store {
    /// Approves candidate `id` as the monitor saw it at `version`, creating its issue and the
    /// feed's `approved` event.
    pub async fn approve_candidate(
        &self,
        id: i64,
        version: i64,
        approval: &Approval,
        ctx: &DecisionContext,
    ) -> Result<Issue, DecisionError> {
        let ctx = &ctx.in_utc();
        approval.validate()?;
        let issue = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = sqlx::query(&APPROVE)
                .bind(ctx.now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(explain_miss(&mut *tx, CANDIDATES, id, version, "approve").await?);
            }
            let row: CandidateRow = sqlx::query_as(&CANDIDATE_BY_ID)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let candidate = row.into_candidate(ctx.now)?;
            let due = due_date(ctx.now, approval.deadline_days);
            let issue_id: i64 = sqlx::query_scalar(&INSERT_ISSUE)
                .bind(id)
                .bind(approval.title.trim())
                .bind(json(&approval.agency))
                .bind(i64::from(approval.deadline_days))
                .bind(due)
                .bind(approval.source.trim())
                .bind(json(&candidate.proposal.criteria))
                .bind(json(&candidate.proposal.links))
                .bind(&ctx.actor)
                .bind(ctx.now)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("UPDATE candidates SET issue_id = $1 WHERE id = $2")
                .bind(issue_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let row: IssueRow = sqlx::query_as(&ISSUE_BY_ID)
                .bind(issue_id)
                .fetch_one(&mut *tx)
                .await?;
            let issue = row.into_issue()?;
            let entry = ctx.audit(
                "candidate.approve",
                "candidate",
                &id.to_string(),
                Some(serde_json::json!({"version": version, "title": candidate.proposal.title,
                    "suggested_agency": candidate.proposal.agencies.first().map(|a| &a.agency)})),
                Some(serde_json::to_value(&issue).expect("issues serialise")),
            );
            bind_audit!(entry, ctx.now).fetch_one(&mut *tx).await?;
            append_event(&mut *tx, IssueEventKind::Approved, &issue, None, ctx.now).await?;
            tx.commit().await?;
            issue
        });
        Ok(issue)
    }

    /// Rejects candidate `id`; it returns only if its story grows (see `upsert_proposal`).
    pub async fn reject_candidate(
        &self,
        id: i64,
        version: i64,
        reason: &str,
        ctx: &DecisionContext,
    ) -> Result<Candidate, DecisionError> {
        let ctx = &ctx.in_utc();
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(DecisionError::Invalid(
                "a rejection needs a reason (reason is empty)".into(),
            ));
        }
        self.decide(
            id,
            version,
            "reject",
            &REJECT,
            Param::Text(reason.to_string()),
            ctx,
        )
        .await
    }

    /// Takes candidate `id` out of the queue until `until`.
    pub async fn snooze_candidate(
        &self,
        id: i64,
        version: i64,
        until: OffsetDateTime,
        ctx: &DecisionContext,
    ) -> Result<Candidate, DecisionError> {
        let ctx = &ctx.in_utc();
        if until <= ctx.now {
            return Err(DecisionError::Invalid(format!(
                "snooze until {until} is not in the future"
            )));
        }
        let until = utc(until);
        self.decide(id, version, "snooze", &SNOOZE, Param::Time(until), ctx)
            .await
    }

    /// One guarded status change on a candidate plus its audit record.
    async fn decide(
        &self,
        id: i64,
        version: i64,
        action: &'static str,
        sql: &'static str,
        param: Param,
        ctx: &DecisionContext,
    ) -> Result<Candidate, DecisionError> {
        let ctx = &ctx.in_utc();
        let now = ctx.now;
        let candidate = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let q = sqlx::query(sql).bind(now).bind(id).bind(version);
            let q = match &param {
                Param::Text(t) => q.bind(t.clone()),
                Param::Time(t) => q.bind(*t),
            };
            let done = q.execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(explain_miss(&mut *tx, CANDIDATES, id, version, action).await?);
            }
            let row: CandidateRow = sqlx::query_as(&CANDIDATE_BY_ID)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let after = row.into_candidate(now)?;
            let entry = ctx.audit(
                &format!("candidate.{action}"),
                "candidate",
                &id.to_string(),
                Some(serde_json::json!({"version": version})),
                Some(serde_json::json!({"status": after.status, "version": after.version,
                    "reject_reason": after.reject_reason, "snoozed_until": after.snoozed_until
                        .map(|t| t.to_offset(BANGKOK).to_string())})),
            );
            bind_audit!(entry, now).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            after
        });
        Ok(candidate)
    }

    /// Folds candidate `from` (seen at `from_version`) into `into` (seen at `into_version`):
    /// `from`'s documents move to `into`, `from` is marked merged. `into` may already be
    /// approved (a duplicate of a decided issue); `from` must still be undecided.
    pub async fn merge_candidates(
        &self,
        from: i64,
        from_version: i64,
        into: i64,
        into_version: i64,
        ctx: &DecisionContext,
    ) -> Result<Candidate, DecisionError> {
        let ctx = &ctx.in_utc();
        if from == into {
            return Err(DecisionError::Invalid(
                "cannot merge a candidate into itself".into(),
            ));
        }
        let merged = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = sqlx::query(&MERGE_AWAY)
                .bind(ctx.now)
                .bind(from)
                .bind(from_version)
                .bind(into)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(explain_miss(&mut *tx, CANDIDATES, from, from_version, "merge").await?);
            }
            let target = sqlx::query(&MERGE_INTO)
                .bind(ctx.now)
                .bind(into)
                .bind(into_version)
                .execute(&mut *tx)
                .await?;
            if target.rows_affected() == 0 {
                return Err(
                    explain_miss(&mut *tx, CANDIDATES, into, into_version, "merge into").await?
                );
            }
            sqlx::query("UPDATE candidate_documents SET candidate_id = $1 WHERE candidate_id = $2")
                .bind(into)
                .bind(from)
                .execute(&mut *tx)
                .await?;
            let entry = ctx.audit(
                "candidate.merge",
                "candidate",
                &from.to_string(),
                Some(serde_json::json!({"version": from_version})),
                Some(serde_json::json!({"status": CandidateStatus::Merged.as_str(),
                    "merged_into": into})),
            );
            bind_audit!(entry, ctx.now).fetch_one(&mut *tx).await?;
            let row: CandidateRow = sqlx::query_as(&CANDIDATE_BY_ID)
                .bind(into)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            row.into_candidate(ctx.now)?
        });
        Ok(merged)
    }
}
