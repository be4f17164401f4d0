//! Agencies' answers to the issues assigned to them: taken on (by whom), or not theirs (why).
//! Each answer commits with its audit record and its feed event (`acknowledged`/`declined`,
//! carrying the answer), like the monitors' decisions.

use super::issues::{IssueRow, ISSUE_BY_ID};
use super::{corrupt, json, DecisionContext, DecisionError};
use crate::audit::bind_audit;
use crate::{on_pool, BeginWrite, Store, StoreError};
use praden_core::review::{Issue, IssueResponse, IssueStatus, ResponseKind};
use std::collections::HashMap;
use time::OffsetDateTime;

use super::events::append_event;

#[derive(sqlx::FromRow)]
struct ResponseRow {
    id: i64,
    issue_id: i64,
    agency: String,
    kind: String,
    person: String,
    position: String,
    reason: Option<String>,
    at: OffsetDateTime,
    by_user: String,
}

impl ResponseRow {
    fn into_response(self) -> Result<(i64, IssueResponse), StoreError> {
        let kind = [ResponseKind::Acknowledged, ResponseKind::Declined]
            .into_iter()
            .find(|k| k.as_str() == self.kind)
            .ok_or_else(|| corrupt("issue_responses", self.id, format!("kind {:?}", self.kind)))?;
        Ok((
            self.issue_id,
            IssueResponse {
                kind,
                agency: self.agency,
                person: self.person,
                position: self.position,
                reason: self.reason,
                at: self.at,
                by: self.by_user,
            },
        ))
    }
}

const SELECT_RESPONSE: &str = "SELECT id, issue_id, agency, kind, person, position, reason, at, \
    by_user FROM issue_responses";

impl Store {
    /// Records `response` to issue `id` as `ctx.actor`. The issue must still stand and be
    /// assigned to `response.agency` now (a reassigned issue is answered by its new agency);
    /// an agency that took an issue on cannot then decline it, nor answer the same twice.
    pub async fn respond_to_issue(
        &self,
        id: i64,
        response: &IssueResponse,
        ctx: &DecisionContext,
    ) -> Result<Issue, DecisionError> {
        let ctx = &ctx.in_utc();
        let person = response.person.trim();
        let position = response.position.trim();
        let reason = response.reason.as_deref().map(str::trim).unwrap_or("");
        match response.kind {
            ResponseKind::Acknowledged if person.is_empty() || position.is_empty() => {
                return Err(DecisionError::Invalid(
                    "acknowledging needs the name and the position of the person who takes \
                     the issue on (person or position is empty)"
                        .into(),
                ))
            }
            ResponseKind::Declined if reason.is_empty() => {
                return Err(DecisionError::Invalid(
                    "answering that an issue is not the agency's needs a reason (reason is \
                     empty)"
                        .into(),
                ))
            }
            _ => {}
        }
        let response = IssueResponse {
            person: person.to_string(),
            position: position.to_string(),
            reason: (response.kind == ResponseKind::Declined).then(|| reason.to_string()),
            at: ctx.now,
            by: ctx.actor.clone(),
            ..response.clone()
        };
        let issue = on_pool!(self, p => {
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
                    action: "answer",
                    status: issue.status.as_str().into(),
                });
            }
            if issue.agency.name_th != response.agency {
                return Err(DecisionError::Invalid(format!(
                    "issue {id} is assigned to {}, not to {}",
                    issue.agency.name_th, response.agency
                )));
            }
            let last: Option<String> = sqlx::query_scalar(
                "SELECT kind FROM issue_responses WHERE issue_id = $1 AND agency = $2 \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(id)
            .bind(&response.agency)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(last) = last {
                return Err(DecisionError::InvalidState {
                    entity: "issue",
                    id,
                    action: "answer",
                    status: format!("already {last} by {}", response.agency),
                });
            }
            sqlx::query(
                "INSERT INTO issue_responses (issue_id, agency, kind, person, position, reason, \
                 at, by_user) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(&response.agency)
            .bind(response.kind.as_str())
            .bind(&response.person)
            .bind(&response.position)
            .bind(&response.reason)
            .bind(ctx.now)
            .bind(&ctx.actor)
            .execute(&mut *tx)
            .await?;
            let entry = ctx.audit(
                &format!("issue.{}", response.kind.as_str()),
                "issue",
                &id.to_string(),
                None,
                Some(serde_json::json!({
                    "agency": response.agency,
                    "person": response.person,
                    "position": response.position,
                    "reason": response.reason,
                })),
            );
            bind_audit!(entry, ctx.now).fetch_one(&mut *tx).await?;
            append_event(
                &mut *tx,
                response.kind.event(),
                &issue,
                Some(json(&response)),
                ctx.now,
            )
            .await?;
            tx.commit().await?;
            issue
        });
        Ok(issue)
    }

    /// Every answer to issue `id`, oldest first.
    pub async fn issue_responses(&self, id: i64) -> Result<Vec<IssueResponse>, StoreError> {
        let sql = format!("{SELECT_RESPONSE} WHERE issue_id = $1 ORDER BY id");
        let rows: Vec<ResponseRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_all(p).await?);
        rows.into_iter()
            .map(|r| r.into_response().map(|(_, r)| r))
            .collect()
    }

    /// The latest answer to each of `ids` that has one, for lists of issues.
    pub async fn latest_responses(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, IssueResponse>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        // The ids are numbers from the caller's own issue list: inlined, no injection.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let sql = format!("{SELECT_RESPONSE} WHERE issue_id IN ({list}) ORDER BY id");
        let rows: Vec<ResponseRow> = on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
        let mut latest = HashMap::new();
        for row in rows {
            let (issue, response) = row.into_response()?;
            latest.insert(issue, response);
        }
        Ok(latest)
    }
}
