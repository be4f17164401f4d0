//! The official assignment message (IA-Chat): the issues of one day sent to the agencies in
//! the name of the Prime Minister's Spokesman and the PRD Director-General, in the shape the
//! working group uses (domain.md):
//!
//! ```text
//! ข้าพเจ้า <ชื่อ> <ตำแหน่ง>
//! ขอส่งประเด็นในนาม <ชื่อ> <ตำแหน่ง>
//! ประจำวันที่ <วันที่> จำนวน <n> ประเด็น ดังนี้
//! 1. ชื่อประเด็น <…> / หน่วยงานที่ต้องชี้แจง <…> / ภายใน <n> วัน / ที่มา <…> /
//! จบการส่งประเด็น
//! ```

use praden_core::review::{Issue, IssueStatus};
use praden_core::thai_time::{format_thai_date_long, format_thai_date_short, to_thai_digits};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};

/// Who sends the message and in whose name: settings, never code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentSettings {
    /// ข้าพเจ้า …: left as a dotted blank when not configured, to be filled in by hand.
    pub sender_name: String,
    pub sender_title: String,
    pub on_behalf_name: String,
    pub on_behalf_title: String,
    /// Official style: `๑๔ กุมภาพันธ์ ๒๕๖๐` and Thai digits for every number the message
    /// writes; otherwise `14 ก.พ. 2560` and Arabic digits.
    pub thai_digits: bool,
}

impl Default for AssignmentSettings {
    fn default() -> Self {
        Self {
            sender_name: String::new(),
            sender_title: "ผู้อำนวยการสำนักข่าว".into(),
            on_behalf_name: String::new(),
            on_behalf_title: "โฆษกประจำสำนักนายกรัฐมนตรี และอธิบดีกรมประชาสัมพันธ์".into(),
            thai_digits: true,
        }
    }
}

/// An assignment message as stored (the publication's `content`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentContent {
    pub date: Date,
    /// The whole official message, as sent to the IA-Chat group.
    pub text: String,
    /// Its issues, in order.
    pub issues: Vec<AssignmentLine>,
    /// Since when issues were collected (the previous message, or a day before this one's time).
    #[serde(with = "time::serde::rfc3339")]
    pub covers_from: OffsetDateTime,
    /// What each contact target receives.
    pub recipients: BTreeMap<String, AgencyMessage>,
}

/// One contact's message: its agencies' issues only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyMessage {
    /// The agencies the contact speaks for (registry names).
    pub agencies: Vec<String>,
    /// The contact's name, for the e-mail's To.
    pub contact: Option<String>,
    pub subject: String,
    pub text: String,
}

/// One issue as the message lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentLine {
    pub issue_id: i64,
    pub title: String,
    /// The agency's full Thai name.
    pub agency: String,
    /// Its ministry's Thai name (the agency's own for a ministry): a ministry's contacts also
    /// receive their departments' issues.
    #[serde(default)]
    pub ministry: String,
    pub deadline_days: u32,
    pub source: String,
}

/// The message's issues: those given that are still approved (not withdrawn), in order of
/// approval.
pub fn assignment_lines(issues: &[Issue]) -> Vec<AssignmentLine> {
    let mut kept: Vec<&Issue> = issues
        .iter()
        .filter(|i| i.status == IssueStatus::Approved)
        .collect();
    kept.sort_by_key(|i| (i.approved_at, i.id));
    kept.into_iter()
        .map(|i| AssignmentLine {
            issue_id: i.id,
            title: one_line(&i.title),
            agency: one_line(&i.agency.name_th),
            ministry: one_line(&i.agency.ministry_th),
            deadline_days: i.deadline_days,
            source: one_line(&i.source),
        })
        .collect()
}

impl AssignmentLine {
    /// Whether the contacts of `agency` (an agency or a ministry, as the registry names it)
    /// receive this issue: it is theirs, or one of their departments'.
    pub fn goes_to(&self, agency: &str) -> bool {
        self.agency == agency || self.ministry == agency
    }
}

/// The message for `date` listing `issues` (withdrawn ones are left out).
pub fn assignment_message(
    date: Date,
    issues: &[Issue],
    settings: &AssignmentSettings,
) -> (String, Vec<AssignmentLine>) {
    let lines = assignment_lines(issues);
    (message_text(date, &lines, settings, &|_| None), lines)
}

/// The message a contact of `agencies` receives (each as the registry names it; a person may
/// be the contact of more than one): the official message with only the lines that go to
/// them, each followed by `link(issue id)`, where the agency acknowledges and reports.
/// Returns the e-mail subject and the text.
pub fn agency_message(
    date: Date,
    agencies: &[&str],
    lines: &[AssignmentLine],
    settings: &AssignmentSettings,
    link: &dyn Fn(i64) -> String,
) -> (String, String) {
    let own: Vec<AssignmentLine> = lines
        .iter()
        .filter(|l| agencies.iter().any(|a| l.goes_to(a)))
        .cloned()
        .collect();
    let text = message_text(date, &own, settings, &|l| {
        Some(format!("   ตอบรับและรายงานผลการชี้แจง: {}", link(l.issue_id)))
    });
    let subject = format!(
        "ประเด็นที่ต้องชี้แจง ประจำวันที่ {} ({} ประเด็น) ถึง {}",
        format_thai_date_short(date),
        own.len(),
        agencies.join(", ")
    );
    (subject, text)
}

/// An issue a reminder lists: assigned, not yet reported, due soon or overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderItem {
    pub issue_id: i64,
    pub title: String,
    pub agency: String,
    #[serde(default)]
    pub ministry: String,
    #[serde(with = "crate::iso_date")]
    pub due_date: Date,
}

impl ReminderItem {
    pub fn from_issue(i: &Issue) -> Self {
        Self {
            issue_id: i.id,
            title: one_line(&i.title),
            agency: one_line(&i.agency.name_th),
            ministry: one_line(&i.agency.ministry_th),
            due_date: i.due_date,
        }
    }

    pub fn goes_to(&self, agency: &str) -> bool {
        self.agency == agency || self.ministry == agency
    }
}

/// The reminder a contact of `agencies` receives on `today`: their issues in `items` (not
/// yet reported), overdue ones first, each with its due date and `link(issue id)`. `None`
/// when none of them is theirs. Returns the e-mail subject and the text.
pub fn reminder_message(
    today: Date,
    agencies: &[&str],
    items: &[ReminderItem],
    link: &dyn Fn(i64) -> String,
) -> Option<(String, String)> {
    let own: Vec<&ReminderItem> = items
        .iter()
        .filter(|i| agencies.iter().any(|a| i.goes_to(a)))
        .collect();
    if own.is_empty() {
        return None;
    }
    let (overdue, soon): (Vec<&ReminderItem>, Vec<&ReminderItem>) =
        own.into_iter().partition(|i| i.due_date < today);
    let mut out = vec![format!(
        "แจ้งเตือนประเด็นที่ยังไม่ได้รายงานผลการชี้แจง ของ {} ณ วันที่ {}",
        agencies.join(", "),
        format_thai_date_short(today)
    )];
    for (heading, list) in [("เลยกำหนดชี้แจงแล้ว", &overdue), ("ใกล้ครบกำหนดชี้แจง", &soon)]
    {
        if list.is_empty() {
            continue;
        }
        out.push(String::new());
        out.push(format!("{heading} {} ประเด็น", list.len()));
        for (n, i) in list.iter().enumerate() {
            let days = (i.due_date - today).whole_days();
            let when = match days {
                d if d < 0 => format!("เลยกำหนดมา {} วัน", -d),
                0 => "ครบกำหนดวันนี้".to_string(),
                1 => "ครบกำหนดพรุ่งนี้".to_string(),
                d => format!("อีก {d} วัน"),
            };
            out.push(format!(
                "{}. {} / หน่วยงาน {} / กำหนดชี้แจงภายใน {} ({when})",
                n + 1,
                i.title,
                i.agency,
                format_thai_date_short(i.due_date)
            ));
            out.push(format!("   ตอบรับและรายงานผลการชี้แจง: {}", link(i.issue_id)));
        }
    }
    let subject = format!(
        "แจ้งเตือนประเด็นที่ต้องชี้แจง {}: เลยกำหนด {} ใกล้ครบกำหนด {}",
        format_thai_date_short(today),
        overdue.len(),
        soon.len()
    );
    Some((subject, out.join("\n")))
}

/// The official text; `after_item` may add a line under each item.
fn message_text(
    date: Date,
    lines: &[AssignmentLine],
    settings: &AssignmentSettings,
    after_item: &dyn Fn(&AssignmentLine) -> Option<String>,
) -> String {
    let n = |v: u64| {
        if settings.thai_digits {
            to_thai_digits(&v.to_string())
        } else {
            v.to_string()
        }
    };
    let date_text = if settings.thai_digits {
        format_thai_date_long(date, true)
    } else {
        format_thai_date_short(date)
    };
    let mut out = vec![
        person("ข้าพเจ้า", &settings.sender_name, &settings.sender_title),
        person(
            "ขอส่งประเด็นในนาม",
            &settings.on_behalf_name,
            &settings.on_behalf_title,
        ),
        format!(
            "ประจำวันที่ {date_text} จำนวน {} ประเด็น ดังนี้",
            n(lines.len() as u64)
        ),
    ];
    for (i, l) in lines.iter().enumerate() {
        out.push(format!(
            "{}. ชื่อประเด็น {} / หน่วยงานที่ต้องชี้แจง {} / ภายใน {} วัน / ที่มา {} /",
            n(i as u64 + 1),
            l.title,
            l.agency,
            n(u64::from(l.deadline_days)),
            l.source
        ));
        out.extend(after_item(l));
    }
    out.push("จบการส่งประเด็น".to_string());
    out.join("\n")
}

fn person(lead: &str, name: &str, title: &str) -> String {
    let name = name.trim();
    let name = if name.is_empty() {
        "............"
    } else {
        name
    };
    let title = title.trim();
    if title.is_empty() {
        format!("{lead} {name}")
    } else {
        format!("{lead} {name} {title}")
    }
}

/// A field on one line: the message is line-based, so a newline inside a field would
/// start a bogus item.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_name_stays_a_blank_to_fill_in() {
        assert_eq!(
            person("ข้าพเจ้า", " ", "ผู้อำนวยการสำนักข่าว"),
            "ข้าพเจ้า ............ ผู้อำนวยการสำนักข่าว"
        );
        assert_eq!(person("ข้าพเจ้า", "นายสมชาย", ""), "ข้าพเจ้า นายสมชาย");
        assert_eq!(one_line("ไข่ไก่\nแพง  มาก"), "ไข่ไก่ แพง มาก");
    }

    fn line(id: i64, agency: &str, ministry: &str) -> AssignmentLine {
        AssignmentLine {
            issue_id: id,
            title: format!("ประเด็น {id}"),
            agency: agency.into(),
            ministry: ministry.into(),
            deadline_days: 1,
            source: "ข่าวสด".into(),
        }
    }

    #[test]
    fn a_reminder_lists_overdue_issues_first_with_their_due_dates_and_links() {
        let today = time::macros::date!(2026 - 12 - 04);
        let item = |id: i64, agency: &str, due: Date| ReminderItem {
            issue_id: id,
            title: format!("ประเด็น {id}"),
            agency: agency.into(),
            ministry: "กระทรวงพาณิชย์".into(),
            due_date: due,
        };
        let items = [
            item(1, "กรมการค้าภายใน", today + time::Duration::days(1)),
            item(2, "กรมการค้าภายใน", today - time::Duration::days(2)),
            item(3, "กรมการค้าต่างประเทศ", today),
        ];
        let link = |id: i64| format!("https://p.test/agency/issues/{id}");
        let (subject, text) = reminder_message(today, &["กรมการค้าภายใน"], &items, &link).unwrap();
        assert_eq!(
            subject,
            "แจ้งเตือนประเด็นที่ต้องชี้แจง 4 ธ.ค. 2569: เลยกำหนด 1 ใกล้ครบกำหนด 1"
        );
        let overdue = text.find("ประเด็น 2 /").unwrap();
        let soon = text.find("ประเด็น 1 /").unwrap();
        assert!(overdue < soon, "{text}");
        assert!(text.contains("(เลยกำหนดมา 2 วัน)") && text.contains("(ครบกำหนดพรุ่งนี้)"));
        assert!(text.contains("https://p.test/agency/issues/2") && !text.contains("ประเด็น 3"));
        let (_, ministry) = reminder_message(today, &["กระทรวงพาณิชย์"], &items, &link).unwrap();
        assert!(ministry.contains("ประเด็น 3 /") && ministry.contains("(ครบกำหนดวันนี้)"));
        assert_eq!(reminder_message(today, &["กรมประมง"], &items, &link), None);
    }

    #[test]
    fn an_agency_gets_its_own_issues_and_a_ministry_its_departments_too() {
        let lines = [
            line(1, "กรมการค้าภายใน", "กระทรวงพาณิชย์"),
            line(2, "กรมควบคุมมลพิษ", "กระทรวงทรัพยากรธรรมชาติและสิ่งแวดล้อม"),
            line(3, "กระทรวงพาณิชย์", "กระทรวงพาณิชย์"),
        ];
        let settings = AssignmentSettings {
            thai_digits: false,
            ..AssignmentSettings::default()
        };
        let date = time::macros::date!(2026 - 12 - 04);
        let link = |id: i64| format!("https://praden.example/agency/issues/{id}");
        let (subject, text) = agency_message(date, &["กรมการค้าภายใน"], &lines, &settings, &link);
        assert_eq!(
            subject,
            "ประเด็นที่ต้องชี้แจง ประจำวันที่ 4 ธ.ค. 2569 (1 ประเด็น) ถึง กรมการค้าภายใน"
        );
        assert!(text.contains("จำนวน 1 ประเด็น"), "{text}");
        assert!(text.contains("1. ชื่อประเด็น ประเด็น 1 /"), "{text}");
        assert!(text.contains("/agency/issues/1\n"), "{text}");
        assert!(!text.contains("ประเด็น 2"), "{text}");
        let (_, ministry) = agency_message(date, &["กระทรวงพาณิชย์"], &lines, &settings, &link);
        assert!(ministry.contains("จำนวน 2 ประเด็น"), "{ministry}");
        assert!(ministry.contains("/agency/issues/1\n") && ministry.contains("/agency/issues/3\n"));
        assert!(ministry.ends_with("จบการส่งประเด็น"), "{ministry}");
    }
}
