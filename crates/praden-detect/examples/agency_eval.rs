//! Ministry-level evaluation of agency suggestion on a time split of the cabinet data, titles
//! only, against the char-trigram nearest-neighbour baseline. Run from the crate directory:
//!   cargo run --release --example agency_eval -- [--cabinet PATH] [--tune]
//! Without --tune: train before TEST_START, test from TEST_START on.
//! With --tune: train before VALIDATION_START, grid-search weights on the validation slice
//! [VALIDATION_START, TEST_START); the test period is not read.

#[path = "common/cabinet.rs"]
mod cabinet;

use std::time::Instant;

use cabinet::{
    gold_label, history_rows, read_cabinet, CabinetItem, LabelSource, DEFAULT_CABINET, TEST_START,
    VALIDATION_START,
};
use praden_detect::baseline::TrigramKnn;
use praden_detect::history::{parse_history, HistoryExample, DEFAULT_HISTORY_TSV};
use praden_detect::mention::MentionMatcher;
use praden_detect::{AgencyRegistry, AgencySuggester, SuggestConfig};

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
            "top-1 {:.3}  top-3 {:.3}  (n={})",
            f(self.top1),
            f(self.top3),
            self.n
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cabinet = args
        .iter()
        .position(|a| a == "--cabinet")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let cabinet = cabinet.unwrap_or_else(|| DEFAULT_CABINET.to_string());
    let tune = args.iter().any(|a| a == "--tune");

    let reg = AgencyRegistry::load_default().expect("embedded registry");
    let matcher = MentionMatcher::new(&reg);
    let items = read_cabinet(&cabinet);
    let (train_until, eval_from, eval_until) = if tune {
        (VALIDATION_START, VALIDATION_START, TEST_START)
    } else {
        (TEST_START, TEST_START, "9999")
    };
    let history: Vec<HistoryExample> = history_rows(&reg, &items, train_until)
        .into_iter()
        .map(|r| r.0)
        .collect();

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
        history_rows(&reg, &items, train_until).iter().filter(|r| r.1 == LabelSource::Proposer).count(),
        history_rows(&reg, &items, train_until).iter().filter(|r| r.1 == LabelSource::Mined).count(),
        if tune { "validation" } else { "test" },
    );
    println!(
        "scored items: {} ; excluded: {} with no proposer, {} with an unmappable proposer {:?}",
        gold.len(),
        no_proposer,
        unmapped.len(),
        unmapped
    );

    if tune {
        run_tuning(&reg, &history, &gold);
        return;
    }

    let embedded = parse_history(DEFAULT_HISTORY_TSV).expect("embedded history");
    println!(
        "embedded data/history.tsv: {} rows, {} the training rows rebuilt from the cabinet file",
        embedded.len(),
        if embedded == history {
            "identical to"
        } else {
            "DIFFERENT from (regenerate with build_history)"
        }
    );

    let knn = TrigramKnn::train(&history);
    let mut base = Scored {
        n: 0,
        top1: 0,
        top3: 0,
    };
    for (it, g) in &gold {
        base.add(g, &knn.rank(&it.title));
    }
    let sug = AgencySuggester::with_history(&reg, &history, SuggestConfig::default());
    let mut ours = Scored {
        n: 0,
        top1: 0,
        top3: 0,
    };
    let start = Instant::now();
    for (it, g) in &gold {
        ours.add(g, &ministries(&sug, &it.title));
    }
    let secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for (it, _) in &gold {
        std::hint::black_box(sug.suggest(&it.title, it.text.as_deref().unwrap_or("")));
    }
    let secs_text = start.elapsed().as_secs_f64();

    println!("baseline char-trigram 1-NN   : {}", base.show());
    println!("praden-detect suggester      : {}", ours.show());
    println!(
        "throughput: {:.0} suggestions/s on titles, {:.0} suggestions/s on title+full text (1 thread)",
        gold.len() as f64 / secs,
        gold.len() as f64 / secs_text
    );
    println!("command: cargo run --release --example agency_eval");
}

fn run_tuning(reg: &AgencyRegistry, history: &[HistoryExample], gold: &[(&CabinetItem, String)]) {
    let knn = TrigramKnn::train(history);
    let mut base = Scored {
        n: 0,
        top1: 0,
        top3: 0,
    };
    for (it, g) in gold {
        base.add(g, &knn.rank(&it.title));
    }
    println!("baseline on validation: {}", base.show());
    let mut results = Vec::new();
    let grid_lr: Vec<(bool, f32, usize)> =
        std::env::var("GRID_LR").map_or(vec![(true, 4.0, 20)], |v| {
            v.split(',')
                .map(|x| {
                    let p: Vec<&str> = x.split(':').collect();
                    (p[0] == "lr", p[1].parse().unwrap(), p[2].parse().unwrap())
                })
                .collect()
        });
    // GRID_WORDS=1 adds praden-thai word features to the history model.
    let word_features = std::env::var("GRID_WORDS").is_ok_and(|v| v == "1");
    for (logistic, rate, epochs) in grid_lr {
        let alpha = 0.01;
        for hw in [0.25, 0.5, 1.0, 2.0] {
            for kw in [0.0, 0.1, 0.2, 0.4, 0.8] {
                for nw in [0.5, 1.0, 2.0, 4.0] {
                    for inst in [0.1] {
                        let cfg = SuggestConfig {
                            nb_alpha: alpha,
                            logistic,
                            lr_rate: rate,
                            lr_epochs: epochs,
                            history_weight: hw,
                            keyword_weight: kw,
                            name_weight: nw,
                            abbr_weight: nw,
                            english_weight: nw,
                            instrument_factor: inst,
                            word_features,
                            ..SuggestConfig::default()
                        };
                        let s = AgencySuggester::with_history(reg, history, cfg);
                        let mut sc = Scored {
                            n: 0,
                            top1: 0,
                            top3: 0,
                        };
                        for (it, g) in gold {
                            sc.add(g, &ministries(&s, &it.title));
                        }
                        results.push((sc.top1 + sc.top3, format!("lr={logistic}:{rate}:{epochs} words={word_features} hist={hw} kw={kw} name={nw} inst={inst}: {}", sc.show())));
                    }
                }
            }
        }
    }
    results.sort_by_key(|r| std::cmp::Reverse(r.0));
    for r in results.iter().take(12) {
        println!("{}", r.1);
    }
}
