//! The review queue: candidates written by the detector, monitors' decisions on them, the
//! issues approvals create and the ordered feed of issue events.
//!
//! Every decision is one transaction that checks the version the monitor saw (optimistic
//! locking), changes the rows, appends the audit record and, for issues, the feed event.

use crate::audit::{bind_audit, AuditEntry};
use crate::documents::{DocumentRow, SELECT_DOCUMENT};
use crate::{on_pool, BeginWrite, Store, StoreError};
use praden_core::review::{
    AgencyRef, Candidate, CandidateStatus, CriterionRecord, Issue, IssueEvent, IssueEventKind,
    IssueStatus, Proposal,
};
use praden_core::thai_time::BANGKOK;
use praden_core::Document;
use time::{Date, Duration, OffsetDateTime};

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

/// What the detector's proposal did to the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalChange {
    Created,
    Updated,
    /// A rejected candidate grew by the configured factor and is pending again.
    Reopened,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalOutcome {
    pub candidate_id: i64,
    pub change: ProposalChange,
    /// Candidates of the same story that were folded into `candidate_id` (the story's
    /// clusters converged).
    pub absorbed: Vec<i64>,
}

/// A monitor's approval: the issue as it will be sent.
#[derive(Debug, Clone)]
pub struct Approval {
    pub title: String,
    pub agency: AgencyRef,
    pub deadline_days: u32,
    pub source: String,
}

/// Which candidates to list.
#[derive(Debug, Clone)]
pub struct CandidateFilter {
    pub statuses: Vec<CandidateStatus>,
    pub limit: i64,
    pub offset: i64,
}

impl Default for CandidateFilter {
    fn default() -> Self {
        Self {
            statuses: vec![CandidateStatus::Pending],
            limit: 50,
            offset: 0,
        }
    }
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: i64,
    version: i64,
    status: String,
    proposal: String,
    development: Option<String>,
    reject_reason: Option<String>,
    rejected_articles: Option<i64>,
    merged_into: Option<i64>,
    snoozed_until: Option<OffsetDateTime>,
    issue_id: Option<i64>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

const SELECT_CANDIDATE: &str = "SELECT id, version, status, proposal, development, \
    reject_reason, rejected_articles, merged_into, snoozed_until, issue_id, created_at, \
    updated_at FROM candidates";

fn corrupt(table: &'static str, id: i64, reason: impl ToString) -> StoreError {
    StoreError::CorruptRow {
        table,
        id,
        reason: reason.to_string(),
    }
}

impl CandidateRow {
    fn into_candidate(self, now: OffsetDateTime) -> Result<Candidate, StoreError> {
        let mut status: CandidateStatus = self
            .status
            .parse()
            .map_err(|e| corrupt("candidates", self.id, e))?;
        // A snooze that has run out puts the candidate back in the queue without a write.
        if status == CandidateStatus::Snoozed && self.snoozed_until.is_some_and(|t| t <= now) {
            status = CandidateStatus::Pending;
        }
        let proposal: Proposal =
            serde_json::from_str(&self.proposal).map_err(|e| corrupt("candidates", self.id, e))?;
        Ok(Candidate {
            id: self.id,
            version: self.version,
            status,
            proposal,
            development: self.development,
            reject_reason: self.reject_reason,
            merged_into: self.merged_into,
            snoozed_until: self.snoozed_until,
            issue_id: self.issue_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct IssueRow {
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

const SELECT_ISSUE: &str = "SELECT id, candidate_id, version, status, title, agency, \
    deadline_days, due_date, source, criteria, links, approved_by, approved_at, updated_at \
    FROM issues";

impl IssueRow {
    fn into_issue(self) -> Result<Issue, StoreError> {
        let id = self.id;
        let status = match self.status.as_str() {
            "approved" => IssueStatus::Approved,
            "withdrawn" => IssueStatus::Withdrawn,
            other => return Err(corrupt("issues", id, format!("status {other:?}"))),
        };
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

/// Times are stored in UTC: SQLite compares them as text, which is only right in one offset.
fn utc(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(time::UtcOffset::UTC)
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("review records serialise")
}

/// The candidate row `id`, read inside the transaction `tx`.
macro_rules! candidate_row {
    ($tx:expr, $id:expr) => {{
        let row: CandidateRow = sqlx::query_as(&format!("{SELECT_CANDIDATE} WHERE id = $1"))
            .bind($id)
            .fetch_one(&mut *$tx)
            .await?;
        row
    }};
}

/// The issue row `id`, read inside the transaction `tx`.
macro_rules! issue_row {
    ($tx:expr, $id:expr) => {{
        let row: IssueRow = sqlx::query_as(&format!("{SELECT_ISSUE} WHERE id = $1"))
            .bind($id)
            .fetch_one(&mut *$tx)
            .await?;
        row
    }};
}

/// Follows `merged_into` links to the candidate that absorbed `id` in the end.
macro_rules! resolve_merged {
    ($tx:expr, $id:expr) => {{
        let mut id: i64 = $id;
        // Merges form a forest; the bound only guards against a corrupt cycle.
        for _ in 0..64 {
            let next: Option<Option<i64>> =
                sqlx::query_scalar("SELECT merged_into FROM candidates WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *$tx)
                    .await?;
            match next.flatten() {
                Some(n) => id = n,
                None => break,
            }
        }
        id
    }};
}

/// The conflict, missing-row or wrong-state error for a guarded update that touched no row.
macro_rules! explain_miss {
    ($tx:expr, $table:literal, $entity:literal, $id:expr, $expected:expr, $action:literal) => {{
        let row: Option<(i64, String)> = sqlx::query_as(concat!(
            "SELECT version, status FROM ",
            $table,
            " WHERE id = $1"
        ))
        .bind($id)
        .fetch_optional(&mut *$tx)
        .await?;
        match row {
            None => DecisionError::NotFound {
                entity: $entity,
                id: $id,
            },
            Some((current, status)) if current != $expected => {
                let last: Option<(String, OffsetDateTime)> = sqlx::query_as(
                    "SELECT actor, at FROM audit_log WHERE entity = $1 AND entity_id = $2 \
                     ORDER BY id DESC LIMIT 1",
                )
                .bind($entity)
                .bind($id.to_string())
                .fetch_optional(&mut *$tx)
                .await?;
                let (by, at) = last
                    .map(|(a, t)| (a, t.to_offset(BANGKOK).to_string()))
                    .unwrap_or_else(|| ("someone".into(), "an unknown time".into()));
                DecisionError::Conflict {
                    entity: $entity,
                    id: $id,
                    expected: $expected,
                    current,
                    status,
                    by,
                    at,
                }
            }
            Some((_, status)) => DecisionError::InvalidState {
                entity: $entity,
                id: $id,
                action: $action,
                status,
            },
        }
    }};
}

/// Appends a feed event for `issue`: takes the next `seq` from the counter row (its row lock
/// orders the committing transactions, see the migration) and stores the issue snapshot.
macro_rules! append_event {
    ($tx:expr, $kind:expr, $issue:expr, $at:expr) => {{
        let seq: i64 =
            sqlx::query_scalar("UPDATE issue_event_seq SET last = last + 1 RETURNING last")
                .fetch_one(&mut *$tx)
                .await?;
        sqlx::query(
            "INSERT INTO issue_events (seq, issue_id, kind, at, issue) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(seq)
        .bind($issue.id)
        .bind($kind.as_str())
        .bind($at)
        .bind(json(&$issue))
        .execute(&mut *$tx)
        .await?;
        seq
    }};
}

impl Store {
    /// Records detection's view of a story whose documents are `document_ids`: creates its
    /// candidate, or updates the candidate already holding any of those documents (never a
    /// second one). When the story's documents are spread over several candidates (two
    /// stories converged) the oldest keeps the story and the others are merged into it; an
    /// approved candidate is never folded into another. A rejected candidate stays rejected
    /// unless the story has grown to `regrowth_factor` times its size at rejection: then it
    /// is pending again and says why.
    pub async fn upsert_proposal(
        &self,
        document_ids: &[i64],
        proposal: &Proposal,
        regrowth_factor: f64,
        now: OffsetDateTime,
    ) -> Result<ProposalOutcome, StoreError> {
        let now = utc(now);
        let last_seen = utc(proposal.last_seen);
        let proposal_json = json(proposal);
        let outcome = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut holders: Vec<i64> = Vec::new();
            for chunk in document_ids.chunks(500) {
                let list = placeholders(chunk.len());
                let sql = format!("SELECT DISTINCT candidate_id FROM candidate_documents WHERE document_id IN ({list})");
                let mut q = sqlx::query_scalar::<_, i64>(&sql);
                for id in chunk {
                    q = q.bind(id);
                }
                holders.extend(q.fetch_all(&mut *tx).await?);
            }
            let mut roots: Vec<(i64, String)> = Vec::new();
            for h in holders {
                let root = resolve_merged!(tx, h);
                if !roots.iter().any(|(r, _)| *r == root) {
                    let status: String = sqlx::query_scalar("SELECT status FROM candidates WHERE id = $1")
                        .bind(root)
                        .fetch_one(&mut *tx)
                        .await?;
                    roots.push((root, status));
                }
            }
            roots.sort();
            let (candidate_id, change, absorbed) = if roots.is_empty() {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO candidates (status, score, articles, last_seen, proposal, created_at, updated_at) \
                     VALUES ('pending', $1, $2, $3, $4, $5, $5) RETURNING id")
                    .bind(proposal.score)
                    .bind(proposal.articles)
                    .bind(last_seen)
                    .bind(&proposal_json)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                (id, ProposalChange::Created, Vec::new())
            } else {
                let keep = roots
                    .iter()
                    .find(|(_, s)| s == "approved")
                    .unwrap_or(&roots[0])
                    .0;
                let mut absorbed = Vec::new();
                for (id, status) in &roots {
                    if *id == keep || status == "approved" {
                        continue;
                    }
                    sqlx::query("UPDATE candidates SET status = 'merged', merged_into = $1, \
                                 version = version + 1, updated_at = $2 WHERE id = $3")
                        .bind(keep)
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("UPDATE candidate_documents SET candidate_id = $1 WHERE candidate_id = $2")
                        .bind(keep)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    let entry = AuditEntry {
                        actor: "detector".into(),
                        action: "candidate.merge".into(),
                        entity: "candidate".into(),
                        entity_id: Some(id.to_string()),
                        before: Some(serde_json::json!({"status": status})),
                        after: Some(serde_json::json!({"status": "merged", "merged_into": keep,
                            "reason": "the stories converged"})),
                        request_id: None,
                    };
                    bind_audit!(entry, now).fetch_one(&mut *tx).await?;
                    absorbed.push(*id);
                }
                let row = candidate_row!(tx, keep);
                let reopen = row.status == "rejected"
                    && row.rejected_articles.is_some_and(|at_rejection| {
                        (proposal.articles as f64) >= (at_rejection.max(1) as f64) * regrowth_factor
                    });
                let change = if reopen {
                    let note = format!(
                        "มีพัฒนาการใหม่: ข่าวเพิ่มจาก {} เป็น {} ชิ้นหลังถูกปฏิเสธ",
                        row.rejected_articles.unwrap_or(0),
                        proposal.articles
                    );
                    sqlx::query("UPDATE candidates SET status = 'pending', version = version + 1, \
                                 development = $1, score = $2, articles = $3, last_seen = $4, \
                                 proposal = $5, updated_at = $6 WHERE id = $7")
                        .bind(&note)
                        .bind(proposal.score)
                        .bind(proposal.articles)
                        .bind(last_seen)
                        .bind(&proposal_json)
                        .bind(now)
                        .bind(keep)
                        .execute(&mut *tx)
                        .await?;
                    let entry = AuditEntry {
                        actor: "detector".into(),
                        action: "candidate.reopen".into(),
                        entity: "candidate".into(),
                        entity_id: Some(keep.to_string()),
                        before: Some(serde_json::json!({"status": "rejected",
                            "articles": row.rejected_articles})),
                        after: Some(serde_json::json!({"status": "pending",
                            "articles": proposal.articles, "development": note})),
                        request_id: None,
                    };
                    bind_audit!(entry, now).fetch_one(&mut *tx).await?;
                    ProposalChange::Reopened
                } else if row.proposal != proposal_json || !absorbed.is_empty() {
                    sqlx::query("UPDATE candidates SET score = $1, articles = $2, last_seen = $3, \
                                 proposal = $4, updated_at = $5 WHERE id = $6")
                        .bind(proposal.score)
                        .bind(proposal.articles)
                        .bind(last_seen)
                        .bind(&proposal_json)
                        .bind(now)
                        .bind(keep)
                        .execute(&mut *tx)
                        .await?;
                    ProposalChange::Updated
                } else {
                    ProposalChange::Unchanged
                };
                (keep, change, absorbed)
            };
            for id in document_ids {
                sqlx::query("INSERT INTO candidate_documents (document_id, candidate_id) VALUES ($1, $2) \
                             ON CONFLICT (document_id) DO NOTHING")
                    .bind(id)
                    .bind(candidate_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            ProposalOutcome { candidate_id, change, absorbed }
        });
        Ok(outcome)
    }

    pub async fn candidate(
        &self,
        id: i64,
        now: OffsetDateTime,
    ) -> Result<Option<Candidate>, StoreError> {
        let sql = format!("{SELECT_CANDIDATE} WHERE id = $1");
        let row: Option<CandidateRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        row.map(|r| r.into_candidate(now)).transpose()
    }

    /// Candidates in any of `filter.statuses` as of `now`, best score first. A snooze that has
    /// run out counts as pending.
    pub async fn candidates(
        &self,
        filter: &CandidateFilter,
        now: OffsetDateTime,
    ) -> Result<Vec<Candidate>, StoreError> {
        let now = utc(now);
        let wants = |s: CandidateStatus| filter.statuses.contains(&s);
        let mut clauses = Vec::new();
        for s in CandidateStatus::ALL {
            if !wants(s) {
                continue;
            }
            clauses.push(match s {
                CandidateStatus::Pending => {
                    "status = 'pending' OR (status = 'snoozed' AND snoozed_until <= $1)"
                }
                CandidateStatus::Snoozed => "(status = 'snoozed' AND snoozed_until > $1)",
                CandidateStatus::Approved => "status = 'approved'",
                CandidateStatus::Rejected => "status = 'rejected'",
                CandidateStatus::Merged => "status = 'merged'",
            });
        }
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{SELECT_CANDIDATE} WHERE ($1 = $1) AND ({}) ORDER BY score DESC, last_seen DESC, id \
             LIMIT $2 OFFSET $3",
            clauses.join(" OR ")
        );
        let rows: Vec<CandidateRow> = on_pool!(self, p => sqlx::query_as(&sql)
            .bind(now)
            .bind(filter.limit.max(1))
            .bind(filter.offset.max(0))
            .fetch_all(p)
            .await?);
        rows.into_iter().map(|r| r.into_candidate(now)).collect()
    }

    /// The documents a candidate covers, oldest first.
    pub async fn candidate_documents(&self, id: i64) -> Result<Vec<Document>, StoreError> {
        let sql = format!(
            "{SELECT_DOCUMENT} WHERE id IN (SELECT document_id FROM candidate_documents \
             WHERE candidate_id = $1) ORDER BY COALESCE(published_at, fetched_at), id"
        );
        let rows: Vec<DocumentRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_all(p).await?);
        rows.into_iter().map(Document::try_from).collect()
    }

    /// The ids of the documents a candidate covers, following merges to the candidate that
    /// holds them now; `None` if there is no such candidate.
    pub async fn candidate_document_ids(&self, id: i64) -> Result<Option<Vec<i64>>, StoreError> {
        let ids = on_pool!(self, p => {
            let mut conn = p.acquire().await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM candidates WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            if exists.is_none() {
                return Ok(None);
            }
            let root = resolve_merged!(conn, id);
            sqlx::query_scalar::<_, i64>(
                "SELECT document_id FROM candidate_documents WHERE candidate_id = $1 ORDER BY document_id")
                .bind(root)
                .fetch_all(&mut *conn)
                .await?
        });
        Ok(Some(ids))
    }

    /// Which candidate each of `document_ids` belongs to (documents in none are absent).
    pub async fn candidates_of_documents(
        &self,
        document_ids: &[i64],
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        if document_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT document_id, candidate_id FROM candidate_documents WHERE document_id IN ({})",
            placeholders(document_ids.len())
        );
        let rows = on_pool!(self, p => {
            let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
            for id in document_ids {
                q = q.bind(id);
            }
            q.fetch_all(p).await?
        });
        Ok(rows)
    }

    /// When each document of each candidate appeared (published, else fetched): the queue's
    /// coverage sparklines.
    pub async fn candidate_timelines(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(i64, OffsetDateTime)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT cd.candidate_id, COALESCE(d.published_at, d.fetched_at) FROM candidate_documents cd \
             JOIN documents d ON d.id = cd.document_id WHERE cd.candidate_id IN ({})",
            placeholders(ids.len())
        );
        let rows = on_pool!(self, p => {
            let mut q = sqlx::query_as::<_, (i64, OffsetDateTime)>(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(p).await?
        });
        Ok(rows)
    }

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
        validate_approval(approval)?;
        let issue = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = sqlx::query("UPDATE candidates SET status = 'approved', version = version + 1, \
                                    updated_at = $1 WHERE id = $2 AND version = $3 \
                                    AND status IN ('pending', 'snoozed')")
                .bind(ctx.now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(explain_miss!(tx, "candidates", "candidate", id, version, "approve"));
            }
            let row = candidate_row!(tx, id);
            let candidate = row.into_candidate(ctx.now)?;
            let due = due_date(ctx.now, approval.deadline_days);
            let issue_id: i64 = sqlx::query_scalar(
                "INSERT INTO issues (candidate_id, status, title, agency, deadline_days, due_date, \
                 source, criteria, links, approved_by, approved_at, updated_at) \
                 VALUES ($1, 'approved', $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id")
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
            let row = issue_row!(tx, issue_id);
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
            append_event!(tx, IssueEventKind::Approved, issue, ctx.now);
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
        let sql = "UPDATE candidates SET status = 'rejected', version = version + 1, \
            reject_reason = $4, rejected_articles = articles, development = NULL, \
            snoozed_until = NULL, updated_at = $1 WHERE id = $2 AND version = $3 \
            AND status IN ('pending', 'snoozed')";
        self.decide(
            id,
            version,
            "reject",
            sql,
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
        let sql = "UPDATE candidates SET status = 'snoozed', version = version + 1, \
            snoozed_until = $4, updated_at = $1 WHERE id = $2 AND version = $3 \
            AND status IN ('pending', 'snoozed')";
        self.decide(id, version, "snooze", sql, Param::Time(until), ctx)
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
                let err = match action {
                    "reject" => explain_miss!(tx, "candidates", "candidate", id, version, "reject"),
                    _ => explain_miss!(tx, "candidates", "candidate", id, version, "snooze"),
                };
                return Err(err);
            }
            let row = candidate_row!(tx, id);
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
            let done = sqlx::query("UPDATE candidates SET status = 'merged', merged_into = $1, \
                                    version = version + 1, updated_at = $2 WHERE id = $3 \
                                    AND version = $4 AND status IN ('pending', 'snoozed')")
                .bind(into)
                .bind(ctx.now)
                .bind(from)
                .bind(from_version)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(explain_miss!(tx, "candidates", "candidate", from, from_version, "merge"));
            }
            let target = sqlx::query("UPDATE candidates SET version = version + 1, updated_at = $1 \
                                      WHERE id = $2 AND version = $3 \
                                      AND status IN ('pending', 'snoozed', 'approved')")
                .bind(ctx.now)
                .bind(into)
                .bind(into_version)
                .execute(&mut *tx)
                .await?;
            if target.rows_affected() == 0 {
                return Err(explain_miss!(tx, "candidates", "candidate", into, into_version, "merge into"));
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
                Some(serde_json::json!({"status": "merged", "merged_into": into})),
            );
            bind_audit!(entry, ctx.now).fetch_one(&mut *tx).await?;
            let row = candidate_row!(tx, into);
            tx.commit().await?;
            row.into_candidate(ctx.now)?
        });
        Ok(merged)
    }

    pub async fn issue(&self, id: i64) -> Result<Option<Issue>, StoreError> {
        let sql = format!("{SELECT_ISSUE} WHERE id = $1");
        let row: Option<IssueRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
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

    /// Edits an approved issue seen at `version`; the feed gets an `edited` event.
    pub async fn edit_issue(
        &self,
        id: i64,
        version: i64,
        edit: &Approval,
        ctx: &DecisionContext,
    ) -> Result<Issue, DecisionError> {
        let ctx = &ctx.in_utc();
        validate_approval(edit)?;
        let issue = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = sqlx::query("UPDATE issues SET version = version + 1, updated_at = $1 \
                                    WHERE id = $2 AND version = $3 AND status = 'approved'")
                .bind(ctx.now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(explain_miss!(tx, "issues", "issue", id, version, "edit"));
            }
            let old = issue_row!(tx, id);
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
            let row = issue_row!(tx, id);
            let issue = row.into_issue()?;
            let entry = ctx.audit(
                "issue.edit",
                "issue",
                &id.to_string(),
                Some(serde_json::to_value(&old).expect("issues serialise")),
                Some(serde_json::to_value(&issue).expect("issues serialise")),
            );
            bind_audit!(entry, ctx.now).fetch_one(&mut *tx).await?;
            append_event!(tx, IssueEventKind::Edited, issue, ctx.now);
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
            let done = sqlx::query("UPDATE issues SET status = 'withdrawn', version = version + 1, \
                                    updated_at = $1 WHERE id = $2 AND version = $3 AND status = 'approved'")
                .bind(ctx.now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(explain_miss!(tx, "issues", "issue", id, version, "withdraw"));
            }
            let row = issue_row!(tx, id);
            let issue = row.into_issue()?;
            let entry = ctx.audit(
                "issue.withdraw",
                "issue",
                &id.to_string(),
                Some(serde_json::json!({"status": "approved", "version": version})),
                Some(serde_json::json!({"status": "withdrawn", "version": issue.version,
                    "reason": reason})),
            );
            bind_audit!(entry, ctx.now).fetch_one(&mut *tx).await?;
            append_event!(tx, IssueEventKind::Withdrawn, issue, ctx.now);
            tx.commit().await?;
            issue
        });
        Ok(issue)
    }

    /// Feed events after `after` (a seq), oldest first.
    pub async fn issue_events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<IssueEvent>, StoreError> {
        let rows: Vec<(i64, String, OffsetDateTime, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT seq, kind, at, issue FROM issue_events WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after)
            .bind(limit.max(1))
            .fetch_all(p)
            .await?);
        rows.into_iter()
            .map(|(seq, kind, at, issue)| {
                let kind = match kind.as_str() {
                    "approved" => IssueEventKind::Approved,
                    "edited" => IssueEventKind::Edited,
                    "withdrawn" => IssueEventKind::Withdrawn,
                    other => return Err(corrupt("issue_events", seq, format!("kind {other:?}"))),
                };
                let issue: Issue =
                    serde_json::from_str(&issue).map_err(|e| corrupt("issue_events", seq, e))?;
                Ok(IssueEvent {
                    seq,
                    kind,
                    at,
                    issue,
                })
            })
            .collect()
    }

    /// Where background job `job` has got to in the documents table (0 before its first run).
    pub async fn job_mark(&self, job: &str) -> Result<i64, StoreError> {
        let mark: Option<i64> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT mark FROM job_marks WHERE job = $1")
            .bind(job)
            .fetch_optional(p)
            .await?);
        Ok(mark.unwrap_or(0))
    }

    pub async fn set_job_mark(&self, job: &str, mark: i64) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO job_marks (job, mark) VALUES ($1, $2) \
             ON CONFLICT (job) DO UPDATE SET mark = excluded.mark")
            .bind(job)
            .bind(mark)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}

enum Param {
    Text(String),
    Time(OffsetDateTime),
}

fn validate_approval(a: &Approval) -> Result<(), DecisionError> {
    if a.title.trim().is_empty() {
        return Err(DecisionError::Invalid("title is empty".into()));
    }
    if a.agency.name_th.trim().is_empty() {
        return Err(DecisionError::Invalid(
            "the responsible agency is missing".into(),
        ));
    }
    if !(1..=90).contains(&a.deadline_days) {
        return Err(DecisionError::Invalid(format!(
            "deadline_days {} is out of range (1 to 90)",
            a.deadline_days
        )));
    }
    if a.source.trim().is_empty() {
        return Err(DecisionError::Invalid("source (ที่มา) is empty".into()));
    }
    Ok(())
}

/// `$1, $2, …, $n` for an IN list.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
