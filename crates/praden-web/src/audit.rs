//! The audit trail for admins: read page by page, or export whole.

use crate::auth::Identity;
use crate::extract::{Json, Query};
use crate::html::{esc, shell, url_encode};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use praden_core::thai_time::to_bangkok;
use praden_store::{AuditFilter, AuditRecord};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

const PAGE: i64 = 100;

#[derive(Deserialize, Default)]
pub struct AuditParams {
    entity: Option<String>,
    entity_id: Option<String>,
    actor: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

impl AuditParams {
    fn filter(&self) -> Result<AuditFilter, ApiError> {
        let limit = self.limit.unwrap_or(PAGE);
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::BadParameter(format!(
                "limit {limit} is out of range (1 to 1000)"
            )));
        }
        let opt = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        Ok(AuditFilter {
            entity: opt(&self.entity),
            entity_id: opt(&self.entity_id),
            actor: opt(&self.actor),
            before_id: self.before,
            limit,
        })
    }
}

#[derive(Serialize)]
pub struct AuditPage {
    records: Vec<AuditRecord>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    next_before: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    Query(p): Query<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let filter = p.filter()?;
    let records = state.store.audit_records(&filter).await?;
    let next_before = (records.len() as i64 == filter.limit)
        .then(|| records.last().map(|r| r.id))
        .flatten();
    Ok(Json(AuditPage {
        records,
        next_before,
    }))
}

/// Every matching record as JSON lines, newest first, read from the store a page at a time.
pub async fn export(
    State(state): State<AppState>,
    Query(p): Query<AuditParams>,
) -> Result<Response, ApiError> {
    let mut filter = p.filter()?;
    filter.limit = 500;
    let first = state.store.audit_records(&filter).await?;
    let stream = futures_util::stream::unfold(
        (state, filter, Some(first)),
        |(state, mut filter, page)| async move {
            let page = match page {
                Some(p) => p,
                None => match state.store.audit_records(&filter).await {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!(error = %e, "audit export stopped");
                        return None;
                    }
                },
            };
            let last = page.last()?.id;
            filter.before_id = Some(last);
            let mut chunk = String::new();
            for r in &page {
                chunk.push_str(&serde_json::to_string(r).expect("audit records serialise"));
                chunk.push('\n');
            }
            Some((
                Ok::<_, std::convert::Infallible>(chunk),
                (state, filter, None),
            ))
        },
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"praden-audit.jsonl\"",
            ),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}

pub async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Query(p): Query<AuditParams>,
) -> Result<Html<String>, ApiError> {
    let filter = p.filter()?;
    let records = state.store.audit_records(&filter).await?;
    let mut body = String::from(
        "<h1>บันทึกการดำเนินการ</h1><p><a href=\"/api/v1/audit/export\">ส่งออกทั้งหมด (JSON lines)</a></p>\
         <table><thead><tr><th>เวลา</th><th>ผู้ดำเนินการ</th><th>การดำเนินการ</th><th>รายการ</th>\
         <th>ก่อน</th><th>หลัง</th><th>คำขอ</th></tr></thead><tbody>",
    );
    for r in &records {
        let at = to_bangkok(r.at);
        let json = |v: &Option<serde_json::Value>| {
            v.as_ref().map_or(String::new(), |v| esc(&v.to_string()))
        };
        let _ = write!(
            body,
            "<tr><td>{:04}-{:02}-{:02} {:02}:{:02}</td><td>{}</td><td>{}</td><td>{} {}</td>\
             <td><small>{}</small></td><td><small>{}</small></td><td><small>{}</small></td></tr>",
            at.year() + praden_core::thai_time::BE_OFFSET,
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            esc(&r.entry.actor),
            esc(&r.entry.action),
            esc(&r.entry.entity),
            esc(r.entry.entity_id.as_deref().unwrap_or("")),
            json(&r.entry.before),
            json(&r.entry.after),
            esc(r.entry.request_id.as_deref().unwrap_or("")),
        );
    }
    body.push_str("</tbody></table>");
    if let Some(last) = records
        .last()
        .filter(|_| records.len() as i64 == filter.limit)
    {
        let _ = write!(
            body,
            "<p><a href=\"/audit?before={}{}\">เก่ากว่านี้</a></p>",
            last.id,
            filter
                .entity
                .as_deref()
                .map_or(String::new(), |e| format!("&entity={}", url_encode(e)))
        );
    }
    Ok(Html(shell(Some(&who), "/audit", "บันทึกการดำเนินการ", &body)))
}
