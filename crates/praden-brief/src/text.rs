//! The brief as plain Thai text, and split into LINE messages.
//!
//! The text is a list of blocks (the header, then one block per item); a section's heading
//! travels with its first item so no message ends on a bare heading. LINE takes at most
//! 5,000 characters per text message, counted in UTF-16 code units; messages are filled
//! block by block and an item is never split across two. Items are bounded (title, summary
//! and links are capped), so one item always fits in a message.

use crate::words::{clock, day_long, moment, number};
use crate::{Brief, BriefItem, ItemStatus};
use praden_core::thai_time::format_thai_date_short;

/// LINE Messaging API's limit for one text message.
pub const LINE_MAX_CHARS: usize = 5000;

/// Room kept at the top of every message after the first for its continuation line.
const CONTINUATION_RESERVE: usize = 120;

/// The whole brief as one text (what `praden brief` prints).
pub fn plain_text(brief: &Brief) -> String {
    blocks(brief).join("\n\n")
}

/// The brief as LINE text messages, each at most [`LINE_MAX_CHARS`] UTF-16 code units, no
/// item split across two. Messages after the first start with a line saying which part of
/// the brief they are.
pub fn line_messages(brief: &Brief) -> Vec<String> {
    line_messages_within(brief, LINE_MAX_CHARS)
}

pub(crate) fn line_messages_within(brief: &Brief, limit: usize) -> Vec<String> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut size = 0;
    for block in blocks(brief) {
        let n = utf16_len(&block);
        let room = if groups.len() <= 1 {
            limit
        } else {
            limit - CONTINUATION_RESERVE
        };
        // A message after the first also carries its continuation line.
        let room_next = limit - CONTINUATION_RESERVE;
        match groups.last_mut() {
            Some(g) if size + 2 + n <= room => {
                g.push(block);
                size += 2 + n;
            }
            _ => {
                let block = if n > room_next {
                    // Cannot happen with the item caps; never send an over-long message.
                    truncate_utf16(&block, room_next)
                } else {
                    block
                };
                size = utf16_len(&block);
                groups.push(vec![block]);
            }
        }
    }
    let total = groups.len();
    groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            let body = g.join("\n\n");
            if i == 0 {
                body
            } else {
                format!(
                    "(ต่อ) สรุปประเด็น {} · ข้อความที่ {}/{}\n\n{body}",
                    format_thai_date_short(brief.slot),
                    i + 1,
                    total
                )
            }
        })
        .collect()
}

fn blocks(brief: &Brief) -> Vec<String> {
    let mut out = vec![header(brief)];
    section(
        &mut out,
        &format!("■ ประเด็นที่อนุมัติแล้ว {} ประเด็น", brief.counts.approved),
        &brief.approved,
        "ไม่มีประเด็นที่อนุมัติใหม่ตั้งแต่สรุปครั้งก่อน",
    );
    section(
        &mut out,
        &format!(
            "■ ประเด็นรอพิจารณา {} จาก {} ประเด็น",
            brief.counts.pending_shown, brief.counts.pending_total
        ),
        &brief.pending,
        "ไม่มีประเด็นรอพิจารณา",
    );
    out
}

fn section(out: &mut Vec<String>, heading: &str, items: &[BriefItem], empty: &str) {
    if items.is_empty() {
        out.push(format!("{heading}\n{empty}"));
        return;
    }
    for (i, item) in items.iter().enumerate() {
        let text = item_text(item);
        out.push(if i == 0 {
            format!("{heading}\n\n{text}")
        } else {
            text
        });
    }
}

fn header(b: &Brief) -> String {
    let mut lines = vec![
        "สรุปประเด็นประจำวัน (ID-Chat)".to_string(),
        format!("{} เวลา {}", day_long(b.slot), clock(b.scheduled_for)),
        format!(
            "อนุมัติแล้ว {} ประเด็น · รอพิจารณา {} ประเด็น",
            b.counts.approved, b.counts.pending_total
        ),
        format!(
            "ช่วงเวลา: {} ถึง {}",
            moment(b.covers_from),
            moment(b.covers_until)
        ),
    ];
    if b.late {
        lines.push(format!(
            "หมายเหตุ: ส่งล่าช้า (กำหนด {} จัดทำเมื่อ {})",
            clock(b.scheduled_for),
            moment(b.generated_at)
        ));
    }
    lines.join("\n")
}

fn item_text(item: &BriefItem) -> String {
    let mut lines = vec![format!("{}. {}", item.rank, item.title)];
    if !item.summary.is_empty() {
        lines.push(item.summary.clone());
    }
    lines.push(format!("เกณฑ์: {}", criteria(item)));
    lines.push(format!("ความสนใจของสื่อ: {}", figures(item)));
    lines.push(agency_line(item));
    if let Some(source) = &item.source {
        lines.push(format!("ที่มา: {source}"));
    }
    lines.extend(item.links.iter().cloned());
    lines.join("\n")
}

pub(crate) fn criteria(item: &BriefItem) -> String {
    let mut parts: Vec<&str> = item.criteria.iter().map(|c| c.label_th()).collect();
    if item.misleading {
        parts.push("ข่าวอาจคลาดเคลื่อน ต้องชี้แจงแก้ไข");
    }
    if parts.is_empty() {
        "ไม่มีเกณฑ์ที่ถึงระดับ".to_string()
    } else {
        parts.join(" · ")
    }
}

pub(crate) fn figures(item: &BriefItem) -> String {
    let f = &item.figures;
    format!(
        "ข่าว {} ชิ้น จาก {} สำนัก · วิทยุ/โทรทัศน์ {} ครั้ง · โซเชียล {} โพสต์ มีส่วนร่วม {} ครั้ง",
        number(f.articles),
        number(f.outlets),
        number(f.broadcast),
        number(f.social_posts),
        number(f.social_engagement)
    )
}

pub(crate) fn agency_name(item: &BriefItem) -> String {
    match &item.agency {
        Some(a) if !a.abbr.is_empty() => format!("{} ({})", a.name_th, a.abbr),
        Some(a) => a.name_th.clone(),
        None => "ยังไม่ระบุ".to_string(),
    }
}

pub(crate) fn agency_line(item: &BriefItem) -> String {
    match item.status {
        ItemStatus::Approved => {
            let due = item
                .due_date
                .map(|d| format!(" (ถึง {})", format_thai_date_short(d)))
                .unwrap_or_default();
            format!(
                "หน่วยงานที่ต้องชี้แจง: {} · ภายใน {} วัน{due}",
                agency_name(item),
                item.deadline_days
            )
        }
        ItemStatus::Pending => format!(
            "หน่วยงานที่เสนอ: {} · เสนอให้ชี้แจงภายใน {} วัน",
            agency_name(item),
            item.deadline_days
        ),
    }
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn truncate_utf16(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    for c in s.chars() {
        if n + c.len_utf16() + 1 > max {
            break;
        }
        n += c.len_utf16();
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_counts_what_line_counts() {
        assert_eq!(utf16_len("ไข่"), 3);
        assert_eq!(utf16_len("😀"), 2);
        let t = truncate_utf16(&"ก".repeat(50), 10);
        assert_eq!(utf16_len(&t), 10);
    }
}
