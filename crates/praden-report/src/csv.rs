//! The KPI as CSV, for spreadsheets and for other systems to read.
//!
//! UTF-8 with a byte-order mark (Excel reads a file without one in the local code page and
//! garbles Thai), RFC 4180 quoting and CRLF line ends. Dates are `YYYY-MM-DD` (C.E.) and
//! percentages `72.5`, so a machine reads them without knowing Thai conventions. Only the
//! table is written: provenance lines above or below it would break every parser, so they go
//! in the workbook's notes sheet instead.

use crate::table::{table, Cell};
use praden_core::kpi::Kpi;
use serde::{Deserialize, Serialize};

/// The byte-order mark that starts every file.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Which table: one row per ministry, one per agency, or one per issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ministry,
    Agency,
    Issues,
}

/// The table of `kpi` at `level` as a CSV file: the Thai header row, the rows, and (for
/// ministries and agencies) a รวม row with the totals.
pub fn csv(kpi: &Kpi, level: Level) -> Vec<u8> {
    let t = table(kpi, level);
    let mut out = String::new();
    line(&mut out, t.header.iter().map(|h| field(h)));
    for row in t.rows.iter().chain(t.total.as_ref()) {
        line(&mut out, row.iter().map(cell));
    }
    let mut bytes = BOM.to_vec();
    bytes.extend_from_slice(out.as_bytes());
    bytes
}

fn line(out: &mut String, fields: impl Iterator<Item = String>) {
    let fields: Vec<String> = fields.collect();
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

fn cell(c: &Cell) -> String {
    match c {
        Cell::Text(s) => field(s),
        Cell::Int(n) => n.map(|n| n.to_string()).unwrap_or_default(),
        Cell::Percent(p) => p.map(|p| format!("{p:.1}")).unwrap_or_default(),
        // `Date`'s Display is ISO 8601, YYYY-MM-DD for the years the store holds.
        Cell::Date(d) => d.map(|d| d.to_string()).unwrap_or_default(),
        Cell::Flag(f) => match f {
            Some(true) => "ใช่".into(),
            Some(false) => "ไม่ใช่".into(),
            None => String::new(),
        },
    }
}

/// A text field, guarded and quoted.
///
/// Titles come from news text, so one may start with `=`, `+`, `-` or `@` (or a tab or CR),
/// which a spreadsheet runs as a formula (CSV injection): such a field gets a leading
/// apostrophe, which spreadsheets show as text. Then RFC 4180: a field with a comma, a quote,
/// CR or LF is quoted, its quotes doubled.
pub fn field(s: &str) -> String {
    let guarded = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{self, COMMA_TITLE, DIT, MHESI, MNRE, MOC, OPS, PCD};

    fn text(bytes: &[u8]) -> &str {
        let body = bytes.strip_prefix(BOM).expect("starts with the BOM");
        std::str::from_utf8(body).expect("UTF-8")
    }

    #[test]
    fn ministries_have_a_thai_header_their_rows_and_a_total() {
        let bytes = csv(&testdata::kpi(), Level::Ministry);
        assert_eq!(&bytes[..3], [0xEF, 0xBB, 0xBF]);
        let expected = [
            "กระทรวง,ประเด็นที่มอบหมาย,ชี้แจงทันเวลา,ชี้แจงล่าช้า,ไม่ได้ชี้แจง,ยังไม่ถึงกำหนด,ร้อยละที่ทันเวลา,เผยแพร่มากกว่า 1 ช่องทาง,ครบถ้วนตรงประเด็น,หลักฐานภายใน 2 วัน".to_string(),
            // Nothing decided yet: the percentage is empty, not 0.
            format!("{MHESI},1,0,0,0,1,,0,0,0"),
            format!("{MNRE},2,0,0,1,1,0.0,0,0,0"),
            format!("{MOC},3,2,1,0,0,66.7,2,1,1"),
            "รวม,6,2,1,1,2,50.0,2,1,1".to_string(),
        ];
        let want: String = expected.iter().map(|l| format!("{l}\r\n")).collect();
        assert_eq!(text(&bytes), want);
    }

    #[test]
    fn agencies_name_their_ministry_first() {
        let bytes = csv(&testdata::kpi(), Level::Agency);
        let lines: Vec<&str> = text(&bytes).split("\r\n").collect();
        assert_eq!(
            lines,
            [
                "กระทรวง,หน่วยงาน,ประเด็นที่มอบหมาย,ชี้แจงทันเวลา,ชี้แจงล่าช้า,ไม่ได้ชี้แจง,ยังไม่ถึงกำหนด,ร้อยละที่ทันเวลา,เผยแพร่มากกว่า 1 ช่องทาง,ครบถ้วนตรงประเด็น,หลักฐานภายใน 2 วัน",
                &format!("{MHESI},{OPS},1,0,0,0,1,,0,0,0"),
                &format!("{MNRE},{PCD},2,0,0,1,1,0.0,0,0,0"),
                &format!("{MOC},{DIT},3,2,1,0,0,66.7,2,1,1"),
                "รวม,,6,2,1,1,2,50.0,2,1,1",
                "",
            ]
        );
    }

    #[test]
    fn issues_quote_commas_and_guard_formulas() {
        let bytes = csv(&testdata::kpi(), Level::Issues);
        let body = text(&bytes);
        let lines: Vec<&str> = body.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "เลขที่,ประเด็น,หน่วยงาน,กระทรวง,วันที่มอบหมาย,กำหนดชี้แจง,วันที่ชี้แจง,ผล,ล่าช้า (วัน),เผยแพร่มากกว่า 1 ช่องทาง,ครบถ้วนตรงประเด็น,หลักฐานภายใน 2 วัน"
        );
        assert_eq!(
            lines[1],
            format!(
                "1,\"ไข่ไก่แพง, ผู้ค้าบอก \"\"ไม่จริง\"\"\",{DIT},{MOC},2026-10-01,2026-10-02,2026-10-02,ทันเวลา,,ใช่,ใช่,ใช่"
            )
        );
        // The formula keeps its text but starts with an apostrophe (and is quoted: it has
        // commas and quotes).
        assert_eq!(
            lines[2],
            format!(
                "2,\"'=HYPERLINK(\"\"http://x.example\"\",\"\"ข่าว\"\")\",{DIT},{MOC},2026-11-02,2026-11-03,2026-11-06,ล่าช้า 3 วัน,3,ไม่ใช่,ไม่ใช่,ไม่ใช่"
            )
        );
        // Pending and not clarified: no clarification day, no days late, no quality marks.
        assert_eq!(
            lines[4],
            format!("9,ทุนวิจัย,{OPS},{MHESI},2026-12-28,2027-01-27,,ยังไม่ถึงกำหนด,,,,")
        );
        assert_eq!(
            lines[6],
            format!("3,ฝุ่น PM2.5 เกินมาตรฐาน,{PCD},{MNRE},2026-12-31,2027-01-01,,ไม่ได้ชี้แจง,,,,")
        );
        assert_eq!(
            lines.len(),
            1 + 6 + 1,
            "header, six issues, nothing after the last CRLF"
        );
        assert!(body.contains(&field(COMMA_TITLE)));
    }

    #[test]
    fn fields_are_quoted_and_guarded_as_needed() {
        assert_eq!(field("ธรรมดา"), "ธรรมดา");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("cr\rhere"), "\"cr\rhere\"");
        assert_eq!(field("+66 2 123"), "'+66 2 123");
        assert_eq!(field("-1"), "'-1");
        assert_eq!(field("@user"), "'@user");
        assert_eq!(field("\tx"), "'\tx");
        assert_eq!(field("=1+1"), "'=1+1");
        assert_eq!(field("a=b"), "a=b");
    }
}
