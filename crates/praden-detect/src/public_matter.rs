//! "What counts as an issue": is a text about a public matter (a policy, an agency, a public
//! service, prices, safety, disaster, health, the law, politics, an accusation against the
//! state …) or is it brand marketing, sports, entertainment or personal chatter? Only the
//! former may reach the review queue, however loud the latter is.
//!
//! A binary logistic regression over the same hashed character 2–4-grams as the history
//! classifier ([`crate::history::title_terms`]), IDF-weighted and L2-normalised, fitted at
//! start-up on the hand-labelled set embedded from `data/public_matter.tsv.gz` (see
//! data/README.md for how it was made). The shipped model is fitted on the `train` rows only,
//! so it is exactly the model `examples/public_matter_eval.rs` measures on the `test` rows.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use crate::history::title_terms;

/// The embedded labelled set: `data/public_matter.tsv`, gzipped.
pub const DEFAULT_LABELLED_GZ: &[u8] = include_bytes!("../data/public_matter.tsv.gz");

#[derive(Debug, thiserror::Error)]
pub enum PublicMatterError {
    #[error("public-matter data line {line}: {msg}")]
    Parse { line: usize, msg: String },
    #[error("the embedded data/public_matter.tsv.gz does not decompress: {0}")]
    Decompress(String),
    #[error("the public-matter training rows hold no {0} example")]
    MissingClass(&'static str),
}

/// Which part of the labelled set a row belongs to (fixed in the file, from a hash of its id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

/// One hand-labelled text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledText {
    /// True when the text is about a public matter.
    pub public: bool,
    /// `wisesight-kw`, `wisesight-random`, `tud`, `thaigov-news`, `thaigov-radio` (labelled
    /// by source), `thaigov-issue`, `thaigov-pr` (thaigov.go.th releases read and labelled by
    /// hand: a matter a monitor keeps vs ceremony and PR), `thaigov-cabinet` (cabinet items
    /// read and labelled by hand the same way).
    pub source: String,
    pub id: String,
    pub split: Split,
    /// Empty for social posts and sentences.
    pub title: String,
    pub text: String,
}

impl LabelledText {
    /// Social posts (wisesight) as opposed to text written like news (thaigov, TUD): the
    /// training weights balance the two registers so that the model cannot learn "official
    /// style" for "public matter".
    pub fn is_social(&self) -> bool {
        self.source.starts_with("wisesight")
    }

    /// A thaigov.go.th release or cabinet item labelled by hand (`thaigov-issue`,
    /// `thaigov-pr`, `thaigov-cabinet`) rather than by its source: these teach the model that
    /// a government release, even a cabinet decision, can be ceremony, routine or PR.
    pub fn is_government_hand_labelled(&self) -> bool {
        matches!(
            self.source.as_str(),
            "thaigov-issue" | "thaigov-pr" | "thaigov-cabinet"
        )
    }

    /// A government text labelled public matter only because of where it comes from
    /// (`thaigov-news`: every article of the site; some of them are ceremony or PR).
    pub fn is_labelled_by_source(&self) -> bool {
        self.source == "thaigov-news"
    }
}

/// The embedded labelled rows (train and test).
pub fn default_labelled() -> Result<Vec<LabelledText>, PublicMatterError> {
    let mut tsv = String::new();
    flate2::read::GzDecoder::new(DEFAULT_LABELLED_GZ)
        .read_to_string(&mut tsv)
        .map_err(|e| PublicMatterError::Decompress(e.to_string()))?;
    parse_labelled(&tsv)
}

/// Parses the TSV: label (1/0), source, id, split (train/test), title, text; `#` comments.
pub fn parse_labelled(tsv: &str) -> Result<Vec<LabelledText>, PublicMatterError> {
    let mut out = Vec::new();
    for (i, line) in tsv.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |msg: String| PublicMatterError::Parse { line: i + 1, msg };
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 6 {
            return Err(err(format!(
                "expected 6 columns (label, source, id, split, title, text), found {}",
                cols.len()
            )));
        }
        let public = match cols[0] {
            "1" => true,
            "0" => false,
            other => return Err(err(format!("label must be 1 or 0, found {other:?}"))),
        };
        let split = match cols[3] {
            "train" => Split::Train,
            "test" => Split::Test,
            other => return Err(err(format!("split must be train or test, found {other:?}"))),
        };
        out.push(LabelledText {
            public,
            source: cols[1].to_string(),
            id: cols[2].to_string(),
            split,
            title: cols[4].to_string(),
            text: cols[5].to_string(),
        });
    }
    Ok(out)
}

/// Training settings of [`PublicMatterModel`]. Set before the test rows were scored; see the
/// crate README for what was compared (by cross-validation on the training rows only).
#[derive(Debug, Clone, PartialEq)]
pub struct PublicMatterParams {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    /// Characters of the text read after the title (the clusterer reads 600 as well): the lead
    /// says what a story is about; a long body mostly adds noise and time.
    pub text_chars: usize,
    /// Terms in fewer training documents are dropped (memory, and one row's quirks).
    pub min_document_frequency: u32,
    /// Weights every (register, label) group — social public, social other, news-style
    /// public, news-style other — to the same total, whatever its row count.
    pub balance_groups: bool,
    /// Adds praden-thai word unigrams and bigrams to the character n-grams.
    pub word_features: bool,
    /// Adds a register-specific copy of every term (titled texts vs untitled ones).
    pub register_features: bool,
    /// Weight of the social groups relative to the news-style ones (with `balance_groups`).
    pub social_weight: f32,
    /// Weight of the hand-labelled government groups (`thaigov-issue`, `thaigov-pr`) relative
    /// to the news-style ones (with `balance_groups`).
    pub government_hand_weight: f32,
    /// Weight of a `thaigov-news` row (public by source) relative to the other rows of the
    /// news-style public group; 0 leaves them out of the fit.
    pub by_source_news_weight: f32,
    /// Probability from which a text (or a story) counts as a public matter.
    pub threshold: f64,
    pub shuffle_seed: u64,
}

impl Default for PublicMatterParams {
    fn default() -> Self {
        Self {
            epochs: 15,
            learning_rate: 2.0,
            l2: 1e-5,
            text_chars: 600,
            min_document_frequency: 2,
            balance_groups: true,
            word_features: false,
            register_features: true,
            social_weight: 1.0,
            government_hand_weight: 1.0,
            by_source_news_weight: 0.0,
            threshold: 0.4,
            shuffle_seed: 42,
        }
    }
}

/// Binary logistic regression: P(public matter | title, text).
#[derive(Clone)]
pub struct PublicMatterModel {
    /// term -> (index, idf).
    vocab: HashMap<u64, (u32, f32)>,
    weights: Vec<f32>,
    bias: f32,
    params: PublicMatterParams,
    segmenter: Option<praden_thai::Segmenter>,
}

impl std::fmt::Debug for PublicMatterModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicMatterModel")
            .field("vocabulary_len", &self.vocab.len())
            .field("bias", &self.bias)
            .field("params", &self.params)
            .finish()
    }
}

/// The verdict on a story made of several documents.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicMatterVerdict {
    /// Mean of the members' probabilities (0 for a story without documents).
    pub probability: f64,
    /// `probability >= threshold`.
    pub is_public: bool,
    /// Probability of each member, in input order.
    pub member_probabilities: Vec<f64>,
    /// Positions (input order, 0-based) of the members that decided the verdict: the most
    /// public ones when it is public, the least public ones otherwise; at most three.
    pub deciding: Vec<usize>,
    /// Thai evidence for monitors, e.g. "เรื่องสาธารณะ: ความน่าจะเป็น 0.93 (จาก 12 ข่าว) …".
    pub evidence: String,
}

impl PublicMatterModel {
    /// The model fitted on the `train` rows of the embedded set with the default settings,
    /// built once per process.
    pub fn shared_default() -> Result<Arc<Self>, PublicMatterError> {
        static SHARED: Mutex<Option<Arc<PublicMatterModel>>> = Mutex::new(None);
        // Held while building, so concurrent callers wait for one build.
        let mut slot = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = slot.as_ref() {
            return Ok(m.clone());
        }
        let rows = default_labelled()?;
        let train: Vec<LabelledText> = rows
            .into_iter()
            .filter(|r| r.split == Split::Train)
            .collect();
        let built = Arc::new(Self::fit(&train, &PublicMatterParams::default())?);
        *slot = Some(built.clone());
        Ok(built)
    }

    /// Fits the model on `rows` (all of them: choose the split before calling).
    pub fn fit(
        rows: &[LabelledText],
        params: &PublicMatterParams,
    ) -> Result<Self, PublicMatterError> {
        if !rows.iter().any(|r| r.public) {
            return Err(PublicMatterError::MissingClass("public-matter"));
        }
        if !rows.iter().any(|r| !r.public) {
            return Err(PublicMatterError::MissingClass("other"));
        }
        // Rows of weight 0 (by-source news when left out) take no part, not even in the IDF.
        let all_weights = sample_weights(rows, params);
        let (rows, weight): (Vec<&LabelledText>, Vec<f32>) = rows
            .iter()
            .zip(all_weights)
            .filter(|(_, w)| *w > 0.0)
            .unzip();
        let segmenter = params.word_features.then(praden_thai::Segmenter::new);
        let terms: Vec<Vec<u64>> = rows
            .iter()
            .map(|r| document_terms(&r.title, &r.text, params, segmenter.as_ref()))
            .collect();
        let mut df: HashMap<u64, u32> = HashMap::new();
        for t in &terms {
            for &g in t {
                *df.entry(g).or_default() += 1;
            }
        }
        let n = rows.len() as f32;
        // Sorted so that indices, and so the summation order, do not depend on hashing.
        let mut keys: Vec<(u64, u32)> = df
            .into_iter()
            .filter(|&(_, d)| d >= params.min_document_frequency)
            .collect();
        keys.sort_unstable();
        let vocab: HashMap<u64, (u32, f32)> = keys
            .into_iter()
            .enumerate()
            .map(|(i, (g, d))| (g, (i as u32, ((n + 1.0) / (d as f32 + 1.0)).ln() + 1.0)))
            .collect();
        let mut model = Self {
            weights: vec![0.0; vocab.len()],
            bias: 0.0,
            vocab,
            params: params.clone(),
            segmenter,
        };
        let docs: Vec<Vec<(u32, f32)>> = terms.iter().map(|t| model.vectorize(t)).collect();
        drop(terms);
        // Fixed shuffle (LCG) so that start-up training is deterministic.
        let mut order: Vec<usize> = (0..docs.len()).collect();
        let mut seed = params.shuffle_seed;
        let (rate, l2) = (params.learning_rate, params.l2);
        let mut step = 0f32;
        for _ in 0..params.epochs {
            crate::history::shuffle(&mut order, &mut seed);
            for &d in &order {
                step += 1.0;
                let eta = rate / (1.0 + rate * l2 * step);
                let x = &docs[d];
                let p = sigmoid(model.raw_score(x));
                let y = if rows[d].public { 1.0 } else { 0.0 };
                let g = (p - y) * weight[d];
                model.bias -= 0.1 * eta * g;
                for &(f, v) in x {
                    let w = &mut model.weights[f as usize];
                    *w -= eta * (g * v + l2 * *w);
                }
            }
        }
        Ok(model)
    }

    pub fn params(&self) -> &PublicMatterParams {
        &self.params
    }

    /// Number of distinct terms in the model (size indicator).
    pub fn vocabulary_len(&self) -> usize {
        self.vocab.len()
    }

    /// Probability that the text is about a public matter. `title` may be empty (social
    /// posts); only the first `text_chars` characters of `text` are read.
    pub fn probability(&self, title: &str, text: &str) -> f64 {
        let terms = document_terms(title, text, &self.params, self.segmenter.as_ref());
        f64::from(sigmoid(self.raw_score(&self.vectorize(&terms))))
    }

    /// `probability(title, text) >= threshold`.
    pub fn is_public(&self, title: &str, text: &str) -> bool {
        self.probability(title, text) >= self.params.threshold
    }

    /// The verdict on a story from its members' (title, text): the mean of their
    /// probabilities, so that one stray post does not carry a story of brand chatter into the
    /// queue, nor keep a story the coverage treats as public out of it.
    pub fn assess<'a>(
        &self,
        texts: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> PublicMatterVerdict {
        let member_probabilities: Vec<f64> = texts
            .into_iter()
            .map(|(title, text)| self.probability(title, text))
            .collect();
        let n = member_probabilities.len();
        if n == 0 {
            return PublicMatterVerdict {
                probability: 0.0,
                is_public: false,
                member_probabilities,
                deciding: Vec::new(),
                evidence: "ไม่ใช่เรื่องสาธารณะ: ไม่มีข่าวให้พิจารณา".to_string(),
            };
        }
        let probability = member_probabilities.iter().sum::<f64>() / n as f64;
        let is_public = probability >= self.params.threshold;
        let mut order: Vec<usize> = (0..n).collect();
        // Most telling first; ties go to the earlier member.
        order.sort_by(|&a, &b| {
            let (pa, pb) = (member_probabilities[a], member_probabilities[b]);
            let by = if is_public {
                pb.total_cmp(&pa)
            } else {
                pa.total_cmp(&pb)
            };
            by.then(a.cmp(&b))
        });
        order.truncate(3);
        let cited: Vec<String> = order
            .iter()
            .map(|&i| format!("ข่าวที่ {} ({:.2})", i + 1, member_probabilities[i]))
            .collect();
        let evidence = format!(
            "{}: ความน่าจะเป็น {:.2} (จาก {} ข่าว); {}: {}",
            if is_public {
                "เรื่องสาธารณะ"
            } else {
                "ไม่ใช่เรื่องสาธารณะ"
            },
            probability,
            n,
            if is_public {
                "ข่าวที่ชี้ชัดที่สุด"
            } else {
                "ข่าวที่ห่างจากเรื่องสาธารณะที่สุด"
            },
            cited.join(", ")
        );
        PublicMatterVerdict {
            probability,
            is_public,
            member_probabilities,
            deciding: order,
            evidence,
        }
    }

    fn vectorize(&self, terms: &[u64]) -> Vec<(u32, f32)> {
        crate::history::tfidf_vector(&self.vocab, terms)
    }

    fn raw_score(&self, x: &[(u32, f32)]) -> f32 {
        self.bias
            + x.iter()
                .map(|&(f, v)| self.weights[f as usize] * v)
                .sum::<f32>()
    }
}

/// The text the model reads: the title and the first `text_chars` characters of the text, with
/// every digit folded to 0 (dates, prices and counts vary; their shape is what tells).
pub fn document_text(title: &str, text: &str, text_chars: usize) -> String {
    let mut s = String::with_capacity(title.len() + text_chars * 3 + 1);
    s.push_str(title);
    s.push(' ');
    s.extend(text.chars().take(text_chars));
    s.chars()
        .map(|c| {
            if c.is_ascii_digit() || ('๐'..='๙').contains(&c) {
                '0'
            } else {
                c
            }
        })
        .collect()
}

fn document_terms(
    title: &str,
    text: &str,
    params: &PublicMatterParams,
    words: Option<&praden_thai::Segmenter>,
) -> Vec<u64> {
    let mut terms = title_terms(&document_text(title, text, params.text_chars), false, words);
    if params.register_features {
        // A second copy of every term, specific to the register (titled: news and releases;
        // untitled: posts and sentences), so that a word can weigh differently in a release
        // than in a post while the shared copy carries what both have in common.
        let salt: u64 = if title.trim().is_empty() {
            0x9e37_79b9_7f4a_7c15
        } else {
            0xc2b2_ae3d_27d4_eb4f
        };
        let n = terms.len();
        for i in 0..n {
            let g = terms[i];
            terms.push(
                (g ^ salt)
                    .wrapping_mul(0xff51_afd7_ed55_8ccd)
                    .rotate_left(31),
            );
        }
    }
    terms
}

/// Per-row weights. With `balance_groups`, each (register, label) group present — social,
/// news-style, hand-labelled government; public or not — sums to the same total, times
/// `social_weight` for the social groups and `government_hand_weight` for the hand-labelled
/// government ones; inside a group a `thaigov-news` row counts `by_source_news_weight` of
/// another row. The weights average 1 over the rows that count.
fn sample_weights(rows: &[LabelledText], params: &PublicMatterParams) -> Vec<f32> {
    let base = |r: &LabelledText| {
        if r.is_labelled_by_source() {
            params.by_source_news_weight
        } else {
            1.0
        }
    };
    if !params.balance_groups {
        return rows.iter().map(base).collect();
    }
    let register = |r: &LabelledText| {
        if r.is_social() {
            1
        } else if r.is_government_hand_labelled() {
            2
        } else {
            0
        }
    };
    let group = |r: &LabelledText| register(r) * 2 + usize::from(r.public);
    let mut mass = [0f32; 6];
    let mut counted = 0usize;
    for r in rows {
        mass[group(r)] += base(r);
        counted += usize::from(base(r) > 0.0);
    }
    let share = |g: usize| match g / 2 {
        1 => params.social_weight,
        2 => params.government_hand_weight,
        _ => 1.0,
    };
    let total: f32 = (0..6).filter(|&g| mass[g] > 0.0).map(share).sum();
    rows.iter()
        .map(|r| {
            let g = group(r);
            if mass[g] > 0.0 {
                share(g) * base(r) * counted as f32 / (total * mass[g])
            } else {
                0.0
            }
        })
        .collect()
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_malformed_rows() {
        let ok = "# header\n1\twisesight-kw\tw:1\ttrain\t\tค่าไฟแพง\n0\ttud\tt:2\ttest\tT\tx\n";
        let rows = parse_labelled(ok).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].public && rows[0].is_social() && rows[0].split == Split::Train);
        assert!(!rows[1].public && !rows[1].is_social() && rows[1].split == Split::Test);
        assert!(parse_labelled("2\ta\tb\ttrain\t\tx\n").is_err());
        assert!(parse_labelled("1\ta\tb\tdev\t\tx\n").is_err());
        assert!(parse_labelled("1\ta\tb\ttrain\tx\n").is_err());
    }

    #[test]
    fn digits_fold_and_text_is_cut() {
        assert_eq!(document_text("ราคา ๑๒", "5 บาทabc", 3), "ราคา 00 0 บ");
    }

    #[test]
    fn balanced_weights_give_each_group_the_same_total() {
        let row = |public, source: &str| LabelledText {
            public,
            source: source.to_string(),
            id: String::new(),
            split: Split::Train,
            title: String::new(),
            text: String::new(),
        };
        let rows = vec![
            row(true, "thaigov-news"),
            row(true, "thaigov-news"),
            row(true, "thaigov-news"),
            row(false, "wisesight-random"),
        ];
        let params = PublicMatterParams::default();
        let w = sample_weights(&rows, &params);
        assert!(w[..3].iter().all(|&x| x == 0.0), "by-source rows left out");
        assert_eq!(w[3], 1.0);
        let params = PublicMatterParams {
            by_source_news_weight: 1.0,
            ..params
        };
        let w = sample_weights(&rows, &params);
        assert!((w[0] * 3.0 - w[3]).abs() < 1e-6);
        assert!((w.iter().sum::<f32>() - 4.0).abs() < 1e-5);
        let mut rows = rows;
        rows.push(row(false, "thaigov-pr"));
        rows.push(row(true, "thaigov-issue"));
        let params = PublicMatterParams {
            government_hand_weight: 2.0,
            ..params
        };
        let w = sample_weights(&rows, &params);
        assert!((w[4] - 2.0 * w[3]).abs() < 1e-6 && (w[5] - w[4]).abs() < 1e-6);
    }
}
