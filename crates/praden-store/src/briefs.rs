//! What the 09:30 brief is gathered from: each candidate's first documents and the social
//! engagement of its posts, and the number of pending candidates. Publishing a brief and
//! delivering it are in `publications`.

use crate::{on_pool, Store, StoreError};
use std::collections::HashMap;
use time::OffsetDateTime;

/// A document of a candidate's coverage, its body cut short.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageDocument {
    pub document_id: i64,
    pub title: String,
    /// The first characters of the body.
    pub body_start: String,
    pub outlet: String,
    pub url: Option<String>,
    pub kind: praden_core::SourceKind,
    pub published_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct CoverageRow {
    candidate_id: i64,
    id: i64,
    title: String,
    body: String,
    outlet: String,
    url: Option<String>,
    kind: String,
    published_at: Option<OffsetDateTime>,
}

impl Store {
    /// The first `per_candidate` documents of each candidate (oldest first, as
    /// `candidate_documents` orders them) with the first `body_chars` characters of their
    /// bodies: what a brief item's summary and links are drawn from. One query per 500
    /// candidates, whatever their size.
    pub async fn candidate_coverage(
        &self,
        candidate_ids: &[i64],
        per_candidate: i64,
        body_chars: i64,
    ) -> Result<HashMap<i64, Vec<CoverageDocument>>, StoreError> {
        let mut out: HashMap<i64, Vec<CoverageDocument>> = HashMap::new();
        for chunk in candidate_ids.chunks(500) {
            let list = (3..chunk.len() + 3)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT r.candidate_id, d.id, d.title, SUBSTR(d.body, 1, $1) AS body, d.outlet, \
                 d.url, d.kind, d.published_at FROM ( \
                   SELECT cd.candidate_id, cd.document_id, \
                   ROW_NUMBER() OVER (PARTITION BY cd.candidate_id \
                     ORDER BY COALESCE(d.published_at, d.fetched_at), d.id) AS n \
                   FROM candidate_documents cd JOIN documents d ON d.id = cd.document_id \
                   WHERE cd.candidate_id IN ({list})) r \
                 JOIN documents d ON d.id = r.document_id \
                 WHERE r.n <= $2 ORDER BY r.candidate_id, r.n"
            );
            let rows: Vec<CoverageRow> = on_pool!(self, p => {
                let mut q = sqlx::query_as::<_, CoverageRow>(&sql)
                    // PostgreSQL's SUBSTR takes an integer, not a bigint.
                    .bind(i32::try_from(body_chars.max(0)).unwrap_or(i32::MAX))
                    .bind(per_candidate.max(0));
                for id in chunk {
                    q = q.bind(id);
                }
                q.fetch_all(p).await?
            });
            for r in rows {
                let kind = r
                    .kind
                    .parse()
                    .map_err(|e: praden_core::UnknownSourceKind| StoreError::CorruptRow {
                        table: "documents",
                        id: r.id,
                        reason: e.to_string(),
                    })?;
                out.entry(r.candidate_id)
                    .or_default()
                    .push(CoverageDocument {
                        document_id: r.id,
                        title: r.title,
                        body_start: r.body,
                        outlet: r.outlet,
                        url: r.url,
                        kind,
                        published_at: r.published_at,
                    });
            }
        }
        Ok(out)
    }

    /// How many candidates are pending at `now` (a snooze that ran out counts).
    pub async fn pending_candidate_count(&self, now: OffsetDateTime) -> Result<i64, StoreError> {
        let now = now.to_offset(time::UtcOffset::UTC);
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM candidates WHERE status = 'pending' \
             OR (status = 'snoozed' AND snoozed_until <= $1)")
            .bind(now)
            .fetch_one(p)
            .await?);
        Ok(n)
    }

    /// For each candidate: the likes, shares and comments of its social posts at their latest
    /// observation. Candidates without observed posts are absent.
    pub async fn candidate_social_engagement(
        &self,
        candidate_ids: &[i64],
    ) -> Result<HashMap<i64, i64>, StoreError> {
        let mut out = HashMap::new();
        for chunk in candidate_ids.chunks(500) {
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT cd.candidate_id, CAST(SUM(COALESCE(e.likes, 0) + COALESCE(e.shares, 0) \
                 + COALESCE(e.comments, 0)) AS BIGINT) \
                 FROM candidate_documents cd JOIN engagement e ON e.document_id = cd.document_id \
                 WHERE cd.candidate_id IN ({list}) AND e.observed_at = \
                   (SELECT MAX(x.observed_at) FROM engagement x WHERE x.document_id = e.document_id) \
                 GROUP BY cd.candidate_id"
            );
            let rows: Vec<(i64, i64)> = on_pool!(self, p => {
                let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
                for id in chunk {
                    q = q.bind(id);
                }
                q.fetch_all(p).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }
}
