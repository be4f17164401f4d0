//! sources.toml: the monitored sources. Validated as a whole at start, so a typo in one entry
//! stops the service with a message naming that entry instead of silently dropping a source.

use praden_core::SourceKind;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

pub const MIN_INTERVAL: Duration = Duration::from_secs(60);
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed: feed-rs tells them apart by their content.
    Rss,
    Atom,
    JsonFeed,
}

impl SourceFormat {
    const NAMES: &'static str = "rss, atom, jsonfeed";

    fn parse(s: &str) -> Option<Self> {
        match s {
            "rss" => Some(Self::Rss),
            "atom" => Some(Self::Atom),
            "jsonfeed" => Some(Self::JsonFeed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: String,
    pub name: String,
    pub kind: SourceKind,
    pub outlet: String,
    pub url: url::Url,
    pub format: SourceFormat,
    pub interval: Duration,
    pub enabled: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    source: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    outlet: Option<String>,
    url: Option<String>,
    format: Option<String>,
    interval: Option<String>,
    enabled: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Syntax { path: String, message: String },
    #[error("{path} has {} invalid entr{}:\n  {}", .problems.len(), if .problems.len() == 1 { "y" } else { "ies" }, .problems.join("\n  "))]
    Invalid { path: String, problems: Vec<String> },
}

pub fn load(path: &Path) -> Result<Vec<Source>, SourcesError> {
    let text = std::fs::read_to_string(path).map_err(|source| SourcesError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, &path.display().to_string())
}

/// Parses and validates sources.toml text; `path` only names the file in messages.
pub fn parse(text: &str, path: &str) -> Result<Vec<Source>, SourcesError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| SourcesError::Syntax {
        path: path.to_string(),
        message: e.to_string(),
    })?;
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut sources = Vec::new();
    for (i, r) in raw.source.into_iter().enumerate() {
        let label = match &r.id {
            Some(id) => format!("[[source]] #{} (id {id:?})", i + 1),
            None => format!("[[source]] #{}", i + 1),
        };
        match validate(r) {
            Ok(s) => {
                if !seen.insert(s.id.clone()) {
                    problems.push(format!("{label}: duplicate id; ids must be unique"));
                }
                sources.push(s);
            }
            Err(errs) => problems.extend(errs.into_iter().map(|e| format!("{label}: {e}"))),
        }
    }
    if problems.is_empty() {
        Ok(sources)
    } else {
        Err(SourcesError::Invalid {
            path: path.to_string(),
            problems,
        })
    }
}

fn validate(r: RawSource) -> Result<Source, Vec<String>> {
    let mut errs = Vec::new();
    let mut required = |v: Option<String>, key: &str| -> String {
        match v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
            Some(s) => s,
            None => {
                errs.push(format!("{key} is missing"));
                String::new()
            }
        }
    };
    let id = required(r.id, "id");
    let name = required(r.name, "name");
    let kind = required(r.kind, "kind");
    let outlet = required(r.outlet, "outlet");
    let url = required(r.url, "url");
    let format = required(r.format, "format");
    let interval = required(r.interval, "interval");

    if !id.is_empty()
        && !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        errs.push(format!(
            "id {id:?} must be lower-case ASCII letters, digits, '-' or '_'"
        ));
    }
    let kind = match kind.parse::<SourceKind>() {
        Ok(k) => Some(k),
        Err(e) if !kind.is_empty() => {
            errs.push(format!("kind: {e}"));
            None
        }
        Err(_) => None,
    };
    let parsed_url = match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
        Ok(_) => {
            errs.push(format!(
                "url {url:?} must be an http or https URL with a host"
            ));
            None
        }
        Err(e) if !url.is_empty() => {
            errs.push(format!("url {url:?} is not a URL: {e}"));
            None
        }
        Err(_) => None,
    };
    let format = match SourceFormat::parse(&format) {
        Some(f) => Some(f),
        None if !format.is_empty() => {
            errs.push(format!(
                "format {format:?} is not supported (expected one of: {})",
                SourceFormat::NAMES
            ));
            None
        }
        None => None,
    };
    let interval = match parse_duration(&interval) {
        Some(d) if (MIN_INTERVAL..=MAX_INTERVAL).contains(&d) => Some(d),
        Some(_) => {
            errs.push(format!("interval {interval:?} is out of range (1m to 24h)"));
            None
        }
        None if !interval.is_empty() => {
            errs.push(format!(
                "interval {interval:?} is not a duration (expected e.g. \"90s\", \"10m\", \"2h\")"
            ));
            None
        }
        None => None,
    };
    match (kind, parsed_url, format, interval) {
        (Some(kind), Some(url), Some(format), Some(interval)) if errs.is_empty() => Ok(Source {
            id,
            name,
            kind,
            outlet,
            url,
            format,
            interval,
            enabled: r.enabled.unwrap_or(true),
        }),
        _ => Err(errs),
    }
}

/// `90s`, `10m`, `2h`: a whole number and one unit.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let secs = match unit.trim() {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[source]]
id = "matichon"
name = "มติชนออนไลน์"
kind = "news"
outlet = "มติชน"
url = "https://www.matichon.co.th/feed"
format = "rss"
interval = "10m"

[[source]]
id = "thaigov"
name = "ข่าวทำเนียบรัฐบาล"
kind = "official"
outlet = "thaigov.go.th"
url = "https://www.thaigov.go.th/rss"
format = "rss"
interval = "1h"
enabled = false
"#;

    #[test]
    fn parses_valid_sources() {
        let s = parse(GOOD, "sources.toml").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].kind, SourceKind::News);
        assert_eq!(s[0].interval, Duration::from_secs(600));
        assert!(s[0].enabled);
        assert!(!s[1].enabled);
    }

    #[test]
    fn names_every_bad_entry_and_the_reason() {
        let bad = GOOD.replace("\"news\"", "\"tv\"").replace("\"1h\"", "\"5s\"")
            + "\n[[source]]\nid = \"matichon\"\nname = \"x\"\nkind = \"news\"\noutlet = \"x\"\nurl = \"ftp://x\"\nformat = \"rss\"\ninterval = \"1m\"\n";
        let err = parse(&bad, "sources.toml").unwrap_err().to_string();
        assert!(
            err.contains("#1 (id \"matichon\"): kind: unknown source kind \"tv\""),
            "{err}"
        );
        assert!(
            err.contains("#2 (id \"thaigov\"): interval \"5s\" is out of range"),
            "{err}"
        );
        assert!(
            err.contains("#3 (id \"matichon\"): url \"ftp://x\" must be an http or https URL"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_ids_and_unknown_keys_are_refused() {
        let dup = format!(
            "{GOOD}{}",
            GOOD.split("[[source]]")
                .nth(1)
                .map(|s| format!("[[source]]{s}"))
                .unwrap()
        );
        let err = parse(&dup, "sources.toml").unwrap_err().to_string();
        assert!(err.contains("#3 (id \"matichon\"): duplicate id"), "{err}");
        let typo = GOOD.replace("enabled = false", "enabeld = false");
        let err = parse(&typo, "sources.toml").unwrap_err().to_string();
        assert!(err.contains("enabeld"), "{err}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("3d"), None);
    }
}
