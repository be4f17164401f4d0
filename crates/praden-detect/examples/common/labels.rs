//! The shared news corpus and cabinet items, and the labels that tie a cabinet item to the
//! thaigov.go.th articles reporting the same decision (see cluster_eval.rs for how). Shared by
//! the `cluster_eval` and `queue_eval` examples.
#![allow(dead_code)] // each example uses part of it

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};

use time::Date;

pub const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz"
);
pub const CABINET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/cabinet/cabinet-resolutions-2020-2024h1.jsonl.gz"
);
pub const SHINGLE: usize = 8;

#[derive(serde::Deserialize)]
pub struct NewsItem {
    pub id: String,
    pub pub_date: Option<String>,
    pub category: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub url: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct CabinetItem {
    pub meeting_doc: String,
    pub meeting_pub_date: String,
    pub item_no: serde_json::Value,
    #[serde(default)]
    pub section: Option<String>,
    pub title: String,
    #[serde(default)]
    pub text: Option<String>,
}

pub fn read_gz<T: serde::de::DeserializeOwned>(path: &str) -> Vec<T> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
    BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .map(|l| serde_json::from_str(&l.expect("read line")).expect("parse line"))
        .collect()
}

pub fn date(s: &str) -> Date {
    praden_core::thai_time::parse_date_any_era(s).expect("date")
}

pub fn shingles(title: &str) -> HashSet<String> {
    let chars: Vec<char> = praden_thai::matching_form(title)
        .chars()
        .filter(|c| c.is_alphanumeric() || ('\u{0E00}'..='\u{0E7F}').contains(c))
        .collect();
    // Shingles with digits are dates, years and counts ("ประจำเดือนมิถุนายน 2564"), shared by
    // unrelated titles of the same month.
    chars
        .windows(SHINGLE)
        .filter(|w| !w.iter().any(|c| c.is_numeric()))
        .map(|w| w.iter().collect())
        .collect()
}

pub struct Labelled {
    /// doc id → gold cluster (cabinet item index).
    pub gold: HashMap<String, usize>,
    pub pairs: Vec<(usize, String)>,
}

pub fn build_labels(news: &[NewsItem], cabinet: &[CabinetItem]) -> Labelled {
    let cab_sh: Vec<HashSet<String>> = cabinet.iter().map(|c| shingles(&c.title)).collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for s in &cab_sh {
        for g in s {
            *df.entry(g.as_str()).or_default() += 1;
        }
    }
    let generic = (cabinet.len() as f64 * 0.005) as usize;
    let distinct: Vec<HashSet<&str>> = cab_sh
        .iter()
        .map(|s| {
            s.iter()
                .map(String::as_str)
                .filter(|g| df[g] <= generic)
                .collect()
        })
        .collect();
    let mut by_date: BTreeMap<Date, Vec<usize>> = BTreeMap::new();
    for (i, c) in cabinet.iter().enumerate() {
        by_date
            .entry(date(&c.meeting_pub_date))
            .or_default()
            .push(i);
    }
    let meeting_docs: HashSet<&str> = cabinet.iter().map(|c| c.meeting_doc.as_str()).collect();
    let mut gold = HashMap::new();
    let mut pairs = Vec::new();
    for n in news {
        // The meeting synopsis pages are where the cabinet items come from, not reports.
        if meeting_docs.contains(n.id.as_str()) {
            continue;
        }
        let d = date(n.pub_date.as_deref().unwrap_or_default());
        let sh = shingles(n.title.as_deref().unwrap_or_default());
        let mut best: Vec<(usize, usize)> = Vec::new();
        for (_, items) in by_date.range(d - time::Duration::days(2)..=d) {
            for &i in items {
                let shared = distinct[i].iter().filter(|g| sh.contains(**g)).count();
                if shared >= 8 && shared as f64 >= 0.3 * distinct[i].len() as f64 {
                    best.push((shared, i));
                }
            }
        }
        best.sort_by_key(|b| std::cmp::Reverse(b.0));
        match best.as_slice() {
            [] => {}
            [(s1, _), (s2, _), ..] if s1 == s2 => {}
            [(_, i), ..] => {
                gold.insert(n.id.clone(), *i);
                pairs.push((*i, n.id.clone()));
            }
        }
    }
    for (i, c) in cabinet.iter().enumerate() {
        if gold.values().any(|&g| g == i) {
            gold.insert(cab_id(c), i);
        }
    }
    Labelled { gold, pairs }
}

pub fn cab_id(c: &CabinetItem) -> String {
    format!("cab-{}-{}", c.meeting_doc, c.item_no)
}
