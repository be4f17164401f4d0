//! The timeliness KPI (ร้อยละการชี้แจงประเด็นสำคัญที่ทันต่อสถานการณ์): its periods — Thai fiscal
//! quarters, halves and years, or any range — its deadlines in calendar or working days, and
//! how each assigned issue counts. Pure: the store gathers the facts, the pages draw them.
//!
//! The definitions (README, "The timeliness KPI"):
//! - An issue counts in the period holding the Bangkok day it was assigned (approved), for
//!   the agency that finally has it (a reassigned issue counts for its last agency only).
//!   Withdrawn issues do not count.
//! - Its due day is the assignment day plus its deadline in days: calendar days by default,
//!   or working days (Monday to Friday, not a holiday of the calendar file).
//! - **In time**: the first clarification reported for it was made on or before the due day.
//!   **Late**: made after it (by so many days). **Not clarified**: none reported and the due
//!   day has passed. **Pending**: none reported yet and the due day has not passed; pending
//!   issues are left out of the percentage until they are decided.
//! - **Percentage in time** = in time ÷ (in time + late + not clarified) × 100.
//! - Quality, over the clarified issues: published on more than one channel; judged complete
//!   and to the point (the latest assessment of the first report says yes); evidence within
//!   2 days of the report.

use crate::report::evidence_due;
use crate::thai_time::{format_thai_date_short, parse_date_any_era, to_bangkok};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use time::{Date, Duration, Month, OffsetDateTime, Weekday};

/// The Buddhist era is the common era plus this.
const BE: i32 = 543;

/// A span of Bangkok days the KPI is counted over, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    pub first: Date,
    pub last: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    /// ไตรมาส 1–4 of a fiscal year (B.E.).
    Quarter {
        year: i32,
        quarter: u8,
    },
    /// รอบ 6 เดือน 1–2.
    Half {
        year: i32,
        half: u8,
    },
    /// ปีงบประมาณ.
    Year {
        year: i32,
    },
    Range,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("period {text:?}: {reason} (expected e.g. 2570Q1, 2570H1, 2570, or 1/10/2569..31/12/2569)")]
pub struct PeriodError {
    pub text: String,
    pub reason: String,
}

fn day(year_ce: i32, month: Month, d: u8) -> Date {
    Date::from_calendar_date(year_ce, month, d).expect("a valid calendar day")
}

impl Period {
    /// Fiscal year `year` (B.E.) runs from 1 October of the year before to 30 September.
    pub fn fiscal_year(year: i32) -> Self {
        let ce = year - BE;
        Self {
            kind: PeriodKind::Year { year },
            first: day(ce - 1, Month::October, 1),
            last: day(ce, Month::September, 30),
        }
    }

    /// Quarter 1 is October–December, 2 January–March, 3 April–June, 4 July–September.
    pub fn quarter(year: i32, quarter: u8) -> Option<Self> {
        let ce = year - BE;
        let (first, last) = match quarter {
            1 => (
                day(ce - 1, Month::October, 1),
                day(ce - 1, Month::December, 31),
            ),
            2 => (day(ce, Month::January, 1), day(ce, Month::March, 31)),
            3 => (day(ce, Month::April, 1), day(ce, Month::June, 30)),
            4 => (day(ce, Month::July, 1), day(ce, Month::September, 30)),
            _ => return None,
        };
        Some(Self {
            kind: PeriodKind::Quarter { year, quarter },
            first,
            last,
        })
    }

    /// Half 1 is October–March, half 2 April–September.
    pub fn half(year: i32, half: u8) -> Option<Self> {
        let ce = year - BE;
        let (first, last) = match half {
            1 => (day(ce - 1, Month::October, 1), day(ce, Month::March, 31)),
            2 => (day(ce, Month::April, 1), day(ce, Month::September, 30)),
            _ => return None,
        };
        Some(Self {
            kind: PeriodKind::Half { year, half },
            first,
            last,
        })
    }

    /// The fiscal quarter holding `d`.
    pub fn quarter_of(d: Date) -> Self {
        let ce = d.year();
        let (year, quarter) = match d.month() as u8 {
            10..=12 => (ce + 1 + BE, 1),
            1..=3 => (ce + BE, 2),
            4..=6 => (ce + BE, 3),
            _ => (ce + BE, 4),
        };
        Self::quarter(year, quarter).expect("1 to 4")
    }

    /// `2570Q1`, `2570H2`, `2570`, or `FIRST..LAST` (days as Thai users write them, either
    /// era). A fiscal year is B.E.; a year below 2400 is taken as C.E. and refused, so that
    /// 2026Q1 cannot silently mean a quarter of 1483.
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        let bad = |reason: &str| PeriodError {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let t = text.trim();
        if let Some((a, b)) = t.split_once("..") {
            let first = parse_date_any_era(a).map_err(|e| bad(&format!("first day: {e}")))?;
            let last = parse_date_any_era(b).map_err(|e| bad(&format!("last day: {e}")))?;
            if last < first {
                return Err(bad("the last day is before the first"));
            }
            return Ok(Self {
                kind: PeriodKind::Range,
                first,
                last,
            });
        }
        let upper = t.to_ascii_uppercase();
        let digits: String = upper.chars().take_while(|c| c.is_ascii_digit()).collect();
        let rest = &upper[digits.len()..];
        let year: i32 = digits
            .parse()
            .map_err(|_| bad("it starts with no fiscal year"))?;
        if !(2400..=2800).contains(&year) {
            return Err(bad("the fiscal year is in the Buddhist era, e.g. 2570"));
        }
        let number = |s: &str| s.parse::<u8>().ok();
        match rest.chars().next() {
            None => Ok(Self::fiscal_year(year)),
            Some('Q') => number(&rest[1..])
                .and_then(|q| Self::quarter(year, q))
                .ok_or_else(|| bad("a quarter is Q1 to Q4")),
            Some('H') => number(&rest[1..])
                .and_then(|h| Self::half(year, h))
                .ok_or_else(|| bad("a half is H1 or H2")),
            Some(_) => Err(bad("after the year comes Q1–Q4, H1–H2 or nothing")),
        }
    }

    pub fn contains(&self, d: Date) -> bool {
        self.first <= d && d <= self.last
    }

    /// `2570Q1`, `2570H1`, `2570`, or the range with C.E. days.
    pub fn code(&self) -> String {
        match self.kind {
            PeriodKind::Quarter { year, quarter } => format!("{year}Q{quarter}"),
            PeriodKind::Half { year, half } => format!("{year}H{half}"),
            PeriodKind::Year { year } => year.to_string(),
            PeriodKind::Range => format!("{}..{}", self.first, self.last),
        }
    }

    /// In Thai, with its days: ไตรมาส 1 ปีงบประมาณ 2570 (1 ต.ค. 2569 – 31 ธ.ค. 2569).
    pub fn label_th(&self) -> String {
        let span = format!(
            "{} – {}",
            format_thai_date_short(self.first),
            format_thai_date_short(self.last)
        );
        match self.kind {
            PeriodKind::Quarter { year, quarter } => {
                format!("ไตรมาส {quarter} ปีงบประมาณ {year} ({span})")
            }
            PeriodKind::Half { year, half } => {
                format!("รอบ 6 เดือนที่ {half} ปีงบประมาณ {year} ({span})")
            }
            PeriodKind::Year { year } => format!("ปีงบประมาณ {year} ({span})"),
            PeriodKind::Range => span,
        }
    }
}

/// How deadlines count days.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeadlineDays {
    /// Every day counts (the default).
    #[default]
    Calendar,
    /// Monday to Friday, except these holidays.
    Working { holidays: HashSet<Date> },
}

impl DeadlineDays {
    /// The holiday calendar file: one day per line (`2569-12-05`, `5/12/2569`, either era),
    /// optionally followed by its name after whitespace; `#` starts a comment; blank lines are
    /// skipped. A bad line is refused with its number.
    pub fn working_from_file(text: &str) -> Result<Self, String> {
        let mut holidays = HashSet::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let first = line.split_whitespace().next().unwrap_or("");
            let d = parse_date_any_era(first)
                .map_err(|e| format!("line {}: {first:?} is not a day: {e}", n + 1))?;
            holidays.insert(d);
        }
        Ok(Self::Working { holidays })
    }

    fn counts(&self, d: Date) -> bool {
        match self {
            Self::Calendar => true,
            Self::Working { holidays } => {
                !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
                    && !holidays.contains(&d)
            }
        }
    }

    /// The due day of an issue assigned on `assigned` with `days` to clarify: the `days`-th
    /// counted day after it (an issue with 1 day assigned on a Friday is due on Monday when
    /// working days count).
    pub fn due(&self, assigned: Date, days: u32) -> Date {
        let mut d = assigned;
        let mut left = days;
        while left > 0 {
            d += Duration::days(1);
            if self.counts(d) {
                left -= 1;
            }
        }
        d
    }
}

/// What the KPI needs of one assigned issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueFacts {
    pub issue_id: i64,
    pub title: String,
    /// The agency it is assigned to now (the last, after any reassignment).
    pub agency: String,
    pub ministry: String,
    /// The Bangkok day it was assigned (approved).
    pub assigned: Date,
    pub deadline_days: u32,
    pub withdrawn: bool,
    /// The Bangkok day of the first clarification reported by its current agency.
    pub clarified: Option<Date>,
    /// Of that report: published on more than one channel.
    pub multi_channel: bool,
    /// Of that report: the latest assessment judged it complete and to the point.
    pub complete: bool,
    /// Of that report: evidence came within 2 days.
    pub evidence_on_time: bool,
}

/// What the KPI reads of an assigned issue's own record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignedIssue {
    pub id: i64,
    pub title: String,
    /// The agency it is assigned to now, and its ministry.
    pub agency: String,
    pub ministry: String,
    pub approved_at: OffsetDateTime,
    pub deadline_days: u32,
    pub withdrawn: bool,
}

/// What the KPI reads of a clarification report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSeen {
    pub id: i64,
    /// The agency that reported it.
    pub agency: String,
    pub clarified_at: OffsetDateTime,
    /// When it was reported: evidence is due 2 days after.
    pub at: OffsetDateTime,
    /// How many distinct channels it was published on.
    pub channels: usize,
}

/// What the KPI reads of an evidence item: its report (none: the issue's) and when it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvidenceSeen {
    pub report_id: Option<i64>,
    pub at: OffsetDateTime,
}

/// What the KPI reads of an assessment: whether it judged the report complete and to the
/// point (the latest, by id, counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssessmentSeen {
    pub id: i64,
    pub report_id: i64,
    pub complete: bool,
}

/// The KPI's facts of `issue`, from its reports, evidence and assessments (any order): the
/// first clarification its current agency reported, and that report's quality.
pub fn facts_of(
    issue: &AssignedIssue,
    reports: &[&ReportSeen],
    evidence: &[&EvidenceSeen],
    assessments: &[&AssessmentSeen],
) -> IssueFacts {
    let first = reports
        .iter()
        .filter(|r| r.agency == issue.agency)
        .min_by_key(|r| (r.clarified_at, r.id));
    let (mut multi_channel, mut complete, mut evidence_on_time) = (false, false, false);
    if let Some(r) = first {
        multi_channel = r.channels > 1;
        complete = assessments
            .iter()
            .filter(|a| a.report_id == r.id)
            .max_by_key(|a| a.id)
            .is_some_and(|a| a.complete);
        evidence_on_time = evidence
            .iter()
            .filter(|e| e.report_id.is_none_or(|id| id == r.id))
            .map(|e| e.at)
            .min()
            .is_some_and(|at| to_bangkok(at).date() <= evidence_due(r.at));
    }
    IssueFacts {
        issue_id: issue.id,
        title: issue.title.clone(),
        agency: issue.agency.clone(),
        ministry: issue.ministry.clone(),
        assigned: to_bangkok(issue.approved_at).date(),
        deadline_days: issue.deadline_days,
        withdrawn: issue.withdrawn,
        clarified: first.map(|r| to_bangkok(r.clarified_at).date()),
        multi_channel,
        complete,
        evidence_on_time,
    }
}

/// How one issue counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    InTime,
    Late {
        days: i64,
    },
    NotClarified,
    /// Not clarified and not yet due: left out of the percentage.
    Pending,
}

impl Outcome {
    /// In Thai, as the pages and exports say it.
    pub fn label_th(self) -> String {
        match self {
            Self::InTime => "ทันเวลา".into(),
            Self::Late { days } => format!("ล่าช้า {days} วัน"),
            Self::NotClarified => "ไม่ได้ชี้แจง".into(),
            Self::Pending => "ยังไม่ถึงกำหนด".into(),
        }
    }

    /// Each outcome's filter name and Thai name, as the drill-down lists them.
    pub const KEYS: [(&'static str, &'static str); 4] = [
        ("in_time", "ทันเวลา"),
        ("late", "ล่าช้า"),
        ("not_clarified", "ไม่ได้ชี้แจง"),
        ("pending", "ยังไม่ถึงกำหนด"),
    ];

    /// `in_time`, `late`, `not_clarified`, `pending`: the drill-down's filter names.
    pub fn key(self) -> &'static str {
        match self {
            Self::InTime => "in_time",
            Self::Late { .. } => "late",
            Self::NotClarified => "not_clarified",
            Self::Pending => "pending",
        }
    }
}

/// How `f` counts on `today` (Bangkok), its deadline counted by `days`.
pub fn outcome(f: &IssueFacts, days: &DeadlineDays, today: Date) -> (Date, Outcome) {
    let due = days.due(f.assigned, f.deadline_days);
    let o = match f.clarified {
        Some(c) if c <= due => Outcome::InTime,
        Some(c) => Outcome::Late {
            days: (c - due).whole_days(),
        },
        None if today > due => Outcome::NotClarified,
        None => Outcome::Pending,
    };
    (due, o)
}

/// The figures of one agency or ministry (or all) over a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub assigned: u32,
    pub in_time: u32,
    pub late: u32,
    pub not_clarified: u32,
    pub pending: u32,
    /// In time ÷ decided × 100, one decimal; `None` while nothing is decided.
    pub percent_in_time: Option<f64>,
    /// Of the clarified (in time or late):
    pub multi_channel: u32,
    pub complete: u32,
    pub evidence_on_time: u32,
    /// The late ones' days past due, for "how late".
    pub late_days: Vec<i64>,
}

impl Figures {
    /// The figures of `issues`.
    pub fn of<'a>(issues: impl IntoIterator<Item = &'a CountedIssue>) -> Self {
        let mut f = Self::default();
        issues.into_iter().for_each(|i| f.add(i));
        f.finish();
        f
    }

    fn add(&mut self, i: &CountedIssue) {
        self.assigned += 1;
        match i.outcome {
            Outcome::InTime => self.in_time += 1,
            Outcome::Late { days } => {
                self.late += 1;
                self.late_days.push(days);
            }
            Outcome::NotClarified => self.not_clarified += 1,
            Outcome::Pending => self.pending += 1,
        }
        if matches!(i.outcome, Outcome::InTime | Outcome::Late { .. }) {
            self.multi_channel += u32::from(i.multi_channel);
            self.complete += u32::from(i.complete);
            self.evidence_on_time += u32::from(i.evidence_on_time);
        }
    }

    fn finish(&mut self) {
        self.percent_in_time = percent(self.in_time, self.decided());
        self.late_days.sort_unstable();
    }

    /// In time, late or not clarified: what the percentage is over.
    pub fn decided(&self) -> u32 {
        self.in_time + self.late + self.not_clarified
    }

    /// In time or late.
    pub fn clarified(&self) -> u32 {
        self.in_time + self.late
    }
}

/// `part` of `whole` in per cent, one decimal; `None` of nothing.
pub fn percent(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0)
}

/// One issue behind the figures: its facts and how it counted. A closed period keeps these,
/// so they read back as they were written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountedIssue {
    pub issue_id: i64,
    pub title: String,
    pub agency: String,
    pub ministry: String,
    #[serde(with = "iso")]
    pub assigned: Date,
    pub deadline_days: u32,
    #[serde(with = "iso")]
    pub due: Date,
    #[serde(with = "iso_option")]
    pub clarified: Option<Date>,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub multi_channel: bool,
    pub complete: bool,
    pub evidence_on_time: bool,
}

/// `YYYY-MM-DD` (C.E.), as the API gives days.
mod iso {
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
}

mod iso_option {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::iso::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        #[derive(Deserialize)]
        struct Day(#[serde(with = "super::iso")] Date);
        Ok(Option::<Day>::deserialize(d)?.map(|Day(d)| d))
    }
}

/// The figures of one ministry or agency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub name: String,
    /// The ministry (a ministry's own row: itself).
    pub ministry: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The KPI of a period: all, by ministry (by name), by agency (by ministry, then name), and
/// the issues behind them (by assignment day).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    pub total: Figures,
    pub by_ministry: Vec<Row>,
    pub by_agency: Vec<Row>,
    pub issues: Vec<CountedIssue>,
}

/// How each of `facts` assigned within `period` counts as of `today`; withdrawn issues are
/// left out.
pub fn count<'a>(
    facts: impl IntoIterator<Item = &'a IssueFacts>,
    period: &Period,
    days: &DeadlineDays,
    today: Date,
) -> Vec<CountedIssue> {
    facts
        .into_iter()
        .filter(|f| !f.withdrawn && period.contains(f.assigned))
        .map(|f| {
            let (due, outcome) = outcome(f, days, today);
            CountedIssue {
                issue_id: f.issue_id,
                title: f.title.clone(),
                agency: f.agency.clone(),
                ministry: f.ministry.clone(),
                assigned: f.assigned,
                deadline_days: f.deadline_days,
                due,
                clarified: f.clarified,
                outcome,
                multi_channel: f.multi_channel,
                complete: f.complete,
                evidence_on_time: f.evidence_on_time,
            }
        })
        .collect()
}

/// The figures of `issues`.
pub fn tally(mut issues: Vec<CountedIssue>) -> Kpi {
    let mut total = Figures::default();
    let mut ministries: BTreeMap<&str, Figures> = BTreeMap::new();
    let mut agencies: BTreeMap<(&str, &str), Figures> = BTreeMap::new();
    issues.sort_by_key(|i| (i.assigned, i.issue_id));
    for i in &issues {
        total.add(i);
        ministries.entry(&i.ministry).or_default().add(i);
        agencies.entry((&i.ministry, &i.agency)).or_default().add(i);
    }
    total.finish();
    let by_ministry = ministries
        .into_iter()
        .map(|(m, mut figures)| {
            figures.finish();
            Row {
                name: m.to_string(),
                ministry: m.to_string(),
                figures,
            }
        })
        .collect();
    let by_agency = agencies
        .into_iter()
        .map(|((m, a), mut figures)| {
            figures.finish();
            Row {
                name: a.to_string(),
                ministry: m.to_string(),
                figures,
            }
        })
        .collect();
    Kpi {
        total,
        by_ministry,
        by_agency,
        issues,
    }
}

/// Counts `facts` assigned within `period`, as of `today`.
pub fn compute(facts: &[IssueFacts], period: &Period, days: &DeadlineDays, today: Date) -> Kpi {
    tally(count(facts, period, days, today))
}

/// A fiscal quarter whose figures were closed: the issues as they counted when it was.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedQuarter {
    pub period: Period,
    pub issues: Vec<CountedIssue>,
}

/// The issues of `period` as of `today`: those of a closed quarter as they were kept, the rest
/// counted from `facts` (which may hold issues of the closed quarters too; they are ignored).
pub fn count_with_closed(
    facts: &[IssueFacts],
    closed: &[ClosedQuarter],
    period: &Period,
    days: &DeadlineDays,
    today: Date,
) -> Vec<CountedIssue> {
    let frozen = |d: Date| closed.iter().any(|c| c.period.contains(d));
    let live = facts.iter().filter(|f| !frozen(f.assigned));
    let mut issues = count(live, period, days, today);
    issues.extend(
        closed
            .iter()
            .flat_map(|c| &c.issues)
            .filter(|i| period.contains(i.assigned))
            .cloned(),
    );
    issues
}

/// The fiscal quarters that overlap `period`, oldest first.
pub fn quarters_within(period: &Period) -> Vec<Period> {
    let mut q = Period::quarter_of(period.first);
    let mut out = Vec::new();
    while q.first <= period.last {
        out.push(q);
        q = Period::quarter_of(q.last + Duration::days(1));
    }
    out
}

/// The `n` fiscal quarters ending with the one holding `last`, oldest first: the trend.
pub fn quarters_ending(last: Date, n: usize) -> Vec<Period> {
    let mut q = Period::quarter_of(last);
    let mut out = vec![q];
    while out.len() < n {
        q = Period::quarter_of(q.first - Duration::days(1));
        out.push(q);
    }
    out.reverse();
    out
}

/// How late the late ones were, in buckets for the chart: 1, 2, 3–7, 8–14 and over 14 days.
pub const LATENESS_BUCKETS: [(&str, i64, i64); 5] = [
    ("1 วัน", 1, 1),
    ("2 วัน", 2, 2),
    ("3–7 วัน", 3, 7),
    ("8–14 วัน", 8, 14),
    ("เกิน 14 วัน", 15, i64::MAX),
];

/// How many of `late_days` fall in each of [`LATENESS_BUCKETS`].
pub fn lateness(late_days: &[i64]) -> [u32; 5] {
    let mut out = [0; 5];
    for &d in late_days {
        if let Some(b) = LATENESS_BUCKETS
            .iter()
            .position(|&(_, lo, hi)| lo <= d && d <= hi)
        {
            out[b] += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn fiscal_periods_run_from_october_in_the_buddhist_era() {
        let q1 = Period::parse("2570Q1").unwrap();
        assert_eq!(
            (q1.first, q1.last),
            (date!(2026 - 10 - 01), date!(2026 - 12 - 31))
        );
        assert_eq!(
            q1.label_th(),
            "ไตรมาส 1 ปีงบประมาณ 2570 (1 ต.ค. 2569 – 31 ธ.ค. 2569)"
        );
        let q2 = Period::parse("2570q2").unwrap();
        assert_eq!(
            (q2.first, q2.last),
            (date!(2027 - 01 - 01), date!(2027 - 03 - 31))
        );
        let h2 = Period::parse("2570H2").unwrap();
        assert_eq!(
            (h2.first, h2.last),
            (date!(2027 - 04 - 01), date!(2027 - 09 - 30))
        );
        let y = Period::parse("2570").unwrap();
        assert_eq!(
            (y.first, y.last),
            (date!(2026 - 10 - 01), date!(2027 - 09 - 30))
        );
        // The edges: 30 Sep is the old year's last day, 1 Oct the new year's first.
        assert_eq!(Period::quarter_of(date!(2026 - 09 - 30)).code(), "2569Q4");
        assert_eq!(Period::quarter_of(date!(2026 - 10 - 01)).code(), "2570Q1");
        assert_eq!(Period::quarter_of(date!(2026 - 12 - 31)).code(), "2570Q1");
        assert_eq!(Period::quarter_of(date!(2027 - 01 - 01)).code(), "2570Q2");
        let r = Period::parse("1/10/2569..15 ต.ค. 69").unwrap();
        assert_eq!(
            (r.first, r.last),
            (date!(2026 - 10 - 01), date!(2026 - 10 - 15))
        );
        for bad in [
            "2026Q1",
            "2570Q5",
            "2570H3",
            "2570X",
            "Q1",
            "15/10/2569..1/10/2569",
        ] {
            let e = Period::parse(bad).unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn working_days_skip_weekends_and_the_calendars_holidays() {
        let file = "# วันหยุดราชการ\n2569-12-05 วันพ่อแห่งชาติ\n\n10/12/2569 วันรัฐธรรมนูญ\n";
        let working = DeadlineDays::working_from_file(file).unwrap();
        // Thursday 3 Dec 2026 + 2 working days: Friday 4th, (Sat, Sun), Monday 7th.
        assert_eq!(working.due(date!(2026 - 12 - 03), 2), date!(2026 - 12 - 07));
        // Friday 4th + 1: Saturday 5th is a holiday and a weekend anyway; Monday 7th.
        assert_eq!(working.due(date!(2026 - 12 - 04), 1), date!(2026 - 12 - 07));
        // Wednesday 9th + 1: Thursday 10th is Constitution Day; Friday 11th.
        assert_eq!(working.due(date!(2026 - 12 - 09), 1), date!(2026 - 12 - 11));
        assert_eq!(
            DeadlineDays::Calendar.due(date!(2026 - 12 - 04), 1),
            date!(2026 - 12 - 05)
        );
        let e = DeadlineDays::working_from_file("2569-12-05\nพรุ่งนี้\n").unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
    }

    fn facts(id: i64, agency: &str, ministry: &str, assigned: Date) -> IssueFacts {
        IssueFacts {
            issue_id: id,
            title: format!("ประเด็น {id}"),
            agency: agency.into(),
            ministry: ministry.into(),
            assigned,
            deadline_days: 1,
            withdrawn: false,
            clarified: None,
            multi_channel: false,
            complete: false,
            evidence_on_time: false,
        }
    }

    /// The golden scenario: in time, late, never, withdrawn, reassigned (counted for its
    /// last agency), pending, and the quarter's edges.
    #[test]
    fn the_golden_quarter_counts_each_case_once() {
        const DIT: &str = "กรมการค้าภายใน";
        const MOC: &str = "กระทรวงพาณิชย์";
        const PCD: &str = "กรมควบคุมมลพิษ";
        const MNRE: &str = "กระทรวงทรัพยากรธรรมชาติและสิ่งแวดล้อม";
        let mut in_time = facts(1, DIT, MOC, date!(2026 - 10 - 01));
        in_time.clarified = Some(date!(2026 - 10 - 02));
        in_time.multi_channel = true;
        in_time.complete = true;
        in_time.evidence_on_time = true;
        let mut late = facts(2, DIT, MOC, date!(2026 - 11 - 02));
        late.clarified = Some(date!(2026 - 11 - 06));
        let never = facts(3, PCD, MNRE, date!(2026 - 12 - 31));
        let mut withdrawn = facts(4, PCD, MNRE, date!(2026 - 11 - 10));
        withdrawn.withdrawn = true;
        // Reassigned from PCD to DIT: only its last agency counts it.
        let mut reassigned = facts(5, DIT, MOC, date!(2026 - 11 - 20));
        reassigned.clarified = Some(date!(2026 - 11 - 21));
        reassigned.multi_channel = true;
        let outside_before = facts(6, DIT, MOC, date!(2026 - 09 - 30));
        let outside_after = facts(7, DIT, MOC, date!(2027 - 01 - 01));
        let mut pending = facts(8, PCD, MNRE, date!(2026 - 12 - 30));
        pending.deadline_days = 10;
        let all = [
            in_time,
            late,
            never,
            withdrawn,
            reassigned,
            outside_before,
            outside_after,
            pending,
        ];
        let q1 = Period::parse("2570Q1").unwrap();
        // As of 5 January: the 31 December one (due 1 January) is not clarified; the one with
        // ten days is still pending.
        let kpi = compute(&all, &q1, &DeadlineDays::Calendar, date!(2027 - 01 - 05));
        let row = |f: &Figures| {
            (
                f.assigned,
                f.in_time,
                f.late,
                f.not_clarified,
                f.pending,
                f.percent_in_time,
                f.multi_channel,
                f.complete,
                f.evidence_on_time,
            )
        };
        assert_eq!(row(&kpi.total), (5, 2, 1, 1, 1, Some(50.0), 2, 1, 1));
        let named = |rows: &[Row], name: &str| {
            rows.iter()
                .find(|r| r.name == name)
                .map(|r| (r.ministry.clone(), row(&r.figures)))
                .unwrap()
        };
        assert_eq!(
            named(&kpi.by_ministry, MOC),
            (MOC.into(), (3, 2, 1, 0, 0, Some(66.7), 2, 1, 1))
        );
        assert_eq!(
            named(&kpi.by_ministry, MNRE),
            (MNRE.into(), (2, 0, 0, 1, 1, Some(0.0), 0, 0, 0))
        );
        assert_eq!(
            named(&kpi.by_agency, PCD),
            (MNRE.into(), (2, 0, 0, 1, 1, Some(0.0), 0, 0, 0))
        );
        assert_eq!(kpi.total.late_days, vec![3]);
        assert_eq!(
            kpi.issues.iter().map(|i| i.issue_id).collect::<Vec<_>>(),
            [1, 2, 5, 8, 3],
            "by assignment day; nothing outside the quarter or withdrawn"
        );
        // With working days, the late one (assigned Monday 2 Nov, 1 day) is due Tuesday 3rd
        // either way; an issue assigned on Friday 30 Oct is due Monday 2 Nov, not Saturday.
        let mut friday = facts(9, DIT, MOC, date!(2026 - 10 - 30));
        friday.clarified = Some(date!(2026 - 11 - 02));
        let working = DeadlineDays::Working {
            holidays: HashSet::new(),
        };
        let (due, o) = outcome(&friday, &working, date!(2027 - 01 - 01));
        assert_eq!((due, o), (date!(2026 - 11 - 02), Outcome::InTime));
        let (_, o) = outcome(&friday, &DeadlineDays::Calendar, date!(2027 - 01 - 01));
        assert_eq!(o, Outcome::Late { days: 2 });
    }

    #[test]
    fn a_closed_quarter_keeps_its_issues_as_they_counted() {
        let mut late_report = facts(1, "กรมการค้าภายใน", "กระทรวงพาณิชย์", date!(2026 - 12 - 30));
        let q1 = Period::parse("2570Q1").unwrap();
        // Closed on 2 January with nothing reported: not clarified.
        let closed = ClosedQuarter {
            period: q1,
            issues: count(
                std::slice::from_ref(&late_report),
                &q1,
                &DeadlineDays::Calendar,
                date!(2027 - 01 - 02),
            ),
        };
        // A report arrives on 3 January; the closed quarter does not move, the open one would.
        late_report.clarified = Some(date!(2027 - 01 - 03));
        let mut next = facts(2, "กรมการค้าภายใน", "กระทรวงพาณิชย์", date!(2027 - 01 - 04));
        next.clarified = Some(date!(2027 - 01 - 04));
        let all = [late_report.clone(), next];
        let today = date!(2027 - 01 - 10);
        let h1 = Period::parse("2570H1").unwrap();
        let kept = tally(count_with_closed(
            &all,
            std::slice::from_ref(&closed),
            &h1,
            &DeadlineDays::Calendar,
            today,
        ));
        assert_eq!(
            (
                kept.total.in_time,
                kept.total.late,
                kept.total.not_clarified
            ),
            (1, 0, 1)
        );
        let live = compute(&all, &h1, &DeadlineDays::Calendar, today);
        assert_eq!(
            (
                live.total.in_time,
                live.total.late,
                live.total.not_clarified
            ),
            (1, 1, 0)
        );
        // What a closed quarter keeps reads back as it was written.
        let json = serde_json::to_string(&closed.issues).unwrap();
        let back: Vec<CountedIssue> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, closed.issues);
        assert!(json.contains("\"assigned\":\"2026-12-30\""), "{json}");
    }

    #[test]
    fn trends_run_over_fiscal_quarters_and_lateness_over_buckets() {
        let codes = |ps: Vec<Period>| ps.iter().map(Period::code).collect::<Vec<_>>();
        assert_eq!(
            codes(quarters_ending(date!(2027 - 02 - 01), 4)),
            ["2569Q3", "2569Q4", "2570Q1", "2570Q2"]
        );
        assert_eq!(
            codes(quarters_within(&Period::parse("2570").unwrap())),
            ["2570Q1", "2570Q2", "2570Q3", "2570Q4"]
        );
        assert_eq!(
            codes(quarters_within(
                &Period::parse("15/12/2569..2/1/2570").unwrap()
            )),
            ["2570Q1", "2570Q2"]
        );
        assert_eq!(lateness(&[1, 1, 2, 3, 7, 8, 14, 15, 400]), [2, 1, 2, 2, 2]);
        assert_eq!(percent(2, 3), Some(66.7));
        assert_eq!(percent(0, 0), None);
    }
}
