//! `praden replay`: real documents fed to a running praden as if they were arriving now,
//! keeping their relative times, so anyone can watch a realistic day fill the review queue.
//!
//! The plan of a replay is made from the same JSON-lines files `praden import` reads (the
//! shared thaigov corpus, the ไทยคู่ฟ้า transcripts, the wisesight posts) for a day D and the
//! `days_before` days before it:
//! - news and official articles dated on those days, spread over 07:00–20:00 Bangkok in file
//!   order (the archives have dates, not times);
//! - broadcast transcripts of those days at 08:00;
//! - `social_per_day` posts a day drawn without replacement with a fixed seed, at random
//!   minutes: the posts have no date of their own, so they arrive as live posts without one
//!   (praden dates them when it sees them);
//! - `undated_per_day` undated articles a day (the corpus has pages without a date), also at
//!   random minutes.
//!
//! The same plan drives `examples/queue_eval.rs`, which replays it through the detector with
//! a simulated clock and prints the queue's figures.

use anyhow::Context;
use praden_core::thai_time::{bangkok_midnight, BANGKOK};
use praden_core::{NewDocument, SourceKind};
use praden_ingest::lines::{open_lines, to_document, ImportOptions};
use std::io::BufRead;
use std::path::PathBuf;
use time::{Date, Duration, OffsetDateTime};

/// What to replay.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// The last day of the replay (Bangkok).
    pub day: Date,
    /// Days replayed before `day`, so that `day` starts with a warm detection window.
    pub days_before: u32,
    pub social_per_day: usize,
    pub undated_per_day: usize,
    pub seed: u64,
}

/// One input file and how its lines become documents (as `praden import` reads it).
#[derive(Debug, Clone)]
pub struct ReplayInput {
    pub path: PathBuf,
    pub options: ImportOptions,
}

/// A document of the plan: `at` is when it arrives on the replayed timeline. Dated documents
/// carry `at` as their publication time; undated ones none. `fetched_at` is `at` too.
#[derive(Debug, Clone)]
pub struct Planned {
    pub at: OffsetDateTime,
    pub doc: NewDocument,
}

/// splitmix64: a fixed, dependency-free random sequence, so a plan is the same every time
/// (the tests' generated scenarios use it too).
pub struct Rng(pub u64);

impl Rng {
    /// 0 ≤ the next number < `n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n.max(1) as u64) as usize
    }
}

/// The replay of `options.day` from `inputs`, in arrival order.
pub fn plan(inputs: &[ReplayInput], options: &ReplayOptions) -> anyhow::Result<Vec<Planned>> {
    let first = options.day - Duration::days(i64::from(options.days_before));
    let days: Vec<Date> = (0..=options.days_before)
        .map(|k| first + Duration::days(i64::from(k)))
        .collect();
    let mut rng = Rng(options.seed);
    let mut out = Vec::new();
    let mut undated: Vec<NewDocument> = Vec::new();
    let mut social: Vec<NewDocument> = Vec::new();
    for input in inputs {
        // A placeholder fetch time; every planned document gets its arrival time below.
        let epoch = OffsetDateTime::UNIX_EPOCH;
        let reader = open_lines(&input.path)?.reader;
        let mut by_day: Vec<Vec<NewDocument>> = vec![Vec::new(); days.len()];
        for (i, line) in reader.lines().enumerate() {
            let line =
                line.with_context(|| format!("{}: reading line {}", input.path.display(), i + 1))?;
            // Lines `praden import` would skip are skipped here too (it reports them).
            let Ok(doc) = to_document(&line, &input.options, epoch) else {
                continue;
            };
            if input.options.kind == SourceKind::Social {
                social.push(doc);
                continue;
            }
            match doc.published_at {
                None => undated.push(doc),
                Some(p) => {
                    let date = p.to_offset(BANGKOK).date();
                    if let Some(k) = days.iter().position(|d| *d == date) {
                        by_day[k].push(doc);
                    }
                }
            }
        }
        for (k, docs) in by_day.into_iter().enumerate() {
            let midnight = bangkok_midnight(days[k]);
            let n = docs.len().max(1) as i64;
            for (i, doc) in docs.into_iter().enumerate() {
                let at = match input.options.kind {
                    SourceKind::Broadcast => midnight + Duration::hours(8),
                    _ => midnight + Duration::minutes(7 * 60 + i as i64 * 13 * 60 / n),
                };
                out.push(arriving(doc, at, true));
            }
        }
    }
    for day in &days {
        let midnight = bangkok_midnight(*day);
        let minute = |rng: &mut Rng| midnight + Duration::minutes(rng.below(24 * 60) as i64);
        for _ in 0..options.social_per_day.min(social.len()) {
            let doc = social.swap_remove(rng.below(social.len()));
            let at = minute(&mut rng);
            out.push(arriving(doc, at, false));
        }
        for _ in 0..options.undated_per_day.min(undated.len()) {
            let doc = undated.swap_remove(rng.below(undated.len()));
            let at = minute(&mut rng);
            out.push(arriving(doc, at, false));
        }
    }
    out.sort_by_key(|p| p.at);
    Ok(out)
}

fn arriving(mut doc: NewDocument, at: OffsetDateTime, dated: bool) -> Planned {
    doc.published_at = dated.then_some(at);
    doc.fetched_at = at;
    doc.backfill = false;
    Planned { at, doc }
}

/// `planned` moved to the clock: the replay starts at `start` and runs `speed` times faster
/// than the original timeline. The document keeps its planned spacing divided by `speed`.
pub fn shifted(
    planned: &Planned,
    plan_start: OffsetDateTime,
    start: OffsetDateTime,
    speed: f64,
) -> NewDocument {
    let offset = (planned.at - plan_start).as_seconds_f64() / speed.max(1e-9);
    let at = start + Duration::seconds_f64(offset);
    let mut doc = planned.doc.clone();
    doc.published_at = doc.published_at.map(|_| at);
    doc.fetched_at = at;
    doc
}

/// Runs the replay against `store`: each document is stored when its (shifted) time comes,
/// so a running `praden serve` detects, indexes and queues it as it would a live arrival.
/// Returns how many were stored (a document already stored is left as it is).
pub async fn run(
    store: &praden_store::Store,
    plan: &[Planned],
    speed: f64,
    mut progress: impl FnMut(usize, &NewDocument),
) -> anyhow::Result<usize> {
    let Some(plan_start) = plan.first().map(|p| p.at) else {
        return Ok(0);
    };
    let start = OffsetDateTime::now_utc();
    let mut stored = 0;
    for (i, p) in plan.iter().enumerate() {
        let doc = shifted(p, plan_start, start, speed);
        let wait = doc.fetched_at - OffsetDateTime::now_utc();
        if wait.is_positive() {
            tokio::time::sleep(wait.unsigned_abs()).await;
        }
        stored += store
            .insert_documents(std::slice::from_ref(&doc))
            .await?
            .inserted
            .len();
        progress(i + 1, &doc);
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(dir: &std::path::Path, name: &str, lines: &[serde_json::Value]) -> PathBuf {
        let path = dir.join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
        path
    }

    fn input(path: PathBuf, kind: SourceKind) -> ReplayInput {
        ReplayInput {
            path,
            options: ImportOptions {
                source_id: "s".into(),
                kind,
                outlet: None,
            },
        }
    }

    /// The plan keeps the replayed days' articles in their days, in order, dated; posts and
    /// undated pages arrive undated and live; the same seed gives the same plan; and a replay
    /// stores every planned document once, as live arrivals.
    #[tokio::test]
    async fn a_replay_plans_the_days_and_stores_them_as_arrivals() {
        let dir = tempfile::tempdir().unwrap();
        let article = |id: u32, day: Option<&str>| {
            serde_json::json!({"id": id.to_string(), "pub_date": day, "title": format!("ข่าว {id}"),
                "body": "เนื้อหา", "url": format!("https://thaigov.go.th/news/{id}")})
        };
        let news = file(
            dir.path(),
            "news.jsonl",
            &[
                article(1, Some("2024-03-10")),
                article(2, Some("2024-03-11")),
                article(3, Some("2024-03-12")),
                article(4, Some("2024-03-12")),
                article(5, Some("2024-01-01")),
                article(6, None),
            ],
        );
        let posts: Vec<serde_json::Value> = (0..10)
            .map(|i| serde_json::json!({"id": format!("p{i}"), "text": format!("โพสต์ที่ {i}")}))
            .collect();
        let social = file(dir.path(), "social.jsonl", &posts);
        let inputs = [
            input(news, SourceKind::Official),
            input(social, SourceKind::Social),
        ];
        let options = ReplayOptions {
            day: time::macros::date!(2024 - 03 - 12),
            days_before: 2,
            social_per_day: 2,
            undated_per_day: 1,
            seed: 7,
        };
        let planned = plan(&inputs, &options).unwrap();
        // 4 articles of the three days, 2 posts a day, the one undated page once.
        assert_eq!(planned.len(), 4 + 6 + 1);
        assert!(planned.windows(2).all(|w| w[0].at <= w[1].at));
        let first = bangkok_midnight(time::macros::date!(2024 - 03 - 10));
        let last = bangkok_midnight(time::macros::date!(2024 - 03 - 13));
        assert!(planned.iter().all(|p| p.at >= first && p.at < last));
        for p in &planned {
            assert!(!p.doc.backfill);
            assert_eq!(p.doc.fetched_at, p.at);
            let dated = p.doc.kind == SourceKind::Official && p.doc.title != "ข่าว 6";
            assert_eq!(p.doc.published_at.is_some(), dated, "{:?}", p.doc.title);
            if dated {
                let hour = p.at.to_offset(BANGKOK).hour();
                assert!((7..20).contains(&hour), "{hour}");
            }
        }
        assert!(!planned.iter().any(|p| p.doc.title == "ข่าว 5"));
        let again = plan(&inputs, &options).unwrap();
        let keys = |p: &[Planned]| {
            p.iter()
                .map(|x| (x.at, x.doc.item_key.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&planned), keys(&again));

        let store =
            praden_store::Store::connect(&format!("sqlite://{}/p.db", dir.path().display()))
                .await
                .unwrap();
        let mut seen = 0;
        let stored = run(&store, &planned, 1e9, |_, _| seen += 1).await.unwrap();
        assert_eq!((stored, seen), (planned.len(), planned.len()));
        let again = run(&store, &planned, 1e9, |_, _| {}).await.unwrap();
        assert_eq!(again, 0, "a day replayed twice stores nothing new");
    }
}
