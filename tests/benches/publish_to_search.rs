//! From an item published on an outlet's feed to the first search hit through the API.
//!
//!     cargo bench -p praden-tests --bench publish_to_search -- [--feeds 20] [--minutes 10]
//!         [--interval 1m] [--min-interval 15s] [--max-interval 2m]
//!         [--publish-every-secs 120] [--postgres]
//!
//! Runs the whole application (`RunningApp`: polling, store, index follower, detector, HTTP
//! API) with the production defaults for the index commit interval (2 s) and the per-host
//! gap (1 s), on a fresh SQLite store (PostgreSQL with `--postgres`). FEEDS RSS feeds on a
//! local fixture server (one host, 127.0.0.1) are polled on INTERVAL (sources.toml; the adaptive
//! bounds are MIN_INTERVAL and MAX_INTERVAL when given, else the defaults: half the interval
//! but at least 1m or the interval, and four times it). Each feed publishes a new item
//! at random times (exponential gaps with mean PUBLISH_EVERY_SECS), made of a real Thai article
//! from ../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz and a unique token. Once the
//! fixture server has served an item, the token is searched for through /api/v1/search every
//! 250 ms until it is found.
//!
//! Printed, p50/p95/max: publish → first search hit (includes waiting for the next poll, so it
//! is bounded below by the polling interval), fetch → first search hit (what praden itself
//! adds: parse, store, index commit, search), and publish → fetch; and the feed requests made
//! per feed per minute (what the schedule costs the outlet).

use praden_tests::{Db, FixtureServer, RunningApp, TestEnv};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Args {
    feeds: usize,
    minutes: f64,
    interval: String,
    min_interval: Option<String>,
    max_interval: Option<String>,
    publish_every: f64,
    postgres: bool,
}

fn args() -> Args {
    let mut a = Args {
        feeds: 20,
        minutes: 10.0,
        interval: "1m".into(),
        min_interval: None,
        max_interval: None,
        publish_every: 120.0,
        postgres: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value =
            |name: &str| -> String { it.next().unwrap_or_else(|| panic!("{name} needs a value")) };
        match arg.as_str() {
            "--feeds" => a.feeds = value("--feeds").parse().expect("--feeds N"),
            "--minutes" => a.minutes = value("--minutes").parse().expect("--minutes M"),
            "--interval" => a.interval = value("--interval"),
            "--min-interval" => a.min_interval = Some(value("--min-interval")),
            "--max-interval" => a.max_interval = Some(value("--max-interval")),
            "--publish-every-secs" => {
                a.publish_every = value("--publish-every-secs")
                    .parse()
                    .expect("--publish-every-secs S")
            }
            "--postgres" => a.postgres = true,
            // cargo bench passes --bench to harness = false targets.
            "--bench" => {}
            other => panic!("unknown argument {other:?}"),
        }
    }
    a
}

/// A word no article contains: "pradenbench" and the number in letters a–j.
fn token(n: usize) -> String {
    let letters: String = n
        .to_string()
        .bytes()
        .map(|d| (b'a' + (d - b'0')) as char)
        .collect();
    format!("pradenbench{letters}")
}

struct Item {
    seq: usize,
    token: String,
    title: String,
    body: String,
    published: Instant,
    fetched: Option<Instant>,
    found: Option<Instant>,
}

type Feeds = Arc<Mutex<Vec<Vec<Item>>>>;

/// Feed `i` as it stands: its ten newest items; marks the ones served for the first time.
fn render(feeds: &Feeds, i: usize, base: &str) -> String {
    let mut feeds = feeds.lock().unwrap();
    let now = Instant::now();
    let wall = time::OffsetDateTime::now_utc();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>\
         <title>outlet {i}</title><link>{base}</link><description>bench</description>\n"
    );
    for item in feeds[i].iter_mut().rev().take(10) {
        item.fetched.get_or_insert(now);
        let date = (wall - (now - item.published))
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap();
        out.push_str(&format!(
            "<item><title>{} {}</title><link>{base}news/{i}/{}</link><pubDate>{date}</pubDate>\
             <description>{}</description><content:encoded><![CDATA[<p>{}</p>]]></content:encoded></item>\n",
            praden_tests::xml_escape(&item.title),
            item.token,
            item.seq,
            praden_tests::xml_escape(&item.body.chars().take(200).collect::<String>()),
            item.body.replace("]]>", "]] >").replace('\n', "</p><p>"),
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn summary(name: &str, mut v: Vec<f64>) {
    v.sort_by(f64::total_cmp);
    println!(
        "{name}: n {}, p50 {:.1} s, p95 {:.1} s, max {:.1} s",
        v.len(),
        percentile(&v, 50.0),
        percentile(&v, 95.0),
        v.last().copied().unwrap_or(f64::NAN)
    );
}

/// SplitMix64 over a counter: fixed, comparable runs.
struct Rng(u64);
impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[tokio::main]
async fn main() {
    let a = args();
    let env = TestEnv::new(if a.postgres { Db::Postgres } else { Db::Sqlite })
        .await
        .expect("PRADEN_TEST_POSTGRES_URL must be set for --postgres");
    let articles = praden_tests::shared_articles(3000);
    let server = FixtureServer::start().await;
    let base = server.url("");
    let feeds: Feeds = Arc::new(Mutex::new((0..a.feeds).map(|_| Vec::new()).collect()));
    let mut toml = String::new();
    for i in 0..a.feeds {
        let (f, b) = (feeds.clone(), base.clone());
        server.set_handler(&format!("feed/{i}"), move |_| {
            use axum::response::IntoResponse;
            (
                [(axum::http::header::CONTENT_TYPE, "application/rss+xml")],
                render(&f, i, &b),
            )
                .into_response()
        });
        toml.push_str(&format!(
            "[[source]]\nid = \"feed{i}\"\nname = \"feed{i}\"\nkind = \"news\"\noutlet = \"outlet{i}\"\n\
             url = \"{}\"\nformat = \"rss\"\ninterval = \"{}\"\nallow_private_network = true\n",
            server.url(&format!("feed/{i}")),
            a.interval
        ));
        for (key, value) in [
            ("min_interval", &a.min_interval),
            ("max_interval", &a.max_interval),
        ] {
            if let Some(v) = value {
                toml.push_str(&format!("{key} = \"{v}\"\n"));
            }
        }
        toml.push('\n');
    }
    env.write_sources_toml(&toml);
    let mut config = env.config();
    // The production defaults (README), not the tests' short ones.
    config.index.commit_interval = Duration::from_secs(2);
    config.ingest.host_gap = Duration::from_secs(1);
    println!(
        "publish_to_search: {} feeds on one host, interval {} (min {}, max {}), a new item per feed every {:.0} s on average, {:.1} min, {}",
        a.feeds,
        a.interval,
        a.min_interval.as_deref().unwrap_or("default"),
        a.max_interval.as_deref().unwrap_or("default"),
        a.publish_every,
        a.minutes,
        if a.postgres { "PostgreSQL" } else { "SQLite" }
    );
    let app = Arc::new(RunningApp::start(config).await);
    let began = Instant::now();
    let run_for = Duration::from_secs_f64(a.minutes * 60.0);

    // The publisher: each feed's next item is due after an exponential gap.
    let publisher = tokio::spawn({
        let feeds = feeds.clone();
        async move {
            let mut rng = Rng(7);
            let mut due: Vec<Instant> = (0..a.feeds)
                .map(|_| began + Duration::from_secs_f64(-rng.unit().ln() * a.publish_every))
                .collect();
            let mut n = 0usize;
            while began.elapsed() < run_for {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let now = Instant::now();
                for (i, d) in due.iter_mut().enumerate() {
                    if *d <= now {
                        let (title, body) = &articles[n % articles.len()];
                        feeds.lock().unwrap()[i].push(Item {
                            seq: n,
                            token: token(n),
                            title: title.clone(),
                            body: body.clone(),
                            published: now,
                            fetched: None,
                            found: None,
                        });
                        n += 1;
                        *d = now + Duration::from_secs_f64(-rng.unit().ln() * a.publish_every);
                    }
                }
            }
        }
    });

    // The searcher: every item served and not yet found is searched for every 250 ms; after
    // the run, up to two intervals more for the last ones.
    let grace = Duration::from_secs(300);
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let pending: Vec<(usize, usize, String)> = feeds
            .lock()
            .unwrap()
            .iter()
            .enumerate()
            .flat_map(|(f, items)| {
                items
                    .iter()
                    .enumerate()
                    .filter(|(_, it)| it.fetched.is_some() && it.found.is_none())
                    .map(move |(k, it)| (f, k, it.token.clone()))
            })
            .collect();
        for (f, k, token) in pending {
            let (status, body) = app.get_json(&format!("/api/v1/search?q={token}")).await;
            assert_eq!(status, 200, "{body}");
            if body["total"].as_u64().unwrap_or(0) >= 1 {
                feeds.lock().unwrap()[f][k].found = Some(Instant::now());
            }
        }
        let elapsed = began.elapsed();
        if elapsed >= run_for {
            let all_found = feeds
                .lock()
                .unwrap()
                .iter()
                .flatten()
                .all(|it| it.found.is_some());
            if all_found || elapsed >= run_for + grace {
                break;
            }
        }
    }
    publisher.await.unwrap();
    let requests: usize = (0..a.feeds)
        .map(|i| server.hits(&format!("feed/{i}")))
        .sum();
    let minutes_run = began.elapsed().as_secs_f64() / 60.0;
    let feeds = std::mem::take(&mut *feeds.lock().unwrap());
    let items: Vec<&Item> = feeds.iter().flatten().collect();
    let secs = |a: Instant, b: Instant| (b - a).as_secs_f64();
    let found: Vec<&&Item> = items.iter().filter(|i| i.found.is_some()).collect();
    println!(
        "items published {}, found by search {}, never fetched {}",
        items.len(),
        found.len(),
        items.iter().filter(|i| i.fetched.is_none()).count()
    );
    summary(
        "publish → searchable",
        found
            .iter()
            .map(|i| secs(i.published, i.found.unwrap()))
            .collect(),
    );
    summary(
        "fetch → searchable",
        found
            .iter()
            .map(|i| secs(i.fetched.unwrap(), i.found.unwrap()))
            .collect(),
    );
    summary(
        "publish → fetch",
        found
            .iter()
            .map(|i| secs(i.published, i.fetched.unwrap()))
            .collect(),
    );
    println!(
        "feed requests: {requests} in {minutes_run:.1} min, {:.2} per feed per minute",
        requests as f64 / a.feeds as f64 / minutes_run
    );
    match Arc::try_unwrap(app) {
        Ok(app) => app.stop().await,
        Err(_) => unreachable!("the publisher and searcher have finished"),
    }
}
