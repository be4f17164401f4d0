//! The tables behind the CSV files and the workbook's sheets, built once so both say the same
//! thing in the same columns: each renderer only decides how a typed cell is written.

use crate::csv::Level;
use praden_core::kpi::{CountedIssue, Figures, Kpi, Outcome, Row};
use time::Date;

/// One cell, typed so the workbook can keep numbers as numbers and days as days.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(String),
    /// A count or an id; `None` is an empty cell (e.g. days late of an issue that was not late).
    Int(Option<i64>),
    /// Per cent, one decimal; `None` while nothing is decided.
    Percent(Option<f64>),
    Date(Option<Date>),
    /// ใช่ / ไม่ใช่; `None` where the question does not arise (quality of an issue not clarified).
    Flag(Option<bool>),
}

impl Cell {
    fn count(n: u32) -> Self {
        Self::Int(Some(i64::from(n)))
    }
}

pub(crate) struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// The รวม row, after the rows (the issue list has none).
    pub total: Option<Vec<Cell>>,
}

/// The figures' columns, after the name columns of the ministry and agency levels.
const FIGURE_HEADER: [&str; 9] = [
    "ประเด็นที่มอบหมาย",
    "ชี้แจงทันเวลา",
    "ชี้แจงล่าช้า",
    "ไม่ได้ชี้แจง",
    "ยังไม่ถึงกำหนด",
    "ร้อยละที่ทันเวลา",
    "เผยแพร่มากกว่า 1 ช่องทาง",
    "ครบถ้วนตรงประเด็น",
    "หลักฐานภายใน 2 วัน",
];

const ISSUE_HEADER: [&str; 12] = [
    "เลขที่",
    "ประเด็น",
    "หน่วยงาน",
    "กระทรวง",
    "วันที่มอบหมาย",
    "กำหนดชี้แจง",
    "วันที่ชี้แจง",
    "ผล",
    "ล่าช้า (วัน)",
    "เผยแพร่มากกว่า 1 ช่องทาง",
    "ครบถ้วนตรงประเด็น",
    "หลักฐานภายใน 2 วัน",
];

/// The word of the total row.
pub(crate) const TOTAL_TH: &str = "รวม";

fn figures(f: &Figures) -> impl Iterator<Item = Cell> {
    [
        Cell::count(f.assigned),
        Cell::count(f.in_time),
        Cell::count(f.late),
        Cell::count(f.not_clarified),
        Cell::count(f.pending),
        Cell::Percent(f.percent_in_time),
        Cell::count(f.multi_channel),
        Cell::count(f.complete),
        Cell::count(f.evidence_on_time),
    ]
    .into_iter()
}

fn issue(i: &CountedIssue) -> Vec<Cell> {
    // Quality is only judged of a clarification: for an issue without one the flags are
    // left empty rather than "ไม่ใช่", which would read as a judgement.
    let clarified = matches!(i.outcome, Outcome::InTime | Outcome::Late { .. });
    let flag = |b: bool| Cell::Flag(clarified.then_some(b));
    let late_days = match i.outcome {
        Outcome::Late { days } => Some(days),
        _ => None,
    };
    vec![
        Cell::Int(Some(i.issue_id)),
        Cell::Text(i.title.clone()),
        Cell::Text(i.agency.clone()),
        Cell::Text(i.ministry.clone()),
        Cell::Date(Some(i.assigned)),
        Cell::Date(Some(i.due)),
        Cell::Date(i.clarified),
        Cell::Text(i.outcome.label_th()),
        Cell::Int(late_days),
        flag(i.multi_channel),
        flag(i.complete),
        flag(i.evidence_on_time),
    ]
}

/// The table of `kpi` at `level`: ministries (by name), agencies (by ministry, then name) or
/// the issues behind them (by assignment day), as [`Kpi`] orders them.
pub(crate) fn table(kpi: &Kpi, level: Level) -> Table {
    match level {
        Level::Ministry => {
            let row = |r: &Row| {
                std::iter::once(Cell::Text(r.name.clone()))
                    .chain(figures(&r.figures))
                    .collect()
            };
            Table {
                header: std::iter::once("กระทรวง").chain(FIGURE_HEADER).collect(),
                rows: kpi.by_ministry.iter().map(row).collect(),
                total: Some(
                    std::iter::once(Cell::Text(TOTAL_TH.into()))
                        .chain(figures(&kpi.total))
                        .collect(),
                ),
            }
        }
        Level::Agency => {
            let row = |r: &Row| {
                [Cell::Text(r.ministry.clone()), Cell::Text(r.name.clone())]
                    .into_iter()
                    .chain(figures(&r.figures))
                    .collect()
            };
            Table {
                header: ["กระทรวง", "หน่วยงาน"]
                    .into_iter()
                    .chain(FIGURE_HEADER)
                    .collect(),
                rows: kpi.by_agency.iter().map(row).collect(),
                total: Some(
                    [Cell::Text(TOTAL_TH.into()), Cell::Text(String::new())]
                        .into_iter()
                        .chain(figures(&kpi.total))
                        .collect(),
                ),
            }
        }
        Level::Issues => Table {
            header: ISSUE_HEADER.to_vec(),
            rows: kpi.issues.iter().map(issue).collect(),
            total: None,
        },
    }
}
