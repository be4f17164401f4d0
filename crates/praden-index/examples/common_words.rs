//! Builds `data/common_words.txt`, the words whose adjacent pairs the index keeps as terms
//! of their own (`pairs.rs`), from the shared Thai data: the thaigov news, the radio
//! transcripts and the social messages, tokenized as the index tokenizes them.
//!
//! cargo run --release -p praden-index --example common_words -- ../shared/data K > crates/praden-index/data/common_words.txt
//!
//! Prints to stderr, for several list sizes, how many pair occurrences the pairs field would
//! hold against the text field's tokens, so the size can be chosen with its cost in view.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use praden_thai::{Compounds, ThaiTokenizer};

fn main() {
    let mut args = std::env::args().skip(1);
    let data = args.next().expect("usage: common_words DATA_DIR K");
    let k: usize = args
        .next()
        .expect("usage: common_words DATA_DIR K")
        .parse()
        .unwrap();
    let data = Path::new(&data);
    let mut tokenizer = ThaiTokenizer::for_indexing().compounds(Compounds::Added);
    // What editors type: the plain segmentation queries get.
    let mut query_tokenizer = ThaiTokenizer::new().compounds(Compounds::Instead);
    let mut plain_df: HashMap<String, u64> = HashMap::new();
    // Terms by id, so that the tokens of every document fit in memory.
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut df: Vec<u64> = Vec::new();
    let mut docs: Vec<Vec<(u32, u32, u32)>> = Vec::new();
    let mut tokens_total = 0u64;
    for (file, keys) in [
        (
            "corpus/thaigov-news-2020-2024h1.jsonl.gz",
            &["title", "body"][..],
        ),
        (
            "broadcast/thaikufah-radio-2020-2024h1.jsonl.gz",
            &["title", "body"][..],
        ),
        ("social/wisesight-messages.jsonl.gz", &["text"][..]),
    ] {
        let path = data.join(file);
        let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for line in std::io::BufReader::new(flate2::read::MultiGzDecoder::new(f)).lines() {
            let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            let mut seen = std::collections::HashSet::new();
            let mut plain_seen = std::collections::HashSet::new();
            let mut doc = Vec::new();
            for key in keys {
                let Some(text) = v[*key].as_str() else {
                    continue;
                };
                for t in query_tokenizer.tokens(text) {
                    if plain_seen.insert(t.text.clone()) {
                        *plain_df.entry(t.text.clone()).or_default() += 1;
                    }
                }
                for t in tokenizer.tokens(text) {
                    tokens_total += 1;
                    let next = ids.len() as u32;
                    let id = *ids.entry(t.text.clone()).or_insert(next);
                    if id == next {
                        df.push(0);
                    }
                    if seen.insert(id) {
                        df[id as usize] += 1;
                    }
                    doc.push((t.position as u32, t.text.chars().count() as u32, id));
                }
                doc.push((u32::MAX, 0, 0)); // a value boundary
            }
            docs.push(doc);
        }
    }
    // Words editors type (a word in its own right in at least 1% of the documents, two
    // characters or more), by how
    // many documents the index finds them in, sub-words of compounds included: the
    // postings a phrase of them intersects.
    let min_plain = docs.len() as u64 / 100;
    let mut ranked: Vec<(&String, u64)> = ids
        .iter()
        .filter(|(w, _)| plain_df.get(*w).is_some_and(|d| *d >= min_plain))
        // A letter alone (น. of a time, จ. of a province) is in most documents, next to
        // anything, and hardly ever a word of a quoted phrase.
        .filter(|(w, _)| w.chars().count() >= 2)
        .map(|(w, id)| (w, df[*id as usize]))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    eprintln!(
        "{} words in their own right in 1% of the documents",
        ranked.len()
    );
    let mut rank = vec![usize::MAX; ids.len()];
    for (i, (w, _)) in ranked.iter().enumerate() {
        rank[ids[*w] as usize] = i;
    }
    eprintln!(
        "{} documents, {} tokens, {} distinct terms",
        docs.len(),
        tokens_total,
        df.len()
    );
    for size in [50, 100, 200, 300, 500, 800, 1200, 2000] {
        let mut pairs = 0u64;
        for doc in &docs {
            let mut start = 0;
            for end in 0..=doc.len() {
                if end < doc.len() && doc[end].0 != u32::MAX {
                    continue;
                }
                let value = &doc[start..end];
                for (i, (p, len, a)) in value.iter().enumerate() {
                    if rank[*a as usize] >= size {
                        continue;
                    }
                    for (q, _, b) in &value[i + 1..] {
                        if *q > p + len {
                            break;
                        }
                        if *q == p + len && rank[*b as usize] < size {
                            pairs += 1;
                        }
                    }
                }
                start = end + 1;
            }
        }
        let last = ranked
            .get(size.min(ranked.len()) - 1)
            .map(|(w, d)| format!("{w} ({d})"));
        eprintln!(
            "{size:>5} words: {pairs} pair occurrences, {:.1}% of the tokens; the last word {}",
            100.0 * pairs as f64 / tokens_total as f64,
            last.unwrap_or_default()
        );
    }
    for (w, _) in ranked.iter().take(k) {
        println!("{w}");
    }
}
