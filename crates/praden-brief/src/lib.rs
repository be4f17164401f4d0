//! The 09:30 ID-Chat brief and the official assignment message (IA-Chat).
//!
//! Pure: [`build`] turns what the review queue holds (the issues approved since the previous
//! brief, the top pending candidates, their coverage and figures) into a [`Brief`], and the
//! renderers turn a brief into LINE messages ([`line_messages`]), Markdown ([`markdown`]), an
//! HTML fragment ([`html_fragment`]) or JSON (serde). [`assignment_message`] writes the
//! official assignment message. No IO: the binary gathers the inputs and stores the outputs.

mod assignment;
mod html;
mod markdown;
mod summary;
mod text;

pub use assignment::{
    agency_message, assignment_lines, assignment_message, reminder_message, AgencyMessage,
    AssignmentContent, AssignmentLine, AssignmentSettings, ReminderItem,
};
pub use html::html_fragment;
pub use markdown::markdown;
pub use summary::{summarize, SUMMARY_MAX_CHARS};
pub use text::{line_messages, plain_text, LINE_MAX_CHARS};

use praden_core::review::{
    AgencyRef, Candidate, Criterion, CriterionRecord, Issue, KindCounts, Proposal,
};
use praden_core::SourceKind;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// Bumped when the stored JSON changes shape, so old briefs stay readable.
pub const FORMAT_VERSION: u32 = 1;

/// A criterion counts as fired from this score (the same bar as the queue's badges).
pub const CRITERION_FIRED: f64 = 0.5;

/// Source links shown per item.
pub const MAX_LINKS: usize = 3;

/// A title longer than this is cut: it keeps every item far below one LINE message.
pub const TITLE_MAX_CHARS: usize = 300;

/// One document of an item's coverage, as much as the brief needs of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageDoc {
    pub title: String,
    /// The start of the body is enough: the summary reads lead sentences only.
    pub body: String,
    pub outlet: String,
    pub url: Option<String>,
    pub kind: SourceKind,
    pub published_at: Option<OffsetDateTime>,
}

/// What an item's coverage looks like beyond the proposal: its documents (oldest first) and
/// the social engagement they gathered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coverage {
    pub documents: Vec<CoverageDoc>,
    /// Likes + shares + comments of the item's social posts, at their latest observation.
    pub social_engagement: i64,
}

/// An issue approved since the previous brief, with the candidate it came from.
#[derive(Debug, Clone)]
pub struct ApprovedInput {
    pub issue: Issue,
    /// The candidate's current proposal (figures, summary); `None` only if it is gone.
    pub proposal: Option<Proposal>,
    pub coverage: Coverage,
}

/// A pending candidate of the queue.
#[derive(Debug, Clone)]
pub struct PendingInput {
    pub candidate: Candidate,
    pub coverage: Coverage,
}

/// Everything a brief is built from.
#[derive(Debug, Clone)]
pub struct BriefInput {
    /// The Bangkok day the brief is for.
    pub slot: Date,
    /// When the brief was due (09:30 Bangkok on `slot` by default).
    pub scheduled_for: OffsetDateTime,
    pub generated_at: OffsetDateTime,
    pub late: bool,
    /// The previous brief's generation time (or a day before `scheduled_for`).
    pub covers_from: OffsetDateTime,
    pub covers_until: OffsetDateTime,
    pub approved: Vec<ApprovedInput>,
    /// The top pending candidates, as many as the brief shows.
    pub pending: Vec<PendingInput>,
    /// How many candidates are pending in all.
    pub pending_total: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// An approved issue: agency and deadline are decided.
    Approved,
    /// A candidate still in the queue: agency and deadline are detection's suggestion.
    Pending,
}

/// Media attention behind an item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Distinct articles (near-duplicates once).
    pub articles: i64,
    pub outlets: i64,
    pub news: i64,
    pub official: i64,
    /// Broadcast (TV and radio) mentions.
    pub broadcast: i64,
    pub social_posts: i64,
    /// Likes + shares + comments of the social posts.
    pub social_engagement: i64,
}

/// One issue or candidate in the brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BriefItem {
    /// 1-based, within its section.
    pub rank: u32,
    pub status: ItemStatus,
    pub issue_id: Option<i64>,
    pub candidate_id: i64,
    pub title: String,
    pub summary: String,
    /// The criteria that fired, strongest first.
    pub criteria: Vec<Criterion>,
    /// Coverage may be inaccurate or misleading and needs a correction.
    pub misleading: bool,
    pub figures: Figures,
    /// The responsible agency: assigned for approved issues, suggested for candidates.
    pub agency: Option<AgencyRef>,
    pub deadline_days: u32,
    /// The day the clarification is due; only approved issues have one.
    #[serde(with = "iso_date::option")]
    pub due_date: Option<Date>,
    /// ที่มา, as the monitor wrote it (approved issues).
    pub source: Option<String>,
    pub links: Vec<String>,
    /// Detection's overall score, the ranking.
    pub score: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BriefCounts {
    pub approved: i64,
    /// Pending candidates shown in the brief.
    pub pending_shown: i64,
    /// Pending candidates in the whole queue.
    pub pending_total: i64,
}

/// A brief as published: what every rendering is made from, and what the store keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Brief {
    pub format_version: u32,
    #[serde(with = "iso_date")]
    pub slot: Date,
    #[serde(with = "time::serde::rfc3339")]
    pub scheduled_for: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    pub late: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub covers_from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub covers_until: OffsetDateTime,
    pub counts: BriefCounts,
    pub approved: Vec<BriefItem>,
    pub pending: Vec<BriefItem>,
}

/// Builds the brief: approved issues strongest first (then in order of approval), pending
/// candidates in queue order (score), each with its summary, fired criteria, figures, agency,
/// deadline and top links.
pub fn build(input: &BriefInput) -> Brief {
    let mut approved: Vec<&ApprovedInput> = input.approved.iter().collect();
    approved.sort_by(|a, b| {
        let score = |x: &ApprovedInput| x.proposal.as_ref().map_or(0.0, |p| p.score);
        score(b)
            .total_cmp(&score(a))
            .then(a.issue.approved_at.cmp(&b.issue.approved_at))
            .then(a.issue.id.cmp(&b.issue.id))
    });
    let approved: Vec<BriefItem> = approved
        .into_iter()
        .enumerate()
        .map(|(i, a)| approved_item(rank(i), a))
        .collect();
    let pending: Vec<BriefItem> = input
        .pending
        .iter()
        .enumerate()
        .map(|(i, p)| pending_item(rank(i), p))
        .collect();
    Brief {
        format_version: FORMAT_VERSION,
        slot: input.slot,
        scheduled_for: input.scheduled_for,
        generated_at: input.generated_at,
        late: input.late,
        covers_from: input.covers_from,
        covers_until: input.covers_until,
        counts: BriefCounts {
            approved: approved.len() as i64,
            pending_shown: pending.len() as i64,
            pending_total: input.pending_total.max(pending.len() as i64),
        },
        approved,
        pending,
    }
}

fn rank(i: usize) -> u32 {
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

fn approved_item(rank: u32, a: &ApprovedInput) -> BriefItem {
    let issue = &a.issue;
    let criteria = match &a.proposal {
        Some(p) => &p.criteria,
        None => &issue.criteria,
    };
    let lead = a.proposal.as_ref().map_or("", |p| p.summary.as_str());
    let fallback_links = a.proposal.as_ref().map_or(&issue.links, |p| &p.links);
    BriefItem {
        rank,
        status: ItemStatus::Approved,
        issue_id: Some(issue.id),
        candidate_id: issue.candidate_id,
        title: cut(&issue.title, TITLE_MAX_CHARS),
        summary: summarize(&issue.title, lead, &a.coverage.documents),
        criteria: fired(criteria),
        misleading: a.proposal.as_ref().is_some_and(|p| p.misleading.is_some()),
        figures: figures(a.proposal.as_ref(), &a.coverage),
        agency: Some(issue.agency.clone()),
        deadline_days: issue.deadline_days,
        due_date: Some(issue.due_date),
        source: Some(issue.source.clone()).filter(|s| !s.trim().is_empty()),
        links: top_links(&a.coverage.documents, fallback_links),
        score: a.proposal.as_ref().map_or(0.0, |p| p.score),
    }
}

fn pending_item(rank: u32, p: &PendingInput) -> BriefItem {
    let proposal = &p.candidate.proposal;
    BriefItem {
        rank,
        status: ItemStatus::Pending,
        issue_id: None,
        candidate_id: p.candidate.id,
        title: cut(&proposal.title, TITLE_MAX_CHARS),
        summary: summarize(&proposal.title, &proposal.summary, &p.coverage.documents),
        criteria: fired(&proposal.criteria),
        misleading: proposal.misleading.is_some(),
        figures: figures(Some(proposal), &p.coverage),
        agency: proposal.agencies.first().map(|a| a.agency.clone()),
        deadline_days: proposal.deadline_days,
        due_date: None,
        source: None,
        links: top_links(&p.coverage.documents, &proposal.links),
        score: proposal.score,
    }
}

/// The criteria at or above [`CRITERION_FIRED`], strongest first (ties in the working
/// group's order).
fn fired(records: &[CriterionRecord]) -> Vec<Criterion> {
    let mut fired: Vec<&CriterionRecord> = records
        .iter()
        .filter(|r| r.score >= CRITERION_FIRED)
        .collect();
    fired.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.criterion.cmp(&b.criterion))
    });
    let mut out: Vec<Criterion> = Vec::new();
    for r in fired {
        if !out.contains(&r.criterion) {
            out.push(r.criterion);
        }
    }
    out
}

fn figures(proposal: Option<&Proposal>, coverage: &Coverage) -> Figures {
    let counts = proposal.map_or(KindCounts::default(), |p| p.counts);
    let (articles, outlets) = match proposal {
        Some(p) => (p.articles, p.outlets.len() as i64),
        None => {
            let mut outlets: Vec<&str> = coverage
                .documents
                .iter()
                .map(|d| d.outlet.as_str())
                .collect();
            outlets.sort_unstable();
            outlets.dedup();
            (coverage.documents.len() as i64, outlets.len() as i64)
        }
    };
    Figures {
        articles,
        outlets,
        news: counts.news,
        official: counts.official,
        broadcast: counts.broadcast,
        social_posts: counts.social,
        social_engagement: coverage.social_engagement,
    }
}

/// Up to [`MAX_LINKS`] links, one per outlet, in the order the coverage appeared (who broke
/// the story first); news and official pages before social posts and transcripts, which
/// readers of a brief open less. Falls back to detection's links when no document has one.
fn top_links(docs: &[CoverageDoc], fallback: &[String]) -> Vec<String> {
    let mut ordered: Vec<&CoverageDoc> = docs.iter().filter(|d| d.url.is_some()).collect();
    // Stable: keeps the oldest-first order within each group.
    ordered.sort_by_key(|d| match d.kind {
        SourceKind::News | SourceKind::Official => 0,
        SourceKind::Broadcast => 1,
        SourceKind::Social => 2,
    });
    let mut outlets: Vec<&str> = Vec::new();
    let mut links: Vec<String> = Vec::new();
    for d in ordered {
        if links.len() == MAX_LINKS {
            break;
        }
        let url = d.url.as_deref().unwrap_or_default();
        if outlets.contains(&d.outlet.as_str()) || links.iter().any(|l| l == url) {
            continue;
        }
        outlets.push(&d.outlet);
        links.push(url.to_string());
    }
    if links.is_empty() {
        links = fallback.iter().take(MAX_LINKS).cloned().collect();
    }
    links
}

/// `s` cut to `max` characters at a space where possible, with an ellipsis.
pub(crate) fn cut(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max.saturating_sub(1)).collect();
    let head = match head.rfind(' ') {
        Some(i) if i > head.len() / 2 => &head[..i],
        _ => head.as_str(),
    };
    format!("{}…", head.trim_end())
}

/// `YYYY-MM-DD`, as the other JSON of praden writes dates.
pub(crate) mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.format(FORMAT).map_err(serde::ser::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text, FORMAT).map_err(serde::de::Error::custom)
    }

    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};
        use time::Date;

        pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => super::serialize(d, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
            let text: Option<String> = Option::deserialize(d)?;
            text.map(|t| Date::parse(&t, super::FORMAT).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

/// Thai words for the renderers.
pub(crate) mod words {
    use praden_core::thai_time::{
        format_thai_date_long, format_thai_date_short, to_bangkok, THAI_MONTHS,
    };
    use time::{Date, OffsetDateTime, Weekday};

    pub fn weekday(d: Date) -> &'static str {
        match d.weekday() {
            Weekday::Monday => "วันจันทร์",
            Weekday::Tuesday => "วันอังคาร",
            Weekday::Wednesday => "วันพุธ",
            Weekday::Thursday => "วันพฤหัสบดี",
            Weekday::Friday => "วันศุกร์",
            Weekday::Saturday => "วันเสาร์",
            Weekday::Sunday => "วันอาทิตย์",
        }
    }

    /// `วันจันทร์ที่ 23 พฤศจิกายน 2569`.
    pub fn day_long(d: Date) -> String {
        debug_assert_eq!(THAI_MONTHS.len(), 12);
        format!("{}ที่ {}", weekday(d), format_thai_date_long(d, false))
    }

    /// `09:30 น.` in Bangkok time.
    pub fn clock(t: OffsetDateTime) -> String {
        let b = to_bangkok(t);
        format!("{:02}:{:02} น.", b.hour(), b.minute())
    }

    /// `22 พ.ย. 2569 09:30 น.` in Bangkok time.
    pub fn moment(t: OffsetDateTime) -> String {
        format!(
            "{} {}",
            format_thai_date_short(to_bangkok(t).date()),
            clock(t)
        )
    }

    /// 1234567 → `1,234,567`.
    pub fn number(n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if n < 0 {
            format!("-{out}")
        } else {
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::words::number;
    use super::*;

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(1000), "1,000");
        assert_eq!(number(1234567), "1,234,567");
        assert_eq!(number(-4500), "-4,500");
    }

    #[test]
    fn cut_keeps_short_text_and_marks_a_cut() {
        assert_eq!(cut("ราคาไข่ไก่", 20), "ราคาไข่ไก่");
        let long = "ราคาไข่ไก่ แพงขึ้นทั่วประเทศ ผู้บริโภคเดือดร้อน";
        let c = cut(long, 25);
        assert!(c.ends_with('…') && c.chars().count() <= 25, "{c}");
        assert!(long.starts_with(c.trim_end_matches('…')), "{c}");
    }

    #[test]
    fn only_criteria_at_the_bar_fire_strongest_first() {
        let r = |criterion, score| CriterionRecord {
            criterion,
            score,
            evidence: vec![],
        };
        let got = fired(&[
            r(Criterion::CurrentSituation, 0.49),
            r(Criterion::WidePublicImpact, 0.6),
            r(Criterion::MediaAttention, 0.9),
            r(Criterion::PublicInterest, 0.6),
        ]);
        assert_eq!(
            got,
            vec![
                Criterion::MediaAttention,
                Criterion::WidePublicImpact,
                Criterion::PublicInterest
            ]
        );
    }

    fn doc(outlet: &str, url: &str, kind: SourceKind) -> CoverageDoc {
        CoverageDoc {
            title: "t".into(),
            body: "b".into(),
            outlet: outlet.into(),
            url: Some(url.into()),
            kind,
            published_at: None,
        }
    }

    #[test]
    fn links_are_one_per_outlet_news_first_and_fall_back_to_detection() {
        let docs = vec![
            doc("x.com", "https://x.com/1", SourceKind::Social),
            doc("มติชน", "https://matichon.test/1", SourceKind::News),
            doc("มติชน", "https://matichon.test/2", SourceKind::News),
            doc("ไทยรัฐ", "https://thairath.test/1", SourceKind::News),
            doc("ไทยพีบีเอส", "https://tpbs.test/1", SourceKind::Broadcast),
        ];
        assert_eq!(
            top_links(&docs, &[]),
            vec![
                "https://matichon.test/1",
                "https://thairath.test/1",
                "https://tpbs.test/1"
            ]
        );
        let fallback = vec!["https://a.test".to_string(), "https://b.test".to_string()];
        assert_eq!(top_links(&[], &fallback), fallback);
    }
}
