//! Polling at scale: many feeds on a local fixture server, each on a 5-minute interval.
//!
//!     cargo bench -p praden-tests --bench ingest_scale -- [--feeds 1000] [--minutes 12]
//!         [--interval-secs 300] [--items 10] [--postgres]
//!
//! Serves FEEDS RSS feeds from 127.0.0.1-range addresses, each made of real Thai articles from
//! ../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz (ITEMS per feed with full text in
//! `content:encoded`; each feed publishes a new item about once per interval, so most polls
//! find one), and polls them with the production ingester (`Ingester::run`, default limits: 8
//! requests in flight, one request at a time per host, 1 s apart) into a fresh SQLite store
//! (or PostgreSQL with `--postgres` and PRADEN_TEST_POSTGRES_URL). The index is not part of
//! this bench (see publish_to_search for the whole path).
//!
//! Each feed has its own host: feed N is served on its own listener at 127.0.A.B (all of
//! 127.0.0.0/8 is loopback on Linux), so the one-request-per-host rule applies per feed as it
//! would for 1,000 outlets, not to one shared fixture host.
//!
//! The sources start as a running service's would: their states are seeded with a next poll
//! spread over the first interval, and interval = min_interval = max_interval, so the load is
//! fixed at FEEDS / interval. `--interval-secs` below 300 compresses time (the same load in a
//! shorter run, at a higher rate).
//!
//! Printed: fetches/s sustained (feed requests the server answered over the run), schedule lag
//! (server receive time − the next_poll_at the source was scheduled at, read from the store
//! as the request arrives) p50/p99/max, documents stored, peak RSS and CPU time of the process
//! (ingester, store and fixture server together; the corpus slice held in memory is measured
//! at the baseline).

use praden_core::SourceKind;
use praden_ingest::{
    FeedFormat, FeedParams, FetchArticle, FetchConfig, Fetcher, IngestLimits, Ingester, Source,
    SourceParams,
};
use praden_store::{SourceState, Store};
use praden_tests::{Db, TestEnv};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

struct Args {
    feeds: usize,
    minutes: f64,
    interval: Duration,
    items: usize,
    postgres: bool,
}

fn args() -> Args {
    let mut a = Args {
        feeds: 1000,
        minutes: 12.0,
        interval: Duration::from_secs(300),
        items: 10,
        postgres: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value =
            |name: &str| -> String { it.next().unwrap_or_else(|| panic!("{name} needs a value")) };
        match arg.as_str() {
            "--feeds" => a.feeds = value("--feeds").parse().expect("--feeds N"),
            "--minutes" => a.minutes = value("--minutes").parse().expect("--minutes M"),
            "--interval-secs" => {
                a.interval = Duration::from_secs(
                    value("--interval-secs").parse().expect("--interval-secs S"),
                )
            }
            "--items" => a.items = value("--items").parse().expect("--items N"),
            "--postgres" => a.postgres = true,
            // cargo bench passes --bench to harness = false targets.
            "--bench" => {}
            other => panic!("unknown argument {other:?}"),
        }
    }
    assert!(a.feeds >= 1 && a.feeds <= 250 * 250, "--feeds 1..=62500");
    a
}

struct Shared {
    store: Store,
    articles: Vec<(String, String)>,
    start: OffsetDateTime,
    interval: Duration,
    items: usize,
    /// Per feed: (host:port, publication phase in seconds).
    feeds: Mutex<Vec<(String, f64)>>,
    /// Schedule lags in seconds, one per answered poll.
    lags: Mutex<Vec<f64>>,
    requests: Mutex<usize>,
}

impl Shared {
    /// Feed `i` as it stands now: its items are numbered by publication, one new item per
    /// interval (shifted by the feed's phase), newest first.
    fn feed(&self, i: usize) -> String {
        let (host, phase) = self.feeds.lock().unwrap()[i].clone();
        let period = self.interval.as_secs_f64();
        let elapsed = (OffsetDateTime::now_utc() - self.start).as_seconds_f64();
        let newest = ((elapsed + phase) / period).floor() as i64;
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
             xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>\
             <title>outlet {i}</title><link>http://{host}/</link><description>bench</description>\n"
        );
        for seq in (newest - self.items as i64 + 1..=newest).rev() {
            let n = self.articles.len() as i64;
            let (title, body) = &self.articles[((i as i64 * 997 + seq).rem_euclid(n)) as usize];
            let published = self.start + time::Duration::seconds_f64(seq as f64 * period - phase);
            let date = published
                .format(&time::format_description::well_known::Rfc2822)
                .unwrap();
            out.push_str(&format!(
                "<item><title>{}</title><link>http://{host}/news/{seq}</link>\
                 <guid>http://{host}/news/{seq}</guid><pubDate>{date}</pubDate>\
                 <description>{}</description><content:encoded><![CDATA[<p>{}</p>]]></content:encoded></item>\n",
                praden_tests::xml_escape(title),
                praden_tests::xml_escape(&body.chars().take(200).collect::<String>()),
                body.replace("]]>", "]] >").replace('\n', "</p><p>"),
            ));
        }
        out.push_str("</channel></rss>\n");
        out
    }
}

async fn serve_feed(
    axum::extract::State((shared, i)): axum::extract::State<(Arc<Shared>, usize)>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let received = OffsetDateTime::now_utc();
    *shared.requests.lock().unwrap() += 1;
    // The poll's due time is still the stored next_poll_at: the new one is saved after it.
    if let Ok(Some(state)) = shared.store.source_state(&format!("f{i:05}")).await {
        if let Some(due) = state.next_poll_at {
            let lag = (received - due).as_seconds_f64();
            shared.lags.lock().unwrap().push(lag);
        }
    }
    (
        [(axum::http::header::CONTENT_TYPE, "application/rss+xml")],
        shared.feed(i),
    )
        .into_response()
}

/// (VmRSS, VmHWM) of this process in MiB.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// User + system CPU seconds of this process (clock ticks of 1/100 s, as on Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let a = args();
    let env = TestEnv::new(if a.postgres { Db::Postgres } else { Db::Sqlite })
        .await
        .expect("PRADEN_TEST_POSTGRES_URL must be set for --postgres");
    let config = env.config();
    let parts = praden::app::Parts::open(&config).await.unwrap();
    let store = parts.store.clone();
    let articles = praden_tests::shared_articles(6000);
    println!(
        "ingest_scale: {} feeds, interval {}s (min = max), {} items per feed, {:.1} min, {}; {} corpus articles",
        a.feeds,
        a.interval.as_secs(),
        a.items,
        a.minutes,
        if a.postgres { "PostgreSQL" } else { "SQLite" },
        articles.len()
    );
    let start = OffsetDateTime::now_utc();
    let shared = Arc::new(Shared {
        store: store.clone(),
        articles,
        start,
        interval: a.interval,
        items: a.items,
        feeds: Mutex::new(Vec::new()),
        lags: Mutex::new(Vec::new()),
        requests: Mutex::new(0),
    });
    let stop_servers = CancellationToken::new();
    let mut sources = Vec::with_capacity(a.feeds);
    for i in 0..a.feeds {
        let ip = format!("127.0.{}.{}", 1 + i / 250, 1 + i % 250);
        let listener = tokio::net::TcpListener::bind((ip.as_str(), 0))
            .await
            .unwrap_or_else(|e| panic!("cannot listen on {ip}: {e}"));
        let host = listener.local_addr().unwrap().to_string();
        let router = axum::Router::new()
            .route("/feed", axum::routing::get(serve_feed))
            .with_state((shared.clone(), i));
        let stop = stop_servers.clone();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
                .unwrap()
        });
        let phase = fastrand_f64(i) * a.interval.as_secs_f64();
        shared.feeds.lock().unwrap().push((host.clone(), phase));
        let id = format!("f{i:05}");
        sources.push(Source {
            id: id.clone(),
            name: id.clone(),
            kind: SourceKind::News,
            outlet: format!("outlet-{i}"),
            url: reqwest::Url::parse(&format!("http://{host}/feed")).unwrap(),
            interval: a.interval,
            min_interval: a.interval,
            max_interval: a.interval,
            enabled: true,
            allow_private_network: true,
            params: SourceParams::Feed(FeedParams {
                fetch_article: FetchArticle::Auto,
                ..FeedParams::new(FeedFormat::Rss)
            }),
        });
        // As a running service would stand: each source due once within the first interval.
        let mut state = SourceState::new(&id, a.interval.as_millis() as i64);
        state.next_poll_at = Some(start + a.interval.mul_f64(fastrand_f64(i + 7_919_000)));
        store.save_source_state(&state).await.unwrap();
    }
    let (rss0, _) = memory_mib();
    let cpu0 = cpu_seconds();
    println!(
        "baseline (store, corpus slice, {} listeners): RSS {rss0:.0} MiB",
        a.feeds
    );

    let fetcher = Fetcher::new(&FetchConfig {
        contact: "bench@praden.invalid".into(),
        ..FetchConfig::default()
    })
    .unwrap();
    let ingester = Ingester::with_limits(
        store.clone(),
        fetcher,
        Arc::new(Default::default()),
        IngestLimits::default(),
    );
    let shutdown = CancellationToken::new();
    let run = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { ingester.run(sources, shutdown).await }
    });
    let began = Instant::now();
    let run_for = Duration::from_secs_f64(a.minutes * 60.0);
    let mut last_report = Instant::now();
    while began.elapsed() < run_for {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if last_report.elapsed() >= Duration::from_secs(60) {
            last_report = Instant::now();
            let n = *shared.requests.lock().unwrap();
            let (rss, hwm) = memory_mib();
            println!(
                "  {:>5.1} min: {n} fetches ({:.2}/s), RSS {rss:.0} MiB (peak {hwm:.0})",
                began.elapsed().as_secs_f64() / 60.0,
                n as f64 / began.elapsed().as_secs_f64()
            );
        }
    }
    shutdown.cancel();
    let _ = run.await;
    let elapsed = began.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let (rss, hwm) = memory_mib();
    stop_servers.cancel();
    let requests = *shared.requests.lock().unwrap();
    let mut lags = shared.lags.lock().unwrap().clone();
    lags.sort_by(f64::total_cmp);
    let docs = store.count_documents().await.unwrap();
    let expected = a.feeds as f64 / a.interval.as_secs_f64();
    println!(
        "fetches: {requests} in {elapsed:.0} s = {:.2}/s sustained (schedule asks for {expected:.2}/s)",
        requests as f64 / elapsed
    );
    println!(
        "schedule lag (received − next_poll_at), {} polls: p50 {:.3} s, p99 {:.3} s, max {:.3} s",
        lags.len(),
        percentile(&lags, 50.0),
        percentile(&lags, 99.0),
        lags.last().copied().unwrap_or(f64::NAN)
    );
    println!("documents stored: {docs}");
    println!(
        "memory: peak RSS {hwm:.0} MiB (baseline {rss0:.0} MiB, at end {rss:.0} MiB); \
         CPU {cpu:.1} s = {:.1}% of one core",
        100.0 * cpu / elapsed
    );
    store.close().await;
}

/// A fixed pseudo-random number in 0..1 for `i` (SplitMix64), so runs are comparable.
fn fastrand_f64(i: usize) -> f64 {
    let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}
