//! The published 10:30 assignment messages: `/assignments` (the days), the page
//! `/assignments/{date}` (the message as sent to IA-Chat, its issues, what each agency contact
//! received, and every delivery's status) and `/api/v1/assignments/{date}` (JSON), both
//! `?revision=N` (default: the latest).

use crate::auth::Identity;
use crate::briefs::{
    days_page, deliveries_section, iso, load, parse_day, revisions_nav, DaysPage, DeliveryView,
    Loaded, RevisionView,
};
use crate::extract::{Json, Path, Query};
use crate::html::{esc, shell};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::response::Html;
use axum::Extension;
use praden_brief::{AgencyMessage, AssignmentContent, AssignmentLine};
use praden_core::thai_time::format_thai_date_short;
use praden_store::PublicationKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;
use time::OffsetDateTime;

#[derive(Deserialize)]
pub struct RevisionParams {
    revision: Option<i64>,
}

#[derive(Deserialize)]
pub struct ListParams {
    before: Option<String>,
}

#[derive(Serialize)]
pub struct AssignmentResponse {
    date: String,
    revision: i64,
    #[serde(with = "time::serde::rfc3339")]
    scheduled_for: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    generated_at: OffsetDateTime,
    late: bool,
    trigger: &'static str,
    revisions: Vec<RevisionView>,
    /// The official message as sent to the IA-Chat webhooks.
    text: String,
    issues: Vec<AssignmentLine>,
    /// What each agency contact (by target: `mail:…`, `line:…`) received.
    recipients: BTreeMap<String, AgencyMessage>,
    deliveries: Vec<DeliveryView>,
}

pub async fn api(
    State(state): State<AppState>,
    Path(date): Path<String>,
    Query(p): Query<RevisionParams>,
) -> Result<Json<AssignmentResponse>, ApiError> {
    let slot = parse_day(&date)?;
    let l: Loaded<AssignmentContent> =
        load(&state, PublicationKind::Assignment, slot, p.revision).await?;
    Ok(Json(AssignmentResponse {
        date: iso(slot),
        revision: l.stored.revision,
        scheduled_for: l.stored.scheduled_for,
        generated_at: l.stored.generated_at,
        late: l.stored.late,
        trigger: l.stored.trigger.as_str(),
        revisions: l.revisions.iter().map(RevisionView::from).collect(),
        text: l.content.text,
        issues: l.content.issues,
        recipients: l.content.recipients,
        deliveries: l.deliveries.into_iter().map(DeliveryView::from).collect(),
    }))
}

/// `/assignments`: the days with an assignment message, newest first.
pub async fn list(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Query(p): Query<ListParams>,
) -> Result<Html<String>, ApiError> {
    days_page(
        &state,
        &who,
        PublicationKind::Assignment,
        p.before.as_deref(),
        DaysPage {
            base: "/assignments",
            title: "การส่งประเด็นให้หน่วยงาน",
            none_before: "ไม่มีการส่งประเด็นก่อนหน้านี้",
            none_yet: "ยังไม่มีการส่งประเด็น ข้อความส่งประเด็นฉบับแรกจะจัดทำตามเวลาที่กำหนดไว้",
        },
    )
    .await
}

pub async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(date): Path<String>,
    Query(p): Query<RevisionParams>,
) -> Result<Html<String>, ApiError> {
    let slot = parse_day(&date)?;
    let l: Loaded<AssignmentContent> =
        load(&state, PublicationKind::Assignment, slot, p.revision).await?;
    let day = iso(slot);
    let title = format!("การส่งประเด็น {}", format_thai_date_short(slot));
    let mut body = format!("<h1>{}</h1>", esc(&title));
    body.push_str(&revisions_nav(
        "ฉบับของข้อความส่งประเด็น",
        &l.revisions,
        l.stored.revision,
        &format!("/assignments/{day}"),
        &format!("/api/v1/assignments/{day}"),
    ));
    let _ = write!(
        body,
        "<section><h2>ข้อความส่งประเด็น</h2><pre class=\"message\">{}</pre></section>",
        esc(&l.content.text)
    );
    if !l.content.issues.is_empty() {
        body.push_str(
            "<section><h2>ประเด็น</h2><table><thead><tr><th>ประเด็น</th>\
             <th>หน่วยงานที่ต้องชี้แจง</th><th>ภายใน</th></tr></thead><tbody>",
        );
        for i in &l.content.issues {
            let _ = write!(
                body,
                "<tr><td><a href=\"/issues/{}\">{}</a></td><td>{}</td><td>{} วัน</td></tr>",
                i.issue_id,
                esc(&i.title),
                esc(&i.agency),
                i.deadline_days
            );
        }
        body.push_str("</tbody></table></section>");
    }
    if !l.content.recipients.is_empty() {
        body.push_str("<section><h2>ข้อความถึงผู้ประสานงานของหน่วยงาน</h2>");
        for (target, m) in &l.content.recipients {
            let _ = write!(
                body,
                "<details><summary>{} — {} ({})</summary><p>{}</p><pre class=\"message\">{}</pre></details>",
                esc(m.contact.as_deref().unwrap_or("")),
                esc(target),
                esc(&m.agencies.join(", ")),
                esc(&m.subject),
                esc(&m.text)
            );
        }
        body.push_str("</section>");
    }
    body.push_str(&deliveries_section(
        "การส่งข้อความ",
        "ไม่ได้กำหนดปลายทาง และไม่มีผู้ประสานงานของหน่วยงานที่ได้รับประเด็น",
        &l.deliveries,
    ));
    Ok(Html(shell(
        Some(&who),
        &format!("/assignments/{date}"),
        &title,
        &body,
    )))
}
