//! Story clustering: B-cubed precision/recall/F1 on a labelled set built from the shared data,
//! and a throughput benchmark with 50,000 documents in the window.
//!
//!     cargo run --release -p praden-detect --example cluster_eval            # figures
//!     cargo run --release -p praden-detect --example cluster_eval -- --show 15   # + sample pairs
//!     cargo run --release -p praden-detect --example cluster_eval -- --tune  # dev-period grid
//!
//! The labelled set: each cabinet-resolution item (../shared/data/cabinet) together with the
//! thaigov.go.th news articles (../shared/data/corpus) that report the same decision. An
//! article reports an item when it is published on the meeting day or the two days after and
//! its title shares at least 8 distinctive character 8-grams with the item's title and at least
//! 30 % of them (8-grams found in more than 0.5 % of cabinet titles, such as
//! ร่างพระราชกฤษฎีกา…, are generic and ignored). An article matching two items equally well is
//! dropped. Only items with at least one article form gold clusters. The matcher works on
//! characters of the titles, the clusterer on segmented words of title and lead, so the set is
//! not built by the method it judges. All news and all cabinet items of the period are
//! clustered; scores count the labelled documents only.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use praden_core::SourceKind;
use praden_detect::{ClusterConfig, ClusterDoc, Clusterer, StoryId};
use time::Date;

#[path = "common/labels.rs"]
mod labels;
use labels::*;

/// Parameters are chosen on items before this date; figures after it are the test period.
const TEST_START: &str = "2022-01-01";

/// All documents of the period in time order: a day's cabinet items first (the meeting),
/// then its news, in file order. Dates only, so every document of a day is at its midnight.
fn stream(news: &[NewsItem], cabinet: &[CabinetItem]) -> Vec<ClusterDoc> {
    let mut docs: Vec<(Date, u8, usize, ClusterDoc)> = Vec::new();
    for (i, c) in cabinet.iter().enumerate() {
        let d = date(&c.meeting_pub_date);
        docs.push((
            d,
            0,
            i,
            ClusterDoc {
                id: cab_id(c),
                published_at: praden_core::thai_time::bangkok_midnight(d),
                title: c.title.clone(),
                body: c.text.clone().unwrap_or_default(),
                outlet: "cabinet".into(),
                kind: SourceKind::Official,
                url: None,
            },
        ));
    }
    for (i, n) in news.iter().enumerate() {
        let d = date(n.pub_date.as_deref().unwrap_or_default());
        docs.push((
            d,
            1,
            i,
            ClusterDoc {
                id: n.id.clone(),
                published_at: praden_core::thai_time::bangkok_midnight(d),
                title: n.title.clone().unwrap_or_default(),
                body: n.body.clone().unwrap_or_default(),
                outlet: n.category.clone().unwrap_or_default(),
                kind: SourceKind::Official,
                url: n.url.clone(),
            },
        ));
    }
    docs.sort_by_key(|d| (d.0, d.1, d.2));
    docs.into_iter().map(|d| d.3).collect()
}

/// Clusters `docs` and returns each labelled document's final story (merges followed).
fn run(
    config: &ClusterConfig,
    docs: &[ClusterDoc],
    keep: &HashMap<String, usize>,
) -> HashMap<String, u64> {
    let mut clusterer = Clusterer::new(config.clone());
    let mut assigned: Vec<(String, StoryId)> = Vec::new();
    let mut parent: HashMap<StoryId, StoryId> = HashMap::new();
    for d in docs {
        let a = clusterer.add(d.clone());
        for m in &a.merges {
            parent.insert(m.absorbed, m.kept);
        }
        if keep.contains_key(&a.doc_id) {
            assigned.push((a.doc_id, a.story));
        }
    }
    let find = |mut s: StoryId| {
        while let Some(&p) = parent.get(&s) {
            s = p;
        }
        s.0
    };
    assigned.into_iter().map(|(d, s)| (d, find(s))).collect()
}

struct Bcubed {
    p: f64,
    r: f64,
    f1: f64,
    n: usize,
    clusters: usize,
    /// Pairwise: of the pairs put in one story, the share that are in one gold story (P);
    /// of the gold pairs, the share put in one story (R).
    pair_p: f64,
    pair_r: f64,
    pair_f1: f64,
}

fn bcubed(gold: &HashMap<String, usize>, pred: &HashMap<String, u64>, ids: &[&String]) -> Bcubed {
    let mut by_gold: HashMap<usize, Vec<&String>> = HashMap::new();
    let mut by_pred: HashMap<u64, Vec<&String>> = HashMap::new();
    for id in ids {
        by_gold.entry(gold[*id]).or_default().push(id);
        by_pred.entry(pred[*id]).or_default().push(id);
    }
    let (mut p, mut r) = (0.0, 0.0);
    for id in ids {
        let g = gold[*id];
        let pc = &by_pred[&pred[*id]];
        let correct = pc.iter().filter(|o| gold[**o] == g).count() as f64;
        p += correct / pc.len() as f64;
        r += correct / by_gold[&g].len() as f64;
    }
    let n = ids.len() as f64;
    let (p, r) = (p / n, r / n);
    let pairs = |groups: Vec<&Vec<&String>>| -> usize {
        groups.iter().map(|g| g.len() * (g.len() - 1) / 2).sum()
    };
    let gold_pairs = pairs(by_gold.values().collect());
    let pred_pairs = pairs(by_pred.values().collect());
    let mut both = 0usize;
    for members in by_pred.values() {
        let mut per_gold: HashMap<usize, usize> = HashMap::new();
        for id in members {
            *per_gold.entry(gold[*id]).or_default() += 1;
        }
        both += per_gold.values().map(|k| k * (k - 1) / 2).sum::<usize>();
    }
    let pair_p = both as f64 / pred_pairs.max(1) as f64;
    let pair_r = both as f64 / gold_pairs.max(1) as f64;
    Bcubed {
        p,
        r,
        f1: 2.0 * p * r / (p + r),
        n: ids.len(),
        clusters: by_gold.len(),
        pair_p,
        pair_r,
        pair_f1: if pair_p + pair_r > 0.0 {
            2.0 * pair_p * pair_r / (pair_p + pair_r)
        } else {
            0.0
        },
    }
}

fn score_period(
    labels: &Labelled,
    pred: &HashMap<String, u64>,
    dates: &HashMap<String, Date>,
    test: bool,
) -> Bcubed {
    let start = date(TEST_START);
    let mut ids: Vec<&String> = labels
        .gold
        .keys()
        .filter(|id| (dates[*id] >= start) == test)
        .collect();
    ids.sort();
    bcubed(&labels.gold, pred, &ids)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let tune = args.iter().any(|a| a == "--tune");
    let show: usize = args
        .iter()
        .position(|a| a == "--show")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);

    // Items without a date cannot be placed in time.
    let news: Vec<NewsItem> = read_gz::<NewsItem>(CORPUS)
        .into_iter()
        .filter(|n| n.pub_date.is_some())
        .collect();
    let cabinet: Vec<CabinetItem> = read_gz(CABINET);
    let labels = build_labels(&news, &cabinet);
    let docs = stream(&news, &cabinet);
    let dates: HashMap<String, Date> = docs
        .iter()
        .map(|d| {
            (
                d.id.clone(),
                d.published_at
                    .to_offset(praden_core::thai_time::BANGKOK)
                    .date(),
            )
        })
        .collect();
    let n_clusters: HashSet<usize> = labels.gold.values().copied().collect();
    println!("labelled set: {} documents in {} gold stories ({} cabinet items + {} news articles reporting them); stream: {} documents ({} news, {} cabinet items)",
        labels.gold.len(), n_clusters.len(), n_clusters.len(), labels.pairs.len(), docs.len(), news.len(), cabinet.len());
    if let Some(step) = labels.pairs.len().checked_div(show) {
        // A deterministic spread over the set for reading by eye.
        let step = step.max(1);
        let news_by_id: HashMap<&str, &NewsItem> =
            news.iter().map(|n| (n.id.as_str(), n)).collect();
        for (i, id) in labels.pairs.iter().step_by(step).take(show) {
            let c = &cabinet[*i];
            let n = news_by_id[id.as_str()];
            println!(
                "  [{}] ครม.: {}\n  [{}] news: {}\n",
                c.meeting_pub_date,
                c.title,
                n.pub_date.as_deref().unwrap_or_default(),
                n.title.as_deref().unwrap_or_default()
            );
        }
    }

    if tune {
        for link in [0.15f32, 0.2, 0.25, 0.3] {
            for centroid in [0.1f32, 0.15, 0.2] {
                let config = ClusterConfig {
                    link_threshold: link,
                    centroid_threshold: centroid,
                    ..Default::default()
                };
                let pred = run(&config, &docs, &labels.gold);
                let b = score_period(&labels, &pred, &dates, false);
                println!(
                    "dev link {link:.2} centroid {centroid:.2}: P {:.3} R {:.3} F1 {:.3}; pairwise P {:.3} R {:.3} F1 {:.3}",
                    b.p, b.r, b.f1, b.pair_p, b.pair_r, b.pair_f1
                );
            }
        }
        return;
    }

    let config = ClusterConfig::default();
    let started = Instant::now();
    let pred = run(&config, &docs, &labels.gold);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "clustered {} documents in {:.1} s ({:.0} docs/s) with the default config ({} h window)",
        docs.len(),
        secs,
        docs.len() as f64 / secs,
        config.window_hours
    );
    let singletons: HashMap<String, u64> = labels
        .gold
        .keys()
        .enumerate()
        .map(|(i, k)| (k.clone(), i as u64))
        .collect();
    for (name, test) in [
        ("dev  (< 2022-01-01)", false),
        ("test (>= 2022-01-01)", true),
    ] {
        let b = score_period(&labels, &pred, &dates, test);
        let s = score_period(&labels, &singletons, &dates, test);
        println!(
            "{name}: {} docs / {} stories — B-cubed P {:.3} R {:.3} F1 {:.3}   (all-singletons baseline F1 {:.3}); pairwise P {:.3} R {:.3} F1 {:.3}",
            b.n, b.clusters, b.p, b.r, b.f1, s.f1, b.pair_p, b.pair_r, b.pair_f1
        );
    }

    throughput(&docs);
}

/// ≥ 2,000 documents/s on one core with 50,000 documents in the window: fill the window with
/// the first 50,000 documents (never expiring), then time the rest.
fn throughput(docs: &[ClusterDoc]) {
    const FILL: usize = 50_000;
    let config = ClusterConfig {
        window_hours: 1e7,
        ..Default::default()
    };
    let mut clusterer = Clusterer::new(config);
    for d in &docs[..FILL.min(docs.len())] {
        clusterer.add(d.clone());
    }
    let rest: Vec<ClusterDoc> = docs[FILL.min(docs.len())..].to_vec();
    let before = clusterer.window_len();
    let cpu_before = thread_cpu_seconds();
    let started = Instant::now();
    for d in rest.iter().cloned() {
        clusterer.add(d);
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = thread_cpu_seconds().zip(cpu_before).map(|(a, b)| a - b);
    println!(
        "throughput: {} documents in {:.2} s wall = {:.0} docs/s on one thread{}, window {} → {} documents",
        rest.len(),
        secs,
        rest.len() as f64 / secs,
        match cpu {
            Some(c) if c > 0.0 => format!(
                " ({:.2} s CPU = {:.0} docs/s per CPU-second; wall time suffers when other processes share the cores)",
                c,
                rest.len() as f64 / c
            ),
            _ => String::new(),
        },
        before,
        clusterer.window_len()
    );
}

/// CPU time of this thread (user + system) from /proc on Linux; `None` elsewhere. Measures
/// the one core the clusterer uses even when other processes compete for it.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux platform Rust supports.
    Some(ticks / 100.0)
}
