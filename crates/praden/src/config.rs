//! Typed, layered configuration: built-in defaults, then `praden.toml` (or `--config FILE`),
//! then `PRADEN_*` environment variables. Every value is checked at start; a bad one stops
//! praden with one line naming the key, the value, where it came from and what is expected.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
}

#[derive(Debug, Clone)]
pub struct DetectConfig {
    /// Run the detector inside `praden serve` (off for a search-only server).
    pub enabled: bool,
    /// Stories are built from documents published in this many hours before now.
    pub window_hours: u32,
    /// A rejected story comes back when it reaches this many times its size at rejection.
    pub regrowth_factor: f64,
}

#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Requests in flight at once over all sources.
    pub max_concurrent: usize,
    /// The least time between two requests to one host.
    pub host_gap: Duration,
}

#[derive(Debug, Clone)]
pub struct IndexConfig {
    pub commit_docs: usize,
    pub commit_interval: Duration,
    pub writer_memory_mb: usize,
}

impl Config {
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
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
];

/// The raw value of each key and where it came from.
type Layers = BTreeMap<&'static str, (String, String)>;

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
        Self::from_layers(layers)
    }

    fn from_layers(layers: Layers) -> Result<Self, ConfigError> {
        let get = |key: &'static str| layers.get(key).map(|(v, o)| (v.as_str(), o.as_str()));
        let invalid = |key: &'static str, expected: &str| {
            let (value, origin) = get(key).unwrap_or(("", "nowhere"));
            ConfigError::Invalid {
                key,
                value: value.to_string(),
                origin: origin.to_string(),
                expected: expected.to_string(),
            }
        };
        let text = |key| {
            get(key)
                .map(|(v, _)| v.trim().to_string())
                .unwrap_or_default()
        };

        let data_dir = PathBuf::from(text("data_dir"));
        if data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "a directory path"));
        }
        let database_url = match get("database_url") {
            Some((v, _)) => {
                let v = v.trim();
                if !(v.starts_with("sqlite:")
                    || v.starts_with("postgres://")
                    || v.starts_with("postgresql://"))
                {
                    return Err(invalid(
                        "database_url",
                        "sqlite://PATH or postgres://USER@HOST/DB",
                    ));
                }
                v.to_string()
            }
            None => format!("sqlite://{}", data_dir.join("praden.db").display()),
        };
        let listen = text("listen")
            .parse()
            .map_err(|_| invalid("listen", "an address and port such as 127.0.0.1:8080"))?;
        // Thailand keeps UTC+7 all year; deadlines and the 09:30 brief are Bangkok time, so
        // this is checked rather than configurable.
        if !matches!(
            text("time_zone").as_str(),
            "Asia/Bangkok" | "UTC+7" | "+07:00"
        ) {
            return Err(invalid(
                "time_zone",
                "Asia/Bangkok (the only zone praden works in)",
            ));
        }
        let sources_file = PathBuf::from(text("sources"));
        let contact = text("contact");
        if contact.is_empty() || contact.chars().any(|c| c.is_control()) {
            return Err(invalid(
                "contact",
                "a URL or e-mail address for the User-Agent",
            ));
        }
        let number = |key, lo: usize, hi: usize| {
            text(key)
                .parse::<usize>()
                .ok()
                .filter(|n| (lo..=hi).contains(n))
                .ok_or_else(|| invalid(key, &format!("a whole number from {lo} to {hi}")))
        };
        let commit_interval =
            praden_ingest::sources::parse_duration(&text("index.commit_interval"))
                .filter(|d| (Duration::from_secs(1)..=Duration::from_secs(3600)).contains(d))
                .ok_or_else(|| {
                    invalid(
                        "index.commit_interval",
                        "a duration from 1s to 1h, e.g. \"2s\"",
                    )
                })?;
        let host_gap = praden_ingest::sources::parse_duration(&text("ingest.host_gap"))
            .filter(|d| *d <= Duration::from_secs(60))
            .ok_or_else(|| invalid("ingest.host_gap", "a duration from 0s to 60s, e.g. \"1s\""))?;
        Ok(Self {
            data_dir,
            database_url,
            listen,
            sources_file,
            contact,
            index: IndexConfig {
                commit_docs: number("index.commit_docs", 1, 1_000_000)?,
                commit_interval,
                writer_memory_mb: number("index.writer_memory_mb", 32, 4096)?,
            },
            ingest: IngestConfig {
                max_concurrent: number("ingest.max_concurrent", 1, 256)?,
                host_gap,
            },
            detect: DetectConfig {
                enabled: match text("detect.enabled").as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(invalid("detect.enabled", "true or false")),
                },
                window_hours: number("detect.window_hours", 1, 24 * 14)? as u32,
                regrowth_factor: text("detect.regrowth_factor")
                    .parse::<f64>()
                    .ok()
                    .filter(|f| (1.0..=100.0).contains(f))
                    .ok_or_else(|| {
                        invalid("detect.regrowth_factor", "a number from 1.0 to 100.0, e.g. 2.0")
                    })?,
            },
        })
    }
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
    fn unknown_keys_and_broken_files_are_refused() {
        let e = load_with(Some("listne = \"x\"\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown key \"listne\""), "{e}");
        let e = load_with(Some("listen = \n"), &[]).unwrap_err().to_string();
        assert!(e.contains("not valid TOML"), "{e}");
    }
}
