//! Builds `data/news_df.tsv`, the document frequencies that weigh an issue's words in the
//! clarification matcher (`src/clarification.rs`): how many government news articles use
//! each word in their title or lead. Reads the thaigov.go.th corpus of ../shared at build
//! time only, and only articles published before 2023, the tuning period of the labelled
//! pairs (tests/clarification/), so the held-out period stays unseen:
//!
//!     cargo run --release -p praden-detect --example clarification_df -- \
//!         ../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz > crates/praden-detect/data/news_df.tsv

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};

use praden_detect::clarification::{lead_of, MIN_LISTED_DF};
use praden_detect::cluster::WordFeatures;

const UNTIL: &str = "2023-01-01";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: clarification_df CORPUS.jsonl.gz > news_df.tsv")?;
    let file = std::fs::File::open(&path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let features = WordFeatures::new();
    let mut spans = Vec::new();
    let mut df: HashMap<String, u32> = HashMap::new();
    let mut docs = 0u32;
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("{path}:{}: {e}", i + 1))?;
        let date = v["pub_date"].as_str().unwrap_or("");
        if date.is_empty() || date >= UNTIL {
            continue;
        }
        let title = v["title"].as_str().unwrap_or("");
        let body = v["body"].as_str().unwrap_or("");
        let mut words: Vec<String> = Vec::new();
        for text in [title, lead_of(title, body)] {
            features.words(text, &mut spans, |w| words.push(w.to_string()));
        }
        words.sort();
        words.dedup();
        for w in words {
            *df.entry(w).or_default() += 1;
        }
        docs += 1;
    }
    let mut rows: Vec<(String, u32)> = df
        .into_iter()
        .filter(|(_, n)| *n >= MIN_LISTED_DF)
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = std::io::stdout().lock();
    writeln!(out, "# Document frequencies of content words (praden-thai segmentation, stop words out) in the title and lead")?;
    writeln!(out, "# of thaigov.go.th articles published before {UNTIL}; words in fewer than {MIN_LISTED_DF} articles are left out.")?;
    writeln!(out, "# Built by crates/praden-detect/examples/clarification_df.rs from ../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz.")?;
    writeln!(out, "#docs\t{docs}")?;
    for (w, n) in rows {
        writeln!(out, "{w}\t{n}")?;
    }
    Ok(())
}
