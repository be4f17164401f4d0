//! Search latency at the HTTP API on a large archive of real Thai text.
//!
//!     cargo bench -p praden-tests --bench search_latency -- [DOCS] [SECONDS] [--clients N[,N…]]
//!
//! Builds (once; later runs reuse it) an archive of DOCS documents (default 1,000,000) in
//! target/bench-archive-DOCS by re-using the thaigov news, the radio transcripts and the social
//! messages of ../shared with varied ids and dates (each copy shifted by a whole number of
//! weeks), loaded the way `praden import` loads them (store, then the index follower). It
//! prints the load rate, index size and memory, then runs 20 (or each N of `--clients`)
//! concurrent HTTP clients for SECONDS (default 60) over a query mix of single words, two
//! words, phrases, and searches filtered by date and kind, and prints p50/p95/p99 latency and
//! throughput, overall and per query. `--mix N` runs N distinct queries of the realistic mix
//! instead (`praden_tests::query_mix`: words by their frequency in the shared data, rare
//! words, headline words and phrases, filters and facets), reported by class.
//!
//! `--ingest RATE` searches while praden ingests RATE documents a second (issue 29): real
//! thaigov.go.th articles pushed through `POST /api/v1/ingest/social` (the sink the pollers
//! write to, which wakes the index follower and the detector), the index committing every
//! 2 s, the detector on. The archive is history: the detector starts caught up with it, and
//! the clients start once the server has settled (its warm-up over the window done).

use praden::config::Config;
use praden_core::{NewDocument, SourceKind};
use praden_tests::{encode, RunningApp};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Concurrent clients, unless `--clients N[,N…]` says otherwise.
const CLIENTS: usize = 20;

const QUERIES: &[&str] = &[
    "q=รัฐบาล",
    "q=วัคซีน",
    "q=น้ำท่วม",
    "q=ค่าไฟฟ้า",
    "q=เกษตรกร",
    "q=นายกรัฐมนตรี",
    "q=ท่องเที่ยว",
    "q=ฝุ่น PM2.5",
    "q=ราคา น้ำมัน",
    "q=โควิด ผู้ป่วย",
    "q=คณะรัฐมนตรี งบประมาณ",
    "q=\"ค่าครองชีพ\"",
    "q=\"ทำเนียบรัฐบาล\"",
    "q=\"กระทรวงสาธารณสุข\"",
    "q=ภัยแล้ง&from=2566-01-01&to=2566-12-31",
    "q=ข้าว&kind=news",
    "q=โครงการ&kind=social,broadcast",
    "q=ประชาชน&sort=newest",
    "q=เศรษฐกิจ&from=2565-06-01&to=2565-06-30&sort=newest",
    "q=ไทย&facets=true",
];

fn shared(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path)
}

struct Source {
    kind: SourceKind,
    outlet: &'static str,
    items: Vec<(String, String, Option<OffsetDateTime>)>,
}

fn read_jsonl(path: &Path, kind: SourceKind, outlet: &'static str) -> Source {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file));
    let mut items = Vec::new();
    for line in reader.lines() {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let text = |k: &str| v[k].as_str().unwrap_or("").to_string();
        let (title, body) = if kind == SourceKind::Social {
            let t = text("text");
            (t.chars().take(80).collect(), t)
        } else {
            (text("title"), text("body"))
        };
        let date = v["pub_date"]
            .as_str()
            .and_then(|d| praden_core::thai_time::parse_date_any_era(d).ok())
            .map(praden_core::thai_time::bangkok_midnight);
        items.push((title, body, date));
    }
    Source {
        kind,
        outlet,
        items,
    }
}

fn rss_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
}

/// User and system CPU time of this process so far (`/proc/self/stat`, clock ticks of 1/100 s).
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat(5): 11 and 12 counting from the state.
    (ticks(11) + ticks(12)) / 100.0
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let docs: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(60);
    let client_counts: Vec<usize> = std::env::args()
        .skip_while(|a| a != "--clients")
        .nth(1)
        .map(|v| {
            v.split(',')
                .map(|n| n.parse().expect("--clients N[,N…]"))
                .collect()
        })
        .unwrap_or(vec![CLIENTS]);
    let mix = match std::env::args()
        .skip_while(|a| a != "--mix")
        .nth(1)
        .map(|n| n.parse::<usize>().expect("--mix N"))
    {
        Some(n) => {
            let queries = praden_tests::query_mix::realistic(n, 2026, 3000);
            let distinct: std::collections::BTreeSet<&str> =
                queries.iter().map(|q| q.params.as_str()).collect();
            println!(
                "the realistic mix: {} queries, {} distinct",
                queries.len(),
                distinct.len()
            );
            Mix {
                labels: queries.iter().map(|q| q.class.to_string()).collect(),
                queries: queries.into_iter().map(|q| q.params).collect(),
            }
        }
        None => Mix {
            queries: QUERIES.iter().map(|q| q.to_string()).collect(),
            labels: QUERIES.iter().map(|q| q.to_string()).collect(),
        },
    };
    let ingest: Option<usize> = std::env::args()
        .skip_while(|a| a != "--ingest")
        .nth(1)
        .map(|n| n.parse().expect("--ingest RATE"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../target/bench-archive-{docs}"));
    std::fs::create_dir_all(&dir).unwrap();
    let sources_file = dir.join("sources.toml");
    std::fs::write(&sources_file, "").unwrap();
    // Through the real loader, so the benchmark keeps up with new configuration keys.
    let live = ingest.is_some();
    let overrides = [
        ("PRADEN_DATA_DIR", dir.display().to_string()),
        ("PRADEN_LISTEN", "127.0.0.1:0".to_string()),
        ("PRADEN_SOURCES", sources_file.display().to_string()),
        ("PRADEN_INDEX_COMMIT_DOCS", "100000".to_string()),
        (
            "PRADEN_INDEX_COMMIT_INTERVAL",
            if live { "2s" } else { "60s" }.to_string(),
        ),
        ("PRADEN_INDEX_WRITER_MEMORY_MB", "512".to_string()),
        // The archive arrives all at once; in service the detector clusters each new document
        // as it comes. Catching up on a million imported documents at start would be measured
        // here instead of the search.
        ("PRADEN_DETECT_ENABLED", live.to_string()),
    ];
    // Other settings from the environment, as `praden serve` takes them
    // (`PRADEN_INDEX_CONCURRENT_SEARCHES=1024` searches without a limit, as before issue 29).
    let config = Config::load(None, &|key| {
        overrides
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var(key).ok())
    })
    .expect("benchmark configuration");

    let parts = praden::app::Parts::open(&config).await.unwrap();
    let have = parts.store.count_documents().await.unwrap() as usize;
    if have < docs {
        println!(
            "building an archive of {docs} documents in {} ({have} there already)",
            dir.display()
        );
        let sources = [
            read_jsonl(
                &shared("corpus/thaigov-news-2020-2024h1.jsonl.gz"),
                SourceKind::News,
                "thaigov.go.th",
            ),
            read_jsonl(
                &shared("broadcast/thaikufah-radio-2020-2024h1.jsonl.gz"),
                SourceKind::Broadcast,
                "ไทยคู่ฟ้า",
            ),
            read_jsonl(
                &shared("social/wisesight-messages.jsonl.gz"),
                SourceKind::Social,
                "social",
            ),
        ];
        let base: Vec<(usize, usize)> = sources
            .iter()
            .enumerate()
            .flat_map(|(s, src)| (0..src.items.len()).map(move |i| (s, i)))
            .collect();
        let started = Instant::now();
        let mut bytes = 0usize;
        let mut batch = Vec::with_capacity(1000);
        let fetched = OffsetDateTime::now_utc();
        for n in have..docs {
            let (s, i) = base[n % base.len()];
            let copy = (n / base.len()) as i64;
            let src = &sources[s];
            let (title, body, date) = &src.items[i];
            // Each copy moves a whole number of weeks back, so dates stay realistic.
            let date = date
                .or(Some(fetched))
                .map(|d| d - time::Duration::weeks(copy * 3));
            bytes += title.len() + body.len();
            batch.push(
                NewDocument::new(praden_core::DocumentParts {
                    source_id: "bench",
                    kind: src.kind,
                    outlet: src.outlet,
                    url: None,
                    item_id: Some(&format!("{n}")),
                    title,
                    body,
                    published_at: date,
                    fetched_at: fetched,
                })
                .unwrap(),
            );
            if batch.len() == 1000 {
                parts.store.insert_documents(&batch).await.unwrap();
                batch.clear();
            }
        }
        parts.store.insert_documents(&batch).await.unwrap();
        let stored = started.elapsed();
        println!(
            "stored {} documents ({:.0} MB of text) in {:.0} s ({:.0} docs/s)",
            docs - have,
            bytes as f64 / 1e6,
            stored.as_secs_f64(),
            (docs - have) as f64 / stored.as_secs_f64(),
        );
    }
    // The index follows the store; an index deleted (or built by another schema) is rebuilt
    // from it here, timed on its own.
    let indexed = parts.index.num_docs() as usize;
    if indexed < docs {
        let started = Instant::now();
        let writer = parts
            .index
            .start_writer(praden::app::commit_policy(&config))
            .unwrap();
        let n = praden_jobs::follow::catch_up(&parts.store, &writer)
            .await
            .unwrap();
        // As `praden import` does after indexing a backlog: one segment.
        writer.compact_after_backlog(n).await.unwrap();
        writer.shutdown_after_merges().await.unwrap();
        let took = started.elapsed();
        println!(
            "indexed {} documents in {:.0} s ({:.0} docs/s)",
            docs - indexed,
            took.as_secs_f64(),
            (docs - indexed) as f64 / took.as_secs_f64(),
        );
        println!("peak RSS while loading: {:.0} MB", rss_mb().1);
    }
    if live {
        // In service the detector has long been through the archive.
        let last = parts.store.last_document_place().await.unwrap();
        parts.store.set_job_mark("detector", last).await.unwrap();
    }
    parts.store.close().await;
    drop(parts);
    // One after a backlog merge; more when the disk lacked room for the merge's copy.
    let segments = praden_index::SearchIndex::open_or_create(&dir.join("index"))
        .unwrap()
        .segment_count();
    println!(
        "archive: {docs} documents; index {:.2} GB in {segments} segment(s), database {:.2} GB",
        dir_size(&dir.join("index")) as f64 / 1e9,
        std::fs::metadata(dir.join("praden.db"))
            .map(|m| m.len())
            .unwrap_or(0) as f64
            / 1e9
    );

    let app = RunningApp::start(config).await;
    // An editor's token, as the PRD editors' tools would send.
    let client = praden_tests::client_with_token(&app.editor_token);
    // Warm the page cache and the readers once per query.
    // Warm the page cache and the readers: every query of the fixed set; the realistic mix
    // would be warm all through if it were, so only its first 50.
    let mix = std::sync::Arc::new(mix);
    for q in mix.queries.iter().take(50) {
        let url = format!("{}/api/v1/search?{}", app.base, encode_query(q));
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{q}");
    }
    let feeder = ingest.map(|rate| {
        settle();
        let articles = read_jsonl(
            &shared("corpus/thaigov-news-2020-2024h1.jsonl.gz"),
            SourceKind::News,
            "thaigov.go.th",
        );
        Feeder::start(&app, rate, articles)
    });
    for clients in &client_counts {
        let stored_before = app.store().count_documents().await.unwrap();
        measure(&client, &app.base, &mix, *clients, seconds).await;
        if feeder.is_some() {
            let stored = app.store().count_documents().await.unwrap() - stored_before;
            let (_, health) = app.get_json("/healthz").await;
            let last = app.store().last_document_place().await.unwrap();
            let detected = app.store().job_mark("detector").await.unwrap();
            println!(
                "  ingested meanwhile: {stored} documents ({:.1}/s); at the end the index was {} and the detector {} documents behind the store",
                stored as f64 / seconds as f64,
                health["index"]["behind"],
                last - detected
            );
        }
    }
    if let Some(feeder) = feeder {
        feeder.stop().await;
    }
    println!(
        "server process RSS now {:.0} MB, peak {:.0} MB",
        rss_mb().0,
        rss_mb().1
    );
    app.stop().await;
}

/// Waits (at most five minutes) until the server uses less than a fifth of a core: the
/// detector's warm-up over its window and the first commits are done.
fn settle() {
    let started = Instant::now();
    loop {
        let before = process_cpu_seconds();
        std::thread::sleep(Duration::from_secs(3));
        let busy = (process_cpu_seconds() - before) / 3.0;
        if busy < 0.2 || started.elapsed() > Duration::from_secs(300) {
            println!(
                "server settled after {:.0} s ({busy:.2} cores busy)",
                started.elapsed().as_secs_f64()
            );
            return;
        }
    }
}

/// Pushes real articles as a vendor would, `rate` a second in batches every 100 ms.
struct Feeder {
    stop: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Feeder {
    fn start(app: &praden_tests::RunningApp, rate: usize, articles: Source) -> Self {
        let stop = tokio_util::sync::CancellationToken::new();
        let client = praden_tests::client_with_token(&app.admin_token);
        let url = format!("{}/api/v1/ingest/social?source=bench-live", app.base);
        // Ids new to every run, so that nothing is a duplicate of an earlier run's post.
        let run = OffsetDateTime::now_utc().unix_timestamp();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let mut sent = 0usize;
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            while !token.is_cancelled() {
                tick.tick().await;
                let due = (started.elapsed().as_secs_f64() * rate as f64) as usize;
                let mut body = String::new();
                for n in sent..due {
                    let (title, text, _) = &articles.items[n % articles.items.len()];
                    let line = serde_json::json!({
                        "id": format!("{run}-{n}"),
                        "text": format!("{title}\n{text}"),
                        "outlet": "thaigov.go.th",
                    });
                    body.push_str(&line.to_string());
                    body.push('\n');
                }
                if body.is_empty() {
                    continue;
                }
                let r = client.post(&url).body(body).send().await.unwrap();
                assert_eq!(r.status(), 200, "push");
                sent = due;
            }
        });
        Self { stop, task }
    }

    async fn stop(self) {
        self.stop.cancel();
        self.task.await.unwrap();
    }
}

/// The queries a run sends, and what each is reported under (itself, or its class).
struct Mix {
    queries: Vec<String>,
    labels: Vec<String>,
}

/// Runs `clients` closed-loop clients (each sends its next request when the last one is
/// answered) for `seconds`, and prints latency overall and per query (or class).
async fn measure(
    client: &reqwest::Client,
    base: &str,
    mix: &std::sync::Arc<Mix>,
    clients: usize,
    seconds: u64,
) {
    let cpu_before = process_cpu_seconds();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = client.clone();
        let base = base.to_string();
        let mix = mix.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            // Each client starts elsewhere in the mix and walks it by a step prime to its
            // length, so together they send its queries evenly.
            let gcd = |mut a: usize, mut b: usize| {
                while b != 0 {
                    (a, b) = (b, a % b);
                }
                a
            };
            let step = (7..).find(|s| gcd(*s, mix.queries.len()) == 1).unwrap();
            let mut k = c * mix.queries.len() / clients.max(1);
            while Instant::now() < deadline {
                let n = k % mix.queries.len();
                let q = &mix.queries[n];
                k += step;
                let url = format!("{base}/api/v1/search?{}", encode_query(q));
                let t = Instant::now();
                let r = client.get(&url).send().await.unwrap();
                let ok = r.status() == 200;
                let _ = r.bytes().await;
                assert!(ok, "{q}");
                latencies.push((n, t.elapsed()));
            }
            latencies
        }));
    }
    let mut all: Vec<(usize, Duration)> = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let cpu = process_cpu_seconds() - cpu_before;
    let pct = |v: &[Duration], p: f64| {
        v[((v.len() as f64 * p) as usize).min(v.len() - 1)].as_secs_f64() * 1000.0
    };
    let mut times: Vec<Duration> = all.iter().map(|(_, d)| *d).collect();
    times.sort();
    println!(
        "{} requests from {clients} clients in {seconds} s ({:.0} req/s); latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        times.len(),
        times.len() as f64 / seconds as f64,
        pct(&times, 0.50),
        pct(&times, 0.95),
        pct(&times, 0.99),
        times.last().unwrap().as_secs_f64() * 1000.0
    );
    // Latency on a shared machine moves with its other load; the CPU a request costs (server
    // and clients together, as they share this process) does much less.
    println!(
        "  CPU {:.0} s of {} cores: {:.3} ms per request",
        cpu,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu * 1000.0 / times.len() as f64
    );
    println!(
        "  {:<56} {:>6} {:>8} {:>8}",
        "query", "n", "p50 ms", "p99 ms"
    );
    let mut labels: Vec<&str> = Vec::new();
    for l in &mix.labels {
        if !labels.contains(&l.as_str()) {
            labels.push(l);
        }
    }
    for q in labels {
        let mut v: Vec<Duration> = all
            .iter()
            .filter(|(i, _)| mix.labels[*i] == q)
            .map(|(_, d)| *d)
            .collect();
        if v.is_empty() {
            continue;
        }
        v.sort();
        println!(
            "  {:<56} {:>6} {:>8.1} {:>8.1}",
            q,
            v.len(),
            pct(&v, 0.5),
            pct(&v, 0.99)
        );
    }
}

/// Encodes the values of `k=v&k=v`, leaving the separators.
fn encode_query(q: &str) -> String {
    q.split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => format!("{k}={}", encode(v)),
            None => kv.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}
