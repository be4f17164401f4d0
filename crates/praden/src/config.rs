//! Typed, layered configuration: built-in defaults, then `praden.toml` (or `--config FILE`),
//! then `PRADEN_*` environment variables. Every value is checked at start; a bad one stops
//! praden with one line naming the key, the value, where it came from and what is expected.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use praden_jobs::settings::{
    AssignmentConfig, BriefConfig, ClarificationsConfig, DetectConfig, FeedConfig, FeedWebhook,
    LinePush, MailConfig, RemindersConfig, Secret, SmtpTls, WebhookConfig, WebhookKind,
};

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub listen: SocketAddr,
    pub sources_file: PathBuf,
    /// Who to contact about praden's requests; sent in the User-Agent.
    pub contact: String,
    pub index: IndexConfig,
    pub ingest: IngestConfig,
    pub detect: DetectConfig,
    /// Finding the agencies' clarifications in the coverage (`[clarifications]`).
    pub clarifications: ClarificationsConfig,
    pub feed: FeedConfig,
    pub brief: BriefConfig,
    /// The 10:30 assignment message: who sends it, when, and how it reaches the agencies.
    pub assignment: AssignmentConfig,
    pub reminders: RemindersConfig,
    pub auth: AuthConfig,
    /// Where agencies' evidence files are kept, and how large they may be (`[evidence]`).
    pub evidence: EvidenceConfig,
    /// How the timeliness KPI counts deadlines, and its target (`[kpi]`).
    pub kpi: praden_web::KpiSettings,
    /// This process among those sharing the database: its name in leases, and how long a
    /// lease lasts (`[node]`).
    pub node: praden_core::node::Node,
}

/// `[evidence]`: the object store evidence files go to, and the size limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceConfig {
    pub store: EvidenceBackend,
    /// The largest file taken, in MiB.
    pub max_file_mb: u64,
    /// The most one issue's files may hold together, in MiB.
    pub max_issue_mb: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceBackend {
    /// Files under `data_dir/evidence`.
    Local,
    /// S3-compatible storage; credentials from the environment (`AWS_ACCESS_KEY_ID`, …).
    S3(praden_web::blobs::S3Settings),
}

impl Default for EvidenceConfig {
    fn default() -> Self {
        Self {
            store: EvidenceBackend::Local,
            max_file_mb: 50,
            max_issue_mb: 200,
        }
    }
}

impl EvidenceConfig {
    /// The store these settings describe, with `data_dir` for the local one.
    pub fn open(
        &self,
        data_dir: &Path,
    ) -> Result<praden_web::blobs::EvidenceStore, praden_web::blobs::BlobError> {
        use praden_web::blobs::EvidenceStore;
        match &self.store {
            EvidenceBackend::Local => {
                EvidenceStore::local(data_dir, self.max_file_mb, self.max_issue_mb)
            }
            EvidenceBackend::S3(s3) => EvidenceStore::s3(s3, self.max_file_mb, self.max_issue_mb),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Mark the session cookie Secure (HTTPS only): on behind TLS.
    pub secure_cookies: bool,
    /// A login session ends after this long without a request.
    pub session_ttl: Duration,
    /// Reverse proxies whose `X-Forwarded-For` is believed (for the login limit).
    pub trusted_proxies: Vec<praden_web::auth::ProxyRange>,
}

#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Requests in flight at once over all sources.
    pub max_concurrent: usize,
    /// The least time between two requests to one host.
    pub host_gap: Duration,
    /// How long a poll waits for one parse (a feed, a page, a transcript) before failing.
    pub parse_timeout: Duration,
    /// The largest body handed to a parser, in MiB.
    pub parse_max_mb: usize,
}

#[derive(Debug, Clone)]
pub struct IndexConfig {
    pub commit_docs: usize,
    pub commit_interval: Duration,
    pub writer_memory_mb: usize,
    /// `serve` and `ingest` compare the index with the store once at start and repair it.
    pub verify_at_start: bool,
    /// Searches run at once; more wait their turn (`praden_web::SearchSlots`).
    pub concurrent_searches: usize,
}

impl Config {
    /// praden's User-Agent: its version and who to contact about its requests.
    pub fn user_agent(&self) -> String {
        format!("praden/{} (+{})", env!("CARGO_PKG_VERSION"), self.contact)
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
}

/// This process's name among those on one database when `node.id` is not set: the host's
/// name and the process id, unique on a host and across hosts (a restarted process may get
/// its old name back, and with it at once the leases its crashed self held: it is the same
/// node, and that crashed self does nothing any more).
fn default_node_id(env: &dyn Fn(&str) -> Option<String>) -> String {
    let host = env("HOSTNAME")
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "praden".to_string());
    format!("{host}-{}", std::process::id())
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config: cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config: {path} is not valid TOML: {message}")]
    Syntax { path: String, message: String },
    #[error("config: unknown key {key:?} in {origin} (known keys: {})", KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", "))]
    UnknownKey { key: String, origin: String },
    #[error("config: {key} = {value:?} (from {origin}) is invalid: expected {expected}")]
    Invalid {
        key: &'static str,
        value: String,
        origin: String,
        expected: String,
    },
}

struct Key {
    name: &'static str,
    env: &'static [&'static str],
    default: Option<&'static str>,
}

/// Every key, its environment variables (first wins) and its default. `database_url` has no
/// fixed default: it follows `data_dir`.
const KEYS: &[Key] = &[
    Key {
        name: "data_dir",
        env: &["PRADEN_DATA_DIR"],
        default: Some("./data"),
    },
    Key {
        name: "database_url",
        env: &["PRADEN_DATABASE_URL", "DATABASE_URL"],
        default: None,
    },
    Key {
        name: "listen",
        env: &["PRADEN_LISTEN"],
        default: Some("127.0.0.1:8080"),
    },
    Key {
        name: "time_zone",
        env: &["PRADEN_TIME_ZONE"],
        default: Some("Asia/Bangkok"),
    },
    Key {
        name: "sources",
        env: &["PRADEN_SOURCES"],
        default: Some("sources.toml"),
    },
    Key {
        name: "contact",
        env: &["PRADEN_CONTACT"],
        default: Some("https://github.com/praden/praden"),
    },
    Key {
        name: "index.commit_docs",
        env: &["PRADEN_INDEX_COMMIT_DOCS"],
        default: Some("10000"),
    },
    Key {
        name: "index.commit_interval",
        env: &["PRADEN_INDEX_COMMIT_INTERVAL"],
        default: Some("2s"),
    },
    Key {
        name: "index.writer_memory_mb",
        env: &["PRADEN_INDEX_WRITER_MEMORY_MB"],
        default: Some("256"),
    },
    Key {
        name: "index.verify_at_start",
        env: &["PRADEN_INDEX_VERIFY_AT_START"],
        default: Some("true"),
    },
    Key {
        name: "index.concurrent_searches",
        env: &["PRADEN_INDEX_CONCURRENT_SEARCHES"],
        // 0: twice the machine's cores.
        default: Some("0"),
    },
    Key {
        name: "ingest.max_concurrent",
        env: &["PRADEN_INGEST_MAX_CONCURRENT"],
        default: Some("8"),
    },
    Key {
        name: "ingest.host_gap",
        env: &["PRADEN_INGEST_HOST_GAP"],
        default: Some("1s"),
    },
    Key {
        name: "ingest.parse_timeout",
        env: &["PRADEN_INGEST_PARSE_TIMEOUT"],
        default: Some("20s"),
    },
    Key {
        name: "ingest.parse_max_mb",
        env: &["PRADEN_INGEST_PARSE_MAX_MB"],
        default: Some("8"),
    },
    Key {
        name: "detect.enabled",
        env: &["PRADEN_DETECT_ENABLED"],
        default: Some("true"),
    },
    Key {
        name: "detect.window_hours",
        env: &["PRADEN_DETECT_WINDOW_HOURS"],
        default: Some("72"),
    },
    Key {
        name: "detect.regrowth_factor",
        env: &["PRADEN_DETECT_REGROWTH_FACTOR"],
        default: Some("2.0"),
    },
    Key {
        name: "clarifications.enabled",
        env: &["PRADEN_CLARIFICATIONS_ENABLED"],
        default: Some("true"),
    },
    Key {
        name: "clarifications.window_days",
        env: &["PRADEN_CLARIFICATIONS_WINDOW_DAYS"],
        default: Some("30"),
    },
    Key {
        name: "node.id",
        env: &["PRADEN_NODE_ID"],
        default: None,
    },
    Key {
        name: "node.lease_ttl",
        env: &["PRADEN_NODE_LEASE_TTL"],
        default: Some("20s"),
    },
    Key {
        name: "auth.secure_cookies",
        env: &["PRADEN_AUTH_SECURE_COOKIES"],
        default: Some("false"),
    },
    Key {
        name: "auth.trusted_proxies",
        env: &["PRADEN_AUTH_TRUSTED_PROXIES"],
        default: Some(""),
    },
    Key {
        name: "auth.session_ttl",
        env: &["PRADEN_AUTH_SESSION_TTL"],
        default: Some("12h"),
    },
    Key {
        name: "feed.webhooks",
        env: &["PRADEN_FEED_WEBHOOKS"],
        default: Some("[]"),
    },
    Key {
        name: "feed.webhook_attempts",
        env: &["PRADEN_FEED_WEBHOOK_ATTEMPTS"],
        default: Some("8"),
    },
    Key {
        name: "feed.webhook_backoff",
        env: &["PRADEN_FEED_WEBHOOK_BACKOFF"],
        default: Some("2s"),
    },
    Key {
        name: "brief.enabled",
        env: &["PRADEN_BRIEF_ENABLED"],
        default: Some("true"),
    },
    Key {
        name: "brief.schedule",
        env: &["PRADEN_BRIEF_SCHEDULE"],
        default: Some("30 9 * * *"),
    },
    Key {
        name: "brief.top_candidates",
        env: &["PRADEN_BRIEF_TOP_CANDIDATES"],
        default: Some("10"),
    },
    Key {
        name: "brief.webhooks",
        env: &["PRADEN_BRIEF_WEBHOOKS"],
        default: Some("[]"),
    },
    Key {
        name: "brief.delivery_attempts",
        env: &["PRADEN_BRIEF_DELIVERY_ATTEMPTS"],
        default: Some("6"),
    },
    Key {
        name: "brief.delivery_backoff",
        env: &["PRADEN_BRIEF_DELIVERY_BACKOFF"],
        default: Some("30s"),
    },
    Key {
        name: "assignment.enabled",
        env: &["PRADEN_ASSIGNMENT_ENABLED"],
        default: Some("true"),
    },
    Key {
        name: "assignment.schedule",
        env: &["PRADEN_ASSIGNMENT_SCHEDULE"],
        default: Some("30 10 * * *"),
    },
    Key {
        name: "assignment.webhooks",
        env: &["PRADEN_ASSIGNMENT_WEBHOOKS"],
        default: Some("[]"),
    },
    Key {
        name: "assignment.line_token_env",
        env: &["PRADEN_ASSIGNMENT_LINE_TOKEN_ENV"],
        default: Some(""),
    },
    Key {
        name: "assignment.line_push_url",
        env: &["PRADEN_ASSIGNMENT_LINE_PUSH_URL"],
        default: Some("https://api.line.me/v2/bot/message/push"),
    },
    Key {
        name: "reminders.enabled",
        env: &["PRADEN_REMINDERS_ENABLED"],
        default: Some("true"),
    },
    Key {
        name: "reminders.schedule",
        env: &["PRADEN_REMINDERS_SCHEDULE"],
        default: Some("0 9 * * *"),
    },
    Key {
        name: "reminders.days_before",
        env: &["PRADEN_REMINDERS_DAYS_BEFORE"],
        default: Some("1"),
    },
    Key {
        name: "kpi.deadline_days",
        env: &["PRADEN_KPI_DEADLINE_DAYS"],
        default: Some("calendar"),
    },
    Key {
        name: "kpi.holidays_file",
        env: &["PRADEN_KPI_HOLIDAYS_FILE"],
        default: Some(""),
    },
    Key {
        name: "kpi.target_percent",
        env: &["PRADEN_KPI_TARGET_PERCENT"],
        default: Some(""),
    },
    Key {
        name: "public_url",
        env: &["PRADEN_PUBLIC_URL"],
        default: Some(""),
    },
    Key {
        name: "mail.smtp_host",
        env: &["PRADEN_SMTP_HOST"],
        default: Some(""),
    },
    Key {
        name: "mail.smtp_port",
        env: &["PRADEN_SMTP_PORT"],
        default: Some("587"),
    },
    Key {
        name: "mail.smtp_tls",
        env: &["PRADEN_SMTP_TLS"],
        default: Some("starttls"),
    },
    Key {
        name: "mail.from",
        env: &["PRADEN_MAIL_FROM"],
        default: Some(""),
    },
    Key {
        name: "assignment.sender_name",
        env: &["PRADEN_ASSIGNMENT_SENDER_NAME"],
        default: Some(""),
    },
    Key {
        name: "assignment.sender_title",
        env: &["PRADEN_ASSIGNMENT_SENDER_TITLE"],
        default: Some("ผู้อำนวยการสำนักข่าว"),
    },
    Key {
        name: "assignment.on_behalf_name",
        env: &["PRADEN_ASSIGNMENT_ON_BEHALF_NAME"],
        default: Some(""),
    },
    Key {
        name: "assignment.on_behalf_title",
        env: &["PRADEN_ASSIGNMENT_ON_BEHALF_TITLE"],
        default: Some("โฆษกประจำสำนักนายกรัฐมนตรี และอธิบดีกรมประชาสัมพันธ์"),
    },
    Key {
        name: "assignment.thai_digits",
        env: &["PRADEN_ASSIGNMENT_THAI_DIGITS"],
        default: Some("true"),
    },
    Key {
        name: "evidence.store",
        env: &["PRADEN_EVIDENCE_STORE"],
        default: Some("local"),
    },
    Key {
        name: "evidence.max_file_mb",
        env: &["PRADEN_EVIDENCE_MAX_FILE_MB"],
        default: Some("50"),
    },
    Key {
        name: "evidence.max_issue_mb",
        env: &["PRADEN_EVIDENCE_MAX_ISSUE_MB"],
        default: Some("200"),
    },
    Key {
        name: "evidence.s3_bucket",
        env: &["PRADEN_EVIDENCE_S3_BUCKET"],
        default: Some(""),
    },
    Key {
        name: "evidence.s3_endpoint",
        env: &["PRADEN_EVIDENCE_S3_ENDPOINT"],
        default: Some(""),
    },
    Key {
        name: "evidence.s3_region",
        env: &["PRADEN_EVIDENCE_S3_REGION"],
        default: Some(""),
    },
];

/// The raw value of each key and where it came from.
type Layers = BTreeMap<&'static str, (String, String)>;

/// The merged layers, read key by key; every malformed value becomes an error naming its key,
/// value, origin and what was expected.
struct Values<'a>(&'a Layers);

impl Values<'_> {
    fn get(&self, key: &'static str) -> Option<(&str, &str)> {
        self.0.get(key).map(|(v, o)| (v.as_str(), o.as_str()))
    }

    fn invalid(&self, key: &'static str, expected: &str) -> ConfigError {
        let (value, origin) = self.get(key).unwrap_or(("", "nowhere"));
        ConfigError::Invalid {
            key,
            value: value.to_string(),
            origin: origin.to_string(),
            expected: expected.to_string(),
        }
    }

    fn text(&self, key: &'static str) -> String {
        self.get(key)
            .map(|(v, _)| v.trim().to_string())
            .unwrap_or_default()
    }

    fn flag(&self, key: &'static str) -> Result<bool, ConfigError> {
        match self.text(key).as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(self.invalid(key, "true or false")),
        }
    }

    fn number(&self, key: &'static str, lo: usize, hi: usize) -> Result<usize, ConfigError> {
        self.text(key)
            .parse::<usize>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
            .ok_or_else(|| self.invalid(key, &format!("a whole number from {lo} to {hi}")))
    }

    /// A duration within `range`; `expected` says so to a person.
    fn duration(
        &self,
        key: &'static str,
        range: std::ops::RangeInclusive<Duration>,
        expected: &str,
    ) -> Result<Duration, ConfigError> {
        praden_ingest::sources::parse_duration(&self.text(key))
            .filter(|d| range.contains(d))
            .ok_or_else(|| self.invalid(key, expected))
    }
}

impl Config {
    /// Loads the configuration. `file` is `--config`; without it `./praden.toml` is read if it
    /// exists. `env` is the process environment (a parameter so tests need not mutate it).
    pub fn load(
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut layers: Layers = KEYS
            .iter()
            .filter_map(|k| {
                k.default
                    .map(|d| (k.name, (d.to_string(), "the default".into())))
            })
            .collect();
        let default_file = Path::new("praden.toml");
        match file {
            Some(f) => read_file(f, &mut layers)?,
            None if default_file.exists() => read_file(default_file, &mut layers)?,
            None => {}
        }
        for key in KEYS {
            if let Some((var, v)) = key.env.iter().find_map(|var| env(var).map(|v| (var, v))) {
                layers.insert(key.name, (v, format!("environment variable {var}")));
            }
        }
        Self::from_layers(layers, env)
    }

    fn from_layers(
        layers: Layers,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let v = Values(&layers);

        let data_dir = PathBuf::from(v.text("data_dir"));
        if data_dir.as_os_str().is_empty() {
            return Err(v.invalid("data_dir", "a directory path"));
        }
        let database_url = match v.get("database_url") {
            Some((url, _)) => {
                let url = url.trim();
                if !(url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://"))
                {
                    return Err(
                        v.invalid("database_url", "sqlite://PATH or postgres://USER@HOST/DB")
                    );
                }
                url.to_string()
            }
            None => format!("sqlite://{}", data_dir.join("praden.db").display()),
        };
        let listen = v
            .text("listen")
            .parse()
            .map_err(|_| v.invalid("listen", "an address and port such as 127.0.0.1:8080"))?;
        // Thailand keeps UTC+7 all year; deadlines and the 09:30 brief are Bangkok time, so
        // this is checked rather than configurable.
        if !matches!(
            v.text("time_zone").as_str(),
            "Asia/Bangkok" | "UTC+7" | "+07:00"
        ) {
            return Err(v.invalid("time_zone", "Asia/Bangkok (the only zone praden works in)"));
        }
        let sources_file = PathBuf::from(v.text("sources"));
        let contact = v.text("contact");
        if contact.is_empty() || contact.chars().any(|c| c.is_control()) {
            return Err(v.invalid("contact", "a URL or e-mail address for the User-Agent"));
        }
        let commit_interval = v.duration(
            "index.commit_interval",
            Duration::from_secs(1)..=Duration::from_secs(3600),
            "a duration from 1s to 1h, e.g. \"2s\"",
        )?;
        let host_gap = v.duration(
            "ingest.host_gap",
            Duration::ZERO..=Duration::from_secs(60),
            "a duration from 0s to 60s, e.g. \"1s\"",
        )?;
        let parse_timeout = v.duration(
            "ingest.parse_timeout",
            Duration::from_secs(1)..=Duration::from_secs(600),
            "a duration from 1s to 10m, e.g. \"20s\"",
        )?;
        let auth = AuthConfig {
            secure_cookies: v.flag("auth.secure_cookies")?,
            session_ttl: v.duration(
                "auth.session_ttl",
                Duration::from_secs(60)..=Duration::from_secs(30 * 86400),
                "a duration from 1m to 720h, e.g. \"12h\"",
            )?,
            trusted_proxies: v
                .text("auth.trusted_proxies")
                .split([',', ' '])
                .filter(|r| !r.trim().is_empty())
                .map(str::parse)
                .collect::<Result<_, String>>()
                .map_err(|reason| {
                    v.invalid(
                        "auth.trusted_proxies",
                        &format!("addresses or ranges separated by commas ({reason})"),
                    )
                })?,
        };
        let (brief, assignment) = brief_and_assignment(&layers, env, listen)?;
        let reminders = RemindersConfig {
            enabled: v.flag("reminders.enabled")?,
            schedule: praden_jobs::schedule::CronSchedule::parse(&v.text("reminders.schedule"))
                .map_err(|reason| {
                    v.invalid(
                        "reminders.schedule",
                        &format!(
                            "a cron expression in Bangkok time such as \"0 9 * * *\" ({reason})"
                        ),
                    )
                })?,
            days_before: v.number("reminders.days_before", 0, 30)? as u32,
        };
        let evidence = evidence(&layers)?;
        let kpi = kpi(&layers)?;
        let node_id = match v.get("node.id") {
            Some((id, _)) => {
                let id = id.trim().to_string();
                if id.is_empty() || id.len() > 100 || id.chars().any(|c| c.is_control()) {
                    return Err(v.invalid(
                        "node.id",
                        "a name of 1 to 100 characters, different for each process on the database",
                    ));
                }
                id
            }
            None => default_node_id(env),
        };
        let node = praden_core::node::Node::new(
            node_id,
            v.duration(
                "node.lease_ttl",
                Duration::from_secs(5)..=Duration::from_secs(600),
                "a duration from 5s to 10m, e.g. \"20s\"",
            )?,
        );
        Ok(Self {
            node,
            kpi,
            evidence,
            brief,
            assignment,
            reminders,
            auth,
            data_dir,
            database_url,
            listen,
            sources_file,
            contact,
            index: IndexConfig {
                commit_docs: v.number("index.commit_docs", 1, 1_000_000)?,
                commit_interval,
                writer_memory_mb: v.number("index.writer_memory_mb", 32, 4096)?,
                verify_at_start: v.flag("index.verify_at_start")?,
                concurrent_searches: match v.number("index.concurrent_searches", 0, 1024)? {
                    0 => 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
                    n => n,
                },
            },
            ingest: IngestConfig {
                max_concurrent: v.number("ingest.max_concurrent", 1, 256)?,
                host_gap,
                parse_timeout,
                parse_max_mb: v.number("ingest.parse_max_mb", 1, 64)?,
            },
            feed: FeedConfig {
                webhooks: parse_feed_webhooks(&v.text("feed.webhooks"), env)
                    .map_err(|reason| v.invalid("feed.webhooks", &reason))?,
                attempts: v.number("feed.webhook_attempts", 1, 50)? as u32,
                backoff: v.duration(
                    "feed.webhook_backoff",
                    Duration::ZERO..=Duration::from_secs(600),
                    "a duration up to 10m, e.g. \"2s\"",
                )?,
            },
            clarifications: ClarificationsConfig {
                enabled: v.flag("clarifications.enabled")?,
                window_days: v.number("clarifications.window_days", 1, 365)? as u32,
            },
            detect: DetectConfig {
                enabled: v.flag("detect.enabled")?,
                window_hours: v.number("detect.window_hours", 1, 24 * 14)? as u32,
                regrowth_factor: v
                    .text("detect.regrowth_factor")
                    .parse::<f64>()
                    .ok()
                    .filter(|f| (1.0..=100.0).contains(f))
                    .ok_or_else(|| {
                        v.invalid(
                            "detect.regrowth_factor",
                            "a number from 1.0 to 100.0, e.g. 2.0",
                        )
                    })?,
            },
        })
    }
}

/// `[evidence]`: `store` is `local` or `s3`; S3 needs a bucket and a region, and an endpoint
/// only for storage other than AWS's own (an http(s) URL).
fn evidence(layers: &Layers) -> Result<EvidenceConfig, ConfigError> {
    let v = Values(layers);
    let max_file_mb = v.number("evidence.max_file_mb", 1, 4096)? as u64;
    let max_issue_mb = v.number("evidence.max_issue_mb", 1, 1_000_000)? as u64;
    if max_issue_mb < max_file_mb {
        return Err(v.invalid(
            "evidence.max_issue_mb",
            &format!(
                "at least evidence.max_file_mb ({max_file_mb}): an issue holds one file or more"
            ),
        ));
    }
    let store = match v.text("evidence.store").as_str() {
        "local" => EvidenceBackend::Local,
        "s3" => {
            let bucket = v.text("evidence.s3_bucket");
            if bucket.is_empty() || bucket.chars().any(|c| c.is_whitespace() || c == '/') {
                return Err(v.invalid(
                    "evidence.s3_bucket",
                    "the bucket's name (evidence.store is \"s3\")",
                ));
            }
            let region = v.text("evidence.s3_region");
            if region.is_empty() {
                return Err(v.invalid(
                    "evidence.s3_region",
                    "the bucket's region, e.g. ap-southeast-1 (evidence.store is \"s3\")",
                ));
            }
            let endpoint = v.text("evidence.s3_endpoint");
            let is_url = url::Url::parse(&endpoint)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !endpoint.is_empty() && !is_url {
                return Err(v.invalid(
                    "evidence.s3_endpoint",
                    "empty (AWS) or the storage's http(s) URL, e.g. http://127.0.0.1:9000",
                ));
            }
            EvidenceBackend::S3(praden_web::blobs::S3Settings {
                bucket,
                endpoint,
                region,
            })
        }
        _ => return Err(v.invalid("evidence.store", "local or s3")),
    };
    Ok(EvidenceConfig {
        store,
        max_file_mb,
        max_issue_mb,
    })
}

/// `[kpi]`: `deadline_days` is `calendar` or `working`; working days need `holidays_file`
/// (read now, so a bad line stops start-up with its number); `target_percent` draws the target
/// on the charts.
fn kpi(layers: &Layers) -> Result<praden_web::KpiSettings, ConfigError> {
    use praden_core::kpi::DeadlineDays;
    let v = Values(layers);
    let file = v.text("kpi.holidays_file");
    let (days, rule_th) = match v.text("kpi.deadline_days").as_str() {
        "calendar" => (DeadlineDays::Calendar, "นับวันตามปฏิทิน".to_string()),
        "working" => {
            if file.is_empty() {
                return Err(v.invalid(
                    "kpi.holidays_file",
                    "the holiday calendar file (kpi.deadline_days is \"working\")",
                ));
            }
            let text = std::fs::read_to_string(&file).map_err(|e| {
                v.invalid(
                    "kpi.holidays_file",
                    &format!("a readable holiday calendar file ({e})"),
                )
            })?;
            let days = DeadlineDays::working_from_file(&text).map_err(|reason| {
                v.invalid(
                    "kpi.holidays_file",
                    &format!("a holiday calendar: one day per line ({reason})"),
                )
            })?;
            let name = Path::new(&file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(file.clone());
            (days, format!("นับวันทำการ (จันทร์–ศุกร์ เว้นวันหยุดตาม {name})"))
        }
        _ => return Err(v.invalid("kpi.deadline_days", "calendar or working")),
    };
    let target = v.text("kpi.target_percent");
    let target_percent = if target.is_empty() {
        None
    } else {
        Some(
            target
                .parse::<f64>()
                .ok()
                .filter(|t| (0.0..=100.0).contains(t))
                .ok_or_else(|| {
                    v.invalid("kpi.target_percent", "empty, or a number from 0 to 100")
                })?,
        )
    };
    Ok(praden_web::KpiSettings {
        days,
        rule_th,
        target_percent,
    })
}

/// `[brief]` and `[assignment]`.
fn brief_and_assignment(
    layers: &Layers,
    env: &dyn Fn(&str) -> Option<String>,
    listen: SocketAddr,
) -> Result<(BriefConfig, AssignmentConfig), ConfigError> {
    let v = Values(layers);
    let schedule = |key: &'static str, example: &str| {
        praden_jobs::schedule::CronSchedule::parse(&v.text(key)).map_err(|reason| {
            v.invalid(
                key,
                &format!("a cron expression in Bangkok time such as \"{example}\" ({reason})"),
            )
        })
    };
    let top_candidates = v.number("brief.top_candidates", 0, 500)?;
    let delivery_attempts = v.number("brief.delivery_attempts", 1, 50)? as u32;
    let delivery_backoff = v.duration(
        "brief.delivery_backoff",
        Duration::from_secs(1)..=Duration::from_secs(3600),
        "a duration from 1s to 1h, e.g. \"30s\"",
    )?;
    // Within an hour, so always a time::Duration.
    let delivery_backoff =
        time::Duration::try_from(delivery_backoff).expect("an hour fits a time::Duration");
    let webhooks = parse_webhooks(&v.text("brief.webhooks"), env)
        .map_err(|reason| v.invalid("brief.webhooks", &reason))?;
    let brief = BriefConfig {
        enabled: v.flag("brief.enabled")?,
        schedule: schedule("brief.schedule", "30 9 * * *")?,
        top_candidates,
        webhooks,
        delivery_attempts,
        delivery_backoff,
    };
    let message = praden_brief::AssignmentSettings {
        sender_name: v.text("assignment.sender_name"),
        sender_title: v.text("assignment.sender_title"),
        on_behalf_name: v.text("assignment.on_behalf_name"),
        on_behalf_title: v.text("assignment.on_behalf_title"),
        thai_digits: v.flag("assignment.thai_digits")?,
    };
    let public_url = match v.text("public_url") {
        // Unset: the address praden listens on, right for a single machine only.
        u if u.is_empty() => format!("http://{listen}"),
        u => match reqwest::Url::parse(&u) {
            Ok(p) if matches!(p.scheme(), "http" | "https") && p.host().is_some() => {
                u.trim_end_matches('/').to_string()
            }
            _ => {
                return Err(v.invalid(
                    "public_url",
                    "the http(s) address people reach praden at, e.g. https://praden.prd.go.th",
                ))
            }
        },
    };
    let line = match v.text("assignment.line_token_env").as_str() {
        "" => None,
        var => {
            let token = env(var).filter(|t| !t.trim().is_empty()).ok_or_else(|| {
                v.invalid(
                    "assignment.line_token_env",
                    &format!("the name of a set environment variable ({var} is not set)"),
                )
            })?;
            let url = v.text("assignment.line_push_url");
            if !matches!(reqwest::Url::parse(&url), Ok(u) if matches!(u.scheme(), "http" | "https"))
            {
                return Err(v.invalid("assignment.line_push_url", "an http(s) URL"));
            }
            Some(LinePush {
                url,
                token: Secret::new(token),
            })
        }
    };
    let assignment = AssignmentConfig {
        enabled: v.flag("assignment.enabled")?,
        schedule: schedule("assignment.schedule", "30 10 * * *")?,
        message,
        webhooks: parse_webhooks(&v.text("assignment.webhooks"), env)
            .map_err(|reason| v.invalid("assignment.webhooks", &reason))?,
        mail: mail(&v, env)?,
        line,
        public_url,
        delivery_attempts,
        delivery_backoff,
    };
    Ok((brief, assignment))
}

/// `[mail]`: SMTP for the agencies' e-mail; none while `mail.smtp_host` is empty. The user
/// name and password come from PRADEN_SMTP_USERNAME and PRADEN_SMTP_PASSWORD only, so they
/// never sit in a file.
fn mail(
    v: &Values,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<MailConfig>, ConfigError> {
    let host = v.text("mail.smtp_host");
    if host.is_empty() {
        return Ok(None);
    }
    let port = v.number("mail.smtp_port", 1, 65535)? as u16;
    let tls = match v.text("mail.smtp_tls").as_str() {
        "none" => SmtpTls::None,
        "starttls" => SmtpTls::StartTls,
        "tls" => SmtpTls::Tls,
        _ => return Err(v.invalid("mail.smtp_tls", "starttls, tls or none")),
    };
    let from = v.text("mail.from");
    if !praden_jobs::mail::valid_address(&from) {
        return Err(v.invalid(
            "mail.from",
            "the sender's address, e.g. \"ศูนย์ประเด็น <issues@prd.go.th>\" (required with \
             mail.smtp_host)",
        ));
    }
    let credentials = match (env("PRADEN_SMTP_USERNAME"), env("PRADEN_SMTP_PASSWORD")) {
        (Some(user), Some(password)) if !user.trim().is_empty() => {
            Some((user.trim().to_string(), Secret::new(password)))
        }
        (None, None) => None,
        _ => {
            return Err(v.invalid(
                "mail.smtp_host",
                "PRADEN_SMTP_USERNAME and PRADEN_SMTP_PASSWORD set together, or neither",
            ))
        }
    };
    Ok(Some(MailConfig {
        host,
        port,
        tls,
        from,
        credentials,
    }))
}

/// One entry of a webhook list, checked for what every list asks: a table of known keys with
/// a unique `name` and an http(s) `url`.
struct WebhookEntry {
    /// How messages name it: `webhook "name"`.
    at: String,
    name: String,
    url: String,
    table: toml::Table,
}

impl WebhookEntry {
    /// A string field, trimmed; absent as empty.
    fn field(&self, key: &str) -> &str {
        self.table
            .get(key)
            .and_then(|v| v.as_str())
            .map_or("", str::trim)
    }
}

/// The entries of a webhook list, `[[x.webhooks]]` in praden.toml or the same as an inline TOML
/// array in an environment variable; `shape` is said when it is not such an array.
fn webhook_entries(text: &str, shape: &str, known: &[&str]) -> Result<Vec<WebhookEntry>, String> {
    let table: toml::Table = format!("webhooks = {text}")
        .parse()
        .map_err(|_| shape.to_string())?;
    let Some(toml::Value::Array(entries)) = table.get("webhooks") else {
        return Err(shape.to_string());
    };
    let mut out: Vec<WebhookEntry> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("webhook #{}", i + 1);
        let toml::Value::Table(t) = entry else {
            return Err(format!("{shape}; {at} is not a table"));
        };
        if let Some(key) = t.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!(
                "{at} has the unknown key {key:?} (known: {})",
                known.join(", ")
            ));
        }
        let name = t.get("name").and_then(|v| v.as_str()).map_or("", str::trim);
        if name.is_empty() {
            return Err(format!("{at} needs a name"));
        }
        let at = format!("webhook {name:?}");
        if out.iter().any(|w| w.name == name) {
            return Err(format!("{at} is listed twice: names must be unique"));
        }
        let url = t.get("url").and_then(|v| v.as_str()).map_or("", str::trim);
        match reqwest::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => return Err(format!("{at} needs an http(s) url, got {url:?}")),
        }
        out.push(WebhookEntry {
            at,
            name: name.to_string(),
            url: url.to_string(),
            table: t.clone(),
        });
    }
    Ok(out)
}

/// `[[brief.webhooks]]` (in praden.toml) or the same as an inline TOML array (in
/// PRADEN_BRIEF_WEBHOOKS): `name`, `url`, `kind` ("line" or "json"), `to` (LINE) and
/// `token_env`, the environment variable holding the bearer token (required for LINE).
fn parse_webhooks(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<WebhookConfig>, String> {
    const SHAPE: &str = "an array of tables {name, url, kind = \"line\" | \"json\", to, token_env}";
    let known = ["name", "url", "kind", "to", "token_env"];
    let mut out = Vec::new();
    for entry in webhook_entries(text, SHAPE, &known)? {
        let at = &entry.at;
        let kind = match entry.field("kind") {
            "line" => WebhookKind::Line,
            "json" => WebhookKind::Json,
            other => {
                return Err(format!(
                    "{at}: kind must be \"line\" or \"json\", got {other:?}"
                ))
            }
        };
        let to = Some(entry.field("to"))
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let token = match entry.field("token_env") {
            "" => None,
            var => Some(Secret::new(
                env(var).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                    format!("{at}: the environment variable {var} (token_env) is not set")
                })?,
            )),
        };
        if kind == WebhookKind::Line && (to.is_none() || token.is_none()) {
            return Err(format!(
                "{at}: a LINE webhook needs `to` (the user, group or room id) and `token_env` \
                 (the variable holding the channel access token)"
            ));
        }
        out.push(WebhookConfig {
            name: entry.name,
            url: entry.url,
            kind,
            to,
            token,
        });
    }
    Ok(out)
}

/// `[[feed.webhooks]]`: `name`, `url` and `secret_env`, the environment variable holding the
/// signing key (required: an unsigned push could be forged).
fn parse_feed_webhooks(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<FeedWebhook>, String> {
    const SHAPE: &str = "an array of tables {name, url, secret_env}";
    let mut out = Vec::new();
    for entry in webhook_entries(text, SHAPE, &["name", "url", "secret_env"])? {
        let var = entry.field("secret_env");
        let secret = env(var).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            format!(
                "{}: secret_env must name a set environment variable holding the signing key \
                 (got {var:?})",
                entry.at
            )
        })?;
        out.push(FeedWebhook {
            name: entry.name,
            url: entry.url,
            secret: Secret::new(secret),
        });
    }
    Ok(out)
}

fn read_file(path: &Path, layers: &mut Layers) -> Result<(), ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Syntax {
            path: shown.clone(),
            message: e.to_string(),
        })?;
    let mut flat = Vec::new();
    flatten("", &table, &mut flat);
    for (key, value) in flat {
        let known = KEYS
            .iter()
            .find(|k| k.name == key)
            .ok_or_else(|| ConfigError::UnknownKey {
                key: key.clone(),
                origin: shown.clone(),
            })?;
        layers.insert(known.name, (value, shown.clone()));
    }
    Ok(())
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, String)>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => out.push((key, s.clone())),
            other => out.push((key, other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_with(file: Option<&str>, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("praden.toml");
        if let Some(text) = file {
            std::fs::write(&path, text).unwrap();
        }
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(file.map(|_| path.as_path()), &|k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_give_sqlite_in_the_data_dir() {
        let c = load_with(None, &[]).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.database_url, "sqlite://./data/praden.db");
        assert_eq!(c.listen.port(), 8080);
        assert_eq!(c.index.commit_interval, Duration::from_secs(2));
    }

    #[test]
    fn concurrent_searches_default_to_twice_the_cores() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let c = load_with(None, &[]).unwrap();
        assert_eq!(c.index.concurrent_searches, 2 * cores);
        let c = load_with(None, &[("PRADEN_INDEX_CONCURRENT_SEARCHES", "3")]).unwrap();
        assert_eq!(c.index.concurrent_searches, 3);
        let e = load_with(None, &[("PRADEN_INDEX_CONCURRENT_SEARCHES", "-1")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("index.concurrent_searches") && e.contains("0 to 1024"),
            "{e}"
        );
    }

    #[test]
    fn file_then_environment_override_defaults() {
        let c = load_with(
            Some("data_dir = \"/var/lib/praden\"\nlisten = \"0.0.0.0:9000\"\n[index]\ncommit_docs = 500\n"),
            &[("PRADEN_LISTEN", "127.0.0.1:0"), ("DATABASE_URL", "postgres://u@h/db")],
        )
        .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/praden"));
        assert_eq!(c.listen.to_string(), "127.0.0.1:0");
        assert_eq!(c.index.commit_docs, 500);
        assert_eq!(c.database_url, "postgres://u@h/db");
        let c = load_with(
            None,
            &[
                ("PRADEN_DATABASE_URL", "sqlite://x.db"),
                ("DATABASE_URL", "postgres://u@h/db"),
            ],
        )
        .unwrap();
        assert_eq!(c.database_url, "sqlite://x.db", "PRADEN_DATABASE_URL wins");
    }

    #[test]
    fn a_bad_value_names_the_key_the_value_its_origin_and_the_expectation() {
        let e = load_with(None, &[("PRADEN_LISTEN", "localhost")])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "config: listen = \"localhost\" (from environment variable PRADEN_LISTEN) is invalid: \
             expected an address and port such as 127.0.0.1:8080"
        );
        let e = load_with(Some("[index]\ncommit_docs = 0\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("index.commit_docs = \"0\"")
                && e.contains("praden.toml")
                && e.contains("1 to 1000000"),
            "{e}"
        );
        let e = load_with(None, &[("PRADEN_TIME_ZONE", "Asia/Tokyo")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("time_zone = \"Asia/Tokyo\""), "{e}");
        let e = load_with(None, &[("DATABASE_URL", "mysql://x")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("database_url = \"mysql://x\" (from environment variable DATABASE_URL)"),
            "{e}"
        );
    }

    #[test]
    fn the_node_and_the_proxies_load_and_bad_ones_name_their_key() {
        let c = load_with(None, &[("HOSTNAME", "web-1")]).unwrap();
        assert!(c.node.id.starts_with("web-1-"), "{}", c.node.id);
        assert_eq!(c.node.lease_ttl, Duration::from_secs(20));
        assert!(c.auth.trusted_proxies.is_empty());
        let c = load_with(
            Some("[node]\nid = \"praden-2\"\nlease_ttl = \"30s\"\n[auth]\ntrusted_proxies = \"10.0.0.5, 172.16.0.0/12\"\n"),
            &[],
        )
        .unwrap();
        assert_eq!(&*c.node.id, "praden-2");
        assert_eq!(c.node.lease_ttl, Duration::from_secs(30));
        assert_eq!(c.auth.trusted_proxies.len(), 2);
        for (env, key) in [
            (("PRADEN_NODE_LEASE_TTL", "1s"), "node.lease_ttl"),
            (("PRADEN_NODE_ID", " "), "node.id"),
            (
                ("PRADEN_AUTH_TRUSTED_PROXIES", "10.0.0.0/40"),
                "auth.trusted_proxies",
            ),
        ] {
            let e = load_with(None, &[env]).unwrap_err().to_string();
            assert!(e.contains(&format!("{key} = ")), "{e}");
        }
    }

    #[test]
    fn unknown_keys_and_broken_files_are_refused() {
        let e = load_with(Some("listne = \"x\"\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown key \"listne\""), "{e}");
        let e = load_with(Some("listen = \n"), &[]).unwrap_err().to_string();
        assert!(e.contains("not valid TOML"), "{e}");
    }

    #[test]
    fn feed_webhooks_need_a_signing_secret_from_the_environment() {
        let c = load_with(None, &[]).unwrap();
        assert!(c.feed.webhooks.is_empty());
        assert_eq!(c.feed.attempts, 8);
        let file = "[feed]\nwebhook_attempts = 3\n[[feed.webhooks]]\nname = \"assign\"\n\
                    url = \"https://ia.example.go.th/praden\"\nsecret_env = \"IA_SECRET\"\n";
        let c = load_with(Some(file), &[("IA_SECRET", "s3cret")]).unwrap();
        assert_eq!(c.feed.attempts, 3);
        assert_eq!(c.feed.webhooks[0].name, "assign");
        assert_eq!(c.feed.webhooks[0].secret.expose(), "s3cret");
        assert!(
            !format!("{c:?}").contains("s3cret"),
            "secrets are never printed"
        );
        let err = load_with(Some(file), &[]).unwrap_err().to_string();
        assert!(
            err.contains("feed.webhooks") && err.contains("IA_SECRET"),
            "{err}"
        );
        let bad_url = file.replace("https://ia.example.go.th/praden", "ftp://x");
        let err = load_with(Some(&bad_url), &[("IA_SECRET", "s")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("http(s) url"), "{err}");
        // The checks every webhook list shares, the brief's and the feed's alike.
        let twice = format!("{file}{}", &file[file.find("[[feed.webhooks]]").unwrap()..]);
        let err = load_with(Some(&twice), &[("IA_SECRET", "s")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"assign\" is listed twice"), "{err}");
        let unknown = file.replace("secret_env", "secret");
        let err = load_with(Some(&unknown), &[("IA_SECRET", "s")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown key \"secret\""), "{err}");
    }

    #[test]
    fn brief_and_assignment_settings_load_with_webhooks_and_tokens_from_the_environment() {
        let c = load_with(None, &[]).unwrap();
        assert!(c.brief.enabled);
        assert_eq!(c.brief.schedule.expression(), "30 9 * * *");
        assert_eq!(c.brief.top_candidates, 10);
        assert!(c.brief.webhooks.is_empty());
        assert_eq!(c.assignment.message.sender_title, "ผู้อำนวยการสำนักข่าว");
        assert!(c.assignment.message.thai_digits);

        let file = "[brief]\nschedule = \"0 0 8 * * MON-FRI\"\ntop_candidates = 5\n\
                    [[brief.webhooks]]\nname = \"idchat\"\nkind = \"line\"\n\
                    url = \"https://api.line.me/v2/bot/message/push\"\nto = \"C0123\"\n\
                    token_env = \"LINE_TOKEN\"\n\
                    [[brief.webhooks]]\nname = \"archive\"\nkind = \"json\"\n\
                    url = \"http://127.0.0.1:9000/hook\"\n\
                    [assignment]\nsender_name = \"นายสมชาย ใจดี\"\nthai_digits = false\n";
        let c = load_with(Some(file), &[("LINE_TOKEN", "secret-token")]).unwrap();
        assert_eq!(c.brief.top_candidates, 5);
        assert_eq!(c.brief.webhooks.len(), 2);
        let line = &c.brief.webhooks[0];
        assert_eq!(
            (line.name.as_str(), line.kind, line.to.as_deref()),
            ("idchat", WebhookKind::Line, Some("C0123"))
        );
        assert_eq!(line.token.as_ref().unwrap().expose(), "secret-token");
        assert!(
            !format!("{c:?}").contains("secret-token"),
            "tokens are never printed"
        );
        assert_eq!(c.brief.webhooks[1].kind, WebhookKind::Json);
        assert_eq!(c.assignment.message.sender_name, "นายสมชาย ใจดี");
        assert!(!c.assignment.message.thai_digits);

        let env_hooks = "[{name = \"h\", kind = \"json\", url = \"http://127.0.0.1:1/x\"}]";
        let c = load_with(None, &[("PRADEN_BRIEF_WEBHOOKS", env_hooks)]).unwrap();
        assert_eq!(c.brief.webhooks[0].name, "h");
    }

    #[test]
    fn the_assignment_message_is_sent_at_1030_by_smtp_and_line_from_the_environment() {
        let c = load_with(None, &[]).unwrap();
        let a = &c.assignment;
        assert!(a.enabled);
        assert_eq!(a.schedule.expression(), "30 10 * * *");
        assert!(a.mail.is_none() && a.line.is_none(), "off until configured");
        assert_eq!(a.public_url, "http://127.0.0.1:8080");

        let file = "public_url = \"https://praden.prd.go.th/\"\n\
                    [mail]\nsmtp_host = \"smtp.prd.go.th\"\nsmtp_port = 465\nsmtp_tls = \"tls\"\n\
                    from = \"ศูนย์ประเด็น <issues@prd.go.th>\"\n\
                    [assignment]\nline_token_env = \"IA_LINE\"\n\
                    [[assignment.webhooks]]\nname = \"iachat\"\nkind = \"line\"\n\
                    url = \"https://api.line.me/v2/bot/message/push\"\nto = \"C-ia\"\n\
                    token_env = \"IA_LINE\"\n";
        let env = [
            ("IA_LINE", "line-secret"),
            ("PRADEN_SMTP_USERNAME", "issues"),
            ("PRADEN_SMTP_PASSWORD", "smtp-secret"),
        ];
        let c = load_with(Some(file), &env).unwrap();
        let a = &c.assignment;
        assert_eq!(a.public_url, "https://praden.prd.go.th");
        let mail = a.mail.as_ref().unwrap();
        assert_eq!((mail.port, mail.tls), (465, SmtpTls::Tls));
        assert_eq!(mail.credentials.as_ref().unwrap().1.expose(), "smtp-secret");
        assert_eq!(a.line.as_ref().unwrap().token.expose(), "line-secret");
        assert_eq!(a.webhooks[0].name, "iachat");
        let shown = format!("{c:?}");
        assert!(!shown.contains("smtp-secret") && !shown.contains("line-secret"));

        for (file, env, key) in [
            ("[mail]\nsmtp_host = \"h\"\n", &[][..], "mail.from"),
            (
                "[mail]\nsmtp_host = \"h\"\nfrom = \"a@b.test\"\nsmtp_tls = \"ssl\"\n",
                &[][..],
                "mail.smtp_tls",
            ),
            (
                "[mail]\nsmtp_host = \"h\"\nfrom = \"a@b.test\"\n",
                &[("PRADEN_SMTP_USERNAME", "u")][..],
                "mail.smtp_host",
            ),
            (
                "[assignment]\nline_token_env = \"UNSET\"\n",
                &[][..],
                "assignment.line_token_env",
            ),
            ("public_url = \"praden.local\"\n", &[][..], "public_url"),
            (
                "[assignment]\nschedule = \"30 10 * *\"\n",
                &[][..],
                "assignment.schedule",
            ),
        ] {
            let err = load_with(Some(file), env).unwrap_err().to_string();
            assert!(err.contains(key), "{file}: {err}");
        }
    }

    #[test]
    fn bad_brief_settings_name_the_key_and_the_reason() {
        let e = load_with(None, &[("PRADEN_BRIEF_SCHEDULE", "30 9 * * 1-5")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("brief.schedule") && e.contains("MON-FRI"), "{e}");
        let file = "[[brief.webhooks]]\nname = \"idchat\"\nkind = \"line\"\n\
                    url = \"https://api.line.me/v2/bot/message/push\"\nto = \"C1\"\n\
                    token_env = \"NO_SUCH_TOKEN_VAR\"\n";
        let e = load_with(Some(file), &[]).unwrap_err().to_string();
        assert!(
            e.contains("NO_SUCH_TOKEN_VAR") && e.contains("is not set"),
            "{e}"
        );
        let e = load_with(
            None,
            &[(
                "PRADEN_BRIEF_WEBHOOKS",
                "[{name = \"x\", kind = \"sms\", url = \"http://h/\"}]",
            )],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("kind must be"), "{e}");
        let e = load_with(None, &[("PRADEN_BRIEF_TOP_CANDIDATES", "-1")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("brief.top_candidates"), "{e}");
    }

    #[test]
    fn evidence_settings_default_to_local_and_fail_by_key() {
        let c = load_with(None, &[]).unwrap();
        assert_eq!(c.evidence, EvidenceConfig::default());
        assert_eq!((c.evidence.max_file_mb, c.evidence.max_issue_mb), (50, 200));
        let c = load_with(
            Some(
                "[evidence]\nstore = \"s3\"\ns3_bucket = \"praden\"\ns3_region = \"ap-southeast-1\"\n\
                 s3_endpoint = \"http://127.0.0.1:9000\"\nmax_file_mb = 10\n",
            ),
            &[],
        )
        .unwrap();
        let EvidenceBackend::S3(s3) = &c.evidence.store else {
            panic!("{:?}", c.evidence)
        };
        assert_eq!(s3.bucket, "praden");
        assert_eq!(c.evidence.max_file_mb, 10);
        let dir = tempfile::tempdir().unwrap();
        c.evidence
            .open(dir.path())
            .expect("S3 is only built, not reached");
        for (env, key) in [
            (
                vec![("PRADEN_EVIDENCE_MAX_FILE_MB", "0")],
                "evidence.max_file_mb",
            ),
            (
                vec![("PRADEN_EVIDENCE_MAX_FILE_MB", "lots")],
                "evidence.max_file_mb",
            ),
            (
                vec![("PRADEN_EVIDENCE_MAX_ISSUE_MB", "10")],
                "evidence.max_issue_mb",
            ),
            (vec![("PRADEN_EVIDENCE_STORE", "ftp")], "evidence.store"),
            (vec![("PRADEN_EVIDENCE_STORE", "s3")], "evidence.s3_bucket"),
            (
                vec![
                    ("PRADEN_EVIDENCE_STORE", "s3"),
                    ("PRADEN_EVIDENCE_S3_BUCKET", "b"),
                ],
                "evidence.s3_region",
            ),
            (
                vec![
                    ("PRADEN_EVIDENCE_STORE", "s3"),
                    ("PRADEN_EVIDENCE_S3_BUCKET", "b"),
                    ("PRADEN_EVIDENCE_S3_REGION", "r"),
                    ("PRADEN_EVIDENCE_S3_ENDPOINT", "minio:9000"),
                ],
                "evidence.s3_endpoint",
            ),
        ] {
            let e = load_with(None, &env).unwrap_err().to_string();
            assert!(e.contains(key), "{env:?}: {e}");
        }
    }

    #[test]
    fn kpi_settings_count_calendar_days_unless_a_holiday_file_is_named() {
        use praden_core::kpi::DeadlineDays;
        use time::macros::date;
        let c = load_with(None, &[]).unwrap();
        assert_eq!(
            (&c.kpi.days, c.kpi.target_percent),
            (&DeadlineDays::Calendar, None)
        );
        let dir = tempfile::tempdir().unwrap();
        let holidays = dir.path().join("holidays.txt");
        std::fs::write(&holidays, "# 2570\n2569-12-07 วันหยุดชดเชยวันพ่อ\n").unwrap();
        let file = holidays.to_str().unwrap();
        let c = load_with(
            None,
            &[
                ("PRADEN_KPI_DEADLINE_DAYS", "working"),
                ("PRADEN_KPI_HOLIDAYS_FILE", file),
                ("PRADEN_KPI_TARGET_PERCENT", "80"),
            ],
        )
        .unwrap();
        // Friday 4 Dec + 1 working day: Monday 7th is a holiday, so Tuesday 8th.
        assert_eq!(
            c.kpi.days.due(date!(2026 - 12 - 04), 1),
            date!(2026 - 12 - 08)
        );
        assert_eq!(c.kpi.target_percent, Some(80.0));
        assert!(c.kpi.rule_th.contains("holidays.txt"), "{}", c.kpi.rule_th);
        std::fs::write(&holidays, "2569-12-07\nวันหยุด\n").unwrap();
        let missing = dir.path().join("none.txt");
        for (env, key, why) in [
            (
                vec![("PRADEN_KPI_DEADLINE_DAYS", "weekdays")],
                "kpi.deadline_days",
                "calendar or working",
            ),
            (
                vec![("PRADEN_KPI_DEADLINE_DAYS", "working")],
                "kpi.holidays_file",
                "holiday calendar file",
            ),
            (
                vec![
                    ("PRADEN_KPI_DEADLINE_DAYS", "working"),
                    ("PRADEN_KPI_HOLIDAYS_FILE", file),
                ],
                "kpi.holidays_file",
                "line 2",
            ),
            (
                vec![
                    ("PRADEN_KPI_DEADLINE_DAYS", "working"),
                    ("PRADEN_KPI_HOLIDAYS_FILE", missing.to_str().unwrap()),
                ],
                "kpi.holidays_file",
                "readable",
            ),
            (
                vec![("PRADEN_KPI_TARGET_PERCENT", "120")],
                "kpi.target_percent",
                "0 to 100",
            ),
        ] {
            let e = load_with(None, &env).unwrap_err().to_string();
            assert!(e.contains(key) && e.contains(why), "{env:?}: {e}");
        }
    }
}
