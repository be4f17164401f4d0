//! The crash runs shared by `tests/crash.rs` (a few kills, part of `cargo test`) and
//! `benches/crash_loop.rs` (a hundred and more, printing figures): the real `praden` binary
//! in child processes, killed with SIGKILL, on a throw-away data directory and database.

#![allow(dead_code)] // each of the two users calls its own part

use praden_index::SearchIndex;
use praden_store::testing::TestPostgres;
use praden_store::Store;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// How hard a run is.
#[derive(Clone, Debug)]
pub struct CrashPlan {
    /// Articles of the thaigov corpus imported.
    pub articles: usize,
    /// Kills of `praden import`.
    pub import_kills: usize,
    /// Kills of `praden serve` while pushes are in flight.
    pub serve_kills: usize,
    /// Concurrent pushing clients.
    pub pushers: usize,
    /// The longest a process runs before it is killed.
    pub max_life: Duration,
    /// Documents per index commit: small, so kills land between commits too.
    pub commit_docs: usize,
}

impl CrashPlan {
    /// Bounded for `cargo test` (a debug build indexes slowly).
    pub fn for_tests() -> Self {
        Self {
            articles: 1_200,
            import_kills: 4,
            serve_kills: 3,
            pushers: 3,
            max_life: Duration::from_millis(2_500),
            commit_docs: 100,
        }
    }
}

/// What a run found.
#[derive(Debug, Default)]
pub struct CrashReport {
    pub seed: u64,
    pub db: String,
    /// Processes killed (a process that ended before its kill is not counted).
    pub kills: usize,
    pub import_kills: usize,
    pub serve_kills: usize,
    pub stored: i64,
    /// Articles in the file, and of them stored.
    pub articles: usize,
    pub articles_stored: usize,
    /// `praden index verify` after the restarts: its exit status and output.
    pub verify_ok: bool,
    pub verify_output: String,
    pub indexed: u64,
    /// Posts whose push was answered 200.
    pub accepted_posts: usize,
    /// Posts sent (answered or not: a kill may land after the commit and before the answer).
    pub attempted_posts: usize,
    /// Posts stored.
    pub posts_stored: usize,
    /// Stored documents that are neither an article of the file nor a post sent.
    pub unexpected: usize,
    /// Of those, not in the store.
    pub posts_not_stored: Vec<String>,
    /// Of those, no search hit for the post's own marker word.
    pub posts_not_searchable: Vec<String>,
    /// Store ids the index holds more than once, or documents stored twice.
    pub duplicates: usize,
    pub elapsed: Duration,
}

impl CrashReport {
    pub fn assert_consistent(&self) {
        assert!(self.kills > 0, "no process was killed: {self:#?}");
        assert!(
            self.verify_ok,
            "praden index verify found differences: {}",
            self.verify_output
        );
        assert_eq!(
            self.articles_stored, self.articles,
            "articles stored (seed {})",
            self.seed
        );
        assert_eq!(
            self.unexpected, 0,
            "documents nobody sent (seed {})",
            self.seed
        );
        assert!(
            self.posts_stored >= self.accepted_posts && self.posts_stored <= self.attempted_posts,
            "{} posts stored; {} answered 200 of {} sent (seed {})",
            self.posts_stored,
            self.accepted_posts,
            self.attempted_posts,
            self.seed
        );
        assert_eq!(
            self.indexed as i64, self.stored,
            "index and store counts differ"
        );
        assert!(
            self.posts_not_stored.is_empty(),
            "posts answered 200 but not stored: {:?}",
            self.posts_not_stored
        );
        assert!(
            self.posts_not_searchable.is_empty(),
            "posts answered 200 but not searchable: {:?}",
            self.posts_not_searchable
        );
        assert_eq!(self.duplicates, 0, "duplicates");
    }

    pub fn print(&self) {
        println!(
            "crash run on {} (seed {}): {} kills ({} import, {} serve) in {:.0} s",
            self.db,
            self.seed,
            self.kills,
            self.import_kills,
            self.serve_kills,
            self.elapsed.as_secs_f64()
        );
        println!(
            "  store {} documents ({} of {} articles, {} posts of {} sent), index {}; posts answered 200: {}, not stored: {}, not searchable: {}; duplicates: {}",
            self.stored,
            self.articles_stored,
            self.articles,
            self.posts_stored,
            self.attempted_posts,
            self.indexed,
            self.accepted_posts,
            self.posts_not_stored.len(),
            self.posts_not_searchable.len(),
            self.duplicates
        );
        println!(
            "  documents lost: {}",
            self.articles - self.articles_stored.min(self.articles)
                + self.posts_not_stored.len()
                + self.posts_not_searchable.len()
        );
        println!("  praden index verify: {}", self.verify_output.trim());
    }
}

/// A small xorshift generator: the run is reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A child process that is killed if the test ends early, so none is left behind.
struct Killed(Option<Child>);

impl Killed {
    fn kill(&mut self) -> bool {
        let Some(mut child) = self.0.take() else {
            return false;
        };
        let was_running = matches!(child.try_wait(), Ok(None));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        was_running
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn shared_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz")
}

struct Env {
    dir: tempfile::TempDir,
    database_url: String,
    _postgres: Option<TestPostgres>,
    commit_docs: usize,
}

impl Env {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_praden"));
        c.args(args)
            .current_dir(self.dir.path())
            .env("PRADEN_DATA_DIR", self.dir.path())
            .env("PRADEN_DATABASE_URL", &self.database_url)
            .env("PRADEN_SOURCES", self.dir.path().join("sources.toml"))
            .env("PRADEN_INDEX_COMMIT_DOCS", self.commit_docs.to_string())
            .env("PRADEN_INDEX_COMMIT_INTERVAL", "1s")
            .env("PRADEN_DETECT_ENABLED", "false")
            // The check at start would repair a loss and hide it: here the committed mark
            // alone must keep the index whole.
            .env("PRADEN_INDEX_VERIFY_AT_START", "false")
            .env("PRADEN_LOG", "warn")
            .stdin(Stdio::null());
        c
    }

    fn output(&self, args: &[&str]) -> (bool, String) {
        let out = self.command(args).output().expect("run praden");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

/// The high-water mark of the index's last commit, as its meta.json says (0 before the
/// first).
fn last_commit(data_dir: &Path) -> i64 {
    let meta =
        std::fs::read_to_string(data_dir.join("index").join("meta.json")).unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&meta)
        .ok()
        .and_then(|m| m["payload"].as_str().map(str::to_string))
        .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
        .and_then(|p| p["high_water_mark"].as_i64())
        .unwrap_or(0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A runtime and a fresh data directory and database; `None` when the database is
/// PostgreSQL and no server is configured.
fn setup(db: Db, commit_docs: usize) -> anyhow::Result<Option<(tokio::runtime::Runtime, Env)>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let (database_url, postgres) = match db {
        Db::Sqlite => (format!("sqlite://{}/praden.db", dir.path().display()), None),
        Db::Postgres => match rt.block_on(TestPostgres::create()) {
            Some(pg) => (pg.url().to_string(), Some(pg)),
            None => return Ok(None),
        },
    };
    let env = Env {
        dir,
        database_url,
        _postgres: postgres,
        commit_docs,
    };
    Ok(Some((rt, env)))
}

/// Runs the plan; `None` when the database is PostgreSQL and no server is configured.
pub fn run_crash_rounds(db: Db, plan: &CrashPlan) -> anyhow::Result<Option<CrashReport>> {
    let started = Instant::now();
    let Some((rt, env)) = setup(db, plan.commit_docs)? else {
        return Ok(None);
    };
    let seed = std::env::var("PRADEN_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64 | 1)
        });
    eprintln!("crash run on {db:?}: seed {seed} (PRADEN_CRASH_SEED={seed} repeats it)");
    let mut rng = Rng(seed);
    let mut report = CrashReport {
        seed,
        db: format!("{db:?}"),
        ..Default::default()
    };

    // The articles, as `praden import` reads them.
    let corpus = env.dir.path().join("corpus.jsonl");
    {
        let file = std::fs::File::open(shared_corpus())?;
        let lines = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file)).lines();
        let mut out = std::io::BufWriter::new(std::fs::File::create(&corpus)?);
        // Each article once (the corpus repeats a few URLs), so each line is one document.
        let mut urls = std::collections::HashSet::new();
        for line in lines {
            let line = line?;
            let v: serde_json::Value = serde_json::from_str(&line)?;
            if urls.insert(v["url"].as_str().unwrap_or_default().to_string()) {
                writeln!(out, "{line}")?;
            }
            if urls.len() == plan.articles {
                break;
            }
        }
    }
    std::fs::write(env.dir.path().join("sources.toml"), "")?;
    let (ok, token) = env.output(&["token", "create", "crash-pusher", "--role", "ingest"]);
    anyhow::ensure!(ok, "token create failed: {token}");
    let token = token
        .lines()
        .find(|l| !l.contains(' ') && l.len() > 20)
        .unwrap_or_default()
        .to_string();
    let corpus_arg = corpus.to_str().expect("a UTF-8 path");
    let import_args = [
        "import", corpus_arg, "--kind", "official", "--source", "thaigov",
    ];

    // Imports, each killed at a random point: every other one at a random time (mostly while
    // it stores), the others a random moment after an index commit (while it indexes, with
    // documents queued for the writer: where a mark that ran ahead of the commit lost them).
    // An import that ends before its kill counts as none; try again (at most three times as
    // many runs as kills: once everything is stored and indexed, runs end at once).
    let mut round = 0;
    while report.import_kills < plan.import_kills && round < 3 * plan.import_kills {
        round += 1;
        let commit_before = last_commit(env.dir.path());
        let mut child = Killed(Some(
            env.command(&import_args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        ));
        if round % 2 == 1 {
            let deadline = Instant::now() + Duration::from_secs(60);
            while last_commit(env.dir.path()) <= commit_before
                && Instant::now() < deadline
                && matches!(child.0.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(Duration::from_millis(rng.below(6_000)));
        } else {
            std::thread::sleep(Duration::from_millis(
                100 + rng.below(plan.max_life.as_millis() as u64),
            ));
        }
        if child.kill() {
            report.kills += 1;
            report.import_kills += 1;
        }
    }

    // Servers, each killed while clients push posts and the follower indexes.
    let accepted: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut next_post = 0usize;
    for round in 0..plan.serve_kills {
        let port = free_port();
        let mut child = Killed(Some(
            env.command(&["serve"])
                .env("PRADEN_LISTEN", format!("127.0.0.1:{port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        ));
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        let up = rt.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(120);
            while Instant::now() < deadline {
                if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
                    if r.status().is_success() {
                        return true;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        });
        anyhow::ensure!(up, "praden serve did not answer /healthz within 2 minutes");
        let stop = Arc::new(AtomicBool::new(false));
        let counter = Arc::new(AtomicUsize::new(next_post));
        let pushers: Vec<_> = (0..plan.pushers)
            .map(|_| {
                let (client, base, token) = (client.clone(), base.clone(), token.clone());
                let (stop, counter, accepted) = (stop.clone(), counter.clone(), accepted.clone());
                rt.spawn(async move {
                    while !stop.load(Ordering::SeqCst) {
                        let first = counter.fetch_add(10, Ordering::SeqCst);
                        let ids: Vec<String> = (first..first + 10)
                            .map(|n| format!("r{round}p{n}"))
                            .collect();
                        let body: String = ids
                            .iter()
                            .map(|id| {
                                format!(
                                    "{{\"id\":\"{id}\",\"text\":\"ค่าไฟฟ้าแพงขึ้นอีกแล้ว marker{id}\"}}\n"
                                )
                            })
                            .collect();
                        let sent = client
                            .post(format!("{base}/api/v1/ingest/social?source=crashpush"))
                            .bearer_auth(&token)
                            .header("content-type", "application/x-ndjson")
                            .body(body)
                            .send()
                            .await;
                        match sent {
                            Ok(r) if r.status().is_success() => {
                                accepted.lock().unwrap().extend(ids)
                            }
                            Ok(r) => panic!("push answered {}", r.status()),
                            Err(_) => return, // the server is gone
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(
            200 + rng.below(plan.max_life.as_millis() as u64),
        ));
        if child.kill() {
            report.kills += 1;
            report.serve_kills += 1;
        }
        stop.store(true, Ordering::SeqCst);
        for p in pushers {
            rt.block_on(p)?;
        }
        next_post = counter.load(Ordering::SeqCst);
    }

    // Restart: the import finishes what it had not stored, and its catch-up indexes from the
    // committed mark (no repair pass runs here: the mark alone must be right).
    let (ok, out) = env.output(&import_args);
    anyhow::ensure!(ok, "the last import failed: {out}");
    let (verify_ok, verify_output) = env.output(&["index", "verify"]);
    report.verify_ok = verify_ok;
    report.verify_output = verify_output;

    let accepted = std::mem::take(&mut *accepted.lock().unwrap());
    report.accepted_posts = accepted.len();
    report.attempted_posts = next_post;
    report.articles = plan.articles;
    let store = rt.block_on(Store::connect(&env.database_url))?;
    report.stored = rt.block_on(store.count_documents())?;
    let mut keys = std::collections::HashSet::new();
    let mut after = 0;
    loop {
        let page = rt.block_on(store.documents_after(after, 1_000))?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for d in page {
            let key = &d.doc.item_key;
            let post = key
                .strip_prefix("crashpush#r")
                .and_then(|k| k.split_once('p'))
                .and_then(|(_, n)| n.parse::<usize>().ok());
            match (d.doc.source_id.as_str(), post) {
                ("thaigov", _) => report.articles_stored += 1,
                ("crashpush", Some(n)) if n < next_post => report.posts_stored += 1,
                _ => report.unexpected += 1,
            }
            if !keys.insert(key.clone()) {
                report.duplicates += 1;
            }
        }
    }
    rt.block_on(store.close());
    let index = SearchIndex::open_or_create(&env.dir.path().join("index"))?;
    report.indexed = index.num_docs();
    let ids = index.indexed_ids()?;
    report.duplicates += ids.windows(2).filter(|w| w[0] == w[1]).count();
    for id in &accepted {
        if !keys.contains(&format!("crashpush#{id}")) {
            report.posts_not_stored.push(id.clone());
        }
        let hits = index.search(&format!("marker{id}"), 1)?;
        if hits.total == 0 {
            report.posts_not_searchable.push(id.clone());
        }
    }
    report.elapsed = started.elapsed();
    Ok(Some(report))
}

/// Breaks an index on purpose (documents deleted from it behind the store's back, the mark
/// left as it was) and checks that `praden index verify` names the loss, that `praden index
/// repair` mends it, and that `praden serve` mends it by itself at start. `None` when the
/// database is PostgreSQL and no server is configured.
pub fn verify_and_repair_mend_a_broken_index(db: Db) -> anyhow::Result<Option<()>> {
    let Some((rt, env)) = setup(db, 1_000)? else {
        return Ok(None);
    };
    std::fs::write(env.dir.path().join("sources.toml"), "")?;
    let posts = env.dir.path().join("posts.jsonl");
    let text: String = (0..300)
        .map(|i| format!("{{\"id\":\"p{i}\",\"text\":\"ค่าไฟฟ้าขึ้นราคา โพสต์ที่ {i}\"}}\n"))
        .collect();
    std::fs::write(&posts, text)?;
    let posts = posts.to_str().expect("a UTF-8 path");
    let (ok, out) = env.output(&["import", posts, "--kind", "social", "--source", "pages"]);
    anyhow::ensure!(ok, "import failed: {out}");
    let (ok, out) = env.output(&["index", "verify"]);
    anyhow::ensure!(
        ok && out.contains("agrees"),
        "a fresh import should agree: {out}"
    );

    let break_index = |ids: Vec<i64>| -> anyhow::Result<()> {
        let index = SearchIndex::open_or_create(&env.dir.path().join("index"))?;
        let writer = index.start_writer(praden_index::CommitPolicy::default())?;
        rt.block_on(async {
            writer.delete(ids).await?;
            writer.shutdown().await
        })?;
        Ok(())
    };
    break_index(vec![3, 4, 5, 150])?;
    let (ok, out) = env.output(&["index", "verify"]);
    anyhow::ensure!(!ok, "verify must fail on a broken index: {out}");
    anyhow::ensure!(
        out.contains("missing from the index: 4 [3, 4, 5, 150]"),
        "verify must name the missing documents: {out}"
    );
    let (ok, out) = env.output(&["index", "repair"]);
    anyhow::ensure!(ok, "repair failed: {out}");
    let (ok, out) = env.output(&["index", "verify"]);
    anyhow::ensure!(ok, "verify after repair: {out}");
    // The repaired documents are a segment of their own; a compaction by hand merges it
    // with the rest, losing nothing.
    let (ok, out) = env.output(&["index", "compact"]);
    anyhow::ensure!(
        ok && out.contains("segments into 1 in"),
        "compact after repair: {out}"
    );
    let (ok, out) = env.output(&["index", "compact"]);
    anyhow::ensure!(
        ok && out.contains("in 1 segment(s)"),
        "compact again: {out}"
    );
    let (ok, out) = env.output(&["index", "verify"]);
    anyhow::ensure!(ok, "verify after compact: {out}");

    // `praden serve` checks and repairs at start.
    break_index(vec![7, 299])?;
    let port = free_port();
    let mut server = Killed(Some(
        env.command(&["serve"])
            .env("PRADEN_INDEX_VERIFY_AT_START", "true")
            .env("PRADEN_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    ));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, out) = env.output(&["index", "verify"]);
        if out.contains("missing from the index: 0 []") || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let pid = server.0.as_ref().map(|c| c.id()).unwrap_or_default();
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    let stopped = server.0.as_mut().map(|c| c.wait()).transpose()?;
    anyhow::ensure!(
        stopped.is_some_and(|s| s.success()),
        "serve did not stop cleanly on SIGTERM"
    );
    let (ok, out) = env.output(&["index", "verify"]);
    anyhow::ensure!(ok, "serve did not repair the index at start: {out}");
    Ok(Some(()))
}
