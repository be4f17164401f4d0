//! The agencies' side: an agency user sees the issues assigned to its agency (a ministry's
//! user, to the ministry and its departments) and answers each — taken on by whom, or not
//! ours and why — in pages (`/agency`, `/agency/issues/{id}`) and the API
//! (`/api/v1/agency/issues…`). Another agency's issue answers 404 exactly like one that does
//! not exist, so ids reveal nothing. Admins see every agency's issues and may record an
//! answer received by other means.

use crate::auth::{context, Identity};
use crate::extract::{Form, Json, Path, Query};
use crate::html::{esc, moment, shell};
use crate::review::load_issue;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use praden_core::review::{Issue, IssueResponse, IssueStatus, ResponseKind};
use praden_core::thai_time::format_thai_date_short;
use praden_core::Role;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write;

/// How many of the newest issues an agency's list looks through.
const LIST_WINDOW: i64 = 500;

/// Whether `who` may see `issue`: admins all; an agency user those of its agency, or, bound to
/// a ministry, those of the ministry and its departments.
pub(crate) fn sees(who: &Identity, issue: &Issue) -> bool {
    match (who.role, who.agency.as_deref()) {
        (Role::Admin, _) => true,
        (Role::Agency, Some(a)) => sees_agency(a, &issue.agency.name_th, &issue.agency.ministry_th),
        _ => false,
    }
}

/// Whether the user of agency (or ministry) `own` sees what belongs to `agency` of `ministry`.
pub(crate) fn sees_agency(own: &str, agency: &str, ministry: &str) -> bool {
    agency == own || ministry == own
}

/// The issue `id` if `who` may see it; otherwise the same 404 as for no such issue.
pub(crate) async fn own_issue(
    state: &AppState,
    who: &Identity,
    id: i64,
) -> Result<Issue, ApiError> {
    let issue = load_issue(state, id).await?;
    if sees(who, &issue) {
        Ok(issue)
    } else {
        Err(ApiError::NotFound(format!("issue {id} does not exist")))
    }
}

/// The issues `who` sees, newest first, with each one's latest answer.
async fn own_issues(
    state: &AppState,
    who: &Identity,
) -> Result<(Vec<Issue>, HashMap<i64, IssueResponse>), ApiError> {
    let issues: Vec<Issue> = state
        .store
        .issues_page(None, None, LIST_WINDOW)
        .await?
        .into_iter()
        .filter(|i| sees(who, i))
        .collect();
    let ids: Vec<i64> = issues.iter().map(|i| i.id).collect();
    let responses = state.store.latest_responses(&ids).await?;
    Ok((issues, responses))
}

/// An issue's state as its agency reads it.
fn state_th(issue: &Issue, response: Option<&IssueResponse>) -> String {
    if issue.status == IssueStatus::Withdrawn {
        return "<span class=\"badge\">ถอนแล้ว ไม่ต้องชี้แจง</span>".into();
    }
    match response.filter(|r| r.agency == issue.agency.name_th) {
        Some(r) if r.kind == ResponseKind::Acknowledged => format!(
            "<span class=\"badge\">รับทราบแล้ว</span> {} ({})",
            esc(&r.person),
            esc(&r.position)
        ),
        Some(_) => "<span class=\"badge warn\">แจ้งว่าไม่ใช่ของหน่วยงาน</span>".into(),
        None => "<span class=\"badge warn\">รอรับทราบ</span>".into(),
    }
}

/// `GET /agency`: the agency's issues.
pub async fn list(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
) -> Result<Html<String>, ApiError> {
    let (issues, responses) = own_issues(&state, &who).await?;
    let whose = who.agency.as_deref().unwrap_or("ทุกหน่วยงาน");
    let mut body = format!(
        "<h1>ประเด็นที่มอบหมายให้{}</h1>\
         <p class=\"meta\">ประเด็นที่คณะทำงานมอบหมายให้ชี้แจง: รับทราบพร้อมชื่อและตำแหน่งผู้รับผิดชอบ \
         หรือแจ้งหากไม่ใช่ประเด็นของหน่วยงาน</p>",
        esc(whose)
    );
    if issues.is_empty() {
        body.push_str("<p>ยังไม่มีประเด็นที่มอบหมาย</p>");
    } else {
        body.push_str(
            "<table><thead><tr><th>ประเด็น</th><th>หน่วยงาน</th><th>มอบหมายเมื่อ</th>\
             <th>ชี้แจงภายใน</th><th>สถานะ</th></tr></thead><tbody>",
        );
        for i in &issues {
            let _ = write!(
                body,
                "<tr><td><a href=\"/agency/issues/{id}\">{title}</a></td><td>{agency}</td>\
                 <td>{at}</td><td>{due}</td><td>{state}</td></tr>",
                id = i.id,
                title = esc(&i.title),
                agency = esc(&i.agency.name_th),
                at = moment(i.approved_at),
                due = format_thai_date_short(i.due_date),
                state = state_th(i, responses.get(&i.id)),
            );
        }
        body.push_str("</tbody></table>");
    }
    Ok(Html(shell(
        Some(&who),
        "/agency",
        "ประเด็นของหน่วยงาน",
        &body,
    )))
}

#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    /// A clarification found in the coverage (its id) to prefill the report form from.
    found: Option<i64>,
}

/// `GET /agency/issues/{id}`: the issue, its answers and reports, and the forms to answer
/// and report; `?found=` opens the report form prefilled from a clarification found in the
/// coverage.
pub async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(id): Path<i64>,
    Query(p): Query<PageParams>,
) -> Result<Html<String>, ApiError> {
    let form = match p.found {
        None => crate::reports::FormState::default(),
        Some(found) => {
            // Scoped first: another agency learns nothing from a clarification's id.
            own_issue(&state, &who, id).await?;
            let c = state
                .store
                .issue_clarification(id, found)
                .await?
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "clarification {found} of issue {id} does not exist"
                    ))
                })?;
            crate::clarifications::prefill(&c)
        }
    };
    Ok(Html(render_page(&state, &who, id, form).await?))
}

/// The agency's issue page, its report form showing `form` (what was sent and why it was
/// refused, after a refusal).
pub(crate) async fn render_page(
    state: &AppState,
    who: &Identity,
    id: i64,
    form: crate::reports::FormState,
) -> Result<String, ApiError> {
    let issue = own_issue(state, who, id).await?;
    let responses = state.store.issue_responses(id).await?;
    let reports = state.store.issue_reports(id).await?;
    let evidence = state.store.issue_evidence(id).await?;
    let here = format!("/agency/issues/{id}");
    let mut body = format!(
        "<h1>{title}</h1><p class=\"meta\">ประเด็นเลขที่ {id} · หน่วยงานที่ต้องชี้แจง: {agency} · \
         ชี้แจงภายใน {due} ({days} วัน) · มอบหมายเมื่อ {at}</p><p>ที่มา: {source}</p>\
         <p>สถานะ: {state}</p>{alert}",
        alert = form.alert(),
        title = esc(&issue.title),
        agency = esc(&issue.agency.name_th),
        due = format_thai_date_short(issue.due_date),
        days = issue.deadline_days,
        at = moment(issue.approved_at),
        source = esc(&issue.source),
        state = state_th(&issue, responses.last()),
    );
    if !responses.is_empty() {
        body.push_str(&responses_table(&responses));
    }
    let mine: Vec<&IssueResponse> = responses
        .iter()
        .filter(|r| r.agency == issue.agency.name_th)
        .collect();
    let answered = !mine.is_empty();
    let declined = mine.iter().any(|r| r.kind == ResponseKind::Declined);
    if issue.status == IssueStatus::Approved && !answered {
        let _ = write!(
            body,
            "<form class=\"action\" method=\"post\" action=\"/agency/issues/{id}/acknowledge\">\
             <h3>รับทราบประเด็น</h3>{csrf}\
             <label>ชื่อผู้รับผิดชอบ<input type=\"text\" name=\"person\" value=\"{name}\" required></label>\
             <label>ตำแหน่ง<input type=\"text\" name=\"position\" required></label>\
             <button type=\"submit\">รับทราบ</button></form>\
             <form class=\"action\" method=\"post\" action=\"/agency/issues/{id}/decline\">\
             <h3>ไม่ใช่ประเด็นของหน่วยงาน</h3>{csrf}\
             <label>ชื่อผู้แจ้ง<input type=\"text\" name=\"person\" value=\"{name}\" required></label>\
             <label>ตำแหน่ง<input type=\"text\" name=\"position\" required></label>\
             <label>เหตุผล (เช่น หน่วยงานที่ควรรับผิดชอบ)<input type=\"text\" name=\"reason\" required></label>\
             <button type=\"submit\">แจ้งกลับคณะทำงาน</button></form>",
            csrf = who.csrf_input(),
            name = esc(&who.display_name),
        );
    }
    // Reports may be filed (and evidence added) while the issue stands and the agency has
    // not said it is not theirs.
    let may_report = issue.status == IssueStatus::Approved && !declined;
    let found = state.store.issue_clarifications(id).await?;
    body.push_str(&crate::clarifications::section(
        &found,
        &reports,
        may_report.then_some(id),
    ));
    body.push_str(&crate::reports::reports_section(
        &reports,
        &evidence,
        time::OffsetDateTime::now_utc(),
        may_report.then_some(who),
    ));
    if may_report {
        body.push_str(&crate::reports::report_form(who, id, &form));
    }
    Ok(shell(Some(who), &here, &issue.title, &body))
}

/// The answers to an issue, oldest first: also on the monitors' issue page.
pub(crate) fn responses_table(responses: &[IssueResponse]) -> String {
    let mut out = String::from(
        "<table><thead><tr><th>เวลา</th><th>หน่วยงาน</th><th>การตอบรับ</th><th>ผู้รับผิดชอบ</th>\
         <th>เหตุผล</th></tr></thead><tbody>",
    );
    for r in responses {
        let kind = match r.kind {
            ResponseKind::Acknowledged => "รับทราบ",
            ResponseKind::Declined => "ไม่ใช่ของหน่วยงาน",
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{kind}</td><td>{} ({})<br><small class=\"meta\">บันทึกโดย {}</small></td><td>{}</td></tr>",
            moment(r.at),
            esc(&r.agency),
            esc(&r.person),
            esc(&r.position),
            esc(&r.by),
            esc(r.reason.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// What an agency sends to answer: the person, position, and (declining) the reason.
#[derive(Debug, Deserialize)]
pub struct Answer {
    person: String,
    position: String,
    #[serde(default)]
    reason: String,
}

async fn answer(
    state: &AppState,
    who: &Identity,
    headers: &HeaderMap,
    id: i64,
    kind: ResponseKind,
    a: Answer,
) -> Result<Issue, ApiError> {
    let issue = own_issue(state, who, id).await?;
    let response = IssueResponse {
        kind,
        agency: issue.agency.name_th.clone(),
        person: a.person,
        position: a.position,
        reason: Some(a.reason),
        at: time::OffsetDateTime::now_utc(),
        by: who.actor.clone(),
    };
    Ok(state
        .store
        .respond_to_issue(id, &response, &context(who, headers))
        .await?)
}

async fn answer_form(
    state: AppState,
    who: Identity,
    headers: HeaderMap,
    id: i64,
    kind: ResponseKind,
    a: Answer,
) -> Response {
    match answer(&state, &who, &headers, id, kind, a).await {
        Ok(_) => Redirect::to(&format!("/agency/issues/{id}")).into_response(),
        Err(e) => {
            let back = format!(
                "<a href=\"/agency/issues/{id}\">เปิดประเด็นนี้อีกครั้ง</a> · \
                 <a href=\"/agency\">กลับไปที่รายการ</a>"
            );
            crate::html::refused(&who, &format!("/agency/issues/{id}"), e, &back)
        }
    }
}

/// `POST /agency/issues/{id}/acknowledge` (form).
pub async fn acknowledge_form(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(a): Form<Answer>,
) -> Response {
    answer_form(state, who, headers, id, ResponseKind::Acknowledged, a).await
}

/// `POST /agency/issues/{id}/decline` (form).
pub async fn decline_form(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(a): Form<Answer>,
) -> Response {
    answer_form(state, who, headers, id, ResponseKind::Declined, a).await
}

/// One issue of `GET /api/v1/agency/issues`.
#[derive(Serialize)]
pub struct AgencyIssue {
    issue: Issue,
    /// The latest answer, if any.
    response: Option<IssueResponse>,
}

#[derive(Serialize)]
pub struct AgencyIssues {
    issues: Vec<AgencyIssue>,
}

/// `GET /api/v1/agency/issues`: the caller's agency's issues, newest first.
pub async fn api_list(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
) -> Result<Json<AgencyIssues>, ApiError> {
    let (issues, mut responses) = own_issues(&state, &who).await?;
    Ok(Json(AgencyIssues {
        issues: issues
            .into_iter()
            .map(|issue| AgencyIssue {
                response: responses.remove(&issue.id),
                issue,
            })
            .collect(),
    }))
}

/// `POST /api/v1/agency/issues/{id}/acknowledge`.
pub async fn api_acknowledge(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(a): Json<Answer>,
) -> Result<Json<Issue>, ApiError> {
    Ok(Json(
        answer(&state, &who, &headers, id, ResponseKind::Acknowledged, a).await?,
    ))
}

/// `POST /api/v1/agency/issues/{id}/decline`.
pub async fn api_decline(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(a): Json<Answer>,
) -> Result<Json<Issue>, ApiError> {
    Ok(Json(
        answer(&state, &who, &headers, id, ResponseKind::Declined, a).await?,
    ))
}
