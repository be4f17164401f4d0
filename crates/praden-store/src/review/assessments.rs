//! Monitors' assessments of clarification reports. An assessment commits with its audit
//! record and its feed event (`assessed`, carrying the assessment); every one is kept, the
//! latest per report counts.

use super::events::append_event;
use super::issues::{IssueRow, ISSUE_BY_ID};
use super::{corrupt, json, DecisionContext, DecisionError};
use crate::audit::bind_audit;
use crate::{on_pool, BeginWrite, Store, StoreError};
use praden_core::report::{Assessment, Completeness, ReportFacts};
use praden_core::review::IssueEventKind;
use time::OffsetDateTime;

#[derive(sqlx::FromRow)]
struct AssessmentRow {
    id: i64,
    report_id: i64,
    issue_id: i64,
    in_time: bool,
    channels: i64,
    evidence_on_time: Option<bool>,
    completeness: String,
    note: String,
    at: OffsetDateTime,
    by_user: String,
}

impl AssessmentRow {
    fn into_assessment(self) -> Result<Assessment, StoreError> {
        let completeness = Completeness::parse(&self.completeness).ok_or_else(|| {
            corrupt(
                "report_assessments",
                self.id,
                format!("completeness {:?}", self.completeness),
            )
        })?;
        Ok(Assessment {
            id: self.id,
            report_id: self.report_id,
            issue_id: self.issue_id,
            facts: ReportFacts {
                in_time: self.in_time,
                channels: u32::try_from(self.channels).unwrap_or(0),
                evidence_on_time: self.evidence_on_time,
            },
            completeness,
            note: self.note,
            at: self.at,
            by: self.by_user,
        })
    }
}

const SELECT_ASSESSMENT: &str = "SELECT id, report_id, issue_id, in_time, channels, \
    evidence_on_time, completeness, note, at, by_user FROM report_assessments";

impl Store {
    /// Records a monitor's assessment of report `report_id`: `facts` as measured now, and the
    /// judgement. A judgement short of complete needs a note saying why.
    pub async fn assess_report(
        &self,
        report_id: i64,
        facts: ReportFacts,
        completeness: Completeness,
        note: &str,
        ctx: &DecisionContext,
    ) -> Result<Assessment, DecisionError> {
        let ctx = &ctx.in_utc();
        let note = note.trim();
        if completeness != Completeness::Yes && note.is_empty() {
            return Err(DecisionError::Invalid(
                "note: say what the clarification left out (needed unless it is complete)".into(),
            ));
        }
        let assessment = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let issue_id: Option<i64> =
                sqlx::query_scalar("SELECT issue_id FROM issue_reports WHERE id = $1")
                    .bind(report_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(issue_id) = issue_id else {
                return Err(DecisionError::NotFound {
                    entity: "report",
                    id: report_id,
                });
            };
            let row: IssueRow = sqlx::query_as(&ISSUE_BY_ID)
                .bind(issue_id)
                .fetch_one(&mut *tx)
                .await?;
            let issue = row.into_issue()?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO report_assessments (report_id, issue_id, in_time, channels, \
                 evidence_on_time, completeness, note, at, by_user) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(report_id)
            .bind(issue_id)
            .bind(facts.in_time)
            .bind(i64::from(facts.channels))
            .bind(facts.evidence_on_time)
            .bind(completeness.as_str())
            .bind(note)
            .bind(ctx.now)
            .bind(&ctx.actor)
            .fetch_one(&mut *tx)
            .await?;
            let stored = Assessment {
                id,
                report_id,
                issue_id,
                facts,
                completeness,
                note: note.to_string(),
                at: ctx.now,
                by: ctx.actor.clone(),
            };
            let entry = ctx.audit(
                "issue.assessed",
                "issue",
                &issue_id.to_string(),
                None,
                Some(serde_json::to_value(&stored).expect("an assessment serialises")),
            );
            bind_audit!(entry, ctx.now).fetch_one(&mut *tx).await?;
            append_event(
                &mut *tx,
                IssueEventKind::Assessed,
                &issue,
                Some(json(&stored)),
                ctx.now,
            )
            .await?;
            tx.commit().await?;
            stored
        });
        Ok(assessment)
    }

    /// Every assessment of issue `id`'s reports, latest first.
    pub async fn issue_assessments(&self, id: i64) -> Result<Vec<Assessment>, StoreError> {
        let sql = format!("{SELECT_ASSESSMENT} WHERE issue_id = $1 ORDER BY id DESC");
        let rows: Vec<AssessmentRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_all(p).await?);
        rows.into_iter()
            .map(AssessmentRow::into_assessment)
            .collect()
    }
}
