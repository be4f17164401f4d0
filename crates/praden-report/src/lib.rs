//! The quarterly report of the timeliness KPI (ร้อยละการชี้แจงประเด็นสำคัญที่ทันต่อสถานการณ์),
//! rendered from a [`praden_core::kpi::Kpi`]: charts as SVG strings ([`svg`]), CSV files
//! ([`csv`]) and an XLSX workbook ([`xlsx`]).
//!
//! Pure: the figures come in, bytes or strings go out, the same for the same input (no clock,
//! no randomness), so the web layer can serve them and the CLI can write them as they are.
//! What the figures mean is [`METHOD_TH`]; where they came from travels with each workbook
//! as a [`Provenance`].

pub mod csv;
pub mod svg;
pub mod xlsx;

mod table;

pub use xlsx::ReportError;

use praden_core::thai_time::format_thai_moment;
use time::OffsetDateTime;

/// Where the figures came from, printed on every export (report footer / notes sheet).
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// Shown in Bangkok time, B.E.
    pub produced_at: OffsetDateTime,
    /// e.g. "ข้อมูล ณ 4 ธ.ค. 2569 19:30 น." or "ไตรมาส 1/2570 ปิดรอบเมื่อ … โดย admin" — free
    /// Thai text lines.
    pub sources: Vec<String>,
    /// e.g. "นับวันปฏิทิน" / "นับวันทำการ (ปฏิทินวันหยุด holidays.txt)".
    pub deadline_rule: String,
}

impl Provenance {
    /// When the export was made, as Thai readers write it: `5 ธ.ค. 2569 02:30 น.` (Bangkok).
    pub fn produced_at_th(&self) -> String {
        format_thai_moment(self.produced_at)
    }

    /// The lines a footer prints, in order: when it was produced, each source, then how
    /// deadlines count. The notes sheet of the workbook holds the same lines.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("จัดทำเมื่อ {}", self.produced_at_th())];
        out.extend(self.sources.iter().cloned());
        out.push(format!("การนับกำหนดชี้แจง: {}", self.deadline_rule));
        out
    }
}

/// How the KPI is counted, one Thai sentence a line: the workbook's notes sheet and the
/// printable web report show the same text, so the two cannot drift apart. Kept in step with
/// the definitions of [`praden_core::kpi`].
pub const METHOD_TH: &[&str] = &[
    "นับประเด็นตามวันที่มอบหมาย (อนุมัติ) ตามเวลากรุงเทพฯ และนับให้หน่วยงานสุดท้ายที่รับผิดชอบ (ประเด็นที่เปลี่ยนหน่วยงานนับให้หน่วยงานล่าสุดเท่านั้น)",
    "ไม่นับประเด็นที่ถอนการมอบหมาย",
    "ทันเวลา: การชี้แจงครั้งแรกที่รายงานเข้ามาเกิดขึ้นภายในวันครบกำหนดหรือก่อนนั้น",
    "ล่าช้า: การชี้แจงครั้งแรกเกิดขึ้นหลังวันครบกำหนด (นับจำนวนวันที่เกินกำหนด)",
    "ไม่ได้ชี้แจง: ไม่มีการรายงานการชี้แจงและพ้นวันครบกำหนดแล้ว; ยังไม่ถึงกำหนด: ยังไม่มีการชี้แจงและยังไม่พ้นวันครบกำหนด จึงยังไม่นำมาคิดร้อยละจนกว่าจะทราบผล",
    "ร้อยละที่ทันเวลา = ทันเวลา ÷ (ทันเวลา + ล่าช้า + ไม่ได้ชี้แจง) × 100 (ทศนิยม 1 ตำแหน่ง)",
    "ตัวชี้วัดคุณภาพนับจากประเด็นที่ชี้แจงแล้ว (ทันเวลาหรือล่าช้า): เผยแพร่มากกว่า 1 ช่องทาง, ครบถ้วนตรงประเด็นตามผลการประเมินล่าสุดของการชี้แจงครั้งแรก, และส่งหลักฐานภายใน 2 วันหลังการรายงาน",
];

/// The report's title, before the period: the KPI's official Thai name.
pub const KPI_TITLE_TH: &str = "ร้อยละการชี้แจงประเด็นสำคัญที่ทันต่อสถานการณ์";

#[cfg(test)]
pub(crate) mod testdata;

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn provenance_is_told_in_bangkok_time_and_the_buddhist_era() {
        let p = Provenance {
            // 19:30 UTC on 4 December is 02:30 on the 5th in Bangkok.
            produced_at: datetime!(2026-12-04 19:30 UTC),
            sources: vec!["ข้อมูล ณ 4 ธ.ค. 2569 19:30 น.".into()],
            deadline_rule: "นับวันปฏิทิน".into(),
        };
        assert_eq!(p.produced_at_th(), "5 ธ.ค. 2569 02:30 น.");
        assert_eq!(
            p.lines(),
            [
                "จัดทำเมื่อ 5 ธ.ค. 2569 02:30 น.",
                "ข้อมูล ณ 4 ธ.ค. 2569 19:30 น.",
                "การนับกำหนดชี้แจง: นับวันปฏิทิน",
            ]
        );
        assert!((5..=7).contains(&METHOD_TH.len()));
    }
}
