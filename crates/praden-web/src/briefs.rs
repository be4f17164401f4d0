//! The published 09:30 briefs — the page `/briefs/{date}` (Thai, with each webhook's
//! delivery status) and `/api/v1/briefs/{date}` (JSON), both `?revision=N` (default: the
//! latest) — and the official assignment message of a day,
//! `/api/v1/assignments/{date}/message` (text/plain, or JSON when asked).

use crate::auth::Identity;
use crate::extract::{Json, Path, Query};
use crate::html::{esc, moment, shell};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use praden_brief::{assignment_message as compose, html_fragment, AssignmentLine, Brief};
use praden_core::thai_time::{
    bangkok_midnight, format_thai_date_long, format_thai_date_short, parse_date_any_era, to_bangkok,
};
use praden_store::{
    Delivery, DeliveryStatus, PublicationDay, PublicationKind, PublicationRevision,
    StoredPublication,
};
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use time::{Date, Duration, OffsetDateTime};

#[derive(Deserialize)]
pub struct BriefParams {
    revision: Option<i64>,
}

/// `YYYY-MM-DD` in either era (2569-11-23 or 2026-11-23), Thai digits allowed.
pub(crate) fn parse_day(s: &str) -> Result<Date, ApiError> {
    // The navigation's "today" and a bookmark of it: the Bangkok day now.
    if s == "today" {
        return Ok(to_bangkok(OffsetDateTime::now_utc()).date());
    }
    parse_date_any_era(s).map_err(|e| ApiError::BadParameter(format!("date: {e}")))
}

/// A publication's revision as a page or the API shows it: the stored row, what it says
/// (`T`, read from its JSON content), every revision of its day and its deliveries.
pub(crate) struct Loaded<T> {
    pub stored: StoredPublication,
    pub content: T,
    pub revisions: Vec<PublicationRevision>,
    pub deliveries: Vec<Delivery>,
}

/// Revision `revision` (or the latest) of the `kind` publication of `slot`.
pub(crate) async fn load<T: serde::de::DeserializeOwned>(
    state: &AppState,
    kind: PublicationKind,
    slot: Date,
    revision: Option<i64>,
) -> Result<Loaded<T>, ApiError> {
    if let Some(r) = revision.filter(|r| *r < 1) {
        return Err(ApiError::BadParameter(format!(
            "revision {r} is out of range (revisions start at 1)"
        )));
    }
    let publications = state.store.publications(kind);
    let noun = kind.noun();
    let stored = publications.get(slot, revision).await?.ok_or_else(|| {
        ApiError::NotFound(match revision {
            Some(r) => format!("the {noun} of {slot} has no revision {r}"),
            None => format!("no {noun} has been published for {slot}"),
        })
    })?;
    let content: T = serde_json::from_str(&stored.content).map_err(|e| {
        ApiError::Internal(format!(
            "{noun} {} (revision {}) is not readable: {e}",
            stored.id, stored.revision
        ))
    })?;
    Ok(Loaded {
        revisions: publications.revisions(slot).await?,
        deliveries: publications.deliveries(stored.id).await?,
        stored,
        content,
    })
}

#[derive(Serialize)]
pub(crate) struct RevisionView {
    revision: i64,
    #[serde(with = "time::serde::rfc3339")]
    generated_at: OffsetDateTime,
    late: bool,
    trigger: &'static str,
}

#[derive(Serialize)]
pub(crate) struct DeliveryView {
    target: String,
    status: &'static str,
    attempts: i64,
    last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    next_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    delivered_at: Option<OffsetDateTime>,
}

impl From<&PublicationRevision> for RevisionView {
    fn from(r: &PublicationRevision) -> Self {
        Self {
            revision: r.revision,
            generated_at: r.generated_at,
            late: r.late,
            trigger: r.trigger.as_str(),
        }
    }
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            target: d.target,
            status: d.status.as_str(),
            attempts: d.attempts,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
        }
    }
}

#[derive(Serialize)]
pub struct BriefResponse {
    slot: String,
    revision: i64,
    #[serde(with = "time::serde::rfc3339")]
    scheduled_for: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    generated_at: OffsetDateTime,
    late: bool,
    trigger: &'static str,
    revisions: Vec<RevisionView>,
    brief: Brief,
    /// The LINE messages as sent.
    messages: Vec<String>,
    markdown: String,
    deliveries: Vec<DeliveryView>,
}

pub async fn api(
    State(state): State<AppState>,
    Path(date): Path<String>,
    Query(p): Query<BriefParams>,
) -> Result<Json<BriefResponse>, ApiError> {
    let slot = parse_day(&date)?;
    let l: Loaded<Brief> = load(&state, PublicationKind::Brief, slot, p.revision).await?;
    Ok(Json(BriefResponse {
        slot: iso(slot),
        revision: l.stored.revision,
        scheduled_for: l.stored.scheduled_for,
        generated_at: l.stored.generated_at,
        late: l.stored.late,
        trigger: l.stored.trigger.as_str(),
        revisions: l.revisions.iter().map(RevisionView::from).collect(),
        brief: l.content,
        messages: l.stored.messages,
        markdown: l.stored.markdown,
        deliveries: l.deliveries.into_iter().map(DeliveryView::from).collect(),
    }))
}

/// Days listed on one page of `/briefs` and `/assignments`.
const DAYS_PER_PAGE: i64 = 30;

/// The days that have a publication, each linking to `{base}/{day}`, with an "older" link
/// when the page is full; `empty` when there are none.
fn days_table(days: &[PublicationDay], base: &str, empty: &str) -> String {
    let mut body = String::new();
    if days.is_empty() {
        let _ = write!(body, "<p>{}</p>", esc(empty));
        return body;
    }
    body.push_str(
        "<table><thead><tr><th>วันที่</th><th>จัดทำเมื่อ</th><th>จำนวนฉบับ</th></tr></thead><tbody>",
    );
    for d in days {
        let _ = write!(
            body,
            "<tr><td><a href=\"{base}/{}\">{}</a></td><td>{}{}</td><td>{}</td></tr>",
            iso(d.slot),
            esc(&format_thai_date_long(d.slot, false)),
            esc(&moment(d.generated_at)),
            if d.late {
                " <span class=\"badge warn\">ส่งล่าช้า</span>"
            } else {
                ""
            },
            d.revisions
        );
    }
    body.push_str("</tbody></table>");
    if let Some(last) = days.last().filter(|_| days.len() as i64 == DAYS_PER_PAGE) {
        let _ = write!(
            body,
            "<p><a href=\"{base}?before={}\">เก่ากว่านี้</a></p>",
            iso(last.slot)
        );
    }
    body
}

#[derive(Deserialize)]
pub struct ListParams {
    /// Days before this one (the "older" link's cursor).
    before: Option<String>,
}

/// `/briefs`: the days with a brief, newest first, each linking to its page.
pub async fn list(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Query(p): Query<ListParams>,
) -> Result<Html<String>, ApiError> {
    days_page(
        &state,
        &who,
        PublicationKind::Brief,
        p.before.as_deref(),
        DaysPage {
            base: "/briefs",
            title: "สรุปประเด็นประจำวัน",
            none_before: "ไม่มีสรุปประเด็นก่อนหน้านี้",
            none_yet: "ยังไม่มีสรุปประเด็น สรุปฉบับแรกจะจัดทำตามเวลาที่กำหนดไว้",
        },
    )
    .await
}

/// The words of a list of days.
pub(crate) struct DaysPage {
    pub base: &'static str,
    pub title: &'static str,
    pub none_before: &'static str,
    pub none_yet: &'static str,
}

/// The days that have a publication of `kind`, newest first, before `before` when given.
pub(crate) async fn days_page(
    state: &AppState,
    who: &Identity,
    kind: PublicationKind,
    before: Option<&str>,
    words: DaysPage,
) -> Result<Html<String>, ApiError> {
    let before = before.map(parse_day).transpose()?;
    let days = state
        .store
        .publications(kind)
        .days(before, DAYS_PER_PAGE)
        .await?;
    let mut body = format!("<h1>{}</h1>", esc(words.title));
    body.push_str(&days_table(
        &days,
        words.base,
        if before.is_some() {
            words.none_before
        } else {
            words.none_yet
        },
    ));
    Ok(Html(shell(Some(who), words.base, words.title, &body)))
}

pub async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(date): Path<String>,
    Query(p): Query<BriefParams>,
) -> Result<Html<String>, ApiError> {
    let slot = parse_day(&date)?;
    let l: Loaded<Brief> = load(&state, PublicationKind::Brief, slot, p.revision).await?;
    let day = iso(slot);
    let mut body = String::new();
    body.push_str(&revisions_nav(
        "ฉบับของสรุปประเด็น",
        &l.revisions,
        l.stored.revision,
        &format!("/briefs/{day}"),
        &format!("/api/v1/briefs/{day}"),
    ));
    body.push_str(&html_fragment(&l.content));
    body.push_str(&deliveries_section(
        "การส่งสรุปประเด็น",
        "ไม่ได้กำหนดปลายทางสำหรับส่งสรุปประเด็น",
        &l.deliveries,
    ));
    let title = format!("สรุปประเด็น {}", format_thai_date_short(slot));
    Ok(Html(shell(
        Some(&who),
        &format!("/briefs/{date}"),
        &title,
        &body,
    )))
}

/// The revisions of a day, the current one marked, each linking to `{page}?revision=N`, and
/// the current one's JSON at `{api}?revision=N`.
pub(crate) fn revisions_nav(
    label: &str,
    revisions: &[PublicationRevision],
    current: i64,
    page: &str,
    api: &str,
) -> String {
    let mut body = format!("<nav class=\"meta\" aria-label=\"{}\">ฉบับ: ", esc(label));
    for (i, r) in revisions.iter().enumerate() {
        if i > 0 {
            body.push_str(" · ");
        }
        let label = format!(
            "ฉบับที่ {} ({}{})",
            r.revision,
            trigger_th(r.trigger.as_str()),
            if r.late {
                ", ส่งล่าช้า"
            } else {
                ""
            }
        );
        if r.revision == current {
            let _ = write!(
                body,
                "<strong aria-current=\"page\">{}</strong>",
                esc(&label)
            );
        } else {
            let _ = write!(
                body,
                "<a href=\"{page}?revision={}\">{}</a>",
                r.revision,
                esc(&label)
            );
        }
    }
    let _ = write!(
        body,
        " · <a href=\"{api}?revision={current}\">JSON</a></nav>"
    );
    body
}

/// Each delivery's target, status, attempts, time and last error.
pub(crate) fn deliveries_section(heading: &str, none: &str, deliveries: &[Delivery]) -> String {
    let mut body = format!("<section><h2>{}</h2>", esc(heading));
    if deliveries.is_empty() {
        let _ = write!(body, "<p>{}</p>", esc(none));
    } else {
        body.push_str(
            "<table><thead><tr><th>ปลายทาง</th><th>สถานะ</th><th>จำนวนครั้งที่ส่ง</th>\
             <th>เวลา</th><th>ข้อผิดพลาดล่าสุด</th></tr></thead><tbody>",
        );
        for d in deliveries {
            let when = match d.status {
                DeliveryStatus::Delivered => d.delivered_at.map(|t| format!("ส่งเมื่อ {}", moment(t))),
                DeliveryStatus::Pending => d
                    .next_attempt_at
                    .map(|t| format!("ส่งครั้งต่อไป {}", moment(t))),
                DeliveryStatus::Sending | DeliveryStatus::Failed => None,
            };
            let _ = write!(
                body,
                "<tr><td>{}</td><td><span class=\"badge{}\">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&d.target),
                if d.status == DeliveryStatus::Failed { " warn" } else { "" },
                d.status.label_th(),
                d.attempts,
                esc(&when.unwrap_or_default()),
                esc(d.last_error.as_deref().unwrap_or(""))
            );
        }
        body.push_str("</tbody></table>");
    }
    body.push_str("</section>");
    body
}

fn trigger_th(trigger: &str) -> &'static str {
    match trigger {
        "schedule" => "ตามกำหนด",
        "catch_up" => "จัดทำย้อนหลัง",
        _ => "จัดทำใหม่",
    }
}

pub(crate) fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[derive(Deserialize)]
pub struct MessageParams {
    format: Option<String>,
}

#[derive(Serialize)]
struct MessageResponse {
    date: String,
    /// The date as the message writes it.
    date_th: String,
    count: usize,
    issues: Vec<AssignmentLine>,
    text: String,
}

/// The official assignment message for the issues approved on `date` (a Bangkok day) that
/// are not withdrawn. `text/plain` unless `?format=json` or `Accept: application/json`.
pub async fn assignment_message(
    State(state): State<AppState>,
    Path(date): Path<String>,
    Query(p): Query<MessageParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let day = parse_day(&date)?;
    let json = match p.format.as_deref() {
        Some("json") => true,
        Some("text") => false,
        Some(other) => {
            return Err(ApiError::BadParameter(format!(
                "format {other:?} is not known (expected text or json)"
            )))
        }
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/json")),
    };
    let from = bangkok_midnight(day);
    let issues = state
        .store
        .issues_approved_between(from, from + Duration::days(1))
        .await?;
    let (text, lines) = compose(day, &issues, &state.assignment);
    if json {
        let date_th = if state.assignment.thai_digits {
            format_thai_date_long(day, true)
        } else {
            format_thai_date_short(day)
        };
        return Ok(Json(MessageResponse {
            date: iso(day),
            date_th,
            count: lines.len(),
            issues: lines,
            text,
        })
        .into_response());
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn days_are_read_in_either_era() {
        assert_eq!(parse_day("2569-11-23").unwrap(), date!(2026 - 11 - 23));
        assert_eq!(parse_day("2026-11-23").unwrap(), date!(2026 - 11 - 23));
        // As Thai users type them too, and the navigation's "today".
        assert_eq!(parse_day("23/11/2569").unwrap(), date!(2026 - 11 - 23));
        assert_eq!(parse_day("23 พ.ย. 69").unwrap(), date!(2026 - 11 - 23));
        assert!(parse_day("today").is_ok());
        assert!(parse_day("23-11").is_err());
        assert!(parse_day("tomorrow").is_err());
        assert_eq!(iso(date!(2026 - 01 - 05)), "2026-01-05");
    }
}
