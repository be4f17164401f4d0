//! The brief as an HTML fragment (Thai, no JavaScript); praden-web puts it in its page.

use crate::text::{agency_line, criteria, figures};
use crate::words::{clock, day_long, moment};
use crate::{Brief, BriefItem};
use std::fmt::Write;

pub fn html_fragment(b: &Brief) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<header class=\"brief-head\"><h1>สรุปประเด็นประจำวัน (ID-Chat)</h1>\
         <p><strong>{} เวลา {}</strong></p>\
         <p class=\"meta\">อนุมัติแล้ว {} ประเด็น · รอพิจารณา {} ประเด็น (แสดง {} ประเด็นแรก) · \
         ช่วงเวลา {} ถึง {}</p>",
        esc(&day_long(b.slot)),
        esc(&clock(b.scheduled_for)),
        b.counts.approved,
        b.counts.pending_total,
        b.counts.pending_shown,
        esc(&moment(b.covers_from)),
        esc(&moment(b.covers_until)),
    );
    if b.late {
        let _ = write!(
            out,
            "<p class=\"notice\" role=\"status\"><strong>ส่งล่าช้า:</strong> กำหนด {} จัดทำเมื่อ {}</p>",
            esc(&clock(b.scheduled_for)),
            esc(&moment(b.generated_at))
        );
    }
    out.push_str("</header>");
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
    let _ = write!(out, "<section><h2>{}</h2>", esc(heading));
    if items.is_empty() {
        let _ = write!(out, "<p>{}</p>", esc(empty));
    } else {
        out.push_str("<ol class=\"brief-items\">");
        for item in items {
            // The brief is read on praden's own page: each item opens where a monitor acts on
            // it — the approved issue, or the candidate still waiting in the queue.
            let page = match item.issue_id {
                Some(issue) => format!("/issues/{issue}"),
                None => format!("/candidates/{}", item.candidate_id),
            };
            let _ = write!(
                out,
                "<li value=\"{}\"><h3><a href=\"{page}\">{}</a></h3>",
                item.rank,
                esc(&item.title)
            );
            if !item.summary.is_empty() {
                let _ = write!(out, "<p>{}</p>", esc(&item.summary));
            }
            let _ = write!(
                out,
                "<ul class=\"meta\"><li>เกณฑ์: {}</li><li>ความสนใจของสื่อ: {}</li><li>{}</li>",
                esc(&criteria(item)),
                esc(&figures(item)),
                esc(&agency_line(item))
            );
            if let Some(source) = &item.source {
                let _ = write!(out, "<li>ที่มา: {}</li>", esc(source));
            }
            for link in &item.links {
                // Only web links become anchors; anything else is shown as text.
                if link.starts_with("https://") || link.starts_with("http://") {
                    let _ = write!(
                        out,
                        "<li><a href=\"{0}\" rel=\"noopener noreferrer\">{0}</a></li>",
                        esc(link)
                    );
                } else {
                    let _ = write!(out, "<li>{}</li>", esc(link));
                }
            }
            out.push_str("</ul></li>");
        }
        out.push_str("</ol>");
    }
    out.push_str("</section>");
}

fn esc(s: &str) -> String {
    praden_core::html::escape(s)
}
