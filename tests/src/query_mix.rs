//! A realistic mix of search queries for the search benches (issue 29): thousands of distinct
//! queries instead of twenty repeated ones (which keep every cache warm) — popular ones come
//! back, as in any search log, rare ones once — drawn reproducibly
//! from the shared Thai data — the words of real government news, radio transcripts and
//! social posts, segmented by praden's own segmenter — with a seeded generator.
//!
//! The shares are an assumption, written down here until praden keeps a log of the editors'
//! searches to take them from: mostly one word, often a common one; rarer words (a name, a
//! place); two words; a quoted phrase from a headline; and, in a minority, a filter (a kind,
//! a date range), newest first, or the facets.
//!
//! | class | share | what |
//! |---|---|---|
//! | `common` | 34 % | one word among the 3,000 most frequent (outside the 2 % of words in over a quarter of documents), Zipf-weighted by rank |
//! | `rare` | 14 % | one word found in 3 to 40 of the sample's documents |
//! | `two_words` | 16 % | two content words of one real headline |
//! | `phrase` | 10 % | two or three consecutive words of a real headline, quoted |
//! | `kind` | 8 % | a common word with `kind=` one or two of the four kinds |
//! | `dates` | 8 % | a common word within a Buddhist-era month or year, 2563–2567 |
//! | `newest` | 5 % | a common word, `sort=newest` |
//! | `facets` | 5 % | a common word with `facets=true` |

use praden_thai::{Segmenter, TokenKind};
use std::collections::{BTreeSet, HashMap};
use std::io::BufRead;
use std::path::Path;

/// One query of the mix: its class and its URL query string (not yet percent-encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MixQuery {
    pub class: &'static str,
    pub params: String,
}

/// The classes with their shares, in percent.
pub const CLASSES: &[(&str, u32)] = &[
    ("common", 34),
    ("rare", 14),
    ("two_words", 16),
    ("phrase", 10),
    ("kind", 8),
    ("dates", 8),
    ("newest", 5),
    ("facets", 5),
];

/// xorshift64*: the mix is the same for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Words drawn by rank with Zipf's law (exponent 1): the first twice as often as the second.
struct Zipf<'w> {
    words: &'w [&'w str],
    /// The cumulative weights, for sampling by a uniform draw.
    cumulative: Vec<f64>,
}

impl<'w> Zipf<'w> {
    fn new(words: &'w [&'w str]) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=words.len())
            .map(|r| {
                total += 1.0 / r as f64;
                total
            })
            .collect();
        Self { words, cumulative }
    }

    fn pick(&self, rng: &mut Rng) -> &'w str {
        let x = rng.unit() * self.cumulative.last().copied().unwrap_or(0.0);
        let i = self.cumulative.partition_point(|c| *c < x);
        self.words[i.min(self.words.len() - 1)]
    }
}

/// The texts the words come from: the first `per_source` documents of each shared set, as
/// (title, whole text).
fn sample(per_source: usize) -> Vec<(String, String)> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    let mut out = Vec::new();
    for (file, title_key, text_keys) in [
        (
            "corpus/thaigov-news-2020-2024h1.jsonl.gz",
            "title",
            &["title", "body"][..],
        ),
        (
            "broadcast/thaikufah-radio-2020-2024h1.jsonl.gz",
            "title",
            &["title", "body"][..],
        ),
        ("social/wisesight-messages.jsonl.gz", "", &["text"][..]),
    ] {
        let path = data.join(file);
        let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for line in std::io::BufReader::new(flate2::read::MultiGzDecoder::new(f))
            .lines()
            .take(per_source)
        {
            let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            let title = v[title_key].as_str().unwrap_or("").to_string();
            let text: Vec<&str> = text_keys.iter().filter_map(|k| v[*k].as_str()).collect();
            out.push((title, text.join("\n")));
        }
    }
    out
}

/// A word worth searching for: a dictionary Thai word of two characters or more, or a Latin
/// word of three letters or more.
fn searchable(word: &str, kind: TokenKind) -> bool {
    match kind {
        TokenKind::Word => word.chars().count() >= 2,
        TokenKind::Latin => word.len() >= 3 && word.chars().all(|c| c.is_ascii_alphabetic()),
        _ => false,
    }
}

fn words<'t>(seg: &Segmenter, text: &'t str) -> Vec<&'t str> {
    let mut spans = Vec::new();
    seg.segment_spans(text, &mut spans);
    spans
        .iter()
        .map(|s| (&text[s.start..s.end], s.kind))
        .filter(|(w, k)| searchable(w, *k))
        .map(|(w, _)| w)
        .collect()
}

/// `n` queries, the same for the same `seed`, from the first `per_source` documents of each
/// shared set. Common words repeat by their Zipf weight, so the popular queries come again;
/// the rest are mostly distinct.
pub fn realistic(n: usize, seed: u64, per_source: usize) -> Vec<MixQuery> {
    let seg = Segmenter::new();
    let docs = sample(per_source);
    let mut df: HashMap<&str, usize> = HashMap::new();
    let mut headlines: Vec<Vec<&str>> = Vec::new();
    for (title, text) in &docs {
        let distinct: BTreeSet<&str> = words(&seg, text).into_iter().collect();
        for w in distinct {
            *df.entry(w).or_default() += 1;
        }
        let t = words(&seg, title);
        if t.len() >= 3 {
            headlines.push(t);
        }
    }
    let limit = docs.len() / 4;
    let mut by_df: Vec<(&str, usize)> = df.iter().map(|(w, d)| (*w, *d)).collect();
    // Most frequent first; ties by the word, so the order does not depend on the hash map.
    by_df.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let common: Vec<&str> = by_df
        .iter()
        .filter(|(_, d)| *d <= limit)
        .take(3000)
        .map(|(w, _)| *w)
        .collect();
    let rare: Vec<&str> = by_df
        .iter()
        .filter(|(_, d)| (3..=40).contains(d))
        .map(|(w, _)| *w)
        .collect();
    assert!(
        !common.is_empty() && !rare.is_empty() && !headlines.is_empty(),
        "the sample is too small"
    );
    let zipf = Zipf::new(&common);
    let mut rng = Rng(seed.max(1));
    const KINDS: [&str; 4] = ["news", "social", "broadcast", "official"];
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut pick = rng.below(100) as u32;
        let class = CLASSES
            .iter()
            .find(|(_, share)| {
                if pick < *share {
                    true
                } else {
                    pick -= share;
                    false
                }
            })
            .map(|(c, _)| *c)
            .unwrap();
        let params = match class {
            "common" => format!("q={}", zipf.pick(&mut rng)),
            "rare" => format!("q={}", rare[rng.below(rare.len())]),
            "two_words" => {
                let h = &headlines[rng.below(headlines.len())];
                let a = rng.below(h.len());
                let mut b = rng.below(h.len());
                if a == b {
                    b = (b + 1) % h.len();
                }
                if h[a] == h[b] {
                    continue;
                }
                format!("q={} {}", h[a], h[b])
            }
            "phrase" => {
                let h = &headlines[rng.below(headlines.len())];
                let len = 2 + rng.below(2).min(h.len() - 2);
                let start = rng.below(h.len() - len + 1);
                format!("q=\"{}\"", h[start..start + len].join(" "))
            }
            "kind" => {
                let mut kinds = vec![KINDS[rng.below(4)]];
                if rng.below(3) == 0 {
                    let other = KINDS[rng.below(4)];
                    if other != kinds[0] {
                        kinds.push(other);
                    }
                }
                format!("q={}&kind={}", zipf.pick(&mut rng), kinds.join(","))
            }
            "dates" => {
                let year = 2563 + rng.below(5);
                if rng.below(2) == 0 {
                    format!(
                        "q={}&from={year}-01-01&to={year}-12-31",
                        zipf.pick(&mut rng)
                    )
                } else {
                    let month = 1 + rng.below(12);
                    let last = match month {
                        2 => 28,
                        4 | 6 | 9 | 11 => 30,
                        _ => 31,
                    };
                    format!(
                        "q={}&from={year}-{month:02}-01&to={year}-{month:02}-{last}",
                        zipf.pick(&mut rng)
                    )
                }
            }
            "newest" => format!("q={}&sort=newest", zipf.pick(&mut rng)),
            _ => format!("q={}&facets=true", zipf.pick(&mut rng)),
        };
        out.push(MixQuery { class, params });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_is_reproducible_mostly_distinct_and_in_its_proportions() {
        let a = realistic(2000, 7, 400);
        assert_eq!(a.len(), 2000);
        assert_eq!(
            a,
            realistic(2000, 7, 400),
            "the same seed gives the same mix"
        );
        assert_ne!(a, realistic(2000, 8, 400));
        let distinct: BTreeSet<&str> = a.iter().map(|q| q.params.as_str()).collect();
        assert!(
            distinct.len() > 1200,
            "{} distinct of 2,000",
            distinct.len()
        );
        // The most frequent query comes back, as popular searches do.
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for q in &a {
            *counts.entry(q.params.as_str()).or_default() += 1;
        }
        assert!(counts.values().max().copied().unwrap_or(0) >= 5);
        for (class, share) in CLASSES {
            let got = a.iter().filter(|q| q.class == *class).count() as f64 / 20.0;
            // Rejected draws (a headline's one word twice) and repeats move a share a little.
            assert!(
                (got - f64::from(*share)).abs() < 3.5,
                "{class}: {got:.1} % against {share} %"
            );
        }
        assert!(a.iter().any(|q| q.params.contains("&kind=")));
        assert!(a.iter().any(|q| q.params.starts_with("q=\"")));
    }
}
