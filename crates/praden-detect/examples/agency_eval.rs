//! Ministry-level evaluation of agency suggestion on a time split of the cabinet data, titles
//! only, against the char-trigram nearest-neighbour baseline:
//!   cargo run --release -p praden-detect --example agency_eval -- [--cabinet PATH] [--tune [FROM UNTIL]] [--test-from DATE] [--seed N]
//! Without --tune: train before TEST_START, test from TEST_START on (one run, fixed settings).
//! With --tune: train before VALIDATION_START, compare settings on the validation slice
//! [VALIDATION_START, TEST_START), or on [FROM, UNTIL) with the rows before FROM when given
//! (a check that a choice holds on other slices); the test period is never read.
//! In both, the combiner weights are fitted on the training rows only (cross-fitting).
//! --seed N fits the classifier with another SGD shuffle than the shipped one (42), to see how
//! much of a difference is the shuffle alone.
//! SHOW_ERRORS=1 prints each miss (gold, top 3, title, the title evidence for gold and for the
//! first guess); TUNE_ONLY=<name> runs one setting of the --tune grid.

#[path = "common/cabinet.rs"]
mod cabinet;

use std::time::Instant;

use cabinet::{
    gold_label, history_rows, read_cabinet, CabinetItem, DEFAULT_CABINET, TEST_START,
    VALIDATION_START,
};
use praden_detect::baseline::TrigramKnn;
use praden_detect::history::{default_history, ClassifierParams, HistoryExample, LabelSource};
use praden_detect::mention::MentionMatcher;
use praden_detect::suggest::{fit_combiner, Combiner, FEATURE_NAMES};
use praden_detect::{AgencyRegistry, AgencySuggester, SuggestConfig};

/// Folds of the cross-fitting that learns the combiner weights.
const FOLDS: usize = 5;

#[derive(Default)]
struct Scored {
    n: usize,
    top1: usize,
    top3: usize,
}

impl Scored {
    fn add(&mut self, gold: &str, ranked: &[String]) {
        self.n += 1;
        self.top1 += usize::from(ranked.first().is_some_and(|r| r == gold));
        self.top3 += usize::from(ranked.iter().take(3).any(|r| r == gold));
    }
    fn show(&self) -> String {
        let f = |k: usize| k as f64 / self.n.max(1) as f64;
        format!(
            "top-1 {:.3}  top-3 {:.3}  (n={}: {} and {} right)",
            f(self.top1),
            f(self.top3),
            self.n,
            self.top1,
            self.top3
        )
    }
}

/// Ministry codes in suggestion order, first occurrence only.
fn ministries(s: &AgencySuggester, title: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for sug in s.suggest(title, "") {
        if !out.contains(&sug.ministry_abbr) {
            out.push(sug.ministry_abbr);
        }
    }
    out
}

fn evaluate(s: &AgencySuggester, gold: &[(&CabinetItem, String)]) -> Scored {
    let mut sc = Scored::default();
    let show = std::env::var("SHOW_ERRORS").is_ok();
    for (it, g) in gold {
        let ranked = ministries(s, &it.title);
        if show && ranked.first() != Some(g) {
            let sugg = s.suggest(&it.title, "");
            let why = |m: &str| {
                sugg.iter()
                    .filter(|x| x.ministry_abbr == m)
                    .flat_map(|x| x.reasons.iter().filter(|r| r.starts_with("title")).cloned())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            println!(
                "ERR\t{g}\t{}\t{}\tGOLD[{}]\tTOP[{}]",
                ranked.iter().take(3).cloned().collect::<Vec<_>>().join(","),
                it.title,
                why(g),
                why(&ranked[0])
            );
        }
        sc.add(g, &ranked);
    }
    sc
}

fn show_weights(c: &Combiner) -> String {
    FEATURE_NAMES
        .iter()
        .zip(c.weights)
        .map(|(n, w)| format!("{n}={w:.4}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cabinet = args
        .iter()
        .position(|a| a == "--cabinet")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let cabinet = cabinet.unwrap_or_else(|| DEFAULT_CABINET.to_string());
    let tune = args.iter().position(|a| a == "--tune");
    let seed: u64 = match args.iter().position(|a| a == "--seed") {
        Some(i) => args
            .get(i + 1)
            .and_then(|s| s.parse().ok())
            .expect("--seed takes a whole number"),
        None => ClassifierParams::default().shuffle_seed,
    };
    let defaults = SuggestConfig {
        classifier: ClassifierParams {
            shuffle_seed: seed,
            ..ClassifierParams::default()
        },
        ..SuggestConfig::default()
    };

    let reg = AgencyRegistry::load_default().expect("embedded registry");
    let matcher = MentionMatcher::new(&reg);
    let items = read_cabinet(&cabinet);
    let (train_until, eval_from, eval_until) = match tune {
        Some(i) => {
            let from = args.get(i + 1).filter(|a| !a.starts_with("--"));
            let until = args.get(i + 2).filter(|a| !a.starts_with("--"));
            let (from, until) = match (from, until) {
                (Some(f), Some(u)) => (f.as_str(), u.as_str()),
                _ => (VALIDATION_START, TEST_START),
            };
            assert!(
                from < until && until <= TEST_START,
                "--tune FROM UNTIL must be dates with FROM < UNTIL <= {TEST_START}"
            );
            (from, from, until)
        }
        // `--test-from DATE`: another split of the same kind, e.g. the latest half-year
        // trained on everything before it (how the shipped model meets later items).
        None => match args.iter().position(|a| a == "--test-from") {
            Some(i) => {
                let from = args
                    .get(i + 1)
                    .map(String::as_str)
                    .expect("--test-from takes a date");
                (from, from, "9999")
            }
            None => (TEST_START, TEST_START, "9999"),
        },
    };
    let tune = tune.is_some();
    let history: Vec<HistoryExample> = history_rows(&reg, &items, train_until);

    let in_eval: Vec<&CabinetItem> = items
        .iter()
        .filter(|it| {
            it.meeting_pub_date.as_str() >= eval_from && it.meeting_pub_date.as_str() < eval_until
        })
        .collect();
    let no_proposer = in_eval.iter().filter(|it| it.proposer.is_none()).count();
    let mut unmapped = Vec::new();
    let mut gold: Vec<(&CabinetItem, String)> = Vec::new();
    for it in in_eval.iter().filter(|it| it.proposer.is_some()) {
        match gold_label(&reg, &matcher, it) {
            Some(g) => gold.push((it, g)),
            None => unmapped.push(it.proposer.clone().unwrap_or_default()),
        }
    }

    println!("cabinet data: {cabinet} ({} items)", items.len());
    println!(
        "split: train = meeting_pub_date < {train_until} ({} labelled rows: {} from proposer, {} mined from text); {} = [{eval_from}, {eval_until})",
        history.len(),
        history.iter().filter(|r| r.source == LabelSource::Proposer).count(),
        history.iter().filter(|r| r.source == LabelSource::Mined).count(),
        if tune { "validation" } else { "test" },
    );
    println!(
        "scored items: {} ; excluded: {} with no proposer, {} with an unmappable proposer {:?}",
        gold.len(),
        no_proposer,
        unmapped.len(),
        unmapped
    );

    let knn = TrigramKnn::train(&history);
    let mut base = Scored::default();
    for (it, g) in &gold {
        base.add(g, &knn.rank(&it.title));
    }
    println!("baseline char-trigram 1-NN   : {}", base.show());

    if tune {
        run_tuning(&reg, &history, &gold, &defaults);
        return;
    }

    let embedded = default_history().expect("embedded history");
    println!(
        "embedded data/history.tsv.gz: {} rows, {} the training rows rebuilt from the cabinet file",
        embedded.len(),
        if embedded == history {
            "identical to"
        } else {
            "DIFFERENT from (regenerate with build_history)"
        }
    );

    let start = Instant::now();
    let combiner = fit_combiner(&reg, &history, &defaults, FOLDS);
    println!(
        "combiner fitted on the training rows in {:.1}s: {}",
        start.elapsed().as_secs_f64(),
        show_weights(&combiner)
    );
    let shipped = SuggestConfig::default().combiner;
    let same = combiner
        .weights
        .iter()
        .zip(shipped.weights)
        .all(|(a, b)| (a - b).abs() < 1e-3);
    println!(
        "shipped SuggestConfig::default().combiner {} these weights",
        if same {
            "matches"
        } else if seed != ClassifierParams::default().shuffle_seed {
            "differs (expected with another --seed) from"
        } else {
            "DIFFERS from (update Combiner::default)"
        }
    );

    let config = SuggestConfig {
        combiner,
        ..defaults
    };
    let sug = AgencySuggester::with_history(&reg, &history, config);
    let start = Instant::now();
    let ours = evaluate(&sug, &gold);
    let secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for (it, _) in &gold {
        std::hint::black_box(sug.suggest(&it.title, it.text.as_deref().unwrap_or("")));
    }
    let secs_text = start.elapsed().as_secs_f64();

    // Start-up of the shipped suggester: registry, embedded history, classifier fit, index.
    let start = Instant::now();
    let registry = AgencyRegistry::load_default().expect("embedded registry");
    let shipped = AgencySuggester::new(&registry).expect("embedded suggester");
    let startup = start.elapsed().as_secs_f64();

    println!("praden-detect suggester      : {}", ours.show());
    println!(
        "speed (1 thread): {:.0} µs per title ({:.0}/s), {:.0} µs per title + full resolution text; start-up of AgencySuggester::new {:.2}s ({} terms in the classifier)",
        secs / gold.len() as f64 * 1e6,
        gold.len() as f64 / secs,
        secs_text / gold.len() as f64 * 1e6,
        startup,
        shipped.classifier().vocabulary_len(),
    );
    println!("command: cargo run --release -p praden-detect --example agency_eval");
}

/// Compares classifier settings on the validation slice; the combiner is re-fitted from the
/// training rows for each.
fn run_tuning(
    reg: &AgencyRegistry,
    history: &[HistoryExample],
    gold: &[(&CabinetItem, String)],
    defaults: &SuggestConfig,
) {
    let base = defaults.classifier.clone();
    let k = defaults.neighbours;
    let mut grid: Vec<(String, ClassifierParams, usize)> = vec![
        ("default".into(), base.clone(), k),
        ("neighbours=3".into(), base.clone(), 3),
        ("neighbours=10".into(), base.clone(), 10),
        ("neighbours=20".into(), base.clone(), 20),
        (
            "epochs=30".into(),
            ClassifierParams {
                epochs: 30,
                ..base.clone()
            },
            k,
        ),
        (
            "epochs=10".into(),
            ClassifierParams {
                epochs: 10,
                ..base.clone()
            },
            k,
        ),
        (
            "rate=4".into(),
            ClassifierParams {
                learning_rate: 4.0,
                ..base.clone()
            },
            k,
        ),
        (
            "rate=16".into(),
            ClassifierParams {
                learning_rate: 16.0,
                ..base.clone()
            },
            k,
        ),
        (
            "l2=3e-6".into(),
            ClassifierParams {
                l2: 3e-6,
                ..base.clone()
            },
            k,
        ),
        (
            "l2=3e-5".into(),
            ClassifierParams {
                l2: 3e-5,
                ..base.clone()
            },
            k,
        ),
        (
            "recency 365 d".into(),
            ClassifierParams {
                recency_half_life_days: Some(365.0),
                ..base.clone()
            },
            k,
        ),
        (
            "recency 730 d".into(),
            ClassifierParams {
                recency_half_life_days: Some(730.0),
                ..base.clone()
            },
            k,
        ),
        (
            "keep boilerplate".into(),
            ClassifierParams {
                strip_boilerplate: false,
                ..base.clone()
            },
            k,
        ),
        (
            "no text documents".into(),
            ClassifierParams {
                text_documents: false,
                ..base.clone()
            },
            k,
        ),
        (
            "text terms in 1+ docs".into(),
            ClassifierParams {
                text_term_min_documents: 1,
                ..base.clone()
            },
            k,
        ),
        (
            "text terms in 10+ docs".into(),
            ClassifierParams {
                text_term_min_documents: 10,
                ..base.clone()
            },
            k,
        ),
        (
            "word features".into(),
            ClassifierParams {
                word_features: true,
                ..base.clone()
            },
            k,
        ),
    ];
    if let Ok(only) = std::env::var("TUNE_ONLY") {
        grid.retain(|g| g.0 == only);
    }
    for (name, classifier, neighbours) in grid {
        let start = Instant::now();
        let config = SuggestConfig {
            classifier,
            neighbours,
            ..defaults.clone()
        };
        let combiner = fit_combiner(reg, history, &config, FOLDS);
        let s = AgencySuggester::with_history(reg, history, SuggestConfig { combiner, ..config });
        let sc = evaluate(&s, gold);
        println!(
            "{name:<18}: {}  [{:.0}s]  {}",
            sc.show(),
            start.elapsed().as_secs_f64(),
            show_weights(&combiner)
        );
    }
}
