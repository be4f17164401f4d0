//! Helpers for the end-to-end tests: a fixture HTTP server on 127.0.0.1 and the whole praden
//! application started on port 0 with a temporary data directory, on SQLite or PostgreSQL.

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use praden::config::{
    AuthConfig, BriefConfig, Config, DetectConfig, FeedConfig, IndexConfig, IngestConfig,
};
use praden::Application;
use praden_core::Role;
use praden_store::testing::TestPostgres;
use praden_store::{DecisionContext, NewToken, NewUser, Store};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub mod browser;
pub mod cluster;
pub mod kpi;
pub mod query_mix;
pub mod seed;
pub mod smtp;
pub use browser::Browser;

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
    /// addresses: the fixture server is on 127.0.0.1. Item pages are not fetched: the fixture
    /// feeds link to the outlets' real pages, and tests reach nothing beyond 127.0.0.1.
    pub fn write_sources(&self, sources: &[(&str, &str, &str)]) {
        let mut text = String::new();
        for (id, outlet, url) in sources {
            text.push_str(&format!(
                "[[source]]\nid = \"{id}\"\nname = \"{outlet}\"\nkind = \"news\"\noutlet = \"{outlet}\"\n\
                 url = \"{url}\"\nformat = \"rss\"\ninterval = \"1m\"\nallow_private_network = true\n\
                 fetch_article = \"never\"\n\n"
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
                verify_at_start: true,
                concurrent_searches: 4,
            },
            ingest: IngestConfig {
                max_concurrent: 8,
                // The fixture server is one host; polite gaps would only slow the tests.
                host_gap: Duration::from_millis(10),
                parse_timeout: Duration::from_secs(20),
                parse_max_mb: 8,
            },
            feed: FeedConfig {
                webhooks: Vec::new(),
                attempts: 8,
                backoff: Duration::from_millis(100),
            },
            detect: DetectConfig {
                enabled: true,
                window_hours: 72,
                regrowth_factor: 2.0,
            },
            clarifications: praden::config::ClarificationsConfig {
                enabled: true,
                window_days: 30,
            },
            auth: AuthConfig {
                secure_cookies: false,
                session_ttl: Duration::from_secs(3600),
                trusted_proxies: Vec::new(),
            },
            // Off unless a test turns it on: with the system clock every app would publish
            // the last 09:30 brief at start.
            brief: BriefConfig {
                enabled: false,
                schedule: praden_jobs::schedule::CronSchedule::parse("30 9 * * *").unwrap(),
                top_candidates: 10,
                webhooks: Vec::new(),
                delivery_attempts: 6,
                delivery_backoff: time::Duration::seconds(30),
            },
            // Off unless a test turns it on, like the brief.
            assignment: praden::config::AssignmentConfig {
                enabled: false,
                schedule: praden_jobs::schedule::CronSchedule::parse("30 10 * * *").unwrap(),
                message: praden_brief::AssignmentSettings::default(),
                webhooks: Vec::new(),
                mail: None,
                line: None,
                public_url: "http://127.0.0.1:8080".into(),
                delivery_attempts: 6,
                delivery_backoff: time::Duration::seconds(30),
            },
            reminders: praden::config::RemindersConfig {
                enabled: false,
                schedule: praden_jobs::schedule::CronSchedule::parse("0 9 * * *").unwrap(),
                days_before: 1,
            },
            evidence: praden::config::EvidenceConfig::default(),
            kpi: praden_web::KpiSettings::default(),
            // One name per environment: an app restarted on it is the same node again.
            node: praden_core::node::Node::new(
                format!(
                    "test-{}",
                    self.dir.path().file_name().unwrap().to_string_lossy()
                ),
                praden_core::node::Node::DEFAULT_TTL,
            ),
        }
    }
}

/// The application running in this process, with an admin and an editor API token made
/// through the store at start (every route but /healthz and /login needs credentials).
pub struct RunningApp {
    pub base: String,
    /// An API token with the admin role: `get_json` and `client()` send it.
    pub admin_token: String,
    /// An API token with the editor role (search only).
    pub editor_token: String,
    store: Store,
    client: reqwest::Client,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

/// A client logged in through `POST /login`: it carries the session cookie, and `csrf` is
/// the session's CSRF token for requests that change something.
pub struct LoggedIn {
    pub client: reqwest::Client,
    pub csrf: String,
}

impl RunningApp {
    pub async fn start(config: Config) -> Self {
        Self::start_with_clock(config, praden_jobs::schedule::system_clock()).await
    }

    /// Starts the application with the brief scheduler reading `clock`.
    pub async fn start_with_clock(
        config: Config,
        clock: Arc<dyn praden_jobs::schedule::Clock>,
    ) -> Self {
        let database_url = config.database_url.clone();
        let app = Application::build(config)
            .await
            .expect("the application builds")
            .with_clock(clock);
        let base = format!("http://{}", app.local_addr());
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(app.run(shutdown.clone()));
        let store = Store::connect(&database_url)
            .await
            .expect("the test's store");
        let admin_token = create_token(&store, "tests-admin", Role::Admin).await;
        let editor_token = create_token(&store, "tests-editor", Role::Editor).await;
        let client = client_with_token(&admin_token);
        Self {
            base,
            admin_token,
            editor_token,
            store,
            client,
            shutdown,
            task,
        }
    }

    /// The application's database, for setting up accounts.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A client that sends the admin token.
    pub fn client(&self) -> reqwest::Client {
        self.client.clone()
    }

    /// A new API token with `role`, made through the store (as `praden token create` does).
    pub async fn create_token(&self, name: &str, role: Role) -> String {
        create_token(&self.store, name, role).await
    }

    /// A person's account with `password`, made through the store (as `praden user add`).
    pub async fn add_user(&self, username: &str, role: Role, password: &str) {
        let password_hash = praden_web::auth::secrets::hash_password(password).unwrap();
        self.store
            .add_user(
                &NewUser {
                    username: username.into(),
                    display_name: format!("ผู้ทดสอบ {username}"),
                    role,
                    password_hash,
                    // An agency user speaks for the Ministry of Commerce unless a test binds
                    // it otherwise (`add_agency_user`).
                    agency: (role == Role::Agency).then(|| "กระทรวงพาณิชย์".into()),
                },
                &test_context(),
            )
            .await
            .expect("the test user is new");
    }

    /// An `agency` user speaking for `agency` (a registry agency's or ministry's Thai name).
    pub async fn add_agency_user(&self, username: &str, agency: &str, password: &str) {
        let password_hash = praden_web::auth::secrets::hash_password(password).unwrap();
        self.store
            .add_user(
                &NewUser {
                    username: username.into(),
                    display_name: format!("ผู้ทดสอบ {username}"),
                    role: Role::Agency,
                    password_hash,
                    agency: Some(agency.into()),
                },
                &test_context(),
            )
            .await
            .expect("the test user is new");
    }

    /// Posts the login form with a fresh cookie-keeping client that does not follow
    /// redirects; returns the client, its cookie jar and the response.
    pub async fn try_login(
        &self,
        username: &str,
        password: &str,
    ) -> (
        reqwest::Client,
        Arc<reqwest::cookie::Jar>,
        reqwest::Response,
    ) {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = client
            .post(format!("{}/login", self.base))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .unwrap();
        (client, jar, response)
    }

    /// Logs in (panics if that fails) and returns the session's client and CSRF token.
    pub async fn login(&self, username: &str, password: &str) -> LoggedIn {
        use reqwest::cookie::CookieStore;
        let (client, jar, response) = self.try_login(username, password).await;
        assert_eq!(response.status(), 303, "logging in as {username}");
        let url: reqwest::Url = self.base.parse().unwrap();
        let cookies = jar.cookies(&url).expect("the session cookie");
        let secret = cookies
            .to_str()
            .unwrap()
            .split(';')
            .find_map(|c| c.trim().strip_prefix("praden_session="))
            .expect("the session cookie")
            .to_string();
        let (session, _) = self
            .store
            .active_session(&token_hash(&secret), time::OffsetDateTime::now_utc())
            .await
            .unwrap()
            .expect("the session is stored under the cookie's hash");
        LoggedIn {
            client,
            csrf: session.csrf_token,
        }
    }

    /// GET with the admin token; the body as JSON.
    pub async fn get_json(&self, path_and_query: &str) -> (u16, serde_json::Value) {
        let resp = self
            .client
            .get(format!("{}{path_and_query}", self.base))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    /// Polls the search API until `query` has at least `min_total` hits, or panics after 30 s.
    /// Polls `path` (admin token) until `ready` holds, or panics after 20 s.
    pub async fn wait_json(
        &self,
        path: &str,
        ready: impl Fn(u16, &serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let (status, body) = self.get_json(path).await;
            if ready(status, &body) {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{path} never got ready: {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

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
    /// Stops the application and starts it again on `config` (the same database), keeping
    /// the tokens: what restarting the server does. The new one listens on a new port.
    pub async fn restart(self, config: Config) -> Self {
        self.shutdown.cancel();
        self.task
            .await
            .expect("the application task")
            .expect("a clean shutdown");
        let app = Application::build(config)
            .await
            .expect("the application builds again");
        let base = format!("http://{}", app.local_addr());
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(app.run(shutdown.clone()));
        Self {
            base,
            shutdown,
            task,
            admin_token: self.admin_token,
            editor_token: self.editor_token,
            store: self.store,
            client: self.client,
        }
    }

    pub async fn stop(self) {
        self.store.close().await;
        self.shutdown.cancel();
        self.task
            .await
            .expect("the application task")
            .expect("a clean shutdown");
    }
}

fn test_context() -> DecisionContext {
    DecisionContext {
        actor: "tests".into(),
        request_id: None,
        now: time::OffsetDateTime::now_utc(),
    }
}

/// A client that sends `token` as its bearer token.
pub fn client_with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Makes an API token through the store; names get a counter so restarts of the app on the
/// same database make new ones.
async fn create_token(store: &Store, name: &str, role: Role) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (token, token_hash) = praden_web::auth::secrets::new_api_token().unwrap();
    let new = NewToken {
        name: format!("{name}-{}-{n}", std::process::id()),
        role,
        token_hash,
    };
    store
        .create_token(&new, &test_context())
        .await
        .expect("the test token is new");
    token
}

/// What the store keeps of an API token: its SHA-256, hex (as `praden token create` stores it).
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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

/// One request a [`WebhookReceiver`] received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
    /// What the receiver answered.
    pub status: u16,
}

type ReceiverState = (
    Arc<Mutex<Vec<Received>>>,
    Arc<Mutex<std::collections::VecDeque<u16>>>,
);

/// A webhook receiver on 127.0.0.1: records every POST (headers and JSON body) and answers
/// with the statuses queued by [`WebhookReceiver::answer_next`], then 200.
pub struct WebhookReceiver {
    addr: SocketAddr,
    state: ReceiverState,
    shutdown: CancellationToken,
}

async fn receive_webhook(
    State((received, script)): State<ReceiverState>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let status = script.lock().unwrap().pop_front().unwrap_or(200);
    received.lock().unwrap().push(Received {
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        status,
    });
    (StatusCode::from_u16(status).unwrap(), "{}").into_response()
}

impl WebhookReceiver {
    pub async fn start() -> Self {
        let state: ReceiverState = Default::default();
        let router = Router::new()
            .route("/{*path}", axum::routing::post(receive_webhook))
            .with_state(state.clone());
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
            state,
            shutdown,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// The next requests are answered with these statuses, in order.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.state
            .1
            .lock()
            .unwrap()
            .extend(statuses.iter().copied());
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.0.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived, or panics after 20 s.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the webhook received {} of {n} requests",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Tiny real evidence files.
pub mod files {
    /// A 1×1 PNG, a real one.
    pub const PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x64,
        0x60, 0xF8, 0x5F, 0x0F, 0x00, 0x02, 0x87, 0x01, 0x80, 0xEB, 0x47, 0xBA, 0x92, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];

    /// A minimal one-page PDF.
    pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
    2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
    3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>endobj\n\
    trailer<</Root 1 0 R>>\n%%EOF\n";
}

/// (title, body) of the first `n` articles of the shared thaigov corpus with a title and a
/// body over 200 characters, bodies cut to 1,500: the real Thai text the benches' fixture
/// outlets publish.
pub fn shared_articles(n: usize) -> Vec<(String, String)> {
    use std::io::BufRead;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file))
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(&l.unwrap()).unwrap())
        .filter_map(|v| {
            let title = v["title"].as_str()?.trim().to_string();
            let body: String = v["body"].as_str()?.chars().take(1500).collect();
            (!title.is_empty() && body.chars().count() > 200).then_some((title, body))
        })
        .take(n)
        .collect()
}

/// Text escaped for XML character data (a fixture feed's titles and descriptions).
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
