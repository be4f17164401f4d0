//! The KPI as an Excel workbook, the form the quarterly report is handed on in.
//!
//! Four sheets, named in Thai: "กระทรวง" and "หน่วยงาน" (a title row with the period, then
//! the table as in the CSV with a bold รวม row), "ประเด็น" (the issues, a plain table from the
//! first row so it can serve as a data source) and "หมายเหตุ" (where the figures came from,
//! the period and how they are counted: [`Provenance::lines`] and [`METHOD_TH`]).
//!
//! Counts are numbers, percentages numbers shown as `0.0`, and days real Excel dates shown
//! `d/m/yyyy` (C.E., as Excel gives them everywhere) so they sort and filter as days; the
//! notes sheet says so. Header rows are bold, frozen and filtered. The same input gives the
//! same bytes: the document's creation time is the provenance's, not the clock's.

use crate::csv::Level;
use crate::table::{table, Cell, Table};
use crate::{Provenance, KPI_TITLE_TH, METHOD_TH};
use praden_core::kpi::{Kpi, Period};
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};
use time::Date;

/// The sheets, in order.
pub const SHEET_MINISTRIES: &str = "กระทรวง";
pub const SHEET_AGENCIES: &str = "หน่วยงาน";
pub const SHEET_ISSUES: &str = "ประเด็น";
pub const SHEET_NOTES: &str = "หมายเหตุ";

/// Writing the workbook failed; `sheet` names the sheet being written ("workbook" for the
/// final packing). Only a figure Excel cannot hold (e.g. a day outside 1900–9999) gets here.
#[derive(Debug, thiserror::Error)]
#[error("writing the XLSX sheet “{sheet}”: {source}")]
pub struct ReportError {
    pub sheet: &'static str,
    #[source]
    pub source: XlsxError,
}

fn at(sheet: &'static str) -> impl Fn(XlsxError) -> ReportError {
    move |source| ReportError { sheet, source }
}

/// The title above the ministry and agency tables.
pub fn title_th(period: &Period) -> String {
    format!("{KPI_TITLE_TH} — {}", period.label_th())
}

/// The formats the sheets share.
struct Formats {
    title: Format,
    header: Format,
    percent: Format,
    date: Format,
    /// The รวม row: bold under a rule.
    total: Format,
    total_percent: Format,
    bold: Format,
    wrap: Format,
}

impl Formats {
    fn new() -> Self {
        let total = Format::new().set_bold().set_border_top(FormatBorder::Thin);
        Self {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xE8EEF4))
                .set_border_bottom(FormatBorder::Thin),
            percent: Format::new().set_num_format("0.0"),
            date: Format::new().set_num_format("d/m/yyyy"),
            total: total.clone(),
            total_percent: total.set_num_format("0.0"),
            bold: Format::new().set_bold(),
            wrap: Format::new().set_text_wrap(),
        }
    }
}

/// The workbook of `kpi` over `period`, with `provenance` on its notes sheet.
pub fn workbook(
    kpi: &Kpi,
    period: &Period,
    provenance: &Provenance,
) -> Result<Vec<u8>, ReportError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let created = excel_instant(provenance).map_err(at("workbook"))?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(title_th(period))
            .set_creation_datetime(&created),
    );
    let title = title_th(period);

    let ws = wb.add_worksheet();
    figures_sheet(
        ws,
        SHEET_MINISTRIES,
        &title,
        &table(kpi, Level::Ministry),
        &[46.0],
        &f,
    )
    .map_err(at(SHEET_MINISTRIES))?;
    let ws = wb.add_worksheet();
    figures_sheet(
        ws,
        SHEET_AGENCIES,
        &title,
        &table(kpi, Level::Agency),
        &[40.0, 46.0],
        &f,
    )
    .map_err(at(SHEET_AGENCIES))?;
    let ws = wb.add_worksheet();
    issues_sheet(ws, &table(kpi, Level::Issues), &f).map_err(at(SHEET_ISSUES))?;
    let ws = wb.add_worksheet();
    notes_sheet(ws, period, provenance, &f).map_err(at(SHEET_NOTES))?;

    wb.save_to_buffer().map_err(at("workbook"))
}

/// When the export was made, in UTC as Excel keeps a document's creation time (its own
/// wall time in the unthinkable case that UTC is past `time`'s range).
fn excel_instant(p: &Provenance) -> Result<ExcelDateTime, XlsxError> {
    let t = p
        .produced_at
        .checked_to_offset(time::UtcOffset::UTC)
        .unwrap_or(p.produced_at);
    excel_date(t.date())?.and_hms(u16::from(t.hour()), t.minute(), t.second())
}

fn excel_date(d: Date) -> Result<ExcelDateTime, XlsxError> {
    // A year that does not fit u16 is refused by `from_ymd` as year 0 is: out of Excel's range.
    let year = u16::try_from(d.year()).unwrap_or(0);
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day())
}

/// A4, landscape, as wide as one page, the header repeated on every printed page.
fn page_setup(ws: &mut Worksheet, header_row: u32) -> Result<(), XlsxError> {
    ws.set_paper_size(9)
        .set_landscape()
        .set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, header_row)?;
    Ok(())
}

/// Writes `t`'s header at `header_row` and its rows below, then freezes and filters the
/// header; `widths` are those of the leading columns (Excel's character units), the rest
/// get 13 (the headers wrap onto a tall header row).
fn write_table(
    ws: &mut Worksheet,
    t: &Table,
    header_row: u32,
    widths: &[f64],
    f: &Formats,
) -> Result<(), XlsxError> {
    for (col, h) in (0u16..).zip(&t.header) {
        ws.write_string_with_format(header_row, col, *h, &f.header)?;
        let width = widths.get(usize::from(col)).copied().unwrap_or(13.0);
        ws.set_column_width(col, width)?;
    }
    ws.set_row_height(header_row, 45)?;
    let mut row = header_row;
    for cells in &t.rows {
        row += 1;
        for (col, c) in (0u16..).zip(cells) {
            write_cell(ws, row, col, c, false, f)?;
        }
    }
    let last_data_row = row;
    if let Some(total) = &t.total {
        row += 1;
        for (col, c) in (0u16..).zip(total) {
            write_cell(ws, row, col, c, true, f)?;
        }
    }
    let last_col = u16::try_from(t.header.len().saturating_sub(1)).unwrap_or(0);
    // The total row stays out of the filter, so sorting never moves it among the rows.
    ws.autofilter(header_row, 0, last_data_row, last_col)?;
    ws.set_freeze_panes(header_row + 1, 0)?;
    page_setup(ws, header_row)
}

/// One typed cell; `total` writes it in the total row's bold, ruled format.
fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    c: &Cell,
    total: bool,
    f: &Formats,
) -> Result<(), XlsxError> {
    let (plain, percent) = if total {
        (Some(&f.total), &f.total_percent)
    } else {
        (None, &f.percent)
    };
    let string = |ws: &mut Worksheet, s: &str| -> Result<(), XlsxError> {
        match plain {
            Some(fmt) => ws.write_string_with_format(row, col, s, fmt)?,
            None => ws.write_string(row, col, s)?,
        };
        Ok(())
    };
    match c {
        Cell::Text(s) => string(ws, s)?,
        Cell::Int(Some(v)) => {
            // Ids and counts are far below 2^53: exact as f64.
            let v = *v as f64;
            match plain {
                Some(fmt) => ws.write_number_with_format(row, col, v, fmt)?,
                None => ws.write_number(row, col, v)?,
            };
        }
        Cell::Percent(Some(p)) => {
            ws.write_number_with_format(row, col, *p, percent)?;
        }
        Cell::Date(Some(d)) => {
            ws.write_datetime_with_format(row, col, excel_date(*d)?, &f.date)?;
        }
        Cell::Flag(Some(b)) => {
            let yes_no = if *b {
                "ใช่"
            } else {
                "ไม่ใช่"
            };
            string(ws, yes_no)?;
        }
        // Nothing to say: an empty cell (formatted in the total row, so its rule is unbroken).
        Cell::Int(None) | Cell::Percent(None) | Cell::Date(None) | Cell::Flag(None) => {
            if let Some(fmt) = plain {
                ws.write_blank(row, col, fmt)?;
            }
        }
    }
    Ok(())
}

fn figures_sheet(
    ws: &mut Worksheet,
    name: &str,
    title: &str,
    t: &Table,
    name_widths: &[f64],
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    ws.write_string_with_format(0, 0, title, &f.title)?;
    ws.set_row_height(0, 24)?;
    write_table(ws, t, 1, name_widths, f)
}

fn issues_sheet(ws: &mut Worksheet, t: &Table, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name(SHEET_ISSUES)?;
    let widths = [
        8.0, 60.0, 36.0, 40.0, 12.0, 12.0, 12.0, 16.0, 10.0, 13.0, 13.0, 13.0,
    ];
    write_table(ws, t, 0, &widths, f)
}

/// The lines of the notes sheet, in order, each with whether it is a heading (bold); an
/// empty line is left as a blank row.
fn notes_lines(period: &Period, provenance: &Provenance) -> Vec<(String, bool)> {
    let mut out = vec![
        (format!("หมายเหตุ — {KPI_TITLE_TH}"), true),
        (format!("ช่วงเวลา: {}", period.label_th()), false),
    ];
    out.extend(provenance.lines().into_iter().map(|l| (l, false)));
    out.push((String::new(), false));
    out.push(("วิธีคำนวณ".into(), true));
    out.extend(METHOD_TH.iter().map(|l| (l.to_string(), false)));
    out.push((String::new(), false));
    out.push((
        "วันที่ในแผ่นงาน \"ประเด็น\" เป็นวันที่ของ Excel แสดงเป็น วัน/เดือน/ปี ค.ศ. เพื่อให้เรียงลำดับและกรองได้"
            .into(),
        false,
    ));
    out
}

fn notes_sheet(
    ws: &mut Worksheet,
    period: &Period,
    provenance: &Provenance,
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.set_name(SHEET_NOTES)?;
    ws.set_column_width(0, 120)?;
    for (row, (line, heading)) in (0u32..).zip(notes_lines(period, provenance)) {
        if line.is_empty() {
            continue;
        }
        let fmt = if row == 0 {
            &f.title
        } else if heading {
            &f.bold
        } else {
            &f.wrap
        };
        ws.write_string_with_format(row, 0, line, fmt)?;
    }
    ws.set_paper_size(9);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{self, COMMA_TITLE, DIT, MHESI, MNRE, MOC};
    use calamine::{open_workbook_from_rs, Data, Range, Reader, Xlsx};
    use std::io::Cursor;

    fn book() -> (Vec<u8>, Xlsx<Cursor<Vec<u8>>>) {
        let bytes = workbook(&testdata::kpi(), &testdata::q1(), &testdata::provenance())
            .expect("the workbook is written");
        let wb = open_workbook_from_rs(Cursor::new(bytes.clone())).expect("it reads back");
        (bytes, wb)
    }

    fn s(v: &str) -> Data {
        Data::String(v.into())
    }

    fn row(r: &Range<Data>, n: u32, cols: u32) -> Vec<Data> {
        (0..cols)
            .map(|c| r.get_value((n, c)).cloned().unwrap_or(Data::Empty))
            .collect()
    }

    #[test]
    fn the_workbook_has_four_thai_sheets() {
        let (bytes, wb) = book();
        assert_eq!(&bytes[..2], b"PK");
        assert_eq!(
            wb.sheet_names(),
            [SHEET_MINISTRIES, SHEET_AGENCIES, SHEET_ISSUES, SHEET_NOTES]
        );
        let again = workbook(&testdata::kpi(), &testdata::q1(), &testdata::provenance()).unwrap();
        assert_eq!(bytes, again, "the same input gives the same bytes");
    }

    #[test]
    fn the_ministry_sheet_holds_numbers_under_a_titled_header() {
        let (_, mut wb) = book();
        let r = wb.worksheet_range(SHEET_MINISTRIES).unwrap();
        assert_eq!(
            r.get_value((0, 0)),
            Some(&s(
                "ร้อยละการชี้แจงประเด็นสำคัญที่ทันต่อสถานการณ์ — ไตรมาส 1 ปีงบประมาณ 2570 (1 ต.ค. 2569 – 31 ธ.ค. 2569)"
            ))
        );
        assert_eq!(
            row(&r, 1, 10),
            [
                "กระทรวง",
                "ประเด็นที่มอบหมาย",
                "ชี้แจงทันเวลา",
                "ชี้แจงล่าช้า",
                "ไม่ได้ชี้แจง",
                "ยังไม่ถึงกำหนด",
                "ร้อยละที่ทันเวลา",
                "เผยแพร่มากกว่า 1 ช่องทาง",
                "ครบถ้วนตรงประเด็น",
                "หลักฐานภายใน 2 วัน",
            ]
            .map(s)
        );
        let nums = |name: &str, v: [f64; 5], p: Data, q: [f64; 3]| {
            std::iter::once(s(name))
                .chain(v.map(Data::Float))
                .chain([p])
                .chain(q.map(Data::Float))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            row(&r, 2, 10),
            nums(MHESI, [1.0, 0.0, 0.0, 0.0, 1.0], Data::Empty, [0.0; 3])
        );
        assert_eq!(
            row(&r, 3, 10),
            nums(MNRE, [2.0, 0.0, 0.0, 1.0, 1.0], Data::Float(0.0), [0.0; 3])
        );
        assert_eq!(
            row(&r, 4, 10),
            nums(
                MOC,
                [3.0, 2.0, 1.0, 0.0, 0.0],
                Data::Float(66.7),
                [2.0, 1.0, 1.0]
            )
        );
        assert_eq!(
            row(&r, 5, 10),
            nums(
                "รวม",
                [6.0, 2.0, 1.0, 1.0, 2.0],
                Data::Float(50.0),
                [2.0, 1.0, 1.0]
            )
        );
        assert_eq!(r.end(), Some((5, 9)), "nothing below the total");
    }

    #[test]
    fn the_agency_and_issue_sheets_follow_the_csv_levels() {
        let (_, mut wb) = book();
        let a = wb.worksheet_range(SHEET_AGENCIES).unwrap();
        assert_eq!(a.get_value((1, 1)), Some(&s("หน่วยงาน")));
        assert_eq!(a.get_value((4, 0)), Some(&s(MOC)));
        assert_eq!(a.get_value((4, 1)), Some(&s(DIT)));
        assert_eq!(a.get_value((4, 7)), Some(&Data::Float(66.7)));
        assert_eq!(a.get_value((5, 0)), Some(&s("รวม")));

        let i = wb.worksheet_range(SHEET_ISSUES).unwrap();
        assert_eq!(i.get_value((0, 0)), Some(&s("เลขที่")));
        // The title is kept as it is: no CSV guard or quoting in a typed cell.
        assert_eq!(i.get_value((1, 1)), Some(&s(COMMA_TITLE)));
        assert_eq!(i.get_value((1, 0)), Some(&Data::Float(1.0)));
        // Days are real dates: 1 October 2026.
        match i.get_value((1, 4)) {
            Some(Data::DateTime(d)) => {
                assert_eq!(d.as_f64(), 46296.0, "Excel's serial day of 2026-10-01")
            }
            other => panic!("not a date: {other:?}"),
        }
        assert_eq!(i.get_value((2, 7)), Some(&s("ล่าช้า 3 วัน")));
        assert_eq!(i.get_value((2, 8)), Some(&Data::Float(3.0)));
        assert_eq!(i.get_value((1, 9)), Some(&s("ใช่")));
        assert_eq!(i.get_value((2, 9)), Some(&s("ไม่ใช่")));
        // Not clarified: no day, no quality marks.
        assert!(matches!(i.get_value((6, 6)), None | Some(Data::Empty)));
        assert!(matches!(i.get_value((6, 9)), None | Some(Data::Empty)));
        assert_eq!(i.get_value((6, 7)), Some(&s("ไม่ได้ชี้แจง")));
    }

    #[test]
    fn the_notes_sheet_tells_provenance_and_method() {
        let (_, mut wb) = book();
        let n = wb.worksheet_range(SHEET_NOTES).unwrap();
        let lines: Vec<String> = n
            .rows()
            .filter_map(|r| r.first().map(|c| c.to_string()))
            .collect();
        for want in [
            "ช่วงเวลา: ไตรมาส 1 ปีงบประมาณ 2570 (1 ต.ค. 2569 – 31 ธ.ค. 2569)",
            // 03:15 UTC is 10:15 in Bangkok.
            "จัดทำเมื่อ 5 ม.ค. 2570 10:15 น.",
            "ข้อมูล ณ 5 ม.ค. 2570 10:15 น.",
            "ไตรมาส 1/2570 ยังไม่ปิดรอบ",
            "การนับกำหนดชี้แจง: นับวันปฏิทิน",
            "วิธีคำนวณ",
        ]
        .into_iter()
        .chain(METHOD_TH.iter().copied())
        {
            assert!(lines.iter().any(|l| l == want), "{want:?} in {lines:#?}");
        }
    }

    #[test]
    fn a_day_excel_cannot_hold_names_the_sheet() {
        let mut kpi = testdata::kpi();
        kpi.issues[0].assigned = Date::from_calendar_date(1800, time::Month::January, 1).unwrap();
        let e = workbook(&kpi, &testdata::q1(), &testdata::provenance()).unwrap_err();
        assert_eq!(e.sheet, SHEET_ISSUES);
        assert!(e.to_string().contains("“ประเด็น”"), "{e}");
    }
}
