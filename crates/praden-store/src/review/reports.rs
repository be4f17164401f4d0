//! Agencies' clarification reports and their evidence. A report commits with its audit record
//! and its feed event (`reported`, carrying the report); evidence rows point at files the
//! caller already put in the object store (by SHA-256), each with its audit record. Every
//! report is kept: a correction is a new one.

use super::events::append_event;
use super::issues::{IssueRow, ISSUE_BY_ID};
use super::{corrupt, json, DecisionContext, DecisionError};
use crate::audit::bind_audit;
use crate::{on_pool, BeginWrite, Store, StoreError};
use praden_core::report::{ChannelEntry, Evidence, EvidenceKind, NewEvidence, NewReport, Report};
use praden_core::review::{IssueEventKind, IssueStatus};
use time::OffsetDateTime;

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: i64,
    issue_id: i64,
    agency: String,
    reporter: String,
    clarified_at: OffsetDateTime,
    speaker: String,
    content: String,
    channels: String,
    at: OffsetDateTime,
    by_user: String,
}

impl ReportRow {
    fn into_report(self) -> Result<Report, StoreError> {
        let channels: Vec<ChannelEntry> = serde_json::from_str(&self.channels)
            .map_err(|e| corrupt("issue_reports", self.id, e))?;
        Ok(Report {
            id: self.id,
            issue_id: self.issue_id,
            agency: self.agency,
            reporter: self.reporter,
            clarified_at: self.clarified_at,
            speaker: self.speaker,
            content: self.content,
            channels,
            at: self.at,
            by: self.by_user,
        })
    }
}

const SELECT_REPORT: &str = "SELECT id, issue_id, agency, reporter, clarified_at, speaker, \
    content, channels, at, by_user FROM issue_reports";

#[derive(sqlx::FromRow)]
struct EvidenceRow {
    id: i64,
    issue_id: i64,
    report_id: Option<i64>,
    kind: String,
    file_name: Option<String>,
    media_type: Option<String>,
    size_bytes: i64,
    sha256: Option<String>,
    link: Option<String>,
    at: OffsetDateTime,
    by_user: String,
}

impl EvidenceRow {
    fn into_evidence(self) -> Result<Evidence, StoreError> {
        let kind = EvidenceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == self.kind)
            .ok_or_else(|| corrupt("evidence", self.id, format!("kind {:?}", self.kind)))?;
        Ok(Evidence {
            id: self.id,
            issue_id: self.issue_id,
            report_id: self.report_id,
            kind,
            file_name: self.file_name,
            media_type: self.media_type,
            size: self.size_bytes,
            sha256: self.sha256,
            link: self.link,
            at: self.at,
            by: self.by_user,
        })
    }
}

const SELECT_EVIDENCE: &str = "SELECT id, issue_id, report_id, kind, file_name, media_type, \
    size_bytes, sha256, link, at, by_user FROM evidence";

impl Store {
    /// Records `report` of issue `id` by `agency` as `ctx.actor`: the issue must still stand,
    /// be assigned to `agency` now, and not have been declined by it. The caller validated the
    /// report (`NewReport::validated`).
    pub async fn add_report(
        &self,
        id: i64,
        agency: &str,
        report: &NewReport,
        ctx: &DecisionContext,
    ) -> Result<Report, DecisionError> {
        let ctx = &ctx.in_utc();
        let clarified_at = super::utc(report.clarified_at);
        let report = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<IssueRow> = sqlx::query_as(&ISSUE_BY_ID)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Err(DecisionError::NotFound { entity: "issue", id });
            };
            let issue = row.into_issue()?;
            if issue.status != IssueStatus::Approved {
                return Err(DecisionError::InvalidState {
                    entity: "issue",
                    id,
                    action: "report on",
                    status: issue.status.as_str().into(),
                });
            }
            if issue.agency.name_th != agency {
                return Err(DecisionError::Invalid(format!(
                    "issue {id} is assigned to {}, not to {agency}",
                    issue.agency.name_th
                )));
            }
            let last: Option<String> = sqlx::query_scalar(
                "SELECT kind FROM issue_responses WHERE issue_id = $1 AND agency = $2 \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(id)
            .bind(agency)
            .fetch_optional(&mut *tx)
            .await?;
            if last.as_deref() == Some("declined") {
                return Err(DecisionError::InvalidState {
                    entity: "issue",
                    id,
                    action: "report on",
                    status: format!("declined by {agency}"),
                });
            }
            let report_id: i64 = sqlx::query_scalar(
                "INSERT INTO issue_reports (issue_id, agency, reporter, clarified_at, speaker, \
                 content, channels, at, by_user) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 RETURNING id",
            )
            .bind(id)
            .bind(agency)
            .bind(&report.reporter)
            .bind(clarified_at)
            .bind(&report.speaker)
            .bind(&report.content)
            .bind(json(&report.channels))
            .bind(ctx.now)
            .bind(&ctx.actor)
            .fetch_one(&mut *tx)
            .await?;
            let stored = Report {
                id: report_id,
                issue_id: id,
                agency: agency.to_string(),
                reporter: report.reporter.clone(),
                clarified_at,
                speaker: report.speaker.clone(),
                content: report.content.clone(),
                channels: report.channels.clone(),
                at: ctx.now,
                by: ctx.actor.clone(),
            };
            let entry = ctx.audit(
                "issue.reported",
                "issue",
                &id.to_string(),
                None,
                Some(serde_json::to_value(&stored).expect("a report serialises")),
            );
            bind_audit!(entry, ctx.now).fetch_one(&mut *tx).await?;
            append_event(
                &mut *tx,
                IssueEventKind::Reported,
                &issue,
                Some(json(&stored)),
                ctx.now,
            )
            .await?;
            tx.commit().await?;
            stored
        });
        Ok(report)
    }

    /// Every report on issue `id`, latest first.
    pub async fn issue_reports(&self, id: i64) -> Result<Vec<Report>, StoreError> {
        let sql = format!("{SELECT_REPORT} WHERE issue_id = $1 ORDER BY id DESC");
        let rows: Vec<ReportRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_all(p).await?);
        rows.into_iter().map(ReportRow::into_report).collect()
    }

    /// Report `id`, if it exists.
    pub async fn report(&self, id: i64) -> Result<Option<Report>, StoreError> {
        let sql = format!("{SELECT_REPORT} WHERE id = $1");
        let row: Option<ReportRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        row.map(ReportRow::into_report).transpose()
    }

    /// Records an evidence item as `ctx.actor`. Its report (if named) must be of its issue,
    /// and a file must keep the issue's files within `max_issue_bytes` together (checked in
    /// the transaction that adds it).
    pub async fn add_evidence(
        &self,
        item: &NewEvidence,
        max_issue_bytes: i64,
        ctx: &DecisionContext,
    ) -> Result<Evidence, DecisionError> {
        let ctx = &ctx.in_utc();
        if (item.kind == EvidenceKind::Link) != item.link.is_some()
            || (item.kind == EvidenceKind::Link) == item.sha256.is_some()
        {
            return Err(DecisionError::Invalid(
                "evidence is either a file (with its sha256) or a link".into(),
            ));
        }
        let issue_id = item.issue_id;
        let evidence = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let issue: Option<i64> = sqlx::query_scalar("SELECT id FROM issues WHERE id = $1")
                .bind(issue_id)
                .fetch_optional(&mut *tx)
                .await?;
            if issue.is_none() {
                return Err(DecisionError::NotFound { entity: "issue", id: issue_id });
            }
            if let Some(report) = item.report_id {
                let of: Option<i64> =
                    sqlx::query_scalar("SELECT issue_id FROM issue_reports WHERE id = $1")
                        .bind(report)
                        .fetch_optional(&mut *tx)
                        .await?;
                if of != Some(issue_id) {
                    return Err(DecisionError::NotFound { entity: "report", id: report });
                }
            }
            let used: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM evidence \
                 WHERE issue_id = $1",
            )
            .bind(issue_id)
            .fetch_one(&mut *tx)
            .await?;
            if used + item.size > max_issue_bytes {
                return Err(DecisionError::Invalid(format!(
                    "issue {issue_id} already holds {used} bytes of evidence: {} more would \
                     pass its limit of {max_issue_bytes} bytes",
                    item.size
                )));
            }
            let evidence_id: i64 = sqlx::query_scalar(
                "INSERT INTO evidence (issue_id, report_id, kind, file_name, media_type, \
                 size_bytes, sha256, link, at, by_user) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(issue_id)
            .bind(item.report_id)
            .bind(item.kind.as_str())
            .bind(&item.file_name)
            .bind(&item.media_type)
            .bind(item.size)
            .bind(&item.sha256)
            .bind(&item.link)
            .bind(ctx.now)
            .bind(&ctx.actor)
            .fetch_one(&mut *tx)
            .await?;
            let stored = Evidence {
                id: evidence_id,
                issue_id,
                report_id: item.report_id,
                kind: item.kind,
                file_name: item.file_name.clone(),
                media_type: item.media_type.clone(),
                size: item.size,
                sha256: item.sha256.clone(),
                link: item.link.clone(),
                at: ctx.now,
                by: ctx.actor.clone(),
            };
            let entry = ctx.audit(
                "evidence.added",
                "issue",
                &issue_id.to_string(),
                None,
                Some(serde_json::to_value(&stored).expect("evidence serialises")),
            );
            bind_audit!(entry, ctx.now).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            stored
        });
        Ok(evidence)
    }

    /// Every evidence item of issue `id`, oldest first.
    pub async fn issue_evidence(&self, id: i64) -> Result<Vec<Evidence>, StoreError> {
        let sql = format!("{SELECT_EVIDENCE} WHERE issue_id = $1 ORDER BY id");
        let rows: Vec<EvidenceRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_all(p).await?);
        rows.into_iter().map(EvidenceRow::into_evidence).collect()
    }

    /// Evidence item `id`, if it exists.
    pub async fn evidence(&self, id: i64) -> Result<Option<Evidence>, StoreError> {
        let sql = format!("{SELECT_EVIDENCE} WHERE id = $1");
        let row: Option<EvidenceRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        row.map(EvidenceRow::into_evidence).transpose()
    }
}
