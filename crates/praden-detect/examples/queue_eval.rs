//! The review queue of a replayed day: real official news, radio transcripts and social posts
//! fed through clustering, the criteria and the candidate rule as if they were arriving, with
//! the figures issue 22 asks for.
//!
//!     cargo run --release -p praden-detect --example queue_eval                    # held-out days
//!     cargo run --release -p praden-detect --example queue_eval -- --days tune     # tuning days
//!     cargo run --release -p praden-detect --example queue_eval -- --days 2024-03-12 --show 30
//!
//! For each day D the replay starts at D−2 00:00 Bangkok, so D begins with a warm 72-hour
//! window, and ends at D 23:59. It carries:
//! - the thaigov.go.th articles dated D−2 … D (../shared corpus), spread over 07:00–20:00 of
//!   their day in file order (the corpus has dates only);
//! - the ไทยคู่ฟ้า radio transcripts of those days, at 08:00;
//! - `--social-per-day` (1,500) wisesight posts a day, drawn without replacement with a fixed
//!   seed, at random minutes of the day (the set has no dates: they arrive as live posts with
//!   no date of their own, which is when praden sees them);
//! - 10 undated corpus pages a day (title `รัฐบาลไทย-`), live documents without a date.
//!
//! Every simulated hour the stories touched in that hour are assessed as the detector does
//! (`candidate_with_engagement`), and a story that passes becomes — or updates — its
//! queue entry; merged stories fold into the older entry. At the end the queue is ranked by
//! score as the queue page ranks it, and the figures are printed:
//! - the top N with their coverage, fired criteria, agency, and the monitor's judgement from
//!   `examples/queue_judgements.tsv` when the candidate's title is judged there;
//! - precision of the top 20 over the judged ones (unjudged are counted apart, never guessed);
//! - share of the top 20 made only of social posts;
//! - the largest story as a share of the documents in the window;
//! - of D's articles that report a cabinet item (the 8-gram labels of `cluster_eval`), the
//!   share that end in a candidate whose cabinet criterion fired (≥ 0.5).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use praden_core::thai_time::{bangkok_midnight, BANGKOK};
use praden_core::SourceKind;
use praden_detect::{
    candidate_with_engagement, AgencySuggester, Candidate, ClusterConfig, ClusterDoc, Clusterer,
    CriteriaScorer, Criterion, StoryId,
};
use time::{Date, Duration, OffsetDateTime};

#[path = "common/labels.rs"]
mod labels;
use labels::*;

const RADIO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/broadcast/thaikufah-radio-2020-2024h1.jsonl.gz"
);
const SOCIAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/social/wisesight-messages.jsonl.gz"
);
const JUDGEMENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/queue_judgements.tsv");

/// Days the thresholds and rules were looked at while building (never report these as held-out).
const TUNE_DAYS: &[&str] = &["2023-11-14", "2024-01-16"];
/// Days first replayed after the rules were set.
const HELD_OUT_DAYS: &[&str] = &["2023-08-22", "2024-03-12", "2024-05-21"];
/// A criterion counts as fired from this score (the queue's badges, the brief).
const FIRED: f64 = 0.5;

#[derive(serde::Deserialize)]
struct Post {
    id: String,
    text: String,
}

/// splitmix64: a fixed, dependency-free random sequence.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Args {
    days: Vec<String>,
    social_per_day: usize,
    show: usize,
}

fn args() -> Args {
    let a: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        a.iter()
            .position(|x| x == flag)
            .and_then(|i| a.get(i + 1))
            .cloned()
    };
    let days = match value("--days").as_deref() {
        None | Some("held-out") => HELD_OUT_DAYS.iter().map(|d| d.to_string()).collect(),
        Some("tune") => TUNE_DAYS.iter().map(|d| d.to_string()).collect(),
        Some(list) => list.split(',').map(str::to_string).collect(),
    };
    Args {
        days,
        social_per_day: value("--social-per-day")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1500),
        show: value("--show").and_then(|v| v.parse().ok()).unwrap_or(20),
    }
}

/// (day, title) → keep?  `day <TAB> keep|drop <TAB> title [<TAB> note]`.
fn judgements() -> HashMap<(String, String), bool> {
    let Ok(text) = std::fs::read_to_string(JUDGEMENTS) else {
        return HashMap::new();
    };
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let (day, verdict, title) = (cols.next()?, cols.next()?, cols.next()?);
            Some((
                (day.to_string(), title.trim().to_string()),
                verdict == "keep",
            ))
        })
        .collect()
}

fn main() {
    let args = args();
    let news: Vec<NewsItem> = read_gz(CORPUS);
    let radio: Vec<NewsItem> = read_gz(RADIO);
    let social: Vec<Post> = read_gz(SOCIAL);
    let cabinet: Vec<CabinetItem> = read_gz(CABINET);
    let dated: Vec<NewsItem> = read_gz::<NewsItem>(CORPUS)
        .into_iter()
        .filter(|n| n.pub_date.is_some())
        .collect();
    let labels = build_labels(&dated, &cabinet);
    let cabinet_articles: HashSet<&str> = labels
        .gold
        .keys()
        .filter(|k| !k.starts_with("cab-"))
        .map(String::as_str)
        .collect();
    let judged = judgements();

    let started = Instant::now();
    let scorer = CriteriaScorer::with_defaults().expect("criteria");
    let suggester = AgencySuggester::shared_default().expect("suggester");
    println!("models ready in {:.1} s", started.elapsed().as_secs_f64());

    let mut totals = (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    for day in &args.days {
        let d = date(day);
        let docs = replay_docs(d, &news, &radio, &social, args.social_per_day);
        let r = replay(&docs, d, &scorer, &suggester);
        println!(
            "\n=== {day}: {} documents replayed ({} official news, {} radio, {} social, {} undated pages); {} stories open, {} candidates in the queue",
            docs.len(),
            docs.iter().filter(|x| x.kind == SourceKind::Official).count(),
            docs.iter().filter(|x| x.kind == SourceKind::Broadcast).count(),
            docs.iter().filter(|x| x.kind == SourceKind::Social).count(),
            docs.iter().filter(|x| x.id.starts_with("undated-")).count(),
            r.open_stories,
            r.queue.len()
        );
        let (mut judged_n, mut kept, mut social_only) = (0, 0, 0);
        for (rank, c) in r.queue.iter().take(args.show).enumerate() {
            let counts = &c.sources.counts;
            let only_social =
                counts.social > 0 && counts.news + counts.official + counts.broadcast == 0;
            let verdict = judged.get(&(day.clone(), c.title.trim().to_string()));
            if rank < 20 {
                social_only += usize::from(only_social);
                if let Some(&k) = verdict {
                    judged_n += 1;
                    kept += usize::from(k);
                }
            }
            let fired: Vec<&str> = c
                .assessment
                .scores
                .iter()
                .filter(|s| s.score >= FIRED)
                .map(|s| short(s.criterion))
                .collect();
            println!(
                "{:>2}. {:.2} [{}] n{} o{} s{} b{} {:<24} {} | {}",
                rank + 1,
                c.assessment.overall,
                match verdict {
                    Some(true) => "keep",
                    Some(false) => "DROP",
                    None => "  ? ",
                },
                counts.news,
                counts.official,
                counts.social,
                counts.broadcast,
                fired.join(","),
                c.agencies.first().map_or("-", |a| a.abbr.as_str()),
                c.title.chars().take(90).collect::<String>(),
            );
        }
        let top = r.queue.len().min(20);
        let cab_day: Vec<&String> = r
            .day_articles
            .iter()
            .filter(|id| cabinet_articles.contains(id.as_str()))
            .collect();
        let cab_hit = cab_day
            .iter()
            .filter(|id| r.cabinet_fired.contains(id.as_str()))
            .count();
        println!(
            "top {top}: judged {judged_n}, kept {kept} → precision {}; social-only {social_only} ({:.0} %); largest story {} of {} window documents ({:.1} %); cabinet-report articles of the day in a candidate with the cabinet criterion fired: {cab_hit} of {} ({})",
            if judged_n > 0 { format!("{:.2}", kept as f64 / judged_n as f64) } else { "n/a".into() },
            100.0 * social_only as f64 / top.max(1) as f64,
            r.largest,
            r.window_docs,
            100.0 * r.largest as f64 / r.window_docs.max(1) as f64,
            cab_day.len(),
            if cab_day.is_empty() { "n/a".to_string() } else { format!("{:.2}", cab_hit as f64 / cab_day.len() as f64) },
        );
        totals.0 += judged_n;
        totals.1 += kept;
        totals.2 += social_only;
        totals.3 += top;
        totals.4 += cab_hit;
        totals.5 += cab_day.len();
    }
    println!(
        "\nall days: precision of the top 20 {} ({} of {} judged); social-only {:.1} %; cabinet reports in a cabinet candidate {:.2} ({} of {})",
        if totals.0 > 0 { format!("{:.2}", totals.1 as f64 / totals.0 as f64) } else { "n/a".into() },
        totals.1,
        totals.0,
        100.0 * totals.2 as f64 / totals.3.max(1) as f64,
        totals.4 as f64 / totals.5.max(1) as f64,
        totals.4,
        totals.5
    );
}

fn short(c: Criterion) -> &'static str {
    match c {
        Criterion::CurrentSituation => "current",
        Criterion::MediaAttention => "media",
        Criterion::GovernmentPolicy => "policy",
        Criterion::CabinetResolution => "cabinet",
        Criterion::WidePublicImpact => "impact",
        Criterion::PublicInterest => "interest",
    }
}

/// The documents of the replay of day `d`, in arrival order.
fn replay_docs(
    d: Date,
    news: &[NewsItem],
    radio: &[NewsItem],
    social: &[Post],
    social_per_day: usize,
) -> Vec<ClusterDoc> {
    let mut rng = Rng(d.to_julian_day() as u64);
    let mut out = Vec::new();
    let days: Vec<Date> = (0..3).rev().map(|k| d - Duration::days(k)).collect();
    let undated: Vec<&NewsItem> = news.iter().filter(|n| n.pub_date.is_none()).collect();
    let mut unused: Vec<usize> = (0..social.len()).collect();
    for &day in &days {
        let midnight = bangkok_midnight(day);
        let iso = day.to_string();
        let todays: Vec<&NewsItem> = news
            .iter()
            .filter(|n| n.pub_date.as_deref() == Some(iso.as_str()))
            .collect();
        let span = 13 * 60 / todays.len().max(1) as i64;
        for (i, n) in todays.iter().enumerate() {
            out.push(doc(
                n,
                midnight + Duration::minutes(7 * 60 + i as i64 * span),
                "thaigov.go.th",
                SourceKind::Official,
            ));
        }
        for n in radio
            .iter()
            .filter(|n| n.pub_date.as_deref() == Some(iso.as_str()))
        {
            let mut r = doc(
                n,
                midnight + Duration::hours(8),
                "ไทยคู่ฟ้า",
                SourceKind::Broadcast,
            );
            r.id = format!("radio-{}", n.id);
            out.push(r);
        }
        for _ in 0..social_per_day.min(unused.len()) {
            let k = rng.below(unused.len() as u64) as usize;
            let p = &social[unused.swap_remove(k)];
            out.push(ClusterDoc {
                id: format!("social-{}", p.id),
                published_at: midnight + Duration::minutes(rng.below(24 * 60) as i64),
                title: String::new(),
                body: p.text.clone(),
                outlet: "social".into(),
                kind: SourceKind::Social,
                url: None,
            });
        }
        for i in 0..10 {
            let n = undated[rng.below(undated.len() as u64) as usize];
            let mut u = doc(
                n,
                midnight + Duration::minutes(rng.below(24 * 60) as i64),
                "thaigov.go.th",
                SourceKind::Official,
            );
            u.id = format!("undated-{iso}-{i}-{}", n.id);
            out.push(u);
        }
    }
    out.sort_by_key(|x| x.published_at);
    out
}

fn doc(n: &NewsItem, at: OffsetDateTime, outlet: &str, kind: SourceKind) -> ClusterDoc {
    ClusterDoc {
        id: n.id.clone(),
        published_at: at,
        title: n.title.clone().unwrap_or_default(),
        body: n.body.clone().unwrap_or_default(),
        outlet: outlet.into(),
        kind,
        url: n.url.clone(),
    }
}

struct Replayed {
    /// Ranked as the queue page ranks it: score, then the newest.
    queue: Vec<Candidate>,
    open_stories: usize,
    largest: usize,
    window_docs: usize,
    /// Ids of the articles dated on the replayed day.
    day_articles: Vec<String>,
    /// Documents that ended in a queue entry whose cabinet criterion fired.
    cabinet_fired: HashSet<String>,
}

fn replay(
    docs: &[ClusterDoc],
    d: Date,
    scorer: &CriteriaScorer,
    suggester: &AgencySuggester,
) -> Replayed {
    let mut clusterer = Clusterer::new(ClusterConfig::default());
    let mut queue: BTreeMap<StoryId, Candidate> = BTreeMap::new();
    let mut touched: BTreeSet<StoryId> = BTreeSet::new();
    let end = bangkok_midnight(d + Duration::days(1)) - Duration::minutes(1);
    let mut hour_end = bangkok_midnight(d - Duration::days(2)) + Duration::hours(1);
    let assess = |clusterer: &Clusterer,
                  touched: &mut BTreeSet<StoryId>,
                  queue: &mut BTreeMap<StoryId, Candidate>,
                  now: OffsetDateTime| {
        let live: BTreeSet<StoryId> = touched.iter().map(|s| clusterer.resolve(*s)).collect();
        touched.clear();
        // Entries of stories merged away fold into the story that absorbed them.
        let gone: Vec<StoryId> = queue
            .keys()
            .copied()
            .filter(|id| clusterer.resolve(*id) != *id)
            .collect();
        for id in gone {
            queue.remove(&id);
        }
        for id in live {
            let Some(story) = clusterer.story(id) else {
                continue;
            };
            // A story that no longer passes keeps the entry it had, as in the store.
            if let Some(c) = candidate_with_engagement(story, now, scorer, suggester, None) {
                queue.insert(id, c);
            }
        }
    };
    for doc in docs {
        while doc.published_at >= hour_end {
            assess(&clusterer, &mut touched, &mut queue, hour_end);
            hour_end += Duration::hours(1);
        }
        let a = clusterer.add(doc.clone());
        touched.insert(a.story);
    }
    assess(&clusterer, &mut touched, &mut queue, end);

    let window_start = end - Duration::hours(clusterer.config().window_hours as i64);
    let window_docs = docs
        .iter()
        .filter(|x| x.published_at >= window_start && x.published_at <= end)
        .count();
    let largest = clusterer
        .stories()
        .map(|s| s.members.len())
        .max()
        .unwrap_or(0);
    let iso_day = d;
    let day_articles = docs
        .iter()
        .filter(|x| {
            x.kind == SourceKind::Official
                && !x.id.starts_with("undated-")
                && x.published_at.to_offset(BANGKOK).date() == iso_day
        })
        .map(|x| x.id.clone())
        .collect();
    let mut cabinet_fired = HashSet::new();
    for (id, c) in &queue {
        if c.assessment.score(Criterion::CabinetResolution) >= FIRED {
            if let Some(s) = clusterer.story(*id) {
                cabinet_fired.extend(s.members.iter().map(|m| m.doc_id.clone()));
            }
        }
    }
    let mut ranked: Vec<Candidate> = queue.into_values().collect();
    ranked.sort_by(|a, b| {
        b.assessment
            .overall
            .total_cmp(&a.assessment.overall)
            .then(b.sources.last_seen.cmp(&a.sources.last_seen))
    });
    Replayed {
        queue: ranked,
        open_stories: clusterer.stories().count(),
        largest,
        window_docs,
        day_articles,
        cabinet_fired,
    }
}
