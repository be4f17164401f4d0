//! Reading the shared cabinet-resolution data and deriving the labelled history from it.
//! Shared by the `build_history` and `agency_eval` examples so both use the same split.

use std::io::{BufRead, BufReader};

use praden_detect::history::{label_proposer, mine_proposer, HistoryExample, LabelSource};
use praden_detect::mention::MentionMatcher;
use praden_detect::AgencyRegistry;

/// The shared data sit beside the repository; resolved from the crate directory, so the
/// examples run from any working directory (`cargo run -p praden-detect --example …`).
pub const DEFAULT_CABINET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/cabinet/cabinet-resolutions-2020-2024h1.jsonl.gz"
);
/// Characters of resolution text kept per history row (after the title line and the
/// "ตามที่ … เสนอ" clause). Chosen on the validation slice (see README): top-3 rose from 1,000
/// to 2,000 to 3,000 characters and no further at 4,000 or 6,000, which cost more start-up.
pub const TEXT_EXCERPT_CHARS: usize = 3000;
/// Items published on or after this date are the test period; everything before trains.
pub const TEST_START: &str = "2023-01-01";
/// The last year of the training period is the validation slice used for tuning (models
/// trained on the rows before it).
#[allow(dead_code)] // only agency_eval tunes
pub const VALIDATION_START: &str = "2022-01-01";

#[derive(Debug, serde::Deserialize)]
pub struct CabinetItem {
    pub meeting_pub_date: String,
    pub title: String,
    #[serde(default)]
    pub text: Option<String>,
    pub proposer: Option<String>,
    pub proposer_abbr: Option<String>,
}

pub fn read_cabinet(path: &str) -> Vec<CabinetItem> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
    BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .map(|l| serde_json::from_str(&l.expect("read cabinet line")).expect("parse cabinet line"))
        .collect()
}

pub fn gold_label(reg: &AgencyRegistry, m: &MentionMatcher, item: &CabinetItem) -> Option<String> {
    label_proposer(
        reg,
        m,
        item.proposer.as_deref()?,
        item.proposer_abbr.as_deref(),
    )
}

/// Labelled history rows from items dated before `until` (ISO date, exclusive).
pub fn history_rows(
    reg: &AgencyRegistry,
    items: &[CabinetItem],
    until: &str,
) -> Vec<HistoryExample> {
    let m = MentionMatcher::new(reg);
    let mut out = Vec::new();
    for it in items
        .iter()
        .filter(|it| it.meeting_pub_date.as_str() < until)
    {
        let labelled = match &it.proposer {
            Some(_) => gold_label(reg, &m, it).map(|l| (l, LabelSource::Proposer)),
            None => it
                .text
                .as_deref()
                .and_then(|t| mine_proposer(reg, &m, t))
                .map(|l| (l, LabelSource::Mined)),
        };
        if let Some((ministry, src)) = labelled {
            let title = praden_detect::normalize::normalize(&it.title).replace('\t', " ");
            out.push(HistoryExample {
                date: it.meeting_pub_date.clone(),
                ministry,
                title,
                source: src,
                text: it.text.as_deref().map(text_excerpt).unwrap_or_default(),
            });
        }
    }
    out
}

/// What of a resolution text trains the classifier: the text after its first line (which
/// repeats the title), without the clause that names the proposer, whitespace folded (so no
/// tabs or newlines), at most [`TEXT_EXCERPT_CHARS`] characters.
pub fn text_excerpt(text: &str) -> String {
    let body = text.split_once('\n').map_or("", |(_, rest)| rest);
    let mut body = praden_detect::normalize::normalize(body);
    if let Some(clause) = praden_detect::history::proposer_clause(&body) {
        body.replace_range(clause, " ");
    }
    body.chars().take(TEXT_EXCERPT_CHARS).collect()
}
