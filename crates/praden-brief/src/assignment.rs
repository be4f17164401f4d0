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
use time::Date;

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

/// One issue as the message lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentLine {
    pub issue_id: i64,
    pub title: String,
    /// The agency's full Thai name.
    pub agency: String,
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
            deadline_days: i.deadline_days,
            source: one_line(&i.source),
        })
        .collect()
}

/// The message for `date` listing `issues` (withdrawn ones are left out).
pub fn assignment_message(
    date: Date,
    issues: &[Issue],
    settings: &AssignmentSettings,
) -> (String, Vec<AssignmentLine>) {
    let lines = assignment_lines(issues);
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
    }
    out.push("จบการส่งประเด็น".to_string());
    (out.join("\n"), lines)
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
}
