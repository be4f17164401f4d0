//! Evaluation of the public-matter classifier on the held-out `test` rows of the embedded
//! labelled set (data/public_matter.tsv.gz), per slice:
//!   cargo run --release -p praden-detect --example public_matter_eval
//!   cargo run --release -p praden-detect --example public_matter_eval -- --errors   # + each test error
//!   cargo run --release -p praden-detect --example public_matter_eval -- --cv       # settings, 5-fold CV on train rows only
//!       # PM_CV_ONLY="default;words" runs only the named settings of the grid
//!   cargo run --release -p praden-detect --example public_matter_eval -- --flagged 30
//!       # + the whole shared wisesight set minus the labelled rows: how many the model lets
//!       #   through, and a sample of them to read
//! The model is fitted on the `train` rows with the default settings, exactly as
//! `PublicMatterModel::shared_default` does; the test rows were never used for any choice.

#[path = "common/auc.rs"]
mod auc;
use auc::auc;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::time::Instant;

use praden_detect::public_matter::{default_labelled, LabelledText, Split};
use praden_detect::{PublicMatterModel, PublicMatterParams};

const WISESIGHT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/social/wisesight-messages.jsonl.gz"
);

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Counts {
    fn add(&mut self, gold: bool, predicted: bool) {
        match (gold, predicted) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    fn n(&self) -> usize {
        self.tp + self.fp + self.fn_ + self.tn
    }
    fn show(&self) -> String {
        let r = |a: usize, b: usize| {
            if a + b == 0 {
                "  -  ".to_string()
            } else {
                format!("{:.3}", a as f64 / (a + b) as f64)
            }
        };
        let p = self.tp as f64 / (self.tp + self.fp).max(1) as f64;
        let rec = self.tp as f64 / (self.tp + self.fn_).max(1) as f64;
        let f1 = if p + rec > 0.0 {
            2.0 * p * rec / (p + rec)
        } else {
            0.0
        };
        format!(
            "n={:4}  P {}  R(public accepted) {}  F1 {}  other rejected {}  acc {}  [TP {} FP {} FN {} TN {}]",
            self.n(),
            r(self.tp, self.fp),
            r(self.tp, self.fn_),
            if self.tp + self.fp + self.fn_ == 0 { "  -  ".to_string() } else { format!("{f1:.3}") },
            r(self.tn, self.fp),
            r(self.tp + self.tn, self.fp + self.fn_),
            self.tp,
            self.fp,
            self.fn_,
            self.tn
        )
    }
}

/// A reported slice: its name and which rows it holds.
type Slice = (&'static str, fn(&LabelledText) -> bool);

/// The slices reported (a row can be in several).
const SLICES: [Slice; 11] = [
    ("social, all (wisesight)", |r| r.is_social()),
    ("  social, keyword-preselected", |r| {
        r.source == "wisesight-kw"
    }),
    ("  social, random sample", |r| {
        r.source == "wisesight-random"
    }),
    ("thaigov, hand-labelled", |r| {
        r.is_government_hand_labelled()
    }),
    ("  thaigov-issue (kept)", |r| r.source == "thaigov-issue"),
    ("  thaigov-pr (rejected)", |r| r.source == "thaigov-pr"),
    ("news: thaigov news, by source", |r| {
        r.source == "thaigov-news"
    }),
    ("news: cabinet items", |r| r.source == "thaigov-cabinet"),
    ("news: ไทยคู่ฟ้า radio", |r| {
        r.source == "thaigov-radio"
    }),
    ("news-style sentences (TUD)", |r| r.source == "tud"),
    ("all", |_| true),
];

fn score(model: &PublicMatterModel, rows: &[&LabelledText]) -> Vec<Counts> {
    let mut c = vec![Counts::default(); SLICES.len()];
    for r in rows {
        let predicted = model.is_public(&r.title, &r.text);
        for (k, (_, f)) in SLICES.iter().enumerate() {
            if f(r) {
                c[k].add(r.public, predicted);
            }
        }
    }
    c
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<usize>().ok())
    };

    // Start-up as shared_default does it: decompress, parse, fit on the train rows.
    let t0 = Instant::now();
    let rows = default_labelled().expect("embedded labelled set");
    let train: Vec<LabelledText> = rows
        .iter()
        .filter(|r| r.split == Split::Train)
        .cloned()
        .collect();
    let params = PublicMatterParams::default();
    let model = PublicMatterModel::fit(&train, &params).expect("fit");
    let startup = t0.elapsed();
    let test: Vec<&LabelledText> = rows.iter().filter(|r| r.split == Split::Test).collect();

    println!(
        "labelled rows: {} ({} train, {} test); vocabulary {} terms",
        rows.len(),
        train.len(),
        test.len(),
        model.vocabulary_len()
    );
    println!(
        "start-up (decompress + parse + fit on train): {:.3} s",
        startup.as_secs_f64()
    );
    if flag("--cv") {
        cross_validate(&train);
    }
    let t1 = Instant::now();
    let counts = score(&model, &test);
    let per_doc = t1.elapsed().as_secs_f64() / test.len().max(1) as f64;
    println!("\nheld-out test rows, threshold {:.2}:", params.threshold);
    for ((name, _), c) in SLICES.iter().zip(&counts) {
        println!("{name:32} {}", c.show());
    }
    println!("scoring: {:.3} ms per document", per_doc * 1e3);

    if flag("--errors") {
        println!("\ntest errors (gold, p, source, id, text):");
        for r in &test {
            let p = model.probability(&r.title, &r.text);
            if (p >= params.threshold) != r.public {
                let text: String = format!("{} {}", r.title, r.text)
                    .chars()
                    .take(160)
                    .collect();
                println!(
                    "{} {:.2} {:16} {:24} {}",
                    u8::from(r.public),
                    p,
                    r.source,
                    r.id,
                    text.trim()
                );
            }
        }
    }
    if let Some(n) = value("--flagged") {
        flagged(&model, &rows, n);
    }
}

/// 5-fold cross-validation of a few settings on the training rows (folds by row position, in
/// file order modulo 5); the test rows are not read.
fn cross_validate(train: &[LabelledText]) {
    let base = PublicMatterParams::default();
    let with = |by_source: f32, gov: f32, social: f32| PublicMatterParams {
        by_source_news_weight: by_source,
        government_hand_weight: gov,
        social_weight: social,
        ..base.clone()
    };
    let grid: Vec<(String, PublicMatterParams)> = vec![
        ("default".to_string(), base.clone()),
        (
            "threshold 0.5".into(),
            PublicMatterParams {
                threshold: 0.5,
                ..base.clone()
            },
        ),
        (
            "words".into(),
            PublicMatterParams {
                word_features: true,
                ..base.clone()
            },
        ),
        (
            "epochs 30".into(),
            PublicMatterParams {
                epochs: 30,
                ..base.clone()
            },
        ),
        (
            "text 300".into(),
            PublicMatterParams {
                text_chars: 300,
                ..base.clone()
            },
        ),
        (
            "l2 1e-6".into(),
            PublicMatterParams {
                l2: 1e-6,
                ..base.clone()
            },
        ),
        (
            "l2 1e-4".into(),
            PublicMatterParams {
                l2: 1e-4,
                ..base.clone()
            },
        ),
        (
            "no register copies".into(),
            PublicMatterParams {
                register_features: false,
                ..base.clone()
            },
        ),
        ("by-source news 1 (as before)".into(), with(1.0, 1.0, 1.0)),
        ("by-source news 0.3".into(), with(0.3, 1.0, 1.0)),
        ("gov hand 0.5".into(), with(0.0, 0.5, 1.0)),
        ("gov hand 2".into(), with(0.0, 2.0, 1.0)),
        ("social 2".into(), with(0.0, 1.0, 2.0)),
        (
            "no group balance".into(),
            PublicMatterParams {
                balance_groups: false,
                ..base.clone()
            },
        ),
    ];
    println!(
        "\n5-fold CV on the training rows (social / thaigov hand-labelled / by-source news / TUD):"
    );
    let only = std::env::var("PM_CV_ONLY").ok();
    for (name, params) in grid {
        if only
            .as_deref()
            .is_some_and(|o| !o.split(';').any(|x| x == name))
        {
            continue;
        }
        let mut total = vec![Counts::default(); SLICES.len()];
        // (gold, p) of the hand-labelled government rows held out, for the AUC.
        let mut government: Vec<(bool, f64)> = Vec::new();
        for fold in 0..5 {
            let fit: Vec<LabelledText> = train
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 5 != fold)
                .map(|(_, r)| r.clone())
                .collect();
            let held: Vec<&LabelledText> = train
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 5 == fold)
                .map(|(_, r)| r)
                .collect();
            let model = PublicMatterModel::fit(&fit, &params).expect("fit");
            government.extend(
                held.iter()
                    .filter(|r| r.is_government_hand_labelled())
                    .map(|r| (r.public, model.probability(&r.title, &r.text))),
            );
            for (t, c) in total.iter_mut().zip(score(&model, &held)) {
                t.tp += c.tp;
                t.fp += c.fp;
                t.fn_ += c.fn_;
                t.tn += c.tn;
            }
        }
        let frac = |a: usize, b: usize| a as f64 / (a + b).max(1) as f64;
        if name == "default" {
            println!("  threshold sweep, {name}:");
            threshold_sweep(train, &params);
        }
        let (s, gov, nw, tud) = (total[0], total[3], total[6], total[9]);
        let at = |t: f64| {
            let kept = government.iter().filter(|g| g.0 && g.1 >= t).count();
            let passed = government.iter().filter(|g| !g.0 && g.1 >= t).count();
            let issues = government.iter().filter(|g| g.0).count();
            let pr = government.len() - issues;
            format!(
                "{:.3}/{:.3}",
                kept as f64 / issues.max(1) as f64,
                1.0 - passed as f64 / pr.max(1) as f64
            )
        };
        println!(
            "  {name:28} government AUC {:.4}, issue kept/pr rejected at 0.6 {}, at 0.7 {}",
            auc(&government),
            at(0.6),
            at(0.7)
        );
        println!(
            "  {name:28} social: public {:.3}, other rejected {:.3} | thaigov: issue kept {:.3}, pr rejected {:.3} | by-source news accepted {:.3} | TUD: public {:.3}, other rejected {:.3}",
            frac(s.tp, s.fn_),
            frac(s.tn, s.fp),
            frac(gov.tp, gov.fn_),
            frac(gov.tn, gov.fp),
            frac(nw.tp, nw.fn_),
            frac(tud.tp, tud.fn_),
            frac(tud.tn, tud.fp)
        );
    }
}

/// Whether a verdict is right: accepted when public, rejected when not.
fn yes_if(gold: bool, accepted: bool) -> bool {
    accepted == gold
}

/// Social acceptance and rejection at other thresholds, same folds (default settings).
fn threshold_sweep(train: &[LabelledText], params: &PublicMatterParams) {
    // (social, thaigov hand-labelled, title reports the cabinet, gold, p)
    let mut scored: Vec<(bool, bool, bool, bool, f64)> = Vec::new();
    for fold in 0..5 {
        let fit: Vec<LabelledText> = train
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 5 != fold)
            .map(|(_, r)| r.clone())
            .collect();
        let model = PublicMatterModel::fit(&fit, params).expect("fit");
        for (_, r) in train.iter().enumerate().filter(|(i, _)| i % 5 == fold) {
            let p = model.probability(&r.title, &r.text);
            let cabinet = r.title.contains("ครม") || r.title.contains("คณะรัฐมนตรี");
            scored.push((
                r.is_social(),
                r.is_government_hand_labelled(),
                cabinet,
                r.public,
                p,
            ));
        }
    }
    for t in [0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7] {
        let mut c = [0usize; 12];
        for &(social, gov, cabinet, gold, p) in &scored {
            // The releases whose title reports the cabinet: how the single-release bar
            // (`CriteriaConfig::thin_evidence_public_matter`) treats cabinet decisions.
            if gov && cabinet {
                let at = if gold { 8 } else { 10 };
                c[at] += usize::from(yes_if(gold, p >= t));
                c[at + 1] += 1;
            }
            let yes = p >= t;
            if social && gold {
                c[0] += usize::from(yes);
                c[1] += 1;
            } else if social {
                c[2] += usize::from(!yes);
                c[3] += 1;
            } else if gov && gold {
                c[4] += usize::from(yes);
                c[5] += 1;
            } else if gov {
                c[6] += usize::from(!yes);
                c[7] += 1;
            }
        }
        let f = |a: usize, b: usize| a as f64 / b.max(1) as f64;
        println!(
            "    threshold {t:.2}: social public accepted {:.3}, other rejected {:.3}; thaigov issue kept {:.3}, pr rejected {:.3}; cabinet-report releases kept {:.3} ({}), rejected {:.3} ({})",
            f(c[0], c[1]),
            f(c[2], c[3]),
            f(c[4], c[5]),
            f(c[6], c[7]),
            f(c[8], c[9]),
            c[9],
            f(c[10], c[11]),
            c[11]
        );
    }
}

/// The shared wisesight set minus the labelled rows: the posts the model would let through.
fn flagged(model: &PublicMatterModel, rows: &[LabelledText], show: usize) {
    let labelled: HashSet<&str> = rows
        .iter()
        .filter_map(|r| r.id.strip_prefix("wisesight:"))
        .collect();
    let file = match std::fs::File::open(WISESIGHT) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot open {WISESIGHT}: {e}");
            return;
        }
    };
    #[derive(serde::Deserialize)]
    struct Message {
        id: String,
        text: String,
    }
    let mut n = 0;
    let mut through: Vec<(String, f64, String)> = Vec::new();
    for line in BufReader::new(flate2::read::GzDecoder::new(file)).lines() {
        let m: Message = serde_json::from_str(&line.expect("read")).expect("parse");
        if labelled.contains(m.id.as_str()) {
            continue;
        }
        n += 1;
        let p = model.probability("", &m.text);
        if p >= model.params().threshold {
            through.push((m.id, p, m.text));
        }
    }
    println!(
        "\nunlabelled wisesight messages: {n}, judged public matter: {} ({:.1} %)",
        through.len(),
        100.0 * through.len() as f64 / n.max(1) as f64
    );
    // An even spread over the file, so the sample is not the first ones.
    let step = (through.len() / show.max(1)).max(1);
    for (id, p, text) in through.iter().step_by(step).take(show) {
        let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let text: String = text.chars().take(150).collect();
        println!("  {p:.2} {id:10} {text}");
    }
}
