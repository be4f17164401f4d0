//! Helpers for the end-to-end tests: a fixture HTTP server on 127.0.0.1 and the whole praden
//! application started on port 0 with a temporary data directory, on SQLite or PostgreSQL.

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use praden::config::{Config, DetectConfig, IndexConfig, IngestConfig};
use praden::Application;
use praden_store::testing::TestPostgres;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Builds the answer from the request headers: for conditional GET, redirects, custom
/// headers, slow or compressed bodies.
pub type Handler = Arc<dyn Fn(&HeaderMap) -> Response + Send + Sync>;

#[derive(Clone)]
enum Reply {
    Body { content_type: String, body: Bytes },
    Status(u16),
    Custom(Handler),
}

/// Serves whatever the test puts at a path; the content can change while it runs, as a real
/// outlet publishes new items.
pub struct FixtureServer {
    addr: SocketAddr,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    shutdown: CancellationToken,
}

type Shared = (
    Arc<Mutex<HashMap<String, Reply>>>,
    Arc<Mutex<HashMap<String, usize>>>,
);

async fn serve_fixture(
    State((routes, hits)): State<Shared>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let reply = routes.lock().unwrap().get(&path).cloned();
    match reply {
        Some(Reply::Body { content_type, body }) => {
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Some(Reply::Status(code)) => StatusCode::from_u16(code).unwrap().into_response(),
        Some(Reply::Custom(handler)) => handler(&headers),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

impl FixtureServer {
    pub async fn start() -> Self {
        let routes = Arc::new(Mutex::new(HashMap::new()));
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let router = Router::new()
            .route("/{*path}", get(serve_fixture))
            .with_state((routes.clone(), hits.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
                .unwrap()
        });
        Self {
            addr,
            routes,
            hits,
            shutdown,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    pub fn set(&self, path: &str, content_type: &str, body: impl Into<Bytes>) {
        self.routes.lock().unwrap().insert(
            path.trim_start_matches('/').to_string(),
            Reply::Body {
                content_type: content_type.into(),
                body: body.into(),
            },
        );
    }

    pub fn set_status(&self, path: &str, code: u16) {
        self.routes.lock().unwrap().insert(
            path.trim_start_matches('/').to_string(),
            Reply::Status(code),
        );
    }

    /// Answers `path` with whatever `handler` builds from the request headers.
    pub fn set_handler(
        &self,
        path: &str,
        handler: impl Fn(&HeaderMap) -> Response + Send + Sync + 'static,
    ) {
        self.routes.lock().unwrap().insert(
            path.trim_start_matches('/').to_string(),
            Reply::Custom(Arc::new(handler)),
        );
    }

    /// Answers `path` with a redirect to `location`.
    pub fn set_redirect(&self, path: &str, location: &str) {
        let location = location.to_string();
        self.set_handler(path, move |_| {
            (StatusCode::FOUND, [(header::LOCATION, location.clone())]).into_response()
        });
    }

    pub fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .get(path.trim_start_matches('/'))
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Runs each named `async fn(Db)` as two tests, `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name($crate::Db::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name($crate::Db::Postgres).await } )* }
    };
}

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A data directory and database that outlive one run of the application, so a test can stop
/// and restart it.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub database_url: String,
    _postgres: Option<TestPostgres>,
}

impl TestEnv {
    /// `None` for PostgreSQL when PRADEN_TEST_POSTGRES_URL is unset.
    pub async fn new(db: Db) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let (database_url, postgres) = match db {
            Db::Sqlite => (format!("sqlite://{}/praden.db", dir.path().display()), None),
            Db::Postgres => {
                let Some(pg) = TestPostgres::create().await else {
                    eprintln!("PRADEN_TEST_POSTGRES_URL is not set: PostgreSQL half skipped");
                    return None;
                };
                (pg.url().to_string(), Some(pg))
            }
        };
        Some(Self {
            dir,
            database_url,
            _postgres: postgres,
        })
    }

    pub fn sources_file(&self) -> PathBuf {
        self.dir.path().join("sources.toml")
    }

    /// Writes sources.toml with one RSS source per (id, url). They may reach private
    /// addresses: the fixture server is on 127.0.0.1.
    pub fn write_sources(&self, sources: &[(&str, &str, &str)]) {
        let mut text = String::new();
        for (id, outlet, url) in sources {
            text.push_str(&format!(
                "[[source]]\nid = \"{id}\"\nname = \"{outlet}\"\nkind = \"news\"\noutlet = \"{outlet}\"\n\
                 url = \"{url}\"\nformat = \"rss\"\ninterval = \"1m\"\nallow_private_network = true\n\n"
            ));
        }
        std::fs::write(self.sources_file(), text).unwrap();
    }

    /// Writes sources.toml as given.
    pub fn write_sources_toml(&self, text: &str) {
        std::fs::write(self.sources_file(), text).unwrap();
    }

    pub fn config(&self) -> Config {
        Config {
            data_dir: self.dir.path().to_path_buf(),
            database_url: self.database_url.clone(),
            listen: "127.0.0.1:0".parse().unwrap(),
            sources_file: self.sources_file(),
            contact: "tests@praden.invalid".into(),
            index: IndexConfig {
                commit_docs: 1000,
                commit_interval: Duration::from_millis(200),
                writer_memory_mb: 64,
            },
            ingest: IngestConfig {
                max_concurrent: 8,
                // The fixture server is one host; polite gaps would only slow the tests.
                host_gap: Duration::from_millis(10),
            },
            detect: DetectConfig {
                enabled: true,
                window_hours: 72,
                regrowth_factor: 2.0,
            },
        }
    }
}

/// The application running in this process.
pub struct RunningApp {
    pub base: String,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl RunningApp {
    pub async fn start(config: Config) -> Self {
        let app = Application::build(config)
            .await
            .expect("the application builds");
        let base = format!("http://{}", app.local_addr());
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(app.run(shutdown.clone()));
        Self {
            base,
            shutdown,
            task,
        }
    }

    pub async fn get_json(&self, path_and_query: &str) -> (u16, serde_json::Value) {
        let resp = reqwest::get(format!("{}{path_and_query}", self.base))
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    /// Polls the search API until `query` has at least `min_total` hits, or panics after 30 s.
    pub async fn wait_for_hits(&self, query: &str, min_total: u64) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (status, body) = self
                .get_json(&format!("/api/v1/search?q={}", encode(query)))
                .await;
            assert_eq!(status, 200, "{body}");
            if body["total"].as_u64().unwrap_or(0) >= min_total {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{query:?} never reached {min_total} hits: {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the application as SIGTERM would, and waits until it has shut down cleanly.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task
            .await
            .expect("the application task")
            .expect("a clean shutdown");
    }
}

pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
