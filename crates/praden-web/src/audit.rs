//! The audit trail for admins: read page by page, or export whole.

use crate::auth::Identity;
use crate::extract::{Json, Query};
use crate::html::{esc, moment, shell, url_encode};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
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
         <th>การเปลี่ยนแปลง</th><th>คำขอ</th></tr></thead><tbody>",
    );
    for r in &records {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td><small>{}</small></td><td><small>{}</small></td></tr>",
            moment(r.at),
            esc(&r.entry.actor),
            esc(action_th(&r.entry.action)),
            entity_link(&r.entry.entity, r.entry.entity_id.as_deref()),
            changes(r.entry.before.as_ref(), r.entry.after.as_ref()),
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

/// An item's own history, newest first, as its page shows it: when, who, what, and the
/// change (an edit's differences, a withdrawal's reason).
pub(crate) fn history(records: &[AuditRecord]) -> String {
    let mut out = String::from(
        "<table><thead><tr><th>เวลา</th><th>ผู้ดำเนินการ</th><th>การดำเนินการ</th>\
         <th>การเปลี่ยนแปลง</th></tr></thead><tbody>",
    );
    for r in records {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><small>{}</small></td></tr>",
            moment(r.at),
            esc(&r.entry.actor),
            esc(action_th(&r.entry.action)),
            changes(r.entry.before.as_ref(), r.entry.after.as_ref()),
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// What each recorded action is called on the page; the export keeps the codes.
fn action_th(action: &str) -> &str {
    match action {
        "candidate.approve" => "อนุมัติประเด็น",
        "candidate.reject" => "ไม่รับประเด็น",
        "candidate.snooze" => "พักประเด็นไว้",
        "candidate.merge" => "รวมประเด็น",
        "candidate.reopen" => "เปิดประเด็นอีกครั้ง (ข่าวเพิ่มขึ้น)",
        "issue.edit" => "แก้ไขประเด็นที่อนุมัติ",
        "issue.withdraw" => "ถอนประเด็น",
        "issue.acknowledged" => "หน่วยงานรับทราบประเด็น",
        "issue.declined" => "หน่วยงานแจ้งว่าไม่ใช่ประเด็นของตน",
        "issue.reported" => "หน่วยงานรายงานผลการชี้แจง",
        "evidence.added" => "หน่วยงานส่งหลักฐาน",
        "issue.assessed" => "ประเมินการชี้แจง",
        "user.add" => "เพิ่มผู้ใช้",
        "user.disable" => "ระงับผู้ใช้",
        "user.enable" => "เปิดใช้ผู้ใช้",
        "user.login" => "เข้าสู่ระบบ",
        "user.logout" => "ออกจากระบบ",
        "user.passwd" => "เปลี่ยนรหัสผ่าน",
        "user.role" => "เปลี่ยนบทบาท",
        "token.create" => "สร้างโทเค็น",
        "token.revoke" => "ยกเลิกโทเค็น",
        "webhook.replay" => "ส่งรายการค้างซ้ำ",
        "contact.save" => "บันทึกผู้ติดต่อของหน่วยงาน",
        "contact.remove" => "ลบผู้ติดต่อของหน่วยงาน",
        other => other,
    }
}

/// The record's subject in Thai, linked to its page where it has one.
fn entity_link(entity: &str, id: Option<&str>) -> String {
    let id = id.unwrap_or("");
    let (name, page) = match entity {
        "candidate" => ("ประเด็นเสนอ", Some("/candidates/")),
        "issue" => ("ประเด็นที่อนุมัติ", Some("/issues/")),
        "user" => ("ผู้ใช้", None),
        "token" => ("โทเค็น", None),
        "webhook" => ("ปลายทางรับประเด็น", None),
        "agency" => ("หน่วยงาน", None),
        other => (other, None),
    };
    match page.filter(|_| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())) {
        Some(base) => format!("<a href=\"{base}{id}\">{} {}</a>", esc(name), esc(id)),
        None => format!("{} {}", esc(name), esc(id)),
    }
}

/// Field names a monitor reads; fields not listed keep their own names.
fn field_th(key: &str) -> &str {
    match key {
        "title" => "ชื่อ",
        "status" => "สถานะ",
        "agency" => "หน่วยงาน",
        "deadline_days" => "กำหนดชี้แจง (วัน)",
        "due_date" => "ชี้แจงภายใน",
        "source" => "ที่มา",
        "reason" | "reject_reason" => "เหตุผล",
        "person" => "ผู้รับผิดชอบ",
        "name" => "ชื่อ",
        "email" => "อีเมล",
        "line_id" => "LINE ID",
        "position" => "ตำแหน่ง",
        "role" => "บทบาท",
        "display_name" => "ชื่อที่แสดง",
        "disabled" => "ระงับ",
        "merged_into" => "รวมเข้ากับ",
        "snoozed_until" => "พักไว้ถึง",
        "reporter" => "ผู้รายงาน",
        "clarified_at" => "ชี้แจงเมื่อ",
        "speaker" => "ผู้ชี้แจง",
        "content" => "สาระสำคัญ",
        "channels" => "ช่องทาง",
        "file_name" => "ชื่อไฟล์",
        "media_type" => "ชนิดไฟล์",
        "size" => "ขนาด (ไบต์)",
        "link" => "ลิงก์",
        "kind" => "ประเภท",
        "report_id" => "รายงานฉบับที่",
        "issue_id" => "ประเด็นเลขที่",
        "in_time" => "ทันกำหนด",
        "evidence_on_time" => "หลักฐานภายใน 2 วัน",
        "completeness" => "ครบถ้วนตรงประเด็น",
        "note" => "หมายเหตุ",
        "by" => "บันทึกโดย",
        "at" => "เมื่อ",
        other => other,
    }
}

/// A field's value as a monitor reads it: statuses and roles in Thai, yes/no for flags,
/// anything else as [`value_text`].
fn field_value(key: &str, v: &serde_json::Value) -> String {
    let thai = match (key, v) {
        ("status", serde_json::Value::String(s)) => match s.as_str() {
            "pending" => Some("รอพิจารณา"),
            "approved" => Some("อนุมัติแล้ว"),
            "rejected" => Some("ไม่รับ"),
            "merged" => Some("รวมแล้ว"),
            "snoozed" => Some("พักไว้"),
            "withdrawn" => Some("ถอนแล้ว"),
            _ => None,
        },
        ("role", serde_json::Value::String(s)) => s.parse().ok().map(crate::auth::role_th),
        (k, serde_json::Value::String(s)) if k == "at" || k.ends_with("_at") => {
            if let Ok(t) =
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            {
                return moment(t);
            }
            None
        }
        ("completeness", serde_json::Value::String(s)) => {
            praden_core::report::Completeness::parse(s).map(|c| c.label_th())
        }
        ("channels", serde_json::Value::Array(list)) => {
            return list
                .iter()
                .filter_map(|c| {
                    c["channel"]
                        .as_str()
                        .and_then(praden_core::report::Channel::parse)
                })
                .map(|c| c.label_th())
                .collect::<Vec<_>>()
                .join(", ");
        }
        (_, serde_json::Value::Bool(b)) => Some(if *b {
            "ใช่"
        } else {
            "ไม่ใช่"
        }),
        _ => None,
    };
    thai.map_or_else(|| value_text(v), str::to_string)
}

/// A value in a line of text: strings as they are, an agency by its Thai name, anything else
/// as compact JSON, long ones cut.
fn value_text(v: &serde_json::Value) -> String {
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        serde_json::Value::Object(o) if o.contains_key("name_th") => {
            o["name_th"].as_str().unwrap_or_default().to_string()
        }
        other => other.to_string(),
    };
    match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Bookkeeping fields that change with every decision and say nothing to a reader.
const UNSHOWN: [&str; 3] = ["version", "updated_at", "id"];

/// The difference between `before` and `after` as readable lines: `field: old → new` for
/// what changed, `field: value` for what a record was created with.
fn changes(before: Option<&serde_json::Value>, after: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    let empty = serde_json::Map::new();
    let fields = |v: Option<&Value>| match v {
        Some(Value::Object(o)) => Some(o.clone()),
        _ => None,
    };
    let (b, a) = (fields(before), fields(after));
    let (b_map, a_map) = (b.as_ref().unwrap_or(&empty), a.as_ref().unwrap_or(&empty));
    let mut lines = Vec::new();
    if b.is_none() && a.is_none() {
        // Scalars or nothing: show what there is.
        for (label, v) in [("ก่อน", before), ("หลัง", after)] {
            if let Some(v) = v {
                lines.push(format!("{label}: {}", esc(&value_text(v))));
            }
        }
        return lines.join("<br>");
    }
    let mut keys: Vec<&String> = a_map.keys().chain(b_map.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys.into_iter().filter(|k| !UNSHOWN.contains(&k.as_str())) {
        let (old, new) = (b_map.get(key), a_map.get(key));
        let line = match (old, new) {
            (Some(o), Some(n)) if o == n => continue,
            (Some(o), Some(n)) => format!(
                "{}: {} → {}",
                field_th(key),
                field_value(key, o),
                field_value(key, n)
            ),
            (None, Some(n)) if b.is_none() => {
                format!("{}: {}", field_th(key), field_value(key, n))
            }
            (None, Some(n)) => format!("{}: → {}", field_th(key), field_value(key, n)),
            (Some(o), None) => format!("{}: {} →", field_th(key), field_value(key, o)),
            (None, None) => continue,
        };
        lines.push(esc(&line));
    }
    lines.join("<br>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_edit_reads_as_what_changed_in_thai() {
        let before = json!({"title": "ราคาไข่", "version": 1, "agency": {"name_th": "กระทรวงพาณิชย์"}, "deadline_days": 1});
        let after = json!({"title": "ราคาไข่แพง", "version": 2, "agency": {"name_th": "กระทรวงพาณิชย์"}, "deadline_days": 3});
        assert_eq!(
            changes(Some(&before), Some(&after)),
            "กำหนดชี้แจง (วัน): 1 → 3<br>ชื่อ: ราคาไข่ → ราคาไข่แพง"
        );
        let created = json!({"role": "monitor", "display_name": "<สมชาย>"});
        assert_eq!(
            changes(None, Some(&created)),
            "ชื่อที่แสดง: &lt;สมชาย&gt;<br>บทบาท: เจ้าหน้าที่ติดตามประเด็น"
        );
        let withdrawn = (
            json!({"status": "approved", "version": 2}),
            json!({"status": "withdrawn", "version": 3, "reason": "ซ้ำ"}),
        );
        assert_eq!(
            changes(Some(&withdrawn.0), Some(&withdrawn.1)),
            "เหตุผล: → ซ้ำ<br>สถานะ: อนุมัติแล้ว → ถอนแล้ว"
        );
        assert_eq!(
            changes(
                Some(&json!({"disabled": false})),
                Some(&json!({"disabled": true}))
            ),
            "ระงับ: ไม่ใช่ → ใช่"
        );
        assert_eq!(changes(None, None), "");
        assert_eq!(
            entity_link("issue", Some("7")),
            "<a href=\"/issues/7\">ประเด็นที่อนุมัติ 7</a>"
        );
        assert_eq!(entity_link("user", Some("somchai")), "ผู้ใช้ somchai");
        assert_eq!(action_th("issue.withdraw"), "ถอนประเด็น");
    }
}
