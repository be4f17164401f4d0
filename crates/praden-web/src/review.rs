//! The review queue's JSON API: candidates, monitors' decisions on them, and edits of the
//! issues they approved. Every decision names the version it was made on; a stale one gets
//! 409 `conflict` and changes nothing.

use crate::auth::{context, Identity};
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Extension;
use praden_core::review::{AgencyRef, Candidate, CandidateStatus, Issue};
use praden_store::{Approval, CandidateFilter};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub(crate) const MAX_LIST: i64 = 200;

/// The registry agency a monitor named: by Thai name or abbreviation.
pub(crate) fn find_agency(state: &AppState, named: &str) -> Result<AgencyRef, ApiError> {
    let named = named.trim();
    let found = state
        .agencies
        .iter()
        .find(|a| a.name_th == named)
        .or_else(|| {
            let mut by_abbr = state
                .agencies
                .iter()
                .filter(|a| !a.abbr.is_empty() && a.abbr == named);
            match (by_abbr.next(), by_abbr.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        });
    found.cloned().ok_or_else(|| {
        ApiError::BadParameter(format!(
            "agency \"{named}\" is not in the registry (or its abbreviation is ambiguous): \
             give the Thai name as listed by GET /api/v1/agencies"
        ))
    })
}

#[derive(Deserialize)]
pub struct ListParams {
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

pub(crate) fn parse_statuses(s: Option<&str>) -> Result<Vec<CandidateStatus>, ApiError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(vec![CandidateStatus::Pending]),
        Some(list) => list
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .map_err(|e: praden_core::review::UnknownStatus| {
                        ApiError::BadParameter(format!("status: {e}"))
                    })
            })
            .collect(),
    }
}

#[derive(Serialize)]
pub struct CandidateList {
    candidates: Vec<Candidate>,
}

pub async fn list(
    State(state): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Json<CandidateList>, ApiError> {
    let limit = p.limit.unwrap_or(50);
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(ApiError::BadParameter(format!(
            "limit {limit} is out of range (1 to {MAX_LIST})"
        )));
    }
    let filter = CandidateFilter {
        statuses: parse_statuses(p.status.as_deref())?,
        limit,
        offset: p.offset.unwrap_or(0).max(0),
    };
    let candidates = state
        .store
        .candidates(&filter, OffsetDateTime::now_utc())
        .await?;
    Ok(Json(CandidateList { candidates }))
}

#[derive(Serialize)]
pub struct DocumentSummary {
    pub id: i64,
    pub title: String,
    pub outlet: String,
    pub kind: String,
    pub url: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
}

#[derive(Serialize)]
pub struct CandidateDetail {
    candidate: Candidate,
    documents: Vec<DocumentSummary>,
}

pub(crate) async fn load_candidate(state: &AppState, id: i64) -> Result<Candidate, ApiError> {
    state
        .store
        .candidate(id, OffsetDateTime::now_utc())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("candidate {id} does not exist")))
}

pub(crate) async fn documents_of(
    state: &AppState,
    id: i64,
) -> Result<Vec<DocumentSummary>, ApiError> {
    Ok(state
        .store
        .candidate_documents(id)
        .await?
        .into_iter()
        .map(|d| DocumentSummary {
            id: d.id,
            title: d.doc.title,
            outlet: d.doc.outlet,
            kind: d.doc.kind.as_str().to_string(),
            url: d.doc.url,
            published_at: d.doc.published_at,
        })
        .collect())
}

pub async fn detail(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<CandidateDetail>, ApiError> {
    let candidate = load_candidate(&state, id).await?;
    let documents = documents_of(&state, id).await?;
    Ok(Json(CandidateDetail {
        candidate,
        documents,
    }))
}

/// An approval or an issue edit. Left out, a field takes the candidate's proposal: its
/// title, its first suggested agency, its deadline rule, its outlets as the source.
#[derive(Deserialize, Default)]
pub struct ApproveBody {
    pub version: i64,
    pub title: Option<String>,
    pub agency: Option<String>,
    pub deadline_days: Option<u32>,
    pub source: Option<String>,
}

pub(crate) fn approval_from(
    state: &AppState,
    c: &Candidate,
    body: &ApproveBody,
) -> Result<Approval, ApiError> {
    let p = &c.proposal;
    let agency = match body.agency.as_deref().filter(|a| !a.trim().is_empty()) {
        Some(named) => find_agency(state, named)?,
        None => p
            .agencies
            .first()
            .map(|a| a.agency.clone())
            .ok_or_else(|| {
                ApiError::BadParameter(
                    "agency: detection suggested none for this candidate; name one".into(),
                )
            })?,
    };
    Ok(Approval {
        title: body.title.clone().unwrap_or_else(|| p.title.clone()),
        agency,
        deadline_days: body.deadline_days.unwrap_or(p.deadline_days),
        source: body.source.clone().unwrap_or_else(|| default_source(c)),
    })
}

/// ที่มา as the working group writes it: the outlets that carried the story.
pub(crate) fn default_source(c: &Candidate) -> String {
    let outlets = &c.proposal.outlets;
    let shown: Vec<&str> = outlets.iter().take(5).map(String::as_str).collect();
    let mut s = shown.join(", ");
    if outlets.len() > shown.len() {
        s.push_str(&format!(" และอีก {} แหล่ง", outlets.len() - shown.len()));
    }
    s
}

pub async fn approve(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<ApproveBody>,
) -> Result<(StatusCode, Json<Issue>), ApiError> {
    let c = load_candidate(&state, id).await?;
    let approval = approval_from(&state, &c, &body)?;
    let issue = state
        .store
        .approve_candidate(id, body.version, &approval, &context(&who, &headers))
        .await?;
    Ok((StatusCode::CREATED, Json(issue)))
}

#[derive(Deserialize)]
pub struct RejectBody {
    version: i64,
    reason: String,
}

pub async fn reject(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<RejectBody>,
) -> Result<Json<Candidate>, ApiError> {
    let c = state
        .store
        .reject_candidate(id, body.version, &body.reason, &context(&who, &headers))
        .await?;
    Ok(Json(c))
}

#[derive(Deserialize)]
pub struct SnoozeBody {
    version: i64,
    /// Hours from now (1 to 168).
    hours: i64,
}

pub(crate) fn snooze_until(hours: i64) -> Result<OffsetDateTime, ApiError> {
    if !(1..=168).contains(&hours) {
        return Err(ApiError::BadParameter(format!(
            "hours {hours} is out of range (1 to 168)"
        )));
    }
    Ok(OffsetDateTime::now_utc() + time::Duration::hours(hours))
}

pub async fn snooze(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<SnoozeBody>,
) -> Result<Json<Candidate>, ApiError> {
    let until = snooze_until(body.hours)?;
    let c = state
        .store
        .snooze_candidate(id, body.version, until, &context(&who, &headers))
        .await?;
    Ok(Json(c))
}

#[derive(Deserialize)]
pub struct MergeBody {
    version: i64,
    into: i64,
    into_version: i64,
}

/// Folds this candidate into `into`; answers with the candidate that remains.
pub async fn merge(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<MergeBody>,
) -> Result<Json<Candidate>, ApiError> {
    let c = state
        .store
        .merge_candidates(
            id,
            body.version,
            body.into,
            body.into_version,
            &context(&who, &headers),
        )
        .await?;
    Ok(Json(c))
}

pub(crate) async fn load_issue(state: &AppState, id: i64) -> Result<Issue, ApiError> {
    state
        .store
        .issue(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("issue {id} does not exist")))
}

pub async fn issue(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Issue>, ApiError> {
    Ok(Json(load_issue(&state, id).await?))
}

/// Changes an approved issue; left-out fields keep their values.
pub async fn edit_issue(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<ApproveBody>,
) -> Result<Json<Issue>, ApiError> {
    let old = load_issue(&state, id).await?;
    let agency = match body.agency.as_deref().filter(|a| !a.trim().is_empty()) {
        Some(named) => find_agency(&state, named)?,
        None => old.agency.clone(),
    };
    let edit = Approval {
        title: body.title.unwrap_or(old.title),
        agency,
        deadline_days: body.deadline_days.unwrap_or(old.deadline_days),
        source: body.source.unwrap_or(old.source),
    };
    let issue = state
        .store
        .edit_issue(id, body.version, &edit, &context(&who, &headers))
        .await?;
    Ok(Json(issue))
}

pub async fn withdraw_issue(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<RejectBody>,
) -> Result<Json<Issue>, ApiError> {
    let issue = state
        .store
        .withdraw_issue(id, body.version, &body.reason, &context(&who, &headers))
        .await?;
    Ok(Json(issue))
}

#[derive(Serialize)]
pub struct AgencyList<'a> {
    agencies: &'a [AgencyRef],
}

pub async fn agencies(State(state): State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    Json(AgencyList {
        agencies: &state.agencies,
    })
    .into_response()
}
