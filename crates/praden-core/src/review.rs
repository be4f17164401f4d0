//! The review queue's records: candidates proposed by detection, the issues monitors approve
//! from them, and the events the downstream assignment system follows.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::{Date, OffsetDateTime};

/// The working group's six criteria (domain.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// ประเด็นสถานการณ์ปัจจุบัน
    CurrentSituation,
    /// ประเด็นข่าวที่สื่อมวลชนให้ความสนใจตามระดับ
    MediaAttention,
    /// นโยบายสำคัญของรัฐบาล
    GovernmentPolicy,
    /// มติคณะรัฐมนตรีที่นายกรัฐมนตรีให้ความสำคัญ
    CabinetResolution,
    /// ประเด็นข่าวที่ส่งผลกระทบต่อประชาชนในวงกว้าง
    WidePublicImpact,
    /// ประเด็นข่าวที่สาธารณชนให้ความสนใจ
    PublicInterest,
}

impl Criterion {
    pub const ALL: [Criterion; 6] = [
        Self::CurrentSituation,
        Self::MediaAttention,
        Self::GovernmentPolicy,
        Self::CabinetResolution,
        Self::WidePublicImpact,
        Self::PublicInterest,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::CurrentSituation => "current_situation",
            Self::MediaAttention => "media_attention",
            Self::GovernmentPolicy => "government_policy",
            Self::CabinetResolution => "cabinet_resolution",
            Self::WidePublicImpact => "wide_public_impact",
            Self::PublicInterest => "public_interest",
        }
    }

    /// The working group's own short Thai name, as shown on badges and in the brief.
    pub fn label_th(self) -> &'static str {
        match self {
            Self::CurrentSituation => "สถานการณ์ปัจจุบัน",
            Self::MediaAttention => "สื่อให้ความสนใจ",
            Self::GovernmentPolicy => "นโยบายสำคัญของรัฐบาล",
            Self::CabinetResolution => "มติคณะรัฐมนตรี",
            Self::WidePublicImpact => "ผลกระทบต่อประชาชนในวงกว้าง",
            Self::PublicInterest => "สาธารณชนให้ความสนใจ",
        }
    }
}

/// One criterion's score with the terms, documents and figures behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionRecord {
    pub criterion: Criterion,
    pub score: f64,
    pub evidence: Vec<String>,
}

/// An agency as the review queue and its consumers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyRef {
    pub name_th: String,
    /// Empty when the agency has no established abbreviation.
    pub abbr: String,
    /// Abbreviation of the ministry-level unit (its own for a ministry).
    pub ministry_abbr: String,
    /// Thai name of that ministry-level unit.
    pub ministry_th: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgencyProposal {
    pub agency: AgencyRef,
    pub score: f64,
    pub reasons: Vec<String>,
}

/// Documents by kind; near-duplicates count once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCounts {
    pub news: i64,
    pub social: i64,
    pub broadcast: i64,
    pub official: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CandidateStatus {
    Pending,
    Approved,
    Rejected,
    /// Folded into another candidate (`merged_into`).
    Merged,
    /// Out of the queue until `snoozed_until`.
    Snoozed,
}

impl CandidateStatus {
    pub const ALL: [CandidateStatus; 5] = [
        Self::Pending,
        Self::Approved,
        Self::Rejected,
        Self::Merged,
        Self::Snoozed,
    ];

    /// Where a monitor's decisions on a candidate start from — approving, rejecting, snoozing
    /// (again) and merging it into another: the candidate is still undecided.
    pub const DECIDABLE: &'static [CandidateStatus] = &[Self::Pending, Self::Snoozed];

    /// What a candidate may be merged into: an undecided candidate, or an approved one (the
    /// merged candidate duplicates a decided issue).
    pub const MERGE_TARGETS: &'static [CandidateStatus] =
        &[Self::Pending, Self::Snoozed, Self::Approved];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Merged => "merged",
            Self::Snoozed => "snoozed",
        }
    }

    pub fn label_th(self) -> &'static str {
        match self {
            Self::Pending => "รอพิจารณา",
            Self::Approved => "อนุมัติแล้ว",
            Self::Rejected => "ไม่รับ",
            Self::Merged => "รวมกับประเด็นอื่น",
            Self::Snoozed => "พักไว้",
        }
    }
}

impl fmt::Display for CandidateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown status {0:?} (expected one of: pending, approved, rejected, merged, snoozed)")]
pub struct UnknownStatus(pub String);

impl FromStr for CandidateStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// What detection proposes about a story, as detection last saw it. Written by the detector,
/// never by monitors: their decisions live in `status` and, once approved, in an [`Issue`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub title: String,
    pub summary: String,
    /// Weighted overall score in [0, 1]: the queue's ranking.
    pub score: f64,
    pub criteria: Vec<CriterionRecord>,
    /// Evidence of possibly inaccurate or misleading coverage.
    pub misleading: Option<Vec<String>>,
    /// Best first.
    pub agencies: Vec<AgencyProposal>,
    pub deadline_days: u32,
    pub deadline_rule: String,
    pub outlets: Vec<String>,
    pub links: Vec<String>,
    pub counts: KindCounts,
    /// Distinct articles (near-duplicates once).
    pub articles: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    /// Why detection took the story for a public matter (Thai); absent in proposals made
    /// before detection said so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_matter: Option<String>,
}

/// A candidate in the review queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: i64,
    /// Bumped by every change; a decision names the version it was made on (optimistic lock).
    pub version: i64,
    pub status: CandidateStatus,
    #[serde(flatten)]
    pub proposal: Proposal,
    /// Set when a rejected story came back because it grew: says what changed.
    pub development: Option<String>,
    pub reject_reason: Option<String>,
    pub merged_into: Option<i64>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub snoozed_until: Option<OffsetDateTime>,
    /// The approved issue, once there is one.
    pub issue_id: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueStatus {
    Approved,
    Withdrawn,
}

impl IssueStatus {
    pub const ALL: [IssueStatus; 2] = [Self::Approved, Self::Withdrawn];

    /// Where edits and withdrawals of an issue start from: a withdrawn issue is final.
    pub const CHANGEABLE: &'static [IssueStatus] = &[Self::Approved];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Withdrawn => "withdrawn",
        }
    }
}

/// An issue the working group decided must be clarified: what the assignment system acts on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub id: i64,
    pub candidate_id: i64,
    pub version: i64,
    pub status: IssueStatus,
    pub title: String,
    pub agency: AgencyRef,
    pub deadline_days: u32,
    /// The Bangkok calendar day by which the agency must clarify (`YYYY-MM-DD`).
    #[serde(with = "iso_date")]
    pub due_date: Date,
    /// ที่มา: where the issue came from, as the monitor wrote it.
    pub source: String,
    pub criteria: Vec<CriterionRecord>,
    pub links: Vec<String>,
    pub approved_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub approved_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueEventKind {
    Approved,
    Edited,
    Withdrawn,
    /// The responsible agency took the issue on (the event's `response` says who).
    Acknowledged,
    /// The agency answered that the issue is not theirs (with the reason); monitors reassign.
    Declined,
    /// The agency reported its clarification (the event's `report` is the report).
    Reported,
    /// A monitor assessed a report (the event's `assessment`).
    Assessed,
}

impl IssueEventKind {
    pub const ALL: [IssueEventKind; 7] = [
        Self::Approved,
        Self::Edited,
        Self::Withdrawn,
        Self::Acknowledged,
        Self::Declined,
        Self::Reported,
        Self::Assessed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Edited => "edited",
            Self::Withdrawn => "withdrawn",
            Self::Acknowledged => "acknowledged",
            Self::Declined => "declined",
            Self::Reported => "reported",
            Self::Assessed => "assessed",
        }
    }
}

/// How an agency answered an issue assigned to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseKind {
    /// Taken on by `person`, `position`.
    Acknowledged,
    /// Not this agency's, for `reason`.
    Declined,
}

impl ResponseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledged => "acknowledged",
            Self::Declined => "declined",
        }
    }

    pub fn event(self) -> IssueEventKind {
        match self {
            Self::Acknowledged => IssueEventKind::Acknowledged,
            Self::Declined => IssueEventKind::Declined,
        }
    }
}

/// An agency's answer to an issue: who takes it on, or why it is not theirs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueResponse {
    pub kind: ResponseKind,
    /// The agency answering (the Thai name the issue was assigned to).
    pub agency: String,
    /// The person who takes the issue on, or who declines it.
    pub person: String,
    pub position: String,
    /// Why the issue is not the agency's (declined only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The praden user who answered.
    pub by: String,
}

/// One entry of the approved-issues feed. `seq` orders all events totally and is the event's
/// stable id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueEvent {
    pub seq: i64,
    pub kind: IssueEventKind,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The issue as it was right after this event.
    pub issue: Issue,
    /// The agency's answer, on `acknowledged` and `declined` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<IssueResponse>,
    /// The agency's clarification report, on `reported` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<crate::report::Report>,
    /// A monitor's assessment of a report, on `assessed` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<crate::report::Assessment>,
}

/// `YYYY-MM-DD`, which consumers read without knowing the `time` crate's own encoding.
mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::format_description::well_known::Iso8601;
    use time::Date;

    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        let text = d.format(FORMAT).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text, FORMAT)
            .or_else(|_| Date::parse(&text, &Iso8601::DEFAULT))
            .map_err(serde::de::Error::custom)
    }
}
