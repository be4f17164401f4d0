//! The monitors' pages of approved issues: the list with status, agency and due date, and one
//! issue with its edit and withdraw forms (plain forms carrying the version seen and the CSRF
//! token, as on the candidate page). The API's `/api/v1/issues/{id}/edit|withdraw` do the
//! same for machines.

use crate::auth::{context, Identity};
use crate::extract::{Form, Path, Query};
use crate::html::{esc, moment, shell};
use crate::review::{find_agency, load_issue};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use praden_core::review::{AgencyRef, Issue, IssueResponse, IssueStatus, ResponseKind};
use praden_core::thai_time::format_thai_date_short;
use praden_store::{Approval, AuditFilter, AuditRecord};
use serde::Deserialize;
use std::fmt::Write;

/// Issues on one page of `/issues`.
const PER_PAGE: i64 = 50;

fn status_th(s: IssueStatus) -> &'static str {
    match s {
        IssueStatus::Approved => "อนุมัติแล้ว",
        IssueStatus::Withdrawn => "ถอนแล้ว",
    }
}

#[derive(Deserialize)]
pub struct ListParams {
    /// `approved`, `withdrawn`, or empty for both.
    #[serde(default)]
    status: String,
    /// Issues with ids below this one (the "older" link's cursor).
    before: Option<i64>,
}

/// `/issues`: approved issues newest first, with their status, agency and due date.
pub async fn list(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Query(p): Query<ListParams>,
) -> Result<Html<String>, ApiError> {
    let status = match p.status.as_str() {
        "" => None,
        s => Some(
            IssueStatus::ALL
                .into_iter()
                .find(|k| k.as_str() == s)
                .ok_or_else(|| {
                    ApiError::BadParameter(format!("status {s:?} is not approved or withdrawn"))
                })?,
        ),
    };
    let issues = state.store.issues_page(status, p.before, PER_PAGE).await?;
    let mut body = String::from("<h1>ประเด็นที่อนุมัติ</h1><p class=\"meta\">แสดง: ");
    for (value, label) in [
        ("", "ทั้งหมด"),
        ("approved", "อนุมัติแล้ว"),
        ("withdrawn", "ถอนแล้ว"),
    ] {
        if value == p.status {
            let _ = write!(body, "<strong aria-current=\"true\">{label}</strong> ");
        } else {
            let _ = write!(body, "<a href=\"/issues?status={value}\">{label}</a> ");
        }
    }
    body.push_str("</p>");
    if issues.is_empty() {
        body.push_str("<p>ไม่มีประเด็นในรายการนี้</p>");
    } else {
        body.push_str(
            "<table><thead><tr><th>เลขที่</th><th>ประเด็น</th><th>หน่วยงานที่รับผิดชอบ</th>\
             <th>ชี้แจงภายใน</th><th>สถานะ</th><th>อนุมัติโดย</th></tr></thead><tbody>",
        );
        for i in &issues {
            let _ = write!(
                body,
                "<tr><td>{id}</td><td><a href=\"/issues/{id}\">{title}</a></td><td>{agency}</td>\
                 <td>{due}</td><td><span class=\"badge{warn}\">{status}</span></td>\
                 <td>{by}<br><small class=\"meta\">{at}</small></td></tr>",
                id = i.id,
                title = esc(&i.title),
                agency = esc(&i.agency.name_th),
                due = format_thai_date_short(i.due_date),
                warn = if i.status == IssueStatus::Withdrawn {
                    " warn"
                } else {
                    ""
                },
                status = status_th(i.status),
                by = esc(&i.approved_by),
                at = moment(i.approved_at),
            );
        }
        body.push_str("</tbody></table>");
    }
    if let Some(last) = issues.last().filter(|_| issues.len() as i64 == PER_PAGE) {
        let _ = write!(
            body,
            "<p><a href=\"/issues?status={}&amp;before={}\">เก่ากว่านี้</a></p>",
            esc(&p.status),
            last.id
        );
    }
    Ok(Html(shell(Some(&who), "/issues", "ประเด็นที่อนุมัติ", &body)))
}

/// The agency choices of the edit form: the issue's own first and chosen, then the registry.
fn agency_options(state: &AppState, current: &AgencyRef) -> String {
    let mut out = format!(
        "<option value=\"{v}\" selected>{v}</option>",
        v = esc(&current.name_th)
    );
    for a in state
        .agencies
        .iter()
        .filter(|a| a.name_th != current.name_th)
    {
        let _ = write!(
            out,
            "<option value=\"{v}\">{v}</option>",
            v = esc(&a.name_th)
        );
    }
    out
}

/// `/issues/{id}`: the issue, where it came from, (while it stands) its edit and withdraw
/// forms, and its history.
pub async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(id): Path<i64>,
) -> Result<Html<String>, ApiError> {
    let i = load_issue(&state, id).await?;
    let responses = state.store.issue_responses(id).await?;
    let reports = state.store.issue_reports(id).await?;
    let evidence = state.store.issue_evidence(id).await?;
    // Its edits and withdrawal (the approval is the candidate's record, linked above).
    let history = state
        .store
        .audit_records(&AuditFilter {
            entity: Some("issue".into()),
            entity_id: Some(id.to_string()),
            limit: 100,
            ..AuditFilter::default()
        })
        .await?;
    let assessments = state.store.issue_assessments(id).await?;
    let now = time::OffsetDateTime::now_utc();
    let steps = crate::overdue::Steps {
        assigned: crate::overdue::issue_assigned_at(&state, &i, now).await?,
        responses: responses.iter().collect(),
        reports: &reports,
        evidence: &evidence,
        assessments: &assessments,
    };
    let found = state.store.issue_clarifications(id).await?;
    let mut sections = crate::assessments::life_section(&i, &steps, now);
    sections.push_str(&crate::clarifications::section(&found, &reports, None));
    sections.push_str(&crate::reports::reports_section(
        &reports, &evidence, now, None,
    ));
    sections.push_str(&crate::assessments::assessment_section(
        &who,
        &i,
        &steps,
        now,
        IssueStatus::CHANGEABLE.contains(&i.status),
    ));
    Ok(Html(issue_page(
        &state, &who, &i, &responses, &sections, &history,
    )))
}

fn issue_page(
    state: &AppState,
    who: &Identity,
    i: &Issue,
    responses: &[IssueResponse],
    reports: &str,
    history: &[AuditRecord],
) -> String {
    let mut body = format!(
        "<h1>{title}</h1><p class=\"meta\">ประเด็นเลขที่ {id} · สถานะ: {status} · \
         หน่วยงาน: {agency} · ชี้แจงภายใน {due} ({days} วัน) · อนุมัติโดย {by} เมื่อ {at} · \
         แก้ไขล่าสุด {updated}</p><p>ที่มา: {source}</p>\
         <p><a href=\"/candidates/{candidate}\">ดูข่าวและเหตุผลของประเด็นนี้</a></p>",
        title = esc(&i.title),
        id = i.id,
        status = status_th(i.status),
        agency = esc(&i.agency.name_th),
        due = format_thai_date_short(i.due_date),
        days = i.deadline_days,
        by = esc(&i.approved_by),
        at = moment(i.approved_at),
        updated = moment(i.updated_at),
        source = esc(&i.source),
        candidate = i.candidate_id,
    );
    body.push_str("<h2>การตอบรับของหน่วยงาน</h2>");
    match responses.last() {
        None => body.push_str("<p class=\"notice\">หน่วยงานยังไม่รับทราบ</p>"),
        Some(r) if r.kind == ResponseKind::Declined && r.agency == i.agency.name_th => {
            let _ = write!(
                body,
                "<p class=\"conflict\">{} แจ้งว่าไม่ใช่ประเด็นของหน่วยงาน: {} — \
                 มอบหมายหน่วยงานใหม่ได้ในแบบฟอร์มแก้ไขด้านล่าง</p>",
                esc(&r.agency),
                esc(r.reason.as_deref().unwrap_or(""))
            );
        }
        Some(_) => {}
    }
    if !responses.is_empty() {
        body.push_str(&crate::agency::responses_table(responses));
    }
    body.push_str(reports);
    if !IssueStatus::CHANGEABLE.contains(&i.status) {
        body.push_str("<p class=\"notice\">ประเด็นนี้ถอนแล้ว แก้ไขไม่ได้อีก</p>");
    } else {
        let _ = write!(
            body,
            "<form class=\"action\" method=\"post\" action=\"/issues/{id}/edit\"><h3>แก้ไขประเด็น</h3>{csrf}\
             <input type=\"hidden\" name=\"version\" value=\"{version}\">\
             <label>ชื่อประเด็น<input type=\"text\" name=\"title\" value=\"{title}\" required></label>\
             <label>หน่วยงานที่รับผิดชอบ<select name=\"agency\">{agencies}</select></label>\
             <label>ชี้แจงภายใน (วัน นับจากวันอนุมัติ)<input type=\"number\" name=\"deadline_days\" min=\"1\" max=\"30\" value=\"{days}\"></label>\
             <label>ที่มา<input type=\"text\" name=\"source\" value=\"{source}\"></label>\
             <button type=\"submit\">บันทึกการแก้ไข</button></form>\
             <form class=\"action\" method=\"post\" action=\"/issues/{id}/withdraw\"><h3>ถอนประเด็น</h3>{csrf}\
             <input type=\"hidden\" name=\"version\" value=\"{version}\">\
             <label>เหตุผล<input type=\"text\" name=\"reason\" required></label>\
             <button type=\"submit\">ถอนประเด็น</button></form>",
            id = i.id,
            csrf = who.csrf_input(),
            version = i.version,
            title = esc(&i.title),
            agencies = agency_options(state, &i.agency),
            days = i.deadline_days,
            source = esc(&i.source),
        );
    }
    if !history.is_empty() {
        body.push_str("<h2>ประวัติการแก้ไข</h2>");
        body.push_str(&crate::audit::history(history));
    }
    shell(Some(who), &format!("/issues/{}", i.id), &i.title, &body)
}

/// A refused edit or withdrawal, with the way back to the issue.
fn refused(who: &Identity, id: i64, e: ApiError) -> Response {
    let back = format!(
        "<a href=\"/issues/{id}\">เปิดประเด็นนี้อีกครั้ง</a> · <a href=\"/issues\">กลับไปที่รายการ</a>"
    );
    crate::html::refused(who, &format!("/issues/{id}"), e, &back)
}

#[derive(Deserialize)]
pub struct EditForm {
    version: i64,
    title: String,
    agency: String,
    deadline_days: u32,
    source: String,
}

pub async fn edit(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<EditForm>,
) -> Response {
    let result = async {
        let edit = Approval {
            title: f.title,
            agency: find_agency(&state, &f.agency)?,
            deadline_days: f.deadline_days,
            source: f.source,
        };
        Ok::<_, ApiError>(
            state
                .store
                .edit_issue(id, f.version, &edit, &context(&who, &headers))
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/issues/{id}")).into_response(),
        Err(e) => refused(&who, id, e),
    }
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    version: i64,
    reason: String,
}

pub async fn withdraw(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<WithdrawForm>,
) -> Response {
    match state
        .store
        .withdraw_issue(id, f.version, &f.reason, &context(&who, &headers))
        .await
    {
        Ok(_) => Redirect::to(&format!("/issues/{id}")).into_response(),
        Err(e) => refused(&who, id, e.into()),
    }
}
