//! Clarifications found in the coverage (พบการชี้แจง): the section the monitors' and the
//! agency's issue pages show, the report form prefilled from one of them for the agency to
//! confirm as its report, and the API (`/api/v1/issues/{id}/clarifications` for monitors,
//! `/api/v1/agency/issues/{id}/clarifications` scoped like the rest of the agency's side).
//!
//! praden only proposes: the agency still submits the report itself.

use crate::agency::own_issue;
use crate::auth::Identity;
use crate::extract::{Json, Path};
use crate::html::{esc, moment};
use crate::reports::FormState;
use crate::review::load_issue;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::Extension;
use praden_core::report::{Channel, Report};
use praden_core::thai_time::to_bangkok;
use praden_core::SourceKind;
use praden_store::FoundClarification;
use serde::Serialize;
use std::fmt::Write;

/// The report (of `reports`) that names `c`'s document as a channel's link: the agency
/// confirmed it (or reported the same page itself).
fn confirmed_by(c: &FoundClarification, reports: &[Report]) -> Option<i64> {
    let url = c.url.as_deref()?;
    reports
        .iter()
        .find(|r| r.channels.iter().any(|ch| ch.link.as_deref() == Some(url)))
        .map(|r| r.id)
}

/// The section "พบการชี้แจง": each document with its title (linked to its page), outlet,
/// publication time, score, speaker and excerpt, and the report that confirmed it, if one
/// did. `confirm` (the agency's page, while it may report) gives each one not yet confirmed
/// the link that opens the report form prefilled from it.
pub(crate) fn section(
    found: &[FoundClarification],
    reports: &[Report],
    confirm: Option<i64>,
) -> String {
    let mut out = String::from("<h2 id=\"found\">พบการชี้แจง</h2>");
    if found.is_empty() {
        out.push_str("<p class=\"meta\">ยังไม่พบการชี้แจงของประเด็นนี้ในข่าวที่ติดตาม</p>");
        return out;
    }
    out.push_str(
        "<p class=\"meta\">เอกสารที่ระบบพบว่าน่าจะเป็นการชี้แจงประเด็นนี้ของหน่วยงาน \
         (เผยแพร่หลังมอบหมาย) — หน่วยงานยืนยันเป็นรายงานการชี้แจงได้</p><ul>",
    );
    for c in found {
        let title = match &c.url {
            Some(u) => format!(
                "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
                esc(u),
                esc(&c.title)
            ),
            None => esc(&c.title),
        };
        let _ = write!(
            out,
            "<li class=\"found\" id=\"found-{id}\"><strong>{title}</strong><br>\
             <small class=\"meta\">{outlet} · {at} · คะแนน {score:.2}{speaker}</small>\
             <p>{excerpt}</p>",
            id = c.id,
            outlet = esc(&c.outlet),
            at = moment(c.published_at),
            score = c.score,
            speaker = c
                .speaker
                .as_deref()
                .map(|s| format!(" · ผู้ชี้แจง: {}", esc(s)))
                .unwrap_or_default(),
            excerpt = esc(c.excerpt.as_deref().unwrap_or("")),
        );
        if let Some(report) = confirmed_by(c, reports) {
            let _ = write!(
                out,
                "<p><span class=\"badge\">ยืนยันเป็นรายงานแล้ว</span> \
                 <a href=\"#report-{report}\">รายงานฉบับที่ {report}</a></p>"
            );
        } else if let Some(issue) = confirm {
            let _ = write!(
                out,
                "<p><a class=\"button\" href=\"/agency/issues/{issue}?found={id}#report\">\
                 ยืนยันเป็นรายงานการชี้แจง</a></p>",
                id = c.id,
            );
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
    out
}

/// The channel a found document was published on: an official site's page is the agency's
/// website; a news outlet carrying it ran the agency's press release.
pub(crate) fn channel_of(kind: SourceKind) -> Channel {
    match kind {
        SourceKind::Official => Channel::Website,
        _ => Channel::PressRelease,
    }
}

/// The report form's fields prefilled from `c`: the date and time it was published
/// (Bangkok, B.E. as Thai users write it), the speaker the matcher found, the excerpt as the
/// key content, and its channel with the document's link.
pub(crate) fn prefill(c: &FoundClarification) -> FormState {
    let at = to_bangkok(c.published_at);
    let channel = channel_of(c.kind);
    let mut fields = vec![
        (
            "date".to_string(),
            format!(
                "{:02}/{:02}/{}",
                at.day(),
                u8::from(at.month()),
                at.year() + 543
            ),
        ),
        (
            "time".to_string(),
            format!("{:02}:{:02}", at.hour(), at.minute()),
        ),
        ("speaker".to_string(), c.speaker.clone().unwrap_or_default()),
        ("content".to_string(), c.excerpt.clone().unwrap_or_default()),
        ("channel".to_string(), channel.as_str().to_string()),
    ];
    if let Some(url) = &c.url {
        fields.push((format!("link_{}", channel.as_str()), url.clone()));
    }
    FormState::prefilled(fields)
}

/// `GET …/clarifications`.
#[derive(Serialize)]
pub struct Clarifications {
    issue_id: i64,
    /// Best match first.
    clarifications: Vec<FoundClarification>,
}

/// `GET /api/v1/issues/{id}/clarifications` (monitors).
pub async fn api_issue(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Clarifications>, ApiError> {
    load_issue(&state, id).await?;
    Ok(Json(Clarifications {
        issue_id: id,
        clarifications: state.store.issue_clarifications(id).await?,
    }))
}

/// `GET /api/v1/agency/issues/{id}/clarifications`: another agency's issue answers 404.
pub async fn api_agency(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(id): Path<i64>,
) -> Result<Json<Clarifications>, ApiError> {
    own_issue(&state, &who, id).await?;
    Ok(Json(Clarifications {
        issue_id: id,
        clarifications: state.store.issue_clarifications(id).await?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use praden_core::report::ChannelEntry;
    use time::macros::datetime;

    fn found(kind: SourceKind) -> FoundClarification {
        FoundClarification {
            id: 3,
            issue_id: 1,
            document_id: 9,
            score: 0.91,
            speaker: Some("นายวัฒนศักย์ เสือเอี่ยม".into()),
            excerpt: Some("กรณีเกษตรกร <ผัก>".into()),
            found_at: datetime!(2026-12-04 05:00 UTC),
            title: "พณ. ชี้แจง".into(),
            url: Some("https://www.thaigov.go.th/news/contents/details/63613".into()),
            outlet: "thaigov.go.th".into(),
            kind,
            published_at: datetime!(2026-12-04 03:05 UTC),
        }
    }

    #[test]
    fn the_form_is_prefilled_in_bangkok_time_with_the_channel_and_link() {
        let state = prefill(&found(SourceKind::Official));
        let form = crate::reports::report_form_fields(&state);
        let get = |k: &str| {
            form.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        assert_eq!(get("date"), "04/12/2569");
        assert_eq!(get("time"), "10:05");
        assert_eq!(get("speaker"), "นายวัฒนศักย์ เสือเอี่ยม");
        assert_eq!(get("channel"), "website");
        assert_eq!(
            get("link_website"),
            "https://www.thaigov.go.th/news/contents/details/63613"
        );
        assert_eq!(channel_of(SourceKind::News), Channel::PressRelease);
    }

    #[test]
    fn the_section_escapes_and_offers_confirmation_only_to_the_agency() {
        let f = [found(SourceKind::Official)];
        let monitors = section(&f, &[], None);
        assert!(monitors.contains("พบการชี้แจง"));
        assert!(monitors.contains("&lt;ผัก&gt;"));
        assert!(!monitors.contains("?found="));
        let agency = section(&f, &[], Some(1));
        assert!(agency.contains("/agency/issues/1?found=3#report"));
        // Once a report names the document, it is confirmed: no second invitation.
        let report = Report {
            id: 7,
            issue_id: 1,
            agency: "กระทรวงพาณิชย์".into(),
            reporter: "พรทิพย์".into(),
            clarified_at: datetime!(2026-12-04 03:05 UTC),
            speaker: "อธิบดี".into(),
            content: "ชี้แจง".into(),
            channels: vec![ChannelEntry {
                channel: Channel::Website,
                link: f[0].url.clone(),
            }],
            at: datetime!(2026-12-04 06:00 UTC),
            by: "moc".into(),
        };
        let confirmed = section(&f, &[report], Some(1));
        assert!(confirmed.contains("ยืนยันเป็นรายงานแล้ว") && confirmed.contains("#report-7"));
        assert!(!confirmed.contains("?found="));
    }
}
