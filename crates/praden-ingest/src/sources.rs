//! sources.toml: the monitored sources. Validated as a whole at start, so a typo in one entry
//! stops the service with a message naming that entry instead of silently dropping a source.

use praden_core::SourceKind;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

/// The shortest `interval` or `min_interval` a source may ask for. Sub-minute polling is for
/// hot outlets that say so explicitly: a poll of an unchanged feed costs the outlet a 304, and
/// every request still waits for the per-host gap and the host's one request in flight.
pub const MIN_INTERVAL: Duration = Duration::from_secs(15);
/// Feed sources: item pages fetched per poll when `max_article_fetches` is not given. A
/// teaser feed of thousands of items is read over several polls instead of one poll of hours
/// that stores nothing until it ends.
pub const DEFAULT_MAX_ARTICLE_FETCHES: usize = 20;
pub const MAX_ARTICLE_FETCHES: usize = 1000;
/// How far the scheduler may shorten an interval on its own (`default_bounds`): a source
/// that gives no `min_interval` is never polled more than once a minute.
pub const DEFAULT_MIN_INTERVAL_FLOOR: Duration = Duration::from_secs(60);
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed: feed-rs tells them apart by their content.
    Rss,
    Atom,
    JsonFeed,
    /// An HTML listing page: article links picked by CSS selectors, each article page fetched
    /// and read with the selectors of `[source.html]`.
    Html,
    /// A JSON API of social posts, read with the paths of `[source.json_api]`.
    JsonApi,
    /// Broadcast transcripts (WebVTT, SRT, plain text with sidecar JSON) from a watched
    /// directory (`[source.transcripts] dir`) or an HTTP listing at `url`.
    Transcripts,
}

impl SourceFormat {
    const NAMES: &'static str = "rss, atom, jsonfeed, html, json_api, transcripts";

    /// rss, atom and jsonfeed: the formats whose items link to pages with the full text.
    pub fn is_feed(self) -> bool {
        self.feed_format().is_some()
    }

    /// The feed flavour of a feed format.
    pub fn feed_format(self) -> Option<FeedFormat> {
        match self {
            Self::Rss => Some(FeedFormat::Rss),
            Self::Atom => Some(FeedFormat::Atom),
            Self::JsonFeed => Some(FeedFormat::JsonFeed),
            Self::Html | Self::JsonApi | Self::Transcripts => None,
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "rss" => Some(Self::Rss),
            "atom" => Some(Self::Atom),
            "jsonfeed" => Some(Self::JsonFeed),
            "html" => Some(Self::Html),
            "json_api" => Some(Self::JsonApi),
            "transcripts" => Some(Self::Transcripts),
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
    pub interval: Duration,
    /// Bounds for the adapted interval: the scheduler polls more often while the source
    /// publishes a lot and less often while it is quiet, but never outside these.
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub enabled: bool,
    /// Lets this source's fetches reach private, loopback and link-local addresses (an
    /// intranet feed; the tests' 127.0.0.1 server). Off by default: a feed's redirect must not
    /// become a request into our own network.
    pub allow_private_network: bool,
    /// The format and what it alone takes: a source's format and its settings cannot
    /// disagree.
    pub params: SourceParams,
}

/// A source's format with the settings only that format takes, validated at load.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceParams {
    /// `rss`, `atom` or `jsonfeed`, and when item pages are fetched for the full text.
    Feed(FeedParams),
    /// `html`: the selectors of `[source.html]`.
    Html(HtmlSelectors),
    /// `json_api`: the field paths, auth and pagination of `[source.json_api]`.
    JsonApi(Box<crate::social::JsonApiConfig>),
    /// `transcripts`: the directory (or, without one, the listing at `url`) and segment rule
    /// of `[source.transcripts]`. A directory source's `url` is the directory's `file://` URL.
    Transcripts(crate::transcript::TranscriptsConfig),
}

/// The feed formats: feed-rs tells RSS, Atom and JSON Feed apart by their content, so the
/// flavour only names the source and picks the parse budget's check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    Rss,
    Atom,
    JsonFeed,
}

impl FeedFormat {
    pub fn source_format(self) -> SourceFormat {
        match self {
            Self::Rss => SourceFormat::Rss,
            Self::Atom => SourceFormat::Atom,
            Self::JsonFeed => SourceFormat::JsonFeed,
        }
    }
}

/// What a feed source (`rss`, `atom`, `jsonfeed`) takes beside its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedParams {
    pub format: FeedFormat,
    /// When to fetch an item's page for its full text (`fetch_article`).
    pub fetch_article: FetchArticle,
    /// The CSS selector of the article text on an item's page (`[source.html] body`);
    /// without it the generic main-text rule reads the page.
    pub article_body: Option<String>,
    /// Item pages fetched per poll at most; new items beyond it wait for the next poll
    /// (`max_article_fetches`, 1 to 1000, default 20).
    pub max_article_fetches: usize,
}

impl FeedParams {
    /// A feed of `format` with the defaults of a sources.toml entry that gives no options.
    pub fn new(format: FeedFormat) -> Self {
        Self {
            format,
            fetch_article: FetchArticle::default(),
            article_body: None,
            max_article_fetches: DEFAULT_MAX_ARTICLE_FETCHES,
        }
    }
}

impl Source {
    /// The format's name, as sources.toml gives it.
    pub fn format(&self) -> SourceFormat {
        match &self.params {
            SourceParams::Feed(feed) => feed.format.source_format(),
            SourceParams::Html(_) => SourceFormat::Html,
            SourceParams::JsonApi(_) => SourceFormat::JsonApi,
            SourceParams::Transcripts(_) => SourceFormat::Transcripts,
        }
    }

    /// The feed options of a feed source.
    pub fn feed(&self) -> Option<&FeedParams> {
        match &self.params {
            SourceParams::Feed(feed) => Some(feed),
            _ => None,
        }
    }

    /// The selectors of an html source.
    pub fn html(&self) -> Option<&HtmlSelectors> {
        match &self.params {
            SourceParams::Html(sel) => Some(sel),
            _ => None,
        }
    }

    /// The `[source.json_api]` table of a json_api source.
    pub fn json_api(&self) -> Option<&crate::social::JsonApiConfig> {
        match &self.params {
            SourceParams::JsonApi(config) => Some(config.as_ref()),
            _ => None,
        }
    }

    /// The `[source.transcripts]` table of a transcripts source.
    pub fn transcripts(&self) -> Option<&crate::transcript::TranscriptsConfig> {
        match &self.params {
            SourceParams::Transcripts(config) => Some(config),
            _ => None,
        }
    }
}

/// Whether a feed item's page is fetched for its full text. Many Thai feeds carry only a
/// teaser in `<description>`; the page is where the story is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FetchArticle {
    /// Only for items that carry a summary alone: no full content (`content:encoded`, Atom
    /// `content`) and a description shorter than `feed::SUMMARY_ONLY_BELOW_CHARS`.
    #[default]
    Auto,
    /// For every new item with a link (feeds whose "content" is a teaser too).
    Always,
    /// Never: the feed's text is all there is (or the outlet asks us not to).
    Never,
}

impl FetchArticle {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(Self::Auto),
            "always" => Some(Self::Always),
            "never" => Some(Self::Never),
            _ => None,
        }
    }
}

/// CSS selectors for an HTML source; title, body and date fall back to generic extraction
/// (`<h1>`/`og:title`, the largest block of paragraphs, `article:published_time`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlSelectors {
    /// On the listing page: the article links (`a` elements, or elements holding one).
    pub item_link: String,
    pub title: Option<String>,
    pub body: Option<String>,
    pub date: Option<String>,
    /// Article pages fetched per poll at most (new ones only): politeness to the outlet.
    pub max_items: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHtml {
    item_link: Option<String>,
    title: Option<String>,
    body: Option<String>,
    date: Option<String>,
    max_items: Option<usize>,
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
    min_interval: Option<String>,
    max_interval: Option<String>,
    enabled: Option<bool>,
    allow_private_network: Option<bool>,
    html: Option<RawHtml>,
    json_api: Option<crate::social::RawJsonApi>,
    transcripts: Option<crate::transcript::RawTranscripts>,
    fetch_article: Option<String>,
    max_article_fetches: Option<i64>,
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
    // A watched directory of transcripts needs no URL.
    let dir_source = r.format.as_deref().map(str::trim) == Some("transcripts")
        && r.transcripts.as_ref().is_some_and(|t| t.dir().is_some());
    let url = if dir_source && r.url.is_none() {
        String::new()
    } else {
        required(r.url, "url")
    };
    let format = required(r.format, "format");
    let interval = required(r.interval, "interval");

    if !id.is_empty() && !valid_source_id(&id) {
        errs.push(format!("id {id:?}: {SOURCE_ID_RULE}"));
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
            errs.push(format!(
                "interval {interval:?} is out of range (15s to 24h)"
            ));
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
    let (fetch_article, max_article_fetches) = feed_options(
        r.fetch_article.as_deref(),
        r.max_article_fetches,
        format,
        &mut errs,
    );
    let (html, article_body) = html_options(r.html, format, &mut errs);
    let json_api = match (format, r.json_api) {
        (Some(SourceFormat::JsonApi), Some(raw)) => crate::social::validate(raw, &mut errs),
        (Some(SourceFormat::JsonApi), None) => {
            errs.push(
                "format \"json_api\" needs a [source.json_api] table with items, id and text"
                    .into(),
            );
            None
        }
        (_, Some(_)) => {
            errs.push("[source.json_api] is only for format = \"json_api\"".into());
            None
        }
        (_, None) => None,
    };
    let transcripts = match (format, r.transcripts) {
        (Some(SourceFormat::Transcripts), raw) => {
            crate::transcript::validate(raw.unwrap_or_default(), &mut errs)
        }
        (_, Some(_)) => {
            errs.push("[source.transcripts] is only for format = \"transcripts\"".into());
            None
        }
        (_, None) => None,
    };
    let parsed_url = match (&transcripts, parsed_url) {
        (Some(crate::transcript::TranscriptsConfig { dir: Some(dir), .. }), u) => {
            if u.is_some() {
                errs.push("give either url (an HTTP listing of transcripts) or transcripts.dir (a watched directory), not both".into());
            }
            url::Url::from_directory_path(dir).ok()
        }
        (_, u) => u,
    };
    let bounds = interval.and_then(|interval| {
        interval_bounds(interval, &r.min_interval, &r.max_interval, &mut errs)
    });
    // Each format keeps only its own table; a table of another format was refused above.
    let params = format.and_then(|format| match format {
        SourceFormat::Rss | SourceFormat::Atom | SourceFormat::JsonFeed => {
            format.feed_format().map(|format| {
                SourceParams::Feed(FeedParams {
                    format,
                    fetch_article,
                    article_body,
                    max_article_fetches,
                })
            })
        }
        SourceFormat::Html => html.map(SourceParams::Html),
        SourceFormat::JsonApi => json_api.map(|c| SourceParams::JsonApi(Box::new(c))),
        SourceFormat::Transcripts => transcripts.map(SourceParams::Transcripts),
    });
    match (kind, parsed_url, params, interval, bounds) {
        (
            Some(kind),
            Some(url),
            Some(params),
            Some(interval),
            Some((min_interval, max_interval)),
        ) if errs.is_empty() => Ok(Source {
            id,
            name,
            kind,
            outlet,
            url,
            interval,
            min_interval,
            max_interval,
            enabled: r.enabled.unwrap_or(true),
            allow_private_network: r.allow_private_network.unwrap_or(false),
            params,
        }),
        _ => Err(errs),
    }
}

/// `fetch_article` and `max_article_fetches`, which only feed formats take.
fn feed_options(
    fetch_article: Option<&str>,
    max_article_fetches: Option<i64>,
    format: Option<SourceFormat>,
    errs: &mut Vec<String>,
) -> (FetchArticle, usize) {
    let is_feed = format.is_some_and(SourceFormat::is_feed);
    let fetch_article = match fetch_article.map(str::trim) {
        None => FetchArticle::Auto,
        Some(v) if !is_feed && format.is_some() => {
            errs.push(format!(
                "fetch_article {v:?} is only for feed formats (rss, atom, jsonfeed)"
            ));
            FetchArticle::Never
        }
        Some(v) => FetchArticle::parse(v).unwrap_or_else(|| {
            errs.push(format!(
                "fetch_article {v:?} is not one of \"auto\", \"always\", \"never\""
            ));
            FetchArticle::Auto
        }),
    };
    let max_article_fetches = match max_article_fetches {
        None => DEFAULT_MAX_ARTICLE_FETCHES,
        Some(_) if !is_feed && format.is_some() => {
            errs.push(
                "max_article_fetches is only for feed formats (rss, atom, jsonfeed); an html source has html.max_items".into(),
            );
            DEFAULT_MAX_ARTICLE_FETCHES
        }
        Some(n) if (1..=MAX_ARTICLE_FETCHES as i64).contains(&n) => n as usize,
        Some(n) => {
            errs.push(format!(
                "max_article_fetches = {n} is out of range (1 to {MAX_ARTICLE_FETCHES}; use fetch_article = \"never\" to fetch no pages)"
            ));
            DEFAULT_MAX_ARTICLE_FETCHES
        }
    };
    (fetch_article, max_article_fetches)
}

/// `[source.html]`: an html source's selectors, or a feed source's article-body selector.
fn html_options(
    html: Option<RawHtml>,
    format: Option<SourceFormat>,
    errs: &mut Vec<String>,
) -> (Option<HtmlSelectors>, Option<String>) {
    let is_feed = format.is_some_and(SourceFormat::is_feed);
    let mut article_body = None;
    let html = match (format, html) {
        // A feed source's [source.html] names only where an item's page holds its text.
        (Some(_), Some(h)) if is_feed => {
            for (present, key) in [
                (h.item_link.is_some(), "item_link"),
                (h.title.is_some(), "title"),
                (h.date.is_some(), "date"),
                (h.max_items.is_some(), "max_items"),
            ] {
                if present {
                    errs.push(format!(
                        "html.{key} is only for format = \"html\"; a feed source's [source.html] takes body alone"
                    ));
                }
            }
            if let Some(v) = h.body {
                let problem = scraper::Selector::parse(&v).err().map(|e| e.to_string());
                match problem {
                    None => article_body = Some(v),
                    Some(e) => errs.push(format!("html.body {v:?} is not a CSS selector: {e}")),
                }
            }
            None
        }
        (Some(SourceFormat::Html), Some(h)) => {
            let mut selector = |v: Option<String>, key: &str| {
                let v = v?;
                let problem = scraper::Selector::parse(&v).err().map(|e| e.to_string());
                match problem {
                    None => Some(v),
                    Some(e) => {
                        errs.push(format!("html.{key} {v:?} is not a CSS selector: {e}"));
                        None
                    }
                }
            };
            let item_link = selector(h.item_link, "item_link");
            let title = selector(h.title, "title");
            let body = selector(h.body, "body");
            let date = selector(h.date, "date");
            match item_link {
                Some(item_link) => Some(HtmlSelectors {
                    item_link,
                    title,
                    body,
                    date,
                    max_items: h.max_items.unwrap_or(20).clamp(1, 200),
                }),
                None => {
                    errs.push(
                        "html.item_link (the CSS selector of the article links) is missing".into(),
                    );
                    None
                }
            }
        }
        (Some(SourceFormat::Html), None) => {
            errs.push("format \"html\" needs a [source.html] table with item_link".into());
            None
        }
        (_, Some(_)) => {
            errs.push(
                "[source.html] is only for format = \"html\" (or body alone, for a feed)".into(),
            );
            None
        }
        (_, None) => None,
    };
    (html, article_body)
}

/// `min_interval` and `max_interval` (defaults around `interval`), which must enclose it.
fn interval_bounds(
    interval: Duration,
    min_interval: &Option<String>,
    max_interval: &Option<String>,
    errs: &mut Vec<String>,
) -> Option<(Duration, Duration)> {
    let (min, max) = default_bounds(interval);
    let mut bound = |v: &Option<String>, key: &str, default: Duration| match v.as_deref() {
        None => Some(default),
        Some(text) => match parse_duration(text) {
            Some(d) if (MIN_INTERVAL..=MAX_INTERVAL).contains(&d) => Some(d),
            Some(_) => {
                errs.push(format!("{key} {text:?} is out of range (15s to 24h)"));
                None
            }
            None => {
                errs.push(format!(
                    "{key} {text:?} is not a duration (expected e.g. \"90s\", \"10m\", \"2h\")"
                ));
                None
            }
        },
    };
    let min = bound(min_interval, "min_interval", min);
    let max = bound(max_interval, "max_interval", max);
    match (min, max) {
        (Some(min), Some(max)) if min <= interval && interval <= max => Some((min, max)),
        (Some(min), Some(max)) => {
            errs.push(format!(
                "min_interval ({}s) <= interval ({}s) <= max_interval ({}s) does not hold",
                min.as_secs(),
                interval.as_secs(),
                max.as_secs()
            ));
            None
        }
        _ => None,
    }
}

/// The adaptation bounds when sources.toml gives none: down to half the configured interval
/// (an outlet having a busy day) but not below a minute unless the interval itself is
/// shorter, and up to four times it (a quiet night), at most 24h.
pub fn default_bounds(interval: Duration) -> (Duration, Duration) {
    (
        (interval / 2).max(DEFAULT_MIN_INTERVAL_FLOOR).min(interval),
        (interval * 4).min(MAX_INTERVAL).max(interval),
    )
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

/// What a source id may be, for a message.
pub const SOURCE_ID_RULE: &str =
    "lower-case ASCII letters, digits, '-' or '_', at most 64 characters";

/// A source id — of sources.toml or of a push (`?source=`): it names the source in the
/// store, in logs and in URLs, so it is short and plain.
pub fn valid_source_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {

    #[test]
    fn source_ids_are_short_and_plain_wherever_they_come_from() {
        assert!(valid_source_id("wisesight-push"));
        assert!(valid_source_id(&"a".repeat(64)));
        assert!(!valid_source_id(&"a".repeat(65)));
        assert!(!valid_source_id(""));
        assert!(!valid_source_id("Vendor"));
        assert!(!valid_source_id("a/b"));
    }

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
        assert!(!s[0].allow_private_network);
        assert_eq!(
            (s[0].min_interval, s[0].max_interval),
            (Duration::from_secs(300), Duration::from_secs(2400))
        );
        assert_eq!(
            (s[1].min_interval, s[1].max_interval),
            (Duration::from_secs(1800), Duration::from_secs(4 * 3600))
        );
    }

    #[test]
    fn interval_bounds_and_private_network() {
        let text = GOOD.replacen(
            "interval = \"10m\"",
            "interval = \"10m\"\nmin_interval = \"2m\"\nmax_interval = \"1h\"\nallow_private_network = true",
            1,
        );
        let s = parse(&text, "sources.toml").unwrap();
        assert_eq!(
            (s[0].min_interval, s[0].max_interval),
            (Duration::from_secs(120), Duration::from_secs(3600))
        );
        assert!(s[0].allow_private_network);
        let bad = GOOD.replacen(
            "interval = \"10m\"",
            "interval = \"10m\"\nmin_interval = \"20m\"",
            1,
        );
        let err = parse(&bad, "sources.toml").unwrap_err().to_string();
        assert!(
            err.contains("min_interval (1200s) <= interval (600s)"),
            "{err}"
        );
        let bad = GOOD.replacen(
            "interval = \"10m\"",
            "interval = \"10m\"\nmax_interval = \"2d\"",
            1,
        );
        let err = parse(&bad, "sources.toml").unwrap_err().to_string();
        assert!(
            err.contains("max_interval \"2d\" is not a duration"),
            "{err}"
        );
    }

    #[test]
    fn hot_sources_may_ask_for_sub_minute_intervals_down_to_15s() {
        let with = |lines: &str| GOOD.replacen("interval = \"10m\"", lines, 1);
        let s = parse(
            &with("interval = \"30s\"\nmin_interval = \"15s\""),
            "sources.toml",
        )
        .unwrap();
        assert_eq!(
            (s[0].interval, s[0].min_interval, s[0].max_interval),
            (
                Duration::from_secs(30),
                Duration::from_secs(15),
                Duration::from_secs(120)
            )
        );
        // Without a min_interval the scheduler does not go below the interval asked for…
        let s = parse(&with("interval = \"30s\""), "sources.toml").unwrap();
        assert_eq!(s[0].min_interval, Duration::from_secs(30));
        // …nor below a minute for a source that did not ask for sub-minute polling.
        let s = parse(&with("interval = \"1m\""), "sources.toml").unwrap();
        assert_eq!(
            (s[0].min_interval, s[0].max_interval),
            (Duration::from_secs(60), Duration::from_secs(240))
        );
        for (lines, key) in [
            ("interval = \"10s\"", "interval \"10s\""),
            (
                "interval = \"30s\"\nmin_interval = \"14s\"",
                "min_interval \"14s\"",
            ),
        ] {
            let err = parse(&with(lines), "sources.toml").unwrap_err().to_string();
            assert!(
                err.contains(&format!("{key} is out of range (15s to 24h)")),
                "{err}"
            );
        }
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
    fn html_sources_need_valid_selectors() {
        let html = GOOD.replacen("format = \"rss\"", "format = \"html\"", 1).replacen(
            "interval = \"10m\"",
            "interval = \"10m\"\n[source.html]\nitem_link = \"ul.news a\"\nbody = \"div.content p\"",
            1,
        );
        let s = parse(&html, "sources.toml").unwrap();
        assert_eq!(s[0].format(), SourceFormat::Html);
        let sel = s[0].html().unwrap();
        assert_eq!(sel.item_link, "ul.news a");
        assert_eq!(sel.body.as_deref(), Some("div.content p"));
        assert_eq!((sel.title.as_deref(), sel.max_items), (None, 20));

        let bad = html.replace("ul.news a", "ul..news[");
        let err = parse(&bad, "sources.toml").unwrap_err().to_string();
        assert!(
            err.contains("html.item_link \"ul..news[\" is not a CSS selector"),
            "{err}"
        );
        let missing = GOOD.replacen("format = \"rss\"", "format = \"html\"", 1);
        let err = parse(&missing, "sources.toml").unwrap_err().to_string();
        assert!(err.contains("needs a [source.html] table"), "{err}");
        let stray = html.replacen("format = \"html\"", "format = \"rss\"", 1);
        let err = parse(&stray, "sources.toml").unwrap_err().to_string();
        assert!(err.contains("only for format = \"html\""), "{err}");
    }

    #[test]
    fn feed_sources_choose_when_article_pages_are_fetched() {
        let s = parse(GOOD, "sources.toml").unwrap();
        let feed = s[0].feed().unwrap();
        assert_eq!(feed.fetch_article, FetchArticle::Auto);
        assert_eq!(feed.article_body, None);
        let always = GOOD.replacen(
            "interval = \"10m\"",
            "interval = \"10m\"\nfetch_article = \"always\"\n[source.html]\nbody = \"div.entry p\"",
            1,
        );
        let s = parse(&always, "sources.toml").unwrap();
        let feed = s[0].feed().unwrap();
        assert_eq!(feed.fetch_article, FetchArticle::Always);
        assert_eq!(feed.article_body.as_deref(), Some("div.entry p"));
        assert_eq!(s[0].html(), None);
        let err = parse(&always.replace("always", "sometimes"), "sources.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("fetch_article \"sometimes\" is not one of"),
            "{err}"
        );
        let err = parse(&always.replace("div.entry p", "div..p["), "sources.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("html.body \"div..p[\" is not a CSS selector"),
            "{err}"
        );
        let listing = always.replacen("body = ", "item_link = \"a\"\nbody = ", 1);
        let err = parse(&listing, "sources.toml").unwrap_err().to_string();
        assert!(
            err.contains("a feed source's [source.html] takes body alone"),
            "{err}"
        );
        let not_a_feed = always.replacen("format = \"rss\"", "format = \"transcripts\"", 1);
        let err = parse(&not_a_feed, "sources.toml").unwrap_err().to_string();
        assert!(
            err.contains("fetch_article \"always\" is only for feed formats"),
            "{err}"
        );
    }

    #[test]
    fn article_fetches_per_poll_are_capped() {
        let s = parse(GOOD, "sources.toml").unwrap();
        assert_eq!(
            s[0].feed().unwrap().max_article_fetches,
            DEFAULT_MAX_ARTICLE_FETCHES
        );
        let with = |line: &str| {
            GOOD.replacen(
                "interval = \"10m\"",
                &format!("interval = \"10m\"\n{line}"),
                1,
            )
        };
        let s = parse(&with("max_article_fetches = 5"), "sources.toml").unwrap();
        assert_eq!(s[0].feed().unwrap().max_article_fetches, 5);
        for bad in ["0", "-3", "1001"] {
            let err = parse(
                &with(&format!("max_article_fetches = {bad}")),
                "sources.toml",
            )
            .unwrap_err()
            .to_string();
            assert!(
                err.contains(&format!(
                    "max_article_fetches = {bad} is out of range (1 to 1000"
                )),
                "{err}"
            );
        }
        let html = with("max_article_fetches = 5\n[source.html]\nitem_link = \"a\"").replacen(
            "format = \"rss\"",
            "format = \"html\"",
            1,
        );
        let err = parse(&html, "sources.toml").unwrap_err().to_string();
        assert!(
            err.contains("max_article_fetches is only for feed formats"),
            "{err}"
        );
    }

    #[test]
    fn json_api_and_transcript_sources() {
        let base = "[[source]]\nid = \"s\"\nname = \"s\"\nkind = \"social\"\noutlet = \"x\"\ninterval = \"5m\"\n";
        let api = format!(
            "{base}url = \"https://api.example/posts\"\nformat = \"json_api\"\n[source.json_api]\n\
             items = \"data[*]\"\nid = \"id\"\ntext = \"text\"\nauth_header = \"Authorization\"\n\
             auth_env = \"VENDOR_TOKEN\"\ncursor = \"meta.next\"\ncursor_param = \"cursor\"\n"
        );
        let s = parse(&api, "sources.toml").unwrap();
        assert_eq!(s[0].format(), SourceFormat::JsonApi);
        let c = s[0].json_api().unwrap();
        assert_eq!(
            c.auth,
            Some(("Authorization".into(), "VENDOR_TOKEN".into()))
        );
        assert_eq!(c.max_pages, 5);
        let err = parse(&api.replace("id = \"id\"\n", ""), "sources.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("#1 (id \"s\"): json_api.id (the path of the id field) is missing"),
            "{err}"
        );
        let err = parse(
            api.split("[source.json_api]").next().unwrap(),
            "sources.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("needs a [source.json_api] table"), "{err}");

        let dir = format!("{base}format = \"transcripts\"\n[source.transcripts]\ndir = \"/srv/radio\"\nsegment_gap = \"45s\"\n");
        let s = parse(&dir, "sources.toml").unwrap();
        let t = s[0].transcripts().unwrap();
        assert_eq!(t.dir.as_deref(), Some(Path::new("/srv/radio")));
        assert_eq!(t.segment_gap, Duration::from_secs(45));
        assert_eq!(s[0].url.as_str(), "file:///srv/radio/");
        let both = dir.replace("format =", "url = \"https://a.example/list\"\nformat =");
        let err = parse(&both, "sources.toml").unwrap_err().to_string();
        assert!(
            err.contains("either url (an HTTP listing of transcripts) or transcripts.dir"),
            "{err}"
        );
        let listing = format!("{base}url = \"https://a.example/list\"\nformat = \"transcripts\"\n");
        let s = parse(&listing, "sources.toml").unwrap();
        assert_eq!(s[0].transcripts().unwrap().dir, None);
        let err = parse(
            &listing.replace("https://a.example/list", ""),
            "sources.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("url is missing"), "{err}");
        let err = parse(&dir.replace("45s", "0s"), "sources.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("transcripts.segment_gap \"0s\" is out of range"),
            "{err}"
        );
        let stray = format!("{api}[source.transcripts]\ndir = \"/x\"\n");
        let err = parse(&stray, "sources.toml").unwrap_err().to_string();
        assert!(
            err.contains("[source.transcripts] is only for format = \"transcripts\""),
            "{err}"
        );
    }

    #[test]
    fn each_format_gets_its_own_parameters_and_no_other_formats_table() {
        let base = "[[source]]\nid = \"s\"\nname = \"s\"\nkind = \"news\"\noutlet = \"x\"\ninterval = \"5m\"\n";
        let with = |format: &str, rest: &str| {
            format!("{base}url = \"https://a.example/x\"\nformat = \"{format}\"\n{rest}")
        };
        let api_table = "[source.json_api]\nitems = \"data\"\nid = \"id\"\ntext = \"text\"\n";
        let cases = [
            ("rss", ""),
            ("atom", ""),
            ("jsonfeed", ""),
            ("html", "[source.html]\nitem_link = \"a\"\n"),
            ("json_api", api_table),
            ("transcripts", ""),
        ];
        for (name, rest) in cases {
            let s = parse(&with(name, rest), "sources.toml").unwrap().remove(0);
            assert_eq!(s.format(), SourceFormat::parse(name).unwrap(), "{name}");
            let ok = match (&s.params, name) {
                (SourceParams::Feed(f), "rss") => f.format == FeedFormat::Rss,
                (SourceParams::Feed(f), "atom") => f.format == FeedFormat::Atom,
                (SourceParams::Feed(f), "jsonfeed") => *f == FeedParams::new(FeedFormat::JsonFeed),
                (SourceParams::Html(sel), "html") => sel.item_link == "a",
                (SourceParams::JsonApi(c), "json_api") => c.text.as_str() == "text",
                (SourceParams::Transcripts(t), "transcripts") => t.dir.is_none(),
                _ => false,
            };
            assert!(ok, "{name}: {:?}", s.params);
        }
        // Another format's table is refused with the message it always had, so a source
        // whose format and settings disagree is never built.
        for (name, table, message) in [
            (
                "rss",
                api_table,
                "[source.json_api] is only for format = \"json_api\"",
            ),
            (
                "atom",
                "[source.transcripts]\nsegment_gap = \"30s\"\n",
                "[source.transcripts] is only for format = \"transcripts\"",
            ),
            (
                "json_api",
                "[source.html]\nitem_link = \"a\"\n",
                "[source.html] is only for format = \"html\" (or body alone, for a feed)",
            ),
        ] {
            let text = with(name, table);
            let err = parse(&text, "sources.toml").unwrap_err().to_string();
            assert!(err.contains(&format!("#1 (id \"s\"): {message}")), "{err}");
        }
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
