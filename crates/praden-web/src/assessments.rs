//! The monitors' side of a report: its assessment — praden measures whether it came in time,
//! on how many channels and whether its evidence came within 2 days; the monitor judges
//! whether it answered the issue completely and to the point (yes, partly, no, with a note) —
//! and the issue's life, step by step, on its page. The form posts to
//! `/issues/{id}/reports/{report}/assess`; machines use
//! `POST /api/v1/issues/{id}/reports/{report}/assessment`.

use crate::auth::{context, Identity};
use crate::extract::{Form, Json, Path};
use crate::html::{esc, moment};
use crate::overdue::{describe, lateness, Lateness, Steps};
use crate::review::load_issue;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use praden_core::report::{report_facts, Assessment, Completeness, Report, ReportFacts};
use praden_core::review::{Issue, ResponseKind};
use praden_core::thai_time::format_thai_date_short;
use serde::Deserialize;
use std::fmt::Write;
use time::OffsetDateTime;

fn yes_no(b: bool) -> &'static str {
    if b {
        "ใช่"
    } else {
        "ไม่"
    }
}

/// The facts of a report as a line of Thai.
fn facts_th(f: &ReportFacts) -> String {
    format!(
        "ทันกำหนด: {} · ช่องทาง: {} ({}) · หลักฐานภายใน 2 วัน: {}",
        yes_no(f.in_time),
        f.channels,
        if f.multi_channel() {
            "มากกว่าหนึ่งช่องทาง"
        } else {
            "ช่องทางเดียว"
        },
        match f.evidence_on_time {
            Some(b) => yes_no(b),
            None => "ยังอยู่ในกำหนด",
        }
    )
}

/// The issue's life: each step, when it happened, and whether it is late.
pub(crate) fn life_section(issue: &Issue, steps: &Steps, now: OffsetDateTime) -> String {
    let late = lateness(issue, steps, now);
    let flag = |pick: &dyn Fn(&Lateness) -> bool| -> String {
        late.iter()
            .find(|l| pick(l))
            .map(|l| format!("<span class=\"badge warn\">{}</span>", esc(&describe(l))))
            .unwrap_or_default()
    };
    let own = steps
        .responses
        .iter()
        .rev()
        .find(|r| r.agency == issue.agency.name_th);
    let mut rows: Vec<(String, String, String)> = vec![(
        "อนุมัติ".into(),
        moment(issue.approved_at),
        format!("โดย {}", esc(&issue.approved_by)),
    )];
    rows.push((
        "ส่งให้หน่วยงาน (IA)".into(),
        steps.assigned.map(moment).unwrap_or_default(),
        if steps.assigned.is_some() {
            esc(&issue.agency.name_th)
        } else {
            "รอส่งในข้อความส่งประเด็นรอบถัดไป".into()
        },
    ));
    rows.push((
        "ตอบรับ".into(),
        own.map(|r| moment(r.at)).unwrap_or_default(),
        match own {
            Some(r) if r.kind == ResponseKind::Acknowledged => {
                format!("{} {}", esc(&r.person), esc(&r.position))
            }
            _ => flag(&|l| {
                matches!(
                    l,
                    Lateness::NotAcknowledged { .. } | Lateness::Declined { .. }
                )
            }),
        },
    ));
    let first_report = steps.reports.last();
    rows.push((
        "รายงานผลการชี้แจง (IR)".into(),
        first_report.map(|r| moment(r.at)).unwrap_or_default(),
        match first_report {
            Some(_) => format!("{} ฉบับ", steps.reports.len()),
            None => {
                let f = flag(&|l| matches!(l, Lateness::NotReported { .. }));
                if f.is_empty() {
                    format!("กำหนดภายใน {}", format_thai_date_short(issue.due_date))
                } else {
                    f
                }
            }
        },
    ));
    let first_evidence = steps.evidence.iter().map(|e| e.at).min();
    rows.push((
        "หลักฐาน".into(),
        first_evidence.map(moment).unwrap_or_default(),
        if first_evidence.is_some() {
            format!("{} รายการ", steps.evidence.len())
        } else {
            flag(&|l| matches!(l, Lateness::EvidenceMissing { .. }))
        },
    ));
    let assessed = steps.assessments.first();
    rows.push((
        "ประเมินผล".into(),
        assessed.map(|a| moment(a.at)).unwrap_or_default(),
        match assessed {
            Some(a) => format!("{} โดย {}", a.completeness.label_th(), esc(&a.by)),
            None => flag(&|l| matches!(l, Lateness::NotAssessed { .. })),
        },
    ));
    let mut out = String::from(
        "<h2>ขั้นตอนของประเด็น</h2><table class=\"life\"><thead><tr><th>ขั้นตอน</th>\
         <th>เมื่อ</th><th>สถานะ</th></tr></thead><tbody>",
    );
    for (step, when, state) in rows {
        let _ = write!(
            out,
            "<tr><td>{step}</td><td>{}</td><td>{state}</td></tr>",
            esc(&when)
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// Each report's facts, its assessments, and the form to assess it (monitors, while the issue
/// stands).
pub(crate) fn assessment_section(
    who: &Identity,
    issue: &Issue,
    steps: &Steps,
    now: OffsetDateTime,
    can_assess: bool,
) -> String {
    if steps.reports.is_empty() {
        return String::new();
    }
    let mut out = String::from("<h2>การประเมินการชี้แจง</h2>");
    for r in steps.reports {
        let facts = report_facts(r, issue.due_date, steps.evidence, now);
        let _ = write!(
            out,
            "<section class=\"action\" id=\"assess-{id}\"><h3>รายงานฉบับที่ {id}</h3><p>{facts}</p>",
            id = r.id,
            facts = esc(&facts_th(&facts)),
        );
        for a in steps.assessments.iter().filter(|a| a.report_id == r.id) {
            let _ = write!(
                out,
                "<p class=\"assessed\"><strong>{}</strong>{} — ประเมินโดย {} เมื่อ {}<br>\
                 <span class=\"meta\">{}</span></p>",
                a.completeness.label_th(),
                if a.note.is_empty() {
                    String::new()
                } else {
                    format!(": {}", esc(&a.note))
                },
                esc(&a.by),
                moment(a.at),
                esc(&facts_th(&a.facts)),
            );
        }
        if can_assess {
            let choices: String = Completeness::ALL
                .iter()
                .map(|c| {
                    format!(
                        "<label class=\"choice\"><input type=\"radio\" name=\"completeness\" \
                         value=\"{}\" required> {}</label>",
                        c.as_str(),
                        c.label_th()
                    )
                })
                .collect();
            let _ = write!(
                out,
                "<form class=\"action\" method=\"post\" \
                 action=\"/issues/{issue}/reports/{id}/assess\">{csrf}\
                 <fieldset><legend>ตอบประเด็นครบถ้วนและตรงประเด็นหรือไม่</legend>{choices}</fieldset>\
                 <label>หมายเหตุ (จำเป็นถ้าไม่ครบถ้วน)<textarea name=\"note\" rows=\"2\"></textarea></label>\
                 <button type=\"submit\">บันทึกการประเมิน</button></form>",
                issue = issue.id,
                id = r.id,
                csrf = who.csrf_input(),
            );
        }
        out.push_str("</section>");
    }
    out
}

#[derive(Deserialize)]
pub struct AssessForm {
    completeness: String,
    #[serde(default)]
    note: String,
}

/// Assesses report `report_id` of issue `id` as of now: praden's facts, the monitor's
/// judgement.
async fn assess(
    state: &AppState,
    who: &Identity,
    headers: &HeaderMap,
    id: i64,
    report_id: i64,
    form: &AssessForm,
) -> Result<Assessment, ApiError> {
    let completeness = Completeness::parse(&form.completeness).ok_or_else(|| {
        ApiError::BadParameter(format!(
            "completeness: {:?} is not one of yes, partly, no",
            form.completeness
        ))
    })?;
    let issue = load_issue(state, id).await?;
    let reports: Vec<Report> = state.store.issue_reports(id).await?;
    let report = reports
        .iter()
        .find(|r| r.id == report_id)
        .ok_or_else(|| ApiError::NotFound(format!("issue {id} has no report {report_id}")))?;
    let evidence = state.store.issue_evidence(id).await?;
    let now = OffsetDateTime::now_utc();
    let facts = report_facts(report, issue.due_date, &evidence, now);
    Ok(state
        .store
        .assess_report(
            report_id,
            facts,
            completeness,
            &form.note,
            &context(who, headers),
        )
        .await?)
}

pub async fn assess_form(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path((id, report_id)): Path<(i64, i64)>,
    Form(f): Form<AssessForm>,
) -> Response {
    match assess(&state, &who, &headers, id, report_id, &f).await {
        Ok(_) => Redirect::to(&format!("/issues/{id}#assess-{report_id}")).into_response(),
        Err(e) => {
            let back = format!("<a href=\"/issues/{id}\">กลับไปที่ประเด็น</a>");
            crate::html::refused(&who, &format!("/issues/{id}"), e, &back)
        }
    }
}

pub async fn api_assess(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path((id, report_id)): Path<(i64, i64)>,
    Json(f): Json<AssessForm>,
) -> Result<Json<Assessment>, ApiError> {
    Ok(Json(
        assess(&state, &who, &headers, id, report_id, &f).await?,
    ))
}
