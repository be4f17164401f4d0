//! The brief as Markdown (for e-mail, wikis and chat tools that render it).

use crate::text::{agency_line, criteria, figures};
use crate::words::{clock, day_long, moment};
use crate::{Brief, BriefItem};

pub fn markdown(b: &Brief) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# สรุปประเด็นประจำวัน (ID-Chat)\n\n**{} เวลา {}**\n\n",
        day_long(b.slot),
        clock(b.scheduled_for)
    ));
    out.push_str(&format!(
        "- อนุมัติแล้ว {} ประเด็น\n- รอพิจารณา {} ประเด็น (แสดง {} ประเด็นแรก)\n- ช่วงเวลา: {} ถึง {}\n",
        b.counts.approved,
        b.counts.pending_total,
        b.counts.pending_shown,
        moment(b.covers_from),
        moment(b.covers_until)
    ));
    if b.late {
        out.push_str(&format!(
            "\n> **ส่งล่าช้า:** กำหนด {} จัดทำเมื่อ {}\n",
            clock(b.scheduled_for),
            moment(b.generated_at)
        ));
    }
    section(
        &mut out,
        "ประเด็นที่อนุมัติแล้ว",
        &b.approved,
        "ไม่มีประเด็นที่อนุมัติใหม่ตั้งแต่สรุปครั้งก่อน",
    );
    section(&mut out, "ประเด็นรอพิจารณา", &b.pending, "ไม่มีประเด็นรอพิจารณา");
    out
}

fn section(out: &mut String, heading: &str, items: &[BriefItem], empty: &str) {
    out.push_str(&format!("\n## {heading}\n"));
    if items.is_empty() {
        out.push_str(&format!("\n{empty}\n"));
    }
    for item in items {
        out.push_str(&format!("\n### {}. {}\n\n", item.rank, escape(&item.title)));
        if !item.summary.is_empty() {
            out.push_str(&format!("{}\n\n", escape(&item.summary)));
        }
        out.push_str(&format!("- เกณฑ์: {}\n", criteria(item)));
        out.push_str(&format!("- ความสนใจของสื่อ: {}\n", figures(item)));
        out.push_str(&format!("- {}\n", escape(&agency_line(item))));
        if let Some(source) = &item.source {
            out.push_str(&format!("- ที่มา: {}\n", escape(source)));
        }
        for link in &item.links {
            out.push_str(&format!("- <{link}>\n"));
        }
    }
}

/// Backslash-escapes the characters Markdown would read as formatting.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn formatting_characters_are_escaped() {
        assert_eq!(super::escape("a*b_[c]"), "a\\*b\\_\\[c\\]");
        assert_eq!(super::escape("ไข่ไก่"), "ไข่ไก่");
    }
}
