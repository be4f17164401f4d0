//! Clarifications found in the coverage (พบการชี้แจง): documents the clarifications job took
//! for the responsible agency's clarification of an issue, attached to the issue for the
//! monitors to see and for the agency to confirm as its report.
//!
//! A batch's matches and the job's mark commit in one transaction, and a pair already
//! attached is left as it is (`UNIQUE (issue_id, document_id)`), so a job that re-reads a
//! batch after a crash or restart attaches nothing twice.

use super::issues::{IssueRow, SELECT_ISSUE};
use super::utc;
use crate::{on_pool, BeginWrite, Store, StoreError};
use praden_core::review::Issue;
use praden_core::SourceKind;
use serde::Serialize;
use time::OffsetDateTime;

/// What the job attaches: issue, document, and the matcher's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct NewClarification {
    pub issue_id: i64,
    pub document_id: i64,
    /// The matcher's score, 0..1.
    pub score: f64,
    /// Who gave the statement, when the matcher found a name.
    pub speaker: Option<String>,
    /// The clarification's key sentence, or the start of the document.
    pub excerpt: Option<String>,
}

/// A clarification attached to an issue, with what the pages show of its document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundClarification {
    pub id: i64,
    pub issue_id: i64,
    pub document_id: i64,
    pub score: f64,
    pub speaker: Option<String>,
    pub excerpt: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub found_at: OffsetDateTime,
    pub title: String,
    pub url: Option<String>,
    pub outlet: String,
    pub kind: SourceKind,
    /// When the document was published (when praden saw it, if it carries no date).
    #[serde(with = "time::serde::rfc3339")]
    pub published_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct FoundRow {
    id: i64,
    issue_id: i64,
    document_id: i64,
    score: f64,
    speaker: Option<String>,
    excerpt: Option<String>,
    found_at: OffsetDateTime,
    title: String,
    url: Option<String>,
    outlet: String,
    kind: String,
    published_at: Option<OffsetDateTime>,
    fetched_at: OffsetDateTime,
}

impl FoundRow {
    fn into_found(self) -> Result<FoundClarification, StoreError> {
        let kind = self
            .kind
            .parse()
            .map_err(|e| super::corrupt("documents", self.document_id, e))?;
        Ok(FoundClarification {
            id: self.id,
            issue_id: self.issue_id,
            document_id: self.document_id,
            score: self.score,
            speaker: self.speaker,
            excerpt: self.excerpt,
            found_at: self.found_at,
            title: self.title,
            url: self.url,
            outlet: self.outlet,
            kind,
            // A future date is the source's mistake: the document cannot have been
            // published after praden saw it.
            published_at: self
                .published_at
                .map_or(self.fetched_at, |p| p.min(self.fetched_at)),
        })
    }
}

const SELECT_FOUND: &str = "SELECT c.id, c.issue_id, c.document_id, c.score, c.speaker, \
    c.excerpt, c.found_at, d.title, d.url, d.outlet, d.kind, d.published_at, d.fetched_at \
    FROM issue_clarifications c JOIN documents d ON d.id = c.document_id";

impl Store {
    /// Approved (not withdrawn) issues approved at or after `since`, oldest first: the issues
    /// whose clarification the job looks for.
    pub async fn open_issues_approved_since(
        &self,
        since: OffsetDateTime,
    ) -> Result<Vec<Issue>, StoreError> {
        let sql = format!(
            "{SELECT_ISSUE} WHERE status = 'approved' AND approved_at >= $1 \
             ORDER BY approved_at, id"
        );
        let rows: Vec<IssueRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(utc(since)).fetch_all(p).await?);
        rows.into_iter().map(IssueRow::into_issue).collect()
    }

    /// Attaches `found` (pairs already attached are left as they are) and moves job `job`'s
    /// mark to `mark`, in one transaction; returns how many were new.
    pub async fn attach_clarifications(
        &self,
        found: &[NewClarification],
        job: &str,
        mark: i64,
        now: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        let now = utc(now);
        let added = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut added = 0;
            for c in found {
                let done = sqlx::query(
                    "INSERT INTO issue_clarifications (issue_id, document_id, score, speaker, \
                     excerpt, found_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (issue_id, document_id) DO NOTHING",
                )
                .bind(c.issue_id)
                .bind(c.document_id)
                .bind(c.score)
                .bind(&c.speaker)
                .bind(&c.excerpt)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                added += done.rows_affected() as usize;
            }
            sqlx::query(
                "INSERT INTO job_marks (job, mark) VALUES ($1, $2) \
                 ON CONFLICT (job) DO UPDATE SET mark = excluded.mark",
            )
            .bind(job)
            .bind(mark)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            added
        });
        Ok(added)
    }

    /// The clarifications found for issue `id`, best match first.
    pub async fn issue_clarifications(
        &self,
        id: i64,
    ) -> Result<Vec<FoundClarification>, StoreError> {
        let sql = format!("{SELECT_FOUND} WHERE c.issue_id = $1 ORDER BY c.score DESC, c.id");
        let rows: Vec<FoundRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_all(p).await?);
        rows.into_iter().map(FoundRow::into_found).collect()
    }

    /// Clarification `id` of issue `issue_id`, if it is that issue's.
    pub async fn issue_clarification(
        &self,
        issue_id: i64,
        id: i64,
    ) -> Result<Option<FoundClarification>, StoreError> {
        let sql = format!("{SELECT_FOUND} WHERE c.issue_id = $1 AND c.id = $2");
        let row: Option<FoundRow> = on_pool!(self, p => sqlx::query_as(&sql)
            .bind(issue_id)
            .bind(id)
            .fetch_optional(p)
            .await?);
        row.map(FoundRow::into_found).transpose()
    }
}
