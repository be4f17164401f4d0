//! Several `praden serve` processes on one PostgreSQL database (issue 28): the outlets they
//! poll, a feed subscriber's webhook receiver, and the processes themselves.
//!
//! The processes are this very test (or bench) executable run again with `PRADEN_CLUSTER_NODE`
//! set (`run_as_node_if_asked`, first thing in `main`): it then runs `praden serve` from the
//! praden library it was built with, so the test never runs a stale binary. Each process has
//! its own data directory (its own index) and node name; they share the database, the
//! sources and the subscriber.

use axum::extract::{Path as UrlPath, State};
use axum::response::IntoResponse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const NODE_ENV: &str = "PRADEN_CLUSTER_NODE";

/// In a process started by `Node::start` (or `praden`, `verify_index`): runs the praden
/// command its arguments give and exits with its outcome. Elsewhere returns at once.
pub fn run_as_node_if_asked() {
    if std::env::var_os(NODE_ENV).is_none() {
        return;
    }
    use clap::Parser;
    let code = tokio::runtime::Runtime::new()
        .expect("a runtime")
        .block_on(async {
            praden::logging::init()?;
            let args = std::iter::once("praden".to_string()).chain(std::env::args().skip(1));
            praden::cli::run(praden::cli::Cli::parse_from(args)).await
        });
    match code {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1)
        }
    }
}

/// One request a feed answered.
#[derive(Debug, Clone)]
pub struct Fetch {
    pub feed: usize,
    pub host: usize,
    pub started: Instant,
    pub ended: Instant,
    /// Other requests to the same host in progress when this one arrived.
    pub concurrent: usize,
    /// How late the poll came after the source was due (from the stored schedule).
    pub lag: Option<f64>,
    /// The node that asked (its contact in the User-Agent ends in `/node/NAME`).
    pub node: String,
    /// When, as Unix seconds.
    pub at: f64,
}

struct OutletState {
    articles: Vec<(String, String)>,
    start: OffsetDateTime,
    item_every: Duration,
    shown: usize,
    feeds: usize,
    /// host:port of each host.
    hosts: Vec<String>,
    fetches: Mutex<Vec<Fetch>>,
    in_flight: Mutex<HashMap<usize, usize>>,
    /// Every item link a feed has shown.
    served: Mutex<BTreeSet<String>>,
    /// Closed outlets answer 503 and show nothing more.
    closed: std::sync::atomic::AtomicBool,
    store: praden_store::Store,
}

/// The outlets: `feeds` RSS feeds spread over `hosts` loopback hosts (127.0.A.B: all of
/// 127.0.0.0/8 is loopback on Linux). Three feeds in a row carry the same stories (as
/// outlets do), one new item every `item_every`, each feed showing its newest `shown`.
pub struct Outlets {
    state: Arc<OutletState>,
    stop: tokio_util::sync::CancellationToken,
}

impl Outlets {
    pub async fn start(
        store: praden_store::Store,
        feeds: usize,
        hosts: usize,
        item_every: Duration,
        shown: usize,
    ) -> Self {
        let stop = tokio_util::sync::CancellationToken::new();
        let mut listeners = Vec::new();
        let mut names = Vec::new();
        for h in 0..hosts {
            let ip = format!("127.0.{}.{}", 1 + h / 250, 1 + h % 250);
            let l = tokio::net::TcpListener::bind((ip.as_str(), 0))
                .await
                .unwrap_or_else(|e| panic!("bind {ip}: {e}"));
            names.push(l.local_addr().unwrap().to_string());
            listeners.push(l);
        }
        let state = Arc::new(OutletState {
            articles: crate::shared_articles(400),
            start: OffsetDateTime::now_utc(),
            item_every,
            shown,
            feeds,
            hosts: names,
            fetches: Mutex::default(),
            in_flight: Mutex::default(),
            served: Mutex::default(),
            closed: Default::default(),
            store,
        });
        for (h, listener) in listeners.into_iter().enumerate() {
            let router = axum::Router::new()
                .route("/feed/{n}", axum::routing::get(serve_feed))
                .with_state((state.clone(), h));
            let stop = stop.clone();
            tokio::spawn(async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await
                    .unwrap()
            });
        }
        Self { state, stop }
    }

    /// sources.toml for every feed, polled every `interval` (fixed: the scheduler may not
    /// adapt it), so "no more often than its interval" can be checked.
    pub fn sources_toml(&self, interval: &str) -> String {
        let mut text = String::new();
        for i in 0..self.state.feeds {
            let host = &self.state.hosts[i % self.state.hosts.len()];
            text.push_str(&format!(
                "[[source]]\nid = \"f{i:05}\"\nname = \"outlet {i}\"\nkind = \"news\"\n\
                 outlet = \"outlet{i}.example\"\nurl = \"http://{host}/feed/{i}\"\nformat = \"rss\"\n\
                 interval = \"{interval}\"\nmin_interval = \"{interval}\"\nmax_interval = \"{interval}\"\n\
                 allow_private_network = true\nfetch_article = \"never\"\n\n"
            ));
        }
        text
    }

    pub fn fetches(&self) -> Vec<Fetch> {
        self.state.fetches.lock().unwrap().clone()
    }

    /// The links of every item any feed has shown.
    pub fn served(&self) -> BTreeSet<String> {
        self.state.served.lock().unwrap().clone()
    }

    /// From now on every feed answers 503: what was served is final once the polls in
    /// progress have stored it.
    pub fn close(&self) {
        self.state
            .closed
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn stop(&self) {
        self.stop.cancel();
    }
}

impl OutletState {
    /// Feed `i` as it stands now, newest item first.
    fn feed(&self, i: usize) -> (String, Vec<String>) {
        let host = &self.hosts[i % self.hosts.len()];
        let group = i / 3;
        let period = self.item_every.as_secs_f64();
        // Feeds of a group publish together; groups are spread over the period.
        let phase = (group as f64 * 0.37).fract() * period;
        let elapsed = (OffsetDateTime::now_utc() - self.start).as_seconds_f64();
        let newest = ((elapsed + phase) / period).floor() as i64;
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
             <title>outlet {i}</title><link>http://{host}/</link><description>cluster</description>\n"
        );
        let mut links = Vec::new();
        for seq in (newest - self.shown as i64 + 1..=newest).rev() {
            let n = self.articles.len() as i64;
            let (title, body) = &self.articles[((group as i64 * 31 + seq).rem_euclid(n)) as usize];
            let published = self.start + time::Duration::seconds_f64(seq as f64 * period - phase);
            let date = published
                .format(&time::format_description::well_known::Rfc2822)
                .unwrap();
            let link = format!("http://{host}/news/{i}/{seq}");
            out.push_str(&format!(
                "<item><title>{}</title><link>{link}</link><guid>{link}</guid>\
                 <pubDate>{date}</pubDate><description>{}</description></item>\n",
                crate::xml_escape(title),
                crate::xml_escape(body),
            ));
            links.push(link);
        }
        out.push_str("</channel></rss>\n");
        (out, links)
    }
}

async fn serve_feed(
    State((state, host)): State<(Arc<OutletState>, usize)>,
    UrlPath(n): UrlPath<usize>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if state.closed.load(std::sync::atomic::Ordering::SeqCst) {
        return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let started = Instant::now();
    let concurrent = {
        let mut f = state.in_flight.lock().unwrap();
        let c = f.entry(host).or_default();
        *c += 1;
        *c - 1
    };
    // The poll's due time is still the stored next_poll_at: the new one is saved after it.
    let received = OffsetDateTime::now_utc();
    let lag = match state.store.source_state(&format!("f{n:05}")).await {
        Ok(Some(s)) => s.next_poll_at.map(|due| (received - due).as_seconds_f64()),
        _ => None,
    };
    let (body, links) = state.feed(n);
    state.served.lock().unwrap().extend(links);
    *state.in_flight.lock().unwrap().get_mut(&host).unwrap() -= 1;
    state.fetches.lock().unwrap().push(Fetch {
        feed: n,
        host,
        started,
        ended: Instant::now(),
        concurrent,
        lag,
        node: headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .and_then(|ua| ua.split("/node/").nth(1))
            .map(|n| n.trim_end_matches(')').to_string())
            .unwrap_or_default(),
        at: received.unix_timestamp_nanos() as f64 / 1e9,
    });
    (
        [(axum::http::header::CONTENT_TYPE, "application/rss+xml")],
        body,
    )
        .into_response()
}

/// A feed subscriber: records the `seq` of every event pushed to it, in arrival order.
pub struct Receiver {
    pub url: String,
    seqs: Arc<Mutex<Vec<i64>>>,
}

impl Receiver {
    pub async fn start() -> Self {
        let seqs: Arc<Mutex<Vec<i64>>> = Arc::default();
        let router = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(
                    |State(seqs): State<Arc<Mutex<Vec<i64>>>>, body: axum::body::Bytes| async move {
                        let v: serde_json::Value =
                            serde_json::from_slice(&body).unwrap_or_default();
                        if let Some(seq) = v["seq"].as_i64() {
                            seqs.lock().unwrap().push(seq);
                        }
                        axum::http::StatusCode::OK
                    },
                ),
            )
            .with_state(seqs.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, seqs }
    }

    pub fn seqs(&self) -> Vec<i64> {
        self.seqs.lock().unwrap().clone()
    }
}

/// What every process of the cluster shares.
pub struct ClusterEnv {
    pub root: tempfile::TempDir,
    pub database_url: String,
    pub extra_env: Vec<(String, String)>,
}

impl ClusterEnv {
    pub fn sources_file(&self) -> PathBuf {
        self.root.path().join("sources.toml")
    }

    /// A praden command on this cluster's database, from node `name`'s data directory.
    fn command(&self, name: &str, args: &[&str]) -> Command {
        let dir = self.root.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut c = Command::new(std::env::current_exe().unwrap());
        c.args(args)
            .env(NODE_ENV, "1")
            .env("PRADEN_DATA_DIR", &dir)
            .env("PRADEN_DATABASE_URL", &self.database_url)
            .env("PRADEN_SOURCES", self.sources_file())
            .env("PRADEN_NODE_ID", name)
            // Which node fetched shows in the User-Agent.
            .env(
                "PRADEN_CONTACT",
                format!("https://praden.invalid/node/{name}"),
            )
            .env("PRADEN_LOG_FORMAT", "json")
            .stdin(Stdio::null());
        for (k, v) in &self.extra_env {
            c.env(k, v);
        }
        c
    }
}

/// One `praden serve` process of the cluster.
pub struct Node {
    pub name: String,
    pub port: u16,
    pub log: PathBuf,
    child: Option<Child>,
}

impl Node {
    /// Starts node `name` listening on a free port; its log goes to `name.log` (appended, so
    /// a restarted node's lines follow its earlier ones).
    pub fn start(env: &ClusterEnv, name: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let log = env.root.path().join(format!("{name}.log"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = env
            .command(name, &["serve"])
            .env("PRADEN_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start a node");
        Self {
            name: name.into(),
            port,
            log,
            child: Some(child),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// (CPU seconds, peak resident MiB) of the process so far.
    pub fn usage(&self) -> Option<(f64, f64)> {
        let pid = self.child.as_ref()?.id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name in parentheses: utime and stime are the 12th and 13th.
        let rest = stat.rsplit_once(')')?.1;
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let hwm = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .unwrap_or(0.0);
        Some((ticks / 100.0, hwm / 1024.0))
    }

    /// SIGKILL: a power cut.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then waits for the clean stop (killing it after `patience`).
    pub fn stop(&mut self, patience: Duration) -> bool {
        let Some(mut c) = self.child.take() else {
            return false;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = c.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = c.kill();
        let _ = c.wait();
        false
    }

    /// The node's `/healthz`, once it answers.
    pub async fn health(&self, client: &reqwest::Client) -> Option<serde_json::Value> {
        let r = client.get(self.url("/healthz")).send().await.ok()?;
        r.json().await.ok()
    }

    /// The leases the node says it holds.
    pub async fn leases(&self, client: &reqwest::Client) -> Vec<String> {
        self.health(client)
            .await
            .and_then(|h| {
                h["leases"].as_array().map(|a| {
                    a.iter()
                        .filter_map(|l| l["name"].as_str().map(str::to_string))
                        .collect()
                })
            })
            .unwrap_or_default()
    }

    /// When the node's log says it started running `job`, as Unix seconds.
    pub fn job_starts(&self, job: &str) -> Vec<f64> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| {
                v["fields"]["message"] == "running the job (its lease is ours)"
                    && v["fields"]["job"] == job
            })
            .filter_map(|v| {
                let t = v["timestamp"].as_str()?;
                let t = OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .ok()?;
                Some(t.unix_timestamp_nanos() as f64 / 1e9)
            })
            .collect()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Runs a praden command (not `serve`) on the cluster's database; its stdout.
pub fn praden(env: &ClusterEnv, args: &[&str]) -> String {
    let out = env.command("tools", args).output().expect("run praden");
    assert!(
        out.status.success(),
        "praden {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `praden index verify` on node `name`'s data directory (the node stopped): its output and
/// whether the index agrees with the store.
pub fn verify_index(env: &ClusterEnv, name: &str) -> (bool, String) {
    let out = env
        .command(name, &["index", "verify"])
        .output()
        .expect("run praden index verify");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Per feed, the shortest time between the starts of two fetches.
pub fn shortest_gaps(fetches: &[Fetch]) -> BTreeMap<usize, Duration> {
    let mut by_feed: BTreeMap<usize, Vec<Instant>> = BTreeMap::new();
    for f in fetches {
        by_feed.entry(f.feed).or_default().push(f.started);
    }
    by_feed
        .into_iter()
        .filter_map(|(feed, mut t)| {
            t.sort();
            t.windows(2).map(|w| w[1] - w[0]).min().map(|g| (feed, g))
        })
        .collect()
}

/// Per host, the shortest time from the end of one request to the start of the next.
pub fn shortest_host_gap(fetches: &[Fetch]) -> Option<Duration> {
    let mut by_host: BTreeMap<usize, Vec<(Instant, Instant)>> = BTreeMap::new();
    for f in fetches {
        by_host
            .entry(f.host)
            .or_default()
            .push((f.started, f.ended));
    }
    by_host
        .into_values()
        .filter_map(|mut v| {
            v.sort();
            v.windows(2)
                .map(|w| w[1].0.saturating_duration_since(w[0].1))
                .min()
        })
        .min()
}
