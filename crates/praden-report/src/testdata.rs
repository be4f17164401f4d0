//! One quarter's figures for the tests of every rendering: each outcome once, a ministry with
//! nothing decided yet, a long ministry name, and titles that need quoting or guarding.

use praden_core::kpi::{compute, DeadlineDays, IssueFacts, Kpi, Period};
use time::macros::{date, datetime};
use time::Date;

pub const DIT: &str = "กรมการค้าภายใน";
pub const MOC: &str = "กระทรวงพาณิชย์";
pub const PCD: &str = "กรมควบคุมมลพิษ";
pub const MNRE: &str = "กระทรวงทรัพยากรธรรมชาติและสิ่งแวดล้อม";
pub const OPS: &str = "สำนักงานปลัดกระทรวงการอุดมศึกษา วิทยาศาสตร์ วิจัยและนวัตกรรม";
pub const MHESI: &str = "กระทรวงการอุดมศึกษา วิทยาศาสตร์ วิจัยและนวัตกรรม";

/// A title with a comma and quotes: CSV must quote it.
pub const COMMA_TITLE: &str = "ไข่ไก่แพง, ผู้ค้าบอก \"ไม่จริง\"";
/// A title that a spreadsheet would run as a formula: CSV must guard it.
pub const FORMULA_TITLE: &str = "=HYPERLINK(\"http://x.example\",\"ข่าว\")";

fn facts(id: i64, title: &str, agency: &str, ministry: &str, assigned: Date) -> IssueFacts {
    IssueFacts {
        issue_id: id,
        title: title.into(),
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

pub fn q1() -> Period {
    Period::parse("2570Q1").expect("a quarter")
}

/// As of 5 January 2027 (2570), quarter 1/2570 counted in calendar days:
/// - กระทรวงพาณิชย์: #1 in time (all three quality marks), #2 late by 3 days, #5 in time
///   (more than one channel) — 66.7 %.
/// - กระทรวงทรัพยากรฯ: #3 not clarified, #8 pending — 0.0 %.
/// - กระทรวงการอุดมศึกษาฯ: #9 pending only — no percentage yet.
/// - A withdrawn issue (#4) does not count.
pub fn kpi() -> Kpi {
    let mut in_time = facts(1, COMMA_TITLE, DIT, MOC, date!(2026 - 10 - 01));
    in_time.clarified = Some(date!(2026 - 10 - 02));
    in_time.multi_channel = true;
    in_time.complete = true;
    in_time.evidence_on_time = true;
    let mut late = facts(2, FORMULA_TITLE, DIT, MOC, date!(2026 - 11 - 02));
    late.clarified = Some(date!(2026 - 11 - 06));
    let never = facts(3, "ฝุ่น PM2.5 เกินมาตรฐาน", PCD, MNRE, date!(2026 - 12 - 31));
    let mut withdrawn = facts(4, "ถอนแล้ว", PCD, MNRE, date!(2026 - 11 - 10));
    withdrawn.withdrawn = true;
    let mut second = facts(5, "ราคาหมู", DIT, MOC, date!(2026 - 11 - 20));
    second.clarified = Some(date!(2026 - 11 - 21));
    second.multi_channel = true;
    let mut pending = facts(8, "น้ำเสียโรงงาน", PCD, MNRE, date!(2026 - 12 - 30));
    pending.deadline_days = 10;
    let mut fresh = facts(9, "ทุนวิจัย", OPS, MHESI, date!(2026 - 12 - 28));
    fresh.deadline_days = 30;
    compute(
        &[in_time, late, never, withdrawn, second, pending, fresh],
        &q1(),
        &DeadlineDays::Calendar,
        date!(2027 - 01 - 05),
    )
}

pub fn provenance() -> crate::Provenance {
    crate::Provenance {
        produced_at: datetime!(2027-01-05 03:15 UTC),
        sources: vec![
            "ข้อมูล ณ 5 ม.ค. 2570 10:15 น.".into(),
            "ไตรมาส 1/2570 ยังไม่ปิดรอบ".into(),
        ],
        deadline_rule: "นับวันปฏิทิน".into(),
    }
}
