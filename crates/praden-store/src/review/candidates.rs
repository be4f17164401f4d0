//! What the detector writes into the queue — its proposals, with the folding of converged
//! stories and the reopening of rejected ones that grew — and what the queue lists.

use super::{corrupt, json, lit, placeholders, utc};
use crate::audit::{bind_audit, AuditEntry};
use crate::documents::{DocumentRow, SELECT_DOCUMENT};
use crate::readers::on_reader;
use crate::{on_pool, BeginWrite, Store, StoreError};
use praden_core::review::{Candidate, CandidateStatus, Proposal};
use praden_core::Document;
use std::sync::LazyLock;
use time::OffsetDateTime;

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
pub(super) struct CandidateRow {
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

pub(super) static CANDIDATE_BY_ID: LazyLock<String> =
    LazyLock::new(|| format!("{SELECT_CANDIDATE} WHERE id = $1"));

impl CandidateRow {
    pub(super) fn into_candidate(self, now: OffsetDateTime) -> Result<Candidate, StoreError> {
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

static INSERT_PENDING: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO candidates (status, score, articles, last_seen, proposal, created_at, \
         updated_at) VALUES ({}, $1, $2, $3, $4, $5, $5) RETURNING id",
        lit(CandidateStatus::Pending)
    )
});

/// The detector's fold of a converged story: unguarded, since the detector decides no
/// version a monitor saw.
static FOLD: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE candidates SET status = {}, merged_into = $1, version = version + 1, \
         updated_at = $2 WHERE id = $3",
        lit(CandidateStatus::Merged)
    )
});

static REOPEN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE candidates SET status = {}, version = version + 1, development = $1, \
         score = $2, articles = $3, last_seen = $4, proposal = $5, updated_at = $6 WHERE id = $7",
        lit(CandidateStatus::Pending)
    )
});

/// Whether a story rejected at `at_rejection` articles has grown enough, at `articles`, to be
/// put before the monitors again.
fn regrown(at_rejection: i64, articles: i64, regrowth_factor: f64) -> bool {
    (articles as f64) >= (at_rejection.max(1) as f64) * regrowth_factor
}

/// The note a reopened candidate carries (`Candidate::development`), in Thai because monitors
/// read it as it is stored: the queue and the candidate page show it, the API returns it and
/// the audit trail keeps it, so it is written once, here, rather than by each reader.
fn regrowth_note(at_rejection: i64, articles: i64) -> String {
    format!("มีพัฒนาการใหม่: ข่าวเพิ่มจาก {at_rejection} เป็น {articles} ชิ้นหลังถูกปฏิเสธ")
}

/// Follows `merged_into` links from candidate `id` to the candidate that absorbed it in the
/// end.
async fn resolve_merged<DB, C>(conn: &mut C, mut id: i64) -> Result<i64, sqlx::Error>
where
    DB: sqlx::Database,
    C: sqlx::Connection<Database = DB>,
    for<'c> &'c mut C: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    (Option<i64>,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    // Merges form a forest; the bound only guards against a corrupt cycle.
    for _ in 0..64 {
        let next: Option<Option<i64>> =
            sqlx::query_scalar("SELECT merged_into FROM candidates WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        match next.flatten() {
            Some(n) => id = n,
            None => break,
        }
    }
    Ok(id)
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
        let approved = CandidateStatus::Approved.as_str();
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
                let root = resolve_merged(&mut *tx, h).await?;
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
                let id: i64 = sqlx::query_scalar(&INSERT_PENDING)
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
                    .find(|(_, s)| s == approved)
                    .unwrap_or(&roots[0])
                    .0;
                let mut absorbed = Vec::new();
                for (id, status) in &roots {
                    if *id == keep || status == approved {
                        continue;
                    }
                    sqlx::query(&FOLD)
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
                        after: Some(serde_json::json!({"status": CandidateStatus::Merged.as_str(),
                            "merged_into": keep, "reason": "the stories converged"})),
                        request_id: None,
                    };
                    bind_audit!(entry, now).fetch_one(&mut *tx).await?;
                    absorbed.push(*id);
                }
                let row: CandidateRow = sqlx::query_as(&CANDIDATE_BY_ID)
                    .bind(keep)
                    .fetch_one(&mut *tx)
                    .await?;
                let reopen = row.status == CandidateStatus::Rejected.as_str()
                    && row.rejected_articles.is_some_and(|at_rejection| {
                        regrown(at_rejection, proposal.articles, regrowth_factor)
                    });
                let change = if reopen {
                    let note = regrowth_note(row.rejected_articles.unwrap_or(0), proposal.articles);
                    sqlx::query(&REOPEN)
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
                        before: Some(serde_json::json!({"status": CandidateStatus::Rejected.as_str(),
                            "articles": row.rejected_articles})),
                        after: Some(serde_json::json!({"status": CandidateStatus::Pending.as_str(),
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
        let row: Option<CandidateRow> = on_pool!(self, p => sqlx::query_as(&CANDIDATE_BY_ID)
            .bind(id)
            .fetch_optional(p)
            .await?);
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
        let clauses: Vec<String> = CandidateStatus::ALL
            .into_iter()
            .filter(|s| filter.statuses.contains(s))
            .map(listed_as)
            .collect();
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
            let root = resolve_merged(&mut *conn, id).await?;
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
        let rows = on_reader!(self, c => {
            let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
            for id in document_ids {
                q = q.bind(id);
            }
            q.fetch_all(c).await?
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

/// The SQL condition for listing candidates in `status` at time `$1`: the row's status alone
/// does not say, since a snooze that has run out lists as pending without a write.
fn listed_as(status: CandidateStatus) -> String {
    let (pending, snoozed) = (lit(CandidateStatus::Pending), lit(CandidateStatus::Snoozed));
    match status {
        CandidateStatus::Pending => {
            format!("status = {pending} OR (status = {snoozed} AND snoozed_until <= $1)")
        }
        CandidateStatus::Snoozed => format!("(status = {snoozed} AND snoozed_until > $1)"),
        CandidateStatus::Approved | CandidateStatus::Rejected | CandidateStatus::Merged => {
            format!("status = {}", lit(status))
        }
    }
}
