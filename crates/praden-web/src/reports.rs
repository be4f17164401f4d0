//! The agencies' clarification reports (IR-Chat) and their evidence: the report form on the
//! agency's issue page and its API, evidence files and links added to a report, downloads,
//! and the reports section the agency's and the monitors' issue pages both show.
//!
//! Scoping is the agency pages' (`agency::own_issue`): a report, an evidence item or an
//! issue another agency's user may not see answers the same 404 as one that does not exist.
//! Evidence types are decided by the bytes (`praden_core::report::sniff`); downloads are
//! always attachments with the sniffed type, never a page.

use crate::agency::{own_issue, sees};
use crate::auth::{context, Identity};
use crate::blobs::EvidenceStore;
use crate::extract::{Json, Path};
use crate::html::{esc, moment};
use crate::upload::{self, Upload, UploadedFile};
use crate::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use praden_core::report::{
    check_link, evidence_due, evidence_missing, extension_of, sniff, Channel, ChannelEntry,
    Evidence, EvidenceKind, FieldError, NewEvidence, NewReport, Report,
};
use praden_core::review::Issue;
use praden_core::thai_time::{
    format_thai_date_short, parse_date_any_era, to_ascii_digits, BANGKOK,
};
use praden_core::Role;
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use time::{OffsetDateTime, PrimitiveDateTime, Time};

/// The longest file name kept for display.
const MAX_NAME_CHARS: usize = 200;

// ---------------------------------------------------------------------------------------
// Reading a report

/// A report as sent, before its date and time are read: the form's fields and the API's
/// JSON body.
#[derive(Debug, Default, Deserialize)]
pub struct ReportBody {
    #[serde(default)]
    reporter: String,
    /// The day of the clarification, as Thai users write it (`2569-12-01`, `1/12/2569`,
    /// `1 ธ.ค. 69`, …; B.E. or C.E.).
    #[serde(default)]
    date: String,
    /// Its time of day, Bangkok: `10:30`, `10.30 น.`
    #[serde(default)]
    time: String,
    #[serde(default)]
    speaker: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    channels: Vec<ChannelEntry>,
}

/// `10:30`, `10.30`, `10.30 น.`, in Thai or Arabic digits.
fn parse_time_of_day(s: &str) -> Option<Time> {
    let ascii = to_ascii_digits(s.trim());
    let t = ascii.trim_end_matches("น.").trim();
    let (h, m) = t.split_once(':').or_else(|| t.split_once('.'))?;
    let (h, m): (u8, u8) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    Time::from_hms(h, m, 0).ok()
}

impl ReportBody {
    /// The report, checked; the first field that fails is named.
    fn into_report(self, now: OffsetDateTime) -> Result<NewReport, FieldError> {
        let date = parse_date_any_era(&self.date).map_err(|e| {
            if self.date.trim().is_empty() {
                FieldError::new("date", "is empty", "กรุณากรอกวันที่ชี้แจง")
            } else {
                FieldError::new(
                    "date",
                    format!("“{}” is not a date: {}", self.date, e.reason),
                    format!(
                        "วันที่ชี้แจง “{}” อ่านไม่ได้ (เช่น 31/01/2569, 31 ม.ค. 69 หรือ 2569-01-31)",
                        self.date
                    ),
                )
            }
        })?;
        let time = parse_time_of_day(&self.time).ok_or_else(|| {
            FieldError::new(
                "time",
                format!("“{}” is not a time of day such as 10:30", self.time),
                format!("เวลาที่ชี้แจง “{}” อ่านไม่ได้ (เช่น 10:30 หรือ 10.30 น.)", self.time),
            )
        })?;
        NewReport {
            reporter: self.reporter,
            clarified_at: PrimitiveDateTime::new(date, time).assume_offset(BANGKOK),
            speaker: self.speaker,
            content: self.content,
            channels: self.channels,
        }
        .validated(now)
    }

    /// The report form's fields: each ticked `channel`, with its `link_<channel>` (a link
    /// typed for a channel left unticked counts as ticking it).
    fn from_form(form: &Upload) -> Result<Self, FieldError> {
        let ticked = form.all("channel");
        let mut channels = Vec::new();
        for value in &ticked {
            if Channel::parse(value).is_none() {
                return Err(FieldError::new(
                    "channels",
                    format!("{value:?} is not a channel"),
                    format!("ช่องทาง “{value}” ไม่มีในรายการ"),
                ));
            }
        }
        for channel in Channel::ALL {
            let link = form.text(&format!("link_{}", channel.as_str())).trim();
            if ticked.contains(&channel.as_str()) || !link.is_empty() {
                channels.push(ChannelEntry {
                    channel,
                    link: (!link.is_empty()).then(|| link.to_string()),
                });
            }
        }
        Ok(Self {
            reporter: form.text("reporter").into(),
            date: form.text("date").into(),
            time: form.text("time").into(),
            speaker: form.text("speaker").into(),
            content: form.text("content").into(),
            channels,
        })
    }
}

fn field_error(e: FieldError) -> ApiError {
    ApiError::BadParameter(format!("{}: {}", e.field, e.reason))
}

// ---------------------------------------------------------------------------------------
// Evidence

/// An evidence file or link that was not taken, and why.
#[derive(Debug, Serialize)]
pub struct Refusal {
    /// The file's name or the link as sent.
    item: String,
    reason: String,
    #[serde(skip)]
    reason_th: String,
}

/// A file name as shown: its last path segment (some browsers send the whole path), without
/// control characters, at most [`MAX_NAME_CHARS`].
fn display_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    if clean.trim().is_empty() {
        "ไฟล์ไม่มีชื่อ".into()
    } else {
        clean.trim().to_string()
    }
}

/// Stores `files` and `links` as evidence of `report` (of `issue`), each judged on its own:
/// what passes is kept whatever happens to the others.
async fn add_evidence(
    state: &AppState,
    who: &Identity,
    headers: &HeaderMap,
    report: &Report,
    files: Vec<UploadedFile>,
    links: Vec<String>,
) -> Result<(Vec<Evidence>, Vec<Refusal>), ApiError> {
    let limits = &state.evidence;
    let ctx = context(who, headers);
    let mut used: u64 = state
        .store
        .issue_evidence(report.issue_id)
        .await?
        .iter()
        .map(|e| e.size.max(0) as u64)
        .sum();
    let (mut added, mut refused) = (Vec::new(), Vec::new());
    let mut refuse = |item: String, reason: String, reason_th: String| {
        refused.push(Refusal {
            item,
            reason,
            reason_th,
        })
    };
    for file in files {
        let name = display_name(&file.name);
        let Some(bytes) = file.bytes else {
            refuse(
                name,
                format!(
                    "the file is {} bytes, over the limit of {} bytes a file",
                    file.size, limits.max_file_bytes
                ),
                format!(
                    "ไฟล์ใหญ่เกินกำหนด (ไม่เกิน {} MB ต่อไฟล์)",
                    mb(limits.max_file_bytes)
                ),
            );
            continue;
        };
        let Some(kind) = sniff(&bytes) else {
            refuse(
                name,
                "its content is not a JPEG, PNG or WebP photo, a PDF, or an MP4 or WebM clip \
                 (the type is read from the bytes, not the name)"
                    .into(),
                "เนื้อไฟล์ไม่ใช่ภาพ JPEG, PNG, WebP, ไฟล์ PDF หรือคลิป MP4, WebM \
                 (ตรวจจากเนื้อไฟล์ ไม่ใช่จากชื่อไฟล์)"
                    .into(),
            );
            continue;
        };
        let size = bytes.len() as u64;
        if used + size > limits.max_issue_bytes {
            refuse(
                name,
                format!(
                    "the issue's evidence would pass its limit of {} bytes",
                    limits.max_issue_bytes
                ),
                format!(
                    "หลักฐานของประเด็นนี้รวมกันจะเกินกำหนด (ไม่เกิน {} MB ต่อประเด็น)",
                    mb(limits.max_issue_bytes)
                ),
            );
            continue;
        }
        let sha = put(&state.evidence, bytes).await?;
        let item = NewEvidence {
            issue_id: report.issue_id,
            report_id: Some(report.id),
            kind: kind.kind,
            file_name: Some(name.clone()),
            media_type: Some(kind.media_type.into()),
            size: size as i64,
            sha256: Some(sha),
            link: None,
        };
        match state
            .store
            .add_evidence(&item, limits.max_issue_bytes as i64, &ctx)
            .await
        {
            Ok(e) => {
                used += size;
                added.push(e);
            }
            Err(praden_store::DecisionError::Invalid(why)) => refuse(
                name,
                why,
                format!(
                    "หลักฐานของประเด็นนี้รวมกันจะเกินกำหนด (ไม่เกิน {} MB ต่อประเด็น)",
                    mb(limits.max_issue_bytes)
                ),
            ),
            Err(e) => return Err(e.into()),
        }
    }
    for link in links {
        let link = link.trim().to_string();
        if link.is_empty() {
            continue;
        }
        let checked = match check_link(&link) {
            Ok(l) => l,
            Err((en, th)) => {
                refuse(link, format!("the link {en}"), format!("ลิงก์{th}"));
                continue;
            }
        };
        let item = NewEvidence {
            issue_id: report.issue_id,
            report_id: Some(report.id),
            kind: EvidenceKind::Link,
            file_name: None,
            media_type: None,
            size: 0,
            sha256: None,
            link: Some(checked),
        };
        added.push(
            state
                .store
                .add_evidence(&item, limits.max_issue_bytes as i64, &ctx)
                .await?,
        );
    }
    Ok((added, refused))
}

async fn put(store: &EvidenceStore, bytes: bytes::Bytes) -> Result<String, ApiError> {
    store
        .put(bytes)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
}

fn mb(bytes: u64) -> u64 {
    bytes / (1024 * 1024)
}

/// The evidence links of a form: the `evidence_links` box, one a line.
fn form_links(form: &Upload) -> Vec<String> {
    form.text("evidence_links")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Report `id` if `who` may see its issue; otherwise the same 404 as for no such report.
async fn own_report(
    state: &AppState,
    who: &Identity,
    id: i64,
) -> Result<(Issue, Report), ApiError> {
    let missing = || ApiError::NotFound(format!("report {id} does not exist"));
    let report = state.store.report(id).await?.ok_or_else(missing)?;
    let issue = own_issue(state, who, report.issue_id)
        .await
        .map_err(|_| missing())?;
    Ok((issue, report))
}

// ---------------------------------------------------------------------------------------
// Pages

/// What the report form shows again after a refusal: the fields as sent, and the error.
#[derive(Default)]
pub(crate) struct FormState {
    fields: Vec<(String, String)>,
    /// Thai: what was refused and why (already HTML-escaped pieces joined).
    message: Option<String>,
}

impl FormState {
    /// A form showing `fields` (name, value) and no error: the report form prefilled from a
    /// clarification found in the coverage.
    pub(crate) fn prefilled(fields: Vec<(String, String)>) -> Self {
        Self {
            fields,
            message: None,
        }
    }

    fn value(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// What was refused, as an alert for the top of the page (where a browser lands after
    /// posting the form).
    pub(crate) fn alert(&self) -> String {
        self.message
            .as_deref()
            .map(|m| format!("<div class=\"conflict\" role=\"alert\">{m}</div>"))
            .unwrap_or_default()
    }

    fn ticked(&self, channel: Channel) -> bool {
        self.fields
            .iter()
            .any(|(k, v)| k == "channel" && v == channel.as_str())
    }
}

/// The fields a form state holds (for tests of what prefills it).
#[cfg(test)]
pub(crate) fn report_form_fields(state: &FormState) -> &[(String, String)] {
    &state.fields
}

/// The report form (multipart, the CSRF field first as the check reads it there).
pub(crate) fn report_form(who: &Identity, issue_id: i64, state: &FormState) -> String {
    let mut channels = String::new();
    for c in Channel::ALL {
        let code = c.as_str();
        let _ = write!(
            channels,
            "<label><input type=\"checkbox\" name=\"channel\" value=\"{code}\"{checked}> {label}</label>\
             <label>ลิงก์ของ {label} (ถ้ามี)<input type=\"text\" name=\"link_{code}\" value=\"{link}\" \
             placeholder=\"https://\"></label>",
            checked = if state.ticked(c) { " checked" } else { "" },
            label = c.label_th(),
            link = esc(state.value(&format!("link_{code}"))),
        );
    }
    let reporter = match state.value("reporter") {
        "" => who.display_name.as_str(),
        v => v,
    };
    format!(
        "<form class=\"action\" method=\"post\" action=\"/agency/issues/{issue_id}/reports\" \
         enctype=\"multipart/form-data\"><h3 id=\"report\">รายงานผลการชี้แจง</h3>{csrf}\
         <label>ชื่อผู้รายงาน<input type=\"text\" name=\"reporter\" value=\"{reporter}\" required></label>\
         <label>วันที่ชี้แจง (พ.ศ. หรือ ค.ศ.)<input type=\"text\" name=\"date\" value=\"{date}\" placeholder=\"31/01/2569\" required></label>\
         <label>เวลาที่ชี้แจง (เวลาประเทศไทย)<input type=\"text\" name=\"time\" value=\"{time}\" placeholder=\"10:30\" required></label>\
         <label>ผู้ให้ข่าวหรือผู้ชี้แจง<input type=\"text\" name=\"speaker\" value=\"{speaker}\" required></label>\
         <label>สาระสำคัญของการชี้แจง<textarea name=\"content\" rows=\"5\" required>{content}</textarea></label>\
         <fieldset><legend>ช่องทางที่เผยแพร่</legend>{channels}</fieldset>\
         <label>หลักฐาน: ภาพถ่าย (JPEG, PNG, WebP), PDF หรือคลิป (MP4, WebM)\
         <input type=\"file\" name=\"files\" multiple></label>\
         <label>หลักฐานเป็นลิงก์ (บรรทัดละหนึ่งลิงก์)<textarea name=\"evidence_links\" rows=\"2\">{links}</textarea></label>\
         <p class=\"meta\">ส่งหลักฐานภายใน 2 วันหลังรายงาน เพิ่มภายหลังได้ที่รายงานแต่ละฉบับ · \
         แก้ไขรายงานโดยส่งรายงานฉบับใหม่ (เก็บไว้ทุกฉบับ)</p>\
         <button type=\"submit\">ส่งรายงาน</button></form>",
        csrf = who.csrf_input(),
        reporter = esc(reporter),
        date = esc(state.value("date")),
        time = esc(state.value("time")),
        speaker = esc(state.value("speaker")),
        content = esc(state.value("content")),
        links = esc(state.value("evidence_links")),
    )
}

/// Where a report's evidence stands, in Thai: complete, awaited until its day, or
/// incomplete (ยังไม่ครบหลักฐาน) once the day has passed with none.
fn evidence_state(report: &Report, items: usize, now: OffsetDateTime) -> String {
    if items > 0 {
        format!("<span class=\"badge\">มีหลักฐานแล้ว {items} รายการ</span>")
    } else if evidence_missing(report.at, items, now) {
        format!(
            "<span class=\"badge warn\">ยังไม่ครบหลักฐาน</span> \
             <small class=\"meta\">ครบกำหนดส่ง {}</small>",
            format_thai_date_short(evidence_due(report.at))
        )
    } else {
        format!(
            "<span class=\"badge\">รอหลักฐาน ภายใน {}</span>",
            format_thai_date_short(evidence_due(report.at))
        )
    }
}

fn size_th(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{:.0} KB", (bytes as f64 / 1024.0).ceil())
    }
}

/// One evidence item as a list entry: a download link for a file, the link itself otherwise.
fn evidence_item(e: &Evidence) -> String {
    match (&e.link, &e.file_name) {
        (Some(link), _) => format!(
            "<li>{} <a href=\"{l}\" rel=\"noopener noreferrer\">{l}</a></li>",
            e.kind.label_th(),
            l = esc(link)
        ),
        (None, name) => format!(
            "<li>{} <a href=\"/evidence/{id}\">{name}</a> <small class=\"meta\">{size} · {at}</small></li>",
            e.kind.label_th(),
            id = e.id,
            name = esc(name.as_deref().unwrap_or("ไฟล์")),
            size = size_th(e.size),
            at = moment(e.at),
        ),
    }
}

/// The reports of an issue, latest first, each with its channels, evidence and evidence
/// state; `add_form` gives each report the agency's form to add evidence.
pub(crate) fn reports_section(
    reports: &[Report],
    evidence: &[Evidence],
    now: OffsetDateTime,
    add_form: Option<&Identity>,
) -> String {
    let mut out = String::from("<h2>รายงานผลการชี้แจง</h2>");
    if reports.is_empty() {
        out.push_str("<p class=\"notice\">หน่วยงานยังไม่รายงานผลการชี้แจง</p>");
        return out;
    }
    for (i, r) in reports.iter().enumerate() {
        let items: Vec<&Evidence> = evidence
            .iter()
            .filter(|e| e.report_id == Some(r.id))
            .collect();
        let channels: Vec<String> = r
            .channels
            .iter()
            .map(|c| match &c.link {
                Some(l) => format!(
                    "{} (<a href=\"{l}\" rel=\"noopener noreferrer\">{l}</a>)",
                    c.channel.label_th(),
                    l = esc(l)
                ),
                None => c.channel.label_th().to_string(),
            })
            .collect();
        let _ = write!(
            out,
            "<section class=\"action\" id=\"report-{id}\"><h3>รายงานฉบับที่ {id}{latest}</h3>\
             <p>ชี้แจงเมื่อ {clarified} โดย {speaker} · {state}</p>\
             <p>{content}</p><p>ช่องทาง: {channels} ({n} ช่องทาง)</p>\
             <p class=\"meta\">รายงานโดย {reporter} ({agency}) เมื่อ {at} · บันทึกโดย {by}</p>",
            id = r.id,
            latest = if i == 0 && reports.len() > 1 {
                " (ล่าสุด)"
            } else {
                ""
            },
            clarified = moment(r.clarified_at),
            speaker = esc(&r.speaker),
            state = evidence_state(r, items.len(), now),
            content = esc(&r.content),
            channels = channels.join(", "),
            n = r.channels.len(),
            reporter = esc(&r.reporter),
            agency = esc(&r.agency),
            at = moment(r.at),
            by = esc(&r.by),
        );
        if !items.is_empty() {
            out.push_str("<ul>");
            for e in items {
                out.push_str(&evidence_item(e));
            }
            out.push_str("</ul>");
        }
        if let Some(who) = add_form {
            let _ = write!(
                out,
                "<form method=\"post\" action=\"/agency/reports/{id}/evidence\" \
                 enctype=\"multipart/form-data\">{csrf}\
                 <label>เพิ่มหลักฐาน<input type=\"file\" name=\"files\" multiple></label>\
                 <label>หรือลิงก์ (บรรทัดละหนึ่งลิงก์)<textarea name=\"evidence_links\" rows=\"2\"></textarea></label>\
                 <button type=\"submit\">เพิ่มหลักฐาน</button></form>",
                id = r.id,
                csrf = who.csrf_input(),
            );
        }
        out.push_str("</section>");
    }
    out
}

/// The refusals as Thai list items.
fn refusals_th(refused: &[Refusal]) -> String {
    let mut out = String::from("<ul>");
    for r in refused {
        let _ = write!(out, "<li>{}: {}</li>", esc(&r.item), esc(&r.reason_th));
    }
    out.push_str("</ul>");
    out
}

/// A page answer with `status`.
async fn agency_page_with(
    state: &AppState,
    who: &Identity,
    id: i64,
    form: FormState,
    status: StatusCode,
) -> Response {
    match crate::agency::render_page(state, who, id, form).await {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /agency/issues/{id}/reports` (form, with files): files the report, then its
/// evidence. A refused report comes back in its form with the field and the reason; files
/// or links refused after the report was taken are named, and the report stays.
pub async fn file_report_form(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    req: Request,
) -> Response {
    let issue = match own_issue(&state, &who, id).await {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    let form = match read_upload(&state, req).await {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let kept = FormState {
        fields: form.fields().to_vec(),
        message: None,
    };
    let report =
        ReportBody::from_form(&form).and_then(|body| body.into_report(OffsetDateTime::now_utc()));
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            let message = format!(
                "<p><b>ยังไม่ได้บันทึกรายงาน</b></p><p>{}</p>\
                 <p class=\"meta\">ข้อมูลที่กรอกไว้ยังอยู่ในแบบฟอร์ม ส่วนไฟล์ต้องเลือกใหม่</p>",
                esc(&e.reason_th)
            );
            let form = FormState {
                message: Some(message),
                ..kept
            };
            return agency_page_with(&state, &who, id, form, StatusCode::BAD_REQUEST).await;
        }
    };
    let stored = match state
        .store
        .add_report(id, &issue.agency.name_th, &report, &context(&who, &headers))
        .await
    {
        Ok(r) => r,
        Err(e) => return refused_page(&who, id, e.into()),
    };
    let links = form_links(&form);
    match add_evidence(&state, &who, &headers, &stored, form.files, links).await {
        Ok((_, refused)) if refused.is_empty() => {
            Redirect::to(&format!("/agency/issues/{id}#report-{}", stored.id)).into_response()
        }
        Ok((_, refused)) => {
            let message = format!(
                "<p><b>บันทึกรายงานฉบับที่ {} แล้ว แต่ไม่รับหลักฐานต่อไปนี้</b></p>{}\
                 <p class=\"meta\">เพิ่มหลักฐานที่ถูกต้องได้ที่รายงานฉบับนั้นด้านล่าง</p>",
                stored.id,
                refusals_th(&refused)
            );
            let form = FormState {
                fields: Vec::new(),
                message: Some(message),
            };
            agency_page_with(&state, &who, id, form, StatusCode::BAD_REQUEST).await
        }
        Err(e) => refused_page(&who, id, e),
    }
}

/// `POST /agency/reports/{id}/evidence` (form, with files).
pub async fn add_evidence_form(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    req: Request,
) -> Response {
    let (issue, report) = match own_report(&state, &who, id).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let form = match read_upload(&state, req).await {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let links = form_links(&form);
    match add_evidence(&state, &who, &headers, &report, form.files, links).await {
        Ok((_, refused)) if refused.is_empty() => {
            Redirect::to(&format!("/agency/issues/{}#report-{id}", issue.id)).into_response()
        }
        Ok((added, refused)) => {
            let message = format!(
                "<p><b>รับหลักฐาน {} รายการ ไม่รับหลักฐานต่อไปนี้</b></p>{}",
                added.len(),
                refusals_th(&refused)
            );
            let form = FormState {
                fields: Vec::new(),
                message: Some(message),
            };
            agency_page_with(&state, &who, issue.id, form, StatusCode::BAD_REQUEST).await
        }
        Err(e) => refused_page(&who, issue.id, e),
    }
}

fn refused_page(who: &Identity, id: i64, e: ApiError) -> Response {
    let back = format!(
        "<a href=\"/agency/issues/{id}\">เปิดประเด็นนี้อีกครั้ง</a> · \
         <a href=\"/agency\">กลับไปที่รายการ</a>"
    );
    crate::html::refused(who, &format!("/agency/issues/{id}"), e, &back)
}

async fn read_upload(state: &AppState, req: Request) -> Result<Upload, ApiError> {
    upload::read(
        req,
        state.evidence.max_file_bytes,
        state.evidence.max_issue_bytes,
    )
    .await
}

// ---------------------------------------------------------------------------------------
// API

/// A report with its evidence and where the evidence stands.
#[derive(Serialize)]
pub struct ReportWithEvidence {
    report: Report,
    evidence: Vec<Evidence>,
    /// The last Bangkok day evidence is on time (`YYYY-MM-DD`).
    evidence_due: String,
    /// No evidence came and the due day has passed (ยังไม่ครบหลักฐาน).
    evidence_incomplete: bool,
}

#[derive(Serialize)]
pub struct Reports {
    /// Latest first.
    reports: Vec<ReportWithEvidence>,
}

pub(crate) fn with_evidence(
    reports: Vec<Report>,
    evidence: &[Evidence],
    now: OffsetDateTime,
) -> Vec<ReportWithEvidence> {
    reports
        .into_iter()
        .map(|report| {
            let items: Vec<Evidence> = evidence
                .iter()
                .filter(|e| e.report_id == Some(report.id))
                .cloned()
                .collect();
            ReportWithEvidence {
                evidence_due: evidence_due(report.at).to_string(),
                evidence_incomplete: evidence_missing(report.at, items.len(), now),
                report,
                evidence: items,
            }
        })
        .collect()
}

/// `GET /api/v1/agency/issues/{id}/reports`.
pub async fn api_reports(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(id): Path<i64>,
) -> Result<Json<Reports>, ApiError> {
    own_issue(&state, &who, id).await?;
    let reports = state.store.issue_reports(id).await?;
    let evidence = state.store.issue_evidence(id).await?;
    Ok(Json(Reports {
        reports: with_evidence(reports, &evidence, OffsetDateTime::now_utc()),
    }))
}

/// `POST /api/v1/agency/issues/{id}/reports` (JSON).
pub async fn api_file_report(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<ReportBody>,
) -> Result<Json<Report>, ApiError> {
    let issue = own_issue(&state, &who, id).await?;
    let report = body
        .into_report(OffsetDateTime::now_utc())
        .map_err(field_error)?;
    Ok(Json(
        state
            .store
            .add_report(id, &issue.agency.name_th, &report, &context(&who, &headers))
            .await?,
    ))
}

#[derive(Serialize)]
pub struct EvidenceAdded {
    evidence: Vec<Evidence>,
}

/// `POST /api/v1/agency/reports/{id}/evidence` (multipart: `files`, `link`): every item is
/// judged on its own; if any is refused the answer is 400 naming each, and the others are
/// kept (the message lists their ids).
pub async fn api_add_evidence(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Json<EvidenceAdded>, ApiError> {
    let (_, report) = own_report(&state, &who, id).await?;
    let form = read_upload(&state, req).await?;
    let mut links: Vec<String> = form.all("link").into_iter().map(str::to_string).collect();
    links.extend(form_links(&form));
    let (added, refused) = add_evidence(&state, &who, &headers, &report, form.files, links).await?;
    if refused.is_empty() {
        return Ok(Json(EvidenceAdded { evidence: added }));
    }
    let named: Vec<String> = refused
        .iter()
        .map(|r| format!("{:?}: {}", r.item, r.reason))
        .collect();
    let kept: Vec<String> = added.iter().map(|e| e.id.to_string()).collect();
    Err(ApiError::BadParameter(format!(
        "evidence refused: {}; kept: [{}]",
        named.join("; "),
        kept.join(", ")
    )))
}

// ---------------------------------------------------------------------------------------
// Downloads

/// `Content-Disposition` of a download: an ASCII name praden makes (`evidence-ID.EXT`, the
/// extension from the sniffed type), and the uploaded name for browsers that read
/// `filename*`, percent-encoded, with the same extension.
fn disposition(e: &Evidence, ext: &str) -> String {
    let shown = display_name(e.file_name.as_deref().unwrap_or(""));
    let stem = shown
        .rsplit_once('.')
        .map_or(shown.as_str(), |(stem, _)| stem);
    let mut encoded = String::new();
    for b in format!("{stem}.{ext}").bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    format!(
        "attachment; filename=\"evidence-{}.{ext}\"; filename*=UTF-8''{encoded}",
        e.id
    )
}

/// `GET /evidence/{id}`: the file, to the agency that sees its issue and to monitors and
/// admins; always an attachment with the sniffed type and `nosniff`.
pub async fn download(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::NotFound(format!("evidence {id} does not exist"));
    let e = state.store.evidence(id).await?.ok_or_else(missing)?;
    if who.role == Role::Agency {
        let issue = crate::review::load_issue(&state, e.issue_id).await?;
        if !sees(&who, &issue) {
            return Err(missing());
        }
    }
    let (Some(sha), Some(media_type)) = (&e.sha256, &e.media_type) else {
        return Err(ApiError::NotFound(format!(
            "evidence {id} is a link, not a file: {}",
            e.link.as_deref().unwrap_or("")
        )));
    };
    let bytes = state
        .evidence
        .get(sha)
        .await
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    let ext = extension_of(media_type);
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    let value =
        |s: &str| HeaderValue::from_str(s).map_err(|err| ApiError::Internal(err.to_string()));
    h.insert(header::CONTENT_TYPE, value(media_type)?);
    h.insert(header::CONTENT_DISPOSITION, value(&disposition(&e, ext))?);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Even opened directly, nothing in it may run or load anything.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_read_as_thai_users_write_them() {
        assert_eq!(parse_time_of_day("10:30"), Time::from_hms(10, 30, 0).ok());
        assert_eq!(
            parse_time_of_day("๑๐.๓๐ น."),
            Time::from_hms(10, 30, 0).ok()
        );
        assert_eq!(parse_time_of_day(" 9.05น. "), Time::from_hms(9, 5, 0).ok());
        assert_eq!(parse_time_of_day("25:00"), None);
        assert_eq!(parse_time_of_day(""), None);
    }

    #[test]
    fn a_report_reads_thai_dates_in_bangkok_time() {
        let body = ReportBody {
            reporter: "ก".into(),
            date: "1 ธ.ค. 69".into(),
            time: "10:30".into(),
            speaker: "ข".into(),
            content: "ค".into(),
            channels: vec![ChannelEntry {
                channel: Channel::Tv,
                link: None,
            }],
        };
        let now = time::macros::datetime!(2026-12-02 00:00 UTC);
        let r = body.into_report(now).unwrap();
        assert_eq!(
            r.clarified_at,
            time::macros::datetime!(2026-12-01 03:30 UTC)
        );
        let bad = ReportBody {
            date: "เมื่อวาน".into(),
            ..ReportBody::default()
        };
        assert_eq!(bad.into_report(now).unwrap_err().field, "date");
    }

    #[test]
    fn download_names_are_made_safe() {
        let e = Evidence {
            id: 7,
            issue_id: 1,
            report_id: Some(1),
            kind: EvidenceKind::Pdf,
            file_name: Some("C:\\เอกสาร\\แถลง\"ข่าว\r\n.html".into()),
            media_type: Some("application/pdf".into()),
            size: 1,
            sha256: Some("a".repeat(64)),
            link: None,
            at: OffsetDateTime::UNIX_EPOCH,
            by: "x".into(),
        };
        let d = disposition(&e, "pdf");
        assert!(
            d.starts_with("attachment; filename=\"evidence-7.pdf\"; filename*=UTF-8''"),
            "{d}"
        );
        assert!(
            d.ends_with(".pdf") && !d.contains('\\') && !d.contains("html"),
            "{d}"
        );
        assert!(!d[10..].contains("\"\r") && !d.contains('\n'), "{d}");
    }
}
