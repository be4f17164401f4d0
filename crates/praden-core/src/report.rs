//! The agencies' clarification reports (IR-Chat) and their evidence: what a report holds, the
//! channels a clarification is published on, what an evidence file is (decided by its bytes,
//! never by its name), and when a report's evidence counts as late. Pure: no IO.

use crate::thai_time::{to_bangkok, SANE_YEARS};
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

/// Where a clarification was published (the IR-Chat form's list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    PressConference,
    PressRelease,
    Website,
    Facebook,
    Line,
    X,
    Tv,
    Radio,
    Other,
}

impl Channel {
    pub const ALL: [Channel; 9] = [
        Self::PressConference,
        Self::PressRelease,
        Self::Website,
        Self::Facebook,
        Self::Line,
        Self::X,
        Self::Tv,
        Self::Radio,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PressConference => "press_conference",
            Self::PressRelease => "press_release",
            Self::Website => "website",
            Self::Facebook => "facebook",
            Self::Line => "line",
            Self::X => "x",
            Self::Tv => "tv",
            Self::Radio => "radio",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// As the agencies' form names it.
    pub fn label_th(self) -> &'static str {
        match self {
            Self::PressConference => "แถลงข่าว",
            Self::PressRelease => "ข่าวประชาสัมพันธ์",
            Self::Website => "เว็บไซต์",
            Self::Facebook => "Facebook",
            Self::Line => "LINE",
            Self::X => "X",
            Self::Tv => "โทรทัศน์",
            Self::Radio => "วิทยุ",
            Self::Other => "อื่น ๆ",
        }
    }
}

/// One channel a clarification went out on, with its link where there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelEntry {
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// What an agency reports: who reports, when the clarification was made and by whom, what it
/// said, and where it was published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewReport {
    pub reporter: String,
    /// When the clarification was made (entered in Bangkok time).
    #[serde(with = "time::serde::rfc3339")]
    pub clarified_at: OffsetDateTime,
    /// Who made the statement.
    pub speaker: String,
    /// Its key content.
    pub content: String,
    pub channels: Vec<ChannelEntry>,
}

/// A report as stored: every report is kept (a correction is a new one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub id: i64,
    pub issue_id: i64,
    /// The agency reporting (the Thai name the issue is assigned to).
    pub agency: String,
    pub reporter: String,
    #[serde(with = "time::serde::rfc3339")]
    pub clarified_at: OffsetDateTime,
    pub speaker: String,
    pub content: String,
    pub channels: Vec<ChannelEntry>,
    /// When praden recorded it.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The praden user who filed it.
    pub by: String,
}

/// A field of a report or of evidence that cannot be taken, and why — in Thai for the page,
/// in English for the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// The form field (and JSON field) it is about.
    pub field: String,
    pub reason: String,
    pub reason_th: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>, th: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
            reason_th: th.into(),
        }
    }
}

/// The longest text field praden keeps (a key-content summary, not the whole statement).
pub const MAX_TEXT_CHARS: usize = 10_000;
/// The longest link.
pub const MAX_LINK_CHARS: usize = 2_000;

impl NewReport {
    /// Trims the texts and checks every field; the first field that fails is named.
    pub fn validated(mut self, now: OffsetDateTime) -> Result<Self, FieldError> {
        for (field, th, value) in [
            ("reporter", "ชื่อผู้รายงาน", &mut self.reporter),
            ("speaker", "ผู้ให้ข่าวหรือผู้ชี้แจง", &mut self.speaker),
            ("content", "สาระสำคัญของการชี้แจง", &mut self.content),
        ] {
            *value = value.trim().to_string();
            if value.is_empty() {
                return Err(FieldError::new(field, "is empty", format!("กรุณากรอก{th}")));
            }
            if value.chars().count() > MAX_TEXT_CHARS {
                return Err(FieldError::new(
                    field,
                    format!("is longer than {MAX_TEXT_CHARS} characters"),
                    format!("{th}ยาวเกิน {MAX_TEXT_CHARS} ตัวอักษร"),
                ));
            }
        }
        if !SANE_YEARS.contains(&self.clarified_at.year()) {
            return Err(FieldError::new(
                "date",
                "the year is out of range",
                "ปีของวันที่ชี้แจงไม่ถูกต้อง",
            ));
        }
        // A clock a little ahead on the agency's side is not a mistake; a day ahead is.
        if self.clarified_at > now + Duration::hours(1) {
            return Err(FieldError::new(
                "date",
                "the clarification cannot be in the future",
                "วันและเวลาที่ชี้แจงต้องไม่เป็นเวลาในอนาคต",
            ));
        }
        if self.channels.is_empty() {
            return Err(FieldError::new(
                "channels",
                "name at least one channel the clarification was published on",
                "กรุณาเลือกช่องทางที่เผยแพร่การชี้แจงอย่างน้อยหนึ่งช่องทาง",
            ));
        }
        let mut seen = Vec::new();
        for entry in &mut self.channels {
            if seen.contains(&entry.channel) {
                return Err(FieldError::new(
                    "channels",
                    format!("{} is given twice", entry.channel.as_str()),
                    format!("ช่องทาง {} ซ้ำกัน", entry.channel.label_th()),
                ));
            }
            seen.push(entry.channel);
            entry.link = match entry.link.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(link) => Some(check_link(link).map_err(|(en, th)| {
                    FieldError::new(
                        format!("link_{}", entry.channel.as_str()),
                        en,
                        format!("ลิงก์ของช่องทาง {}: {th}", entry.channel.label_th()),
                    )
                })?),
            };
        }
        Ok(self)
    }
}

/// `link` if it is an absolute http or https URL (nothing a browser would run, such as
/// `javascript:`); else why not, in English and Thai.
pub fn check_link(link: &str) -> Result<String, (String, String)> {
    let link = link.trim();
    if link.chars().count() > MAX_LINK_CHARS {
        return Err((
            format!("is longer than {MAX_LINK_CHARS} characters"),
            format!("ยาวเกิน {MAX_LINK_CHARS} ตัวอักษร"),
        ));
    }
    match url::Url::parse(link) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u.into()),
        Ok(_) => Err((
            "must be an http:// or https:// link".into(),
            "ต้องเป็นลิงก์ที่ขึ้นต้นด้วย http:// หรือ https://".into(),
        )),
        Err(_) => Err((
            format!("“{link}” is not a link"),
            format!("“{link}” ไม่ใช่ลิงก์ที่ถูกต้อง"),
        )),
    }
}

/// What an evidence item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Photo,
    Pdf,
    Clip,
    /// A link to where the evidence is published (no file).
    Link,
}

impl EvidenceKind {
    pub const ALL: [EvidenceKind; 4] = [Self::Photo, Self::Pdf, Self::Clip, Self::Link];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::Pdf => "pdf",
            Self::Clip => "clip",
            Self::Link => "link",
        }
    }

    pub fn label_th(self) -> &'static str {
        match self {
            Self::Photo => "ภาพถ่าย",
            Self::Pdf => "PDF",
            Self::Clip => "คลิปวิดีโอ",
            Self::Link => "ลิงก์",
        }
    }
}

/// A file type praden takes as evidence, as its bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub kind: EvidenceKind,
    pub media_type: &'static str,
    /// The extension a download is named with.
    pub extension: &'static str,
}

/// The evidence type of `bytes` by their signature (magic bytes), or `None`: JPEG, PNG, WebP,
/// PDF, MP4 (ISO base media, `ftyp` at offset 4) and WebM (EBML). The name a file came with
/// and the type the browser claimed are never asked: an HTML page named `x.pdf` is refused
/// here, so nothing praden serves can be read as a page.
pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    let is = |kind, media_type, extension| {
        Some(Sniffed {
            kind,
            media_type,
            extension,
        })
    };
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        is(EvidenceKind::Photo, "image/jpeg", "jpg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        is(EvidenceKind::Photo, "image/png", "png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        is(EvidenceKind::Photo, "image/webp", "webp")
    } else if bytes.starts_with(b"%PDF-") {
        is(EvidenceKind::Pdf, "application/pdf", "pdf")
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        is(EvidenceKind::Clip, "video/mp4", "mp4")
    } else if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        is(EvidenceKind::Clip, "video/webm", "webm")
    } else {
        None
    }
}

/// The extension of a stored media type (downloads are named by it, not by the upload).
pub fn extension_of(media_type: &str) -> &'static str {
    match media_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "application/pdf" => "pdf",
        "video/mp4" => "mp4",
        "video/webm" => "webm",
        _ => "bin",
    }
}

/// One evidence item: a stored file (by its SHA-256) or a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub id: i64,
    pub issue_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_id: Option<i64>,
    pub kind: EvidenceKind,
    /// The name the file was uploaded with: shown, never trusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// As sniffed from the bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

/// An evidence item to record: its file's digest and sniffed type (the bytes are already in
/// the object store), or a link.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvidence {
    pub issue_id: i64,
    pub report_id: Option<i64>,
    pub kind: EvidenceKind,
    pub file_name: Option<String>,
    pub media_type: Option<String>,
    pub size: i64,
    pub sha256: Option<String>,
    pub link: Option<String>,
}

/// Evidence is due within this many Bangkok days of the report (IR-Chat: "within 2 days").
pub const EVIDENCE_DAYS: i64 = 2;

/// The last Bangkok day evidence for a report filed at `reported_at` is on time: the day of
/// the report plus [`EVIDENCE_DAYS`] (a report on Monday at any hour has until the end of
/// Wednesday, Bangkok time).
pub fn evidence_due(reported_at: OffsetDateTime) -> Date {
    to_bangkok(reported_at).date() + Duration::days(EVIDENCE_DAYS)
}

/// Whether a report filed at `reported_at` with `items` evidence items is incomplete at
/// `now`: its due day has passed (in Bangkok) and no evidence — a file or a link — came.
pub fn evidence_missing(reported_at: OffsetDateTime, items: usize, now: OffsetDateTime) -> bool {
    items == 0 && to_bangkok(now).date() > evidence_due(reported_at)
}

/// Whether a clarification answered the issue completely and to the point, as a monitor
/// judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Completeness {
    Yes,
    Partly,
    No,
}

impl Completeness {
    pub const ALL: [Completeness; 3] = [Self::Yes, Self::Partly, Self::No];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::Partly => "partly",
            Self::No => "no",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    pub fn label_th(self) -> &'static str {
        match self {
            Self::Yes => "ครบถ้วนตรงประเด็น",
            Self::Partly => "ตอบบางส่วน",
            Self::No => "ไม่ตรงประเด็น",
        }
    }
}

/// What praden measures of a report for its assessment (the working group's criteria: within
/// the deadline, on more than one channel, evidence within 2 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFacts {
    /// The clarification was made on or before the issue's due day (Bangkok days).
    pub in_time: bool,
    /// Distinct channels it was published on.
    pub channels: u32,
    /// Evidence came by its due day (`Some(true)`), came late or not at all once that day
    /// passed (`Some(false)`), or may still come (`None`).
    pub evidence_on_time: Option<bool>,
}

impl ReportFacts {
    pub fn multi_channel(&self) -> bool {
        self.channels > 1
    }
}

/// The facts of `report` on an issue due on `due_date`, with the issue's `evidence`, at `now`.
/// Evidence counts for the report when it is attached to it, or to no report in particular.
pub fn report_facts(
    report: &Report,
    due_date: Date,
    evidence: &[Evidence],
    now: OffsetDateTime,
) -> ReportFacts {
    let mut channels: Vec<Channel> = report.channels.iter().map(|c| c.channel).collect();
    channels.sort_by_key(|c| c.as_str());
    channels.dedup();
    let due = evidence_due(report.at);
    let first = evidence
        .iter()
        .filter(|e| e.report_id.is_none_or(|r| r == report.id))
        .map(|e| e.at)
        .min();
    let evidence_on_time = match first {
        Some(at) => Some(to_bangkok(at).date() <= due),
        None if to_bangkok(now).date() > due => Some(false),
        None => None,
    };
    ReportFacts {
        in_time: to_bangkok(report.clarified_at).date() <= due_date,
        channels: channels.len() as u32,
        evidence_on_time,
    }
}

/// A monitor's assessment of a report: the facts as they stood, and the judgement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub id: i64,
    pub report_id: i64,
    pub issue_id: i64,
    #[serde(flatten)]
    pub facts: ReportFacts,
    pub completeness: Completeness,
    /// Why, in the monitor's words (required unless complete).
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn types_come_from_the_bytes_not_the_name() {
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10])
                .unwrap()
                .media_type,
            "image/jpeg"
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap().media_type,
            "image/png"
        );
        assert_eq!(
            sniff(b"RIFF\x24\0\0\0WEBPVP8 ").unwrap().media_type,
            "image/webp"
        );
        assert_eq!(sniff(b"%PDF-1.4\n").unwrap().kind, EvidenceKind::Pdf);
        assert_eq!(
            sniff(b"\0\0\0\x18ftypmp42\0\0").unwrap().media_type,
            "video/mp4"
        );
        assert_eq!(
            sniff(&[0x1A, 0x45, 0xDF, 0xA3, 1]).unwrap().media_type,
            "video/webm"
        );
        for refused in [
            &b"<!DOCTYPE html><html><script>alert(1)</script>"[..],
            b"%PD",
            b"RIFF\0\0\0\0WAVE",
            b"",
            b"GIF89a",
        ] {
            assert_eq!(sniff(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn links_are_http_or_https_only() {
        assert!(check_link("https://www.thaigov.go.th/news/1").is_ok());
        assert!(check_link(" http://a.test/x ").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://a.test/x",
            "www.a.test",
            "data:text/html,x",
        ] {
            assert!(check_link(bad).is_err(), "{bad}");
        }
    }

    fn report() -> NewReport {
        NewReport {
            reporter: " สมศรี ".into(),
            clarified_at: datetime!(2026-12-01 03:00 UTC),
            speaker: "โฆษกกระทรวง".into(),
            content: "ยืนยันว่าไม่เป็นความจริง".into(),
            channels: vec![ChannelEntry {
                channel: Channel::Website,
                link: Some("https://moc.go.th/news/1".into()),
            }],
        }
    }

    #[test]
    fn a_report_names_the_field_that_fails() {
        let now = datetime!(2026-12-02 00:00 UTC);
        assert_eq!(report().validated(now).unwrap().reporter, "สมศรี");
        let mut r = report();
        r.speaker = "  ".into();
        assert_eq!(r.validated(now).unwrap_err().field, "speaker");
        let mut r = report();
        r.channels.clear();
        assert_eq!(r.validated(now).unwrap_err().field, "channels");
        let mut r = report();
        r.channels[0].link = Some("javascript:alert(1)".into());
        let e = r.validated(now).unwrap_err();
        assert_eq!(e.field, "link_website");
        assert!(e.reason_th.contains("http"), "{e:?}");
        let mut r = report();
        r.clarified_at = now + Duration::days(1);
        assert_eq!(r.validated(now).unwrap_err().field, "date");
    }

    #[test]
    fn evidence_is_late_after_two_bangkok_days() {
        // 23:30 Bangkok on 1 December: due by the end of 3 December, Bangkok.
        let at = datetime!(2026-12-01 16:30 UTC);
        assert_eq!(evidence_due(at), time::macros::date!(2026 - 12 - 03));
        assert!(!evidence_missing(at, 0, datetime!(2026-12-03 16:59 UTC)));
        assert!(evidence_missing(at, 0, datetime!(2026-12-03 17:00 UTC)));
        assert!(!evidence_missing(at, 1, datetime!(2026-12-09 00:00 UTC)));
    }

    #[test]
    fn a_report_is_measured_against_its_due_day_its_channels_and_its_evidence() {
        use time::macros::{date, datetime};
        let report = Report {
            id: 3,
            issue_id: 7,
            agency: "กรมการค้าภายใน".into(),
            reporter: "พิมพ์ใจ".into(),
            clarified_at: datetime!(2026-11-24 23:30 +7),
            speaker: "อธิบดี".into(),
            content: "ชี้แจงราคาไข่".into(),
            channels: vec![
                ChannelEntry {
                    channel: Channel::PressConference,
                    link: None,
                },
                ChannelEntry {
                    channel: Channel::Website,
                    link: Some("https://dit.go.th/1".into()),
                },
                ChannelEntry {
                    channel: Channel::Website,
                    link: Some("https://dit.go.th/2".into()),
                },
            ],
            at: datetime!(2026-11-25 09:00 +7),
            by: "dit".into(),
        };
        let photo = |at: OffsetDateTime, report_id: Option<i64>| Evidence {
            id: 1,
            issue_id: 7,
            report_id,
            kind: EvidenceKind::Photo,
            file_name: None,
            media_type: Some("image/png".into()),
            size: 10,
            sha256: Some("ab".into()),
            link: None,
            at,
            by: "dit".into(),
        };
        let now = datetime!(2026-11-26 12:00 +7);
        let f = report_facts(&report, date!(2026 - 11 - 24), &[], now);
        // 23:30 Bangkok on the due day is in time, though it is the 24th 16:30 UTC.
        assert!(f.in_time);
        assert_eq!(f.channels, 2, "the website twice counts once");
        assert!(f.multi_channel());
        assert_eq!(f.evidence_on_time, None, "evidence may come until the 27th");
        assert!(!report_facts(&report, date!(2026 - 11 - 23), &[], now).in_time);
        let late = datetime!(2026-11-28 00:10 +7);
        assert_eq!(
            report_facts(&report, date!(2026 - 11 - 24), &[], late).evidence_on_time,
            Some(false)
        );
        let on_time = [photo(datetime!(2026-11-27 23:00 +7), None)];
        assert_eq!(
            report_facts(&report, date!(2026 - 11 - 24), &on_time, late).evidence_on_time,
            Some(true)
        );
        // Evidence filed with another report does not count for this one.
        let other = [photo(datetime!(2026-11-26 10:00 +7), Some(4))];
        assert_eq!(
            report_facts(&report, date!(2026 - 11 - 24), &other, late).evidence_on_time,
            Some(false)
        );
    }
}
