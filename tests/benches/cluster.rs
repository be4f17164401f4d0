//! Three `praden serve` processes on one PostgreSQL database polling 1,000 feeds (issue 28):
//! each feed on its own loopback host (127.0.A.B), real Thai articles from the shared corpus,
//! a new item per feed every two intervals. One process is killed with SIGKILL a third of the
//! way in and restarted at two thirds. Prints the fetch rate (and each process's share), the
//! schedule lag, the takeover time (the detector's, and the polls after the kill), duplicate
//! work (polls of a feed sooner than its interval allows, items stored twice) and each
//! process's CPU and peak memory.
//!
//!     PRADEN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!       cargo bench -p praden-tests --bench cluster -- [--feeds 1000] [--interval 60] [--minutes 3]
//!
//! The processes are this executable run again (`cluster::run_as_node_if_asked`), built in
//! the bench profile.

use praden_tests::cluster::{self, ClusterEnv, Node, Outlets};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

struct Args {
    feeds: usize,
    interval: u64,
    minutes: u64,
}

fn args() -> Args {
    let mut a = Args {
        feeds: 1000,
        interval: 60,
        minutes: 3,
    };
    let v: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < v.len() {
        let next = || v.get(i + 1).and_then(|s| s.parse().ok());
        match v[i].as_str() {
            "--feeds" => a.feeds = next().expect("--feeds N") as usize,
            "--interval" => a.interval = next().expect("--interval SECONDS"),
            "--minutes" => a.minutes = next().expect("--minutes N"),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    assert!(
        a.interval >= 15,
        "--interval of at least 15 s (sources.toml's floor)"
    );
    a
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn main() {
    cluster::run_as_node_if_asked();
    let a = args();
    tokio::runtime::Runtime::new().unwrap().block_on(run(a));
}

async fn run(a: Args) {
    let Some(db) = praden_store::testing::TestPostgres::create().await else {
        println!("PRADEN_TEST_POSTGRES_URL is not set: nothing to measure");
        return;
    };
    let store = praden_store::Store::connect(db.url()).await.unwrap();
    let outlets = Outlets::start(
        store.clone(),
        a.feeds,
        a.feeds,
        Duration::from_secs(a.interval * 2),
        10,
    )
    .await;
    let env = ClusterEnv {
        root: tempfile::tempdir().unwrap(),
        database_url: db.url().to_string(),
        extra_env: [
            ("PRADEN_INGEST_HOST_GAP", "1s"),
            ("PRADEN_LOG", "warn,praden_jobs::lease=info"),
            ("PRADEN_INGEST_MAX_CONCURRENT", "16"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    };
    let interval = format!("{}s", a.interval);
    std::fs::write(env.sources_file(), outlets.sources_toml(&interval)).unwrap();
    let client = reqwest::Client::new();
    let run_for = Duration::from_secs(a.minutes * 60);
    println!(
        "{} feeds on {} hosts, interval {}, three processes, {} minutes",
        a.feeds, a.feeds, interval, a.minutes
    );

    let started = Instant::now();
    let mut nodes: BTreeMap<&str, Node> = ["a", "b", "c"]
        .into_iter()
        .map(|n| (n, Node::start(&env, n)))
        .collect();
    for node in nodes.values() {
        while node.health(&client).await.is_none() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let up = started.elapsed();

    tokio::time::sleep(run_for / 3).await;
    let mut victim = "a";
    for (name, node) in &nodes {
        if node
            .leases(&client)
            .await
            .iter()
            .any(|l| l == "job:detector")
        {
            victim = name;
        }
    }
    let victim_usage = nodes[victim].usage();
    let killed_at = unix_now();
    nodes.get_mut(victim).unwrap().kill9();
    let taken = Instant::now();
    let mut detector_takeover = None;
    while taken.elapsed() < Duration::from_secs(90) && detector_takeover.is_none() {
        for (name, node) in &nodes {
            if *name != victim
                && node
                    .leases(&client)
                    .await
                    .iter()
                    .any(|l| l == "job:detector")
            {
                detector_takeover = Some(unix_now() - killed_at);
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep((run_for / 3).saturating_sub(taken.elapsed())).await;
    nodes.insert(victim, Node::start(&env, victim));
    tokio::time::sleep(run_for / 3).await;

    let usage: BTreeMap<&str, Option<(f64, f64)>> =
        nodes.iter().map(|(n, node)| (*n, node.usage())).collect();
    outlets.close();
    tokio::time::sleep(Duration::from_secs(5)).await;
    for node in nodes.values_mut() {
        node.stop(Duration::from_secs(60));
    }
    outlets.stop();
    let elapsed = started.elapsed().as_secs_f64() - up.as_secs_f64();

    let fetches = outlets.fetches();
    let mut by_node: BTreeMap<String, usize> = BTreeMap::new();
    for f in &fetches {
        *by_node.entry(f.node.clone()).or_default() += 1;
    }
    let mut lags: Vec<f64> = fetches.iter().filter_map(|f| f.lag).collect();
    lags.sort_by(f64::total_cmp);
    let mut after_kill: Vec<f64> = fetches
        .iter()
        .filter(|f| f.at >= killed_at && f.at < killed_at + 60.0)
        .filter_map(|f| f.lag)
        .collect();
    after_kill.sort_by(f64::total_cmp);
    let floor = Duration::from_secs(a.interval).mul_f64(0.9) - Duration::from_millis(500);
    let mut by_feed: BTreeMap<usize, Vec<Instant>> = BTreeMap::new();
    for f in &fetches {
        by_feed.entry(f.feed).or_default().push(f.started);
    }
    let too_soon: usize = by_feed
        .values_mut()
        .map(|t| {
            t.sort();
            t.windows(2).filter(|w| w[1] - w[0] < floor).count()
        })
        .sum();
    let overlapping = fetches.iter().filter(|f| f.concurrent > 0).count();
    let served = outlets.served();
    let stored = store.count_documents().await.unwrap() as usize;
    let keys: Vec<String> = served.iter().cloned().collect();
    let stored_served = store.existing_item_keys(&keys).await.unwrap().len();

    println!("start-up of three processes: {:.1} s", up.as_secs_f64());
    println!(
        "fetches: {} in {:.0} s = {:.2}/s (due: {} feeds / {} s = {:.2}/s); by process {:?}",
        fetches.len(),
        elapsed,
        fetches.len() as f64 / elapsed,
        a.feeds,
        a.interval,
        a.feeds as f64 / a.interval as f64,
        by_node
    );
    println!(
        "schedule lag (s): p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
        percentile(&lags, 0.5),
        percentile(&lags, 0.95),
        percentile(&lags, 0.99),
        lags.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "after the kill of {victim} (60 s): {} polls, lag p50 {:.2}  p99 {:.2}  max {:.2} s; \
         detector taken over in {}",
        after_kill.len(),
        percentile(&after_kill, 0.5),
        percentile(&after_kill, 0.99),
        after_kill.last().copied().unwrap_or(f64::NAN),
        detector_takeover.map_or("(never)".into(), |t| format!("{t:.1} s"))
    );
    println!(
        "duplicate work: {too_soon} polls sooner than {:.1} s after the feed's previous one; \
         {overlapping} requests while another to the same host was in progress; \
         items shown {}, stored {} ({} of those shown; {} stored twice)",
        floor.as_secs_f64(),
        served.len(),
        stored,
        stored_served,
        stored.saturating_sub(served.len()),
    );
    if let Some((cpu, mib)) = victim_usage {
        println!("process {victim} before its kill: CPU {cpu:.1} s, peak RSS {mib:.0} MiB");
    }
    for (name, u) in usage {
        if let Some((cpu, mib)) = u {
            println!("process {name} at the end: CPU {cpu:.1} s, peak RSS {mib:.0} MiB");
        }
    }
    store.close().await;
}
