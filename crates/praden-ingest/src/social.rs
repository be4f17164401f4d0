//! `format = "json_api"`: any JSON API that lists posts (a platform's search endpoint, a
//! social-listening vendor's export), described entirely in sources.toml — where the items
//! are, which fields give id, text, author, time, URL and engagement, how to authenticate and
//! how to page.
//!
//! Paths are dotted keys from the top of the answer (for `items`) or of one item (for the
//! fields): `data.items`, `user.name`, `metrics.like_count`, with `[N]` to take element N of
//! an array (`media[0].caption`) and an optional trailing `[*]` on `items` (`data.items[*]`,
//! the same as `data.items`). `""` or `$` is the top itself (an API answering a bare array).
//! A key that itself contains a dot or a bracket cannot be named.

use crate::adapter::Context;
use crate::report::{ItemError, PollError, PollReport};
use crate::sources::Source;
use praden_core::social::{parse_post_time, Engagement, SocialPost};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// A dotted path into a JSON value (see the module documentation for the syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    steps: Vec<Step>,
}

impl JsonPath {
    /// Parses a path; `allow_all` accepts one trailing `[*]` (for `items`).
    pub fn parse(text: &str, allow_all: bool) -> Result<Self, String> {
        let trimmed = text.trim();
        let mut rest = trimmed.strip_prefix('$').unwrap_or(trimmed);
        rest = rest.strip_prefix('.').unwrap_or(rest);
        if allow_all {
            rest = rest.strip_suffix("[*]").unwrap_or(rest);
        }
        let mut steps = Vec::new();
        if !rest.is_empty() {
            for part in rest.split('.') {
                let (key, mut indexes) = match part.find('[') {
                    Some(i) => part.split_at(i),
                    None => (part, ""),
                };
                if key.is_empty() && (steps.is_empty() || indexes.is_empty()) && part.is_empty() {
                    return Err(format!("path {text:?} has an empty key"));
                }
                if !key.is_empty() {
                    steps.push(Step::Key(key.to_string()));
                }
                while !indexes.is_empty() {
                    let Some(close) = indexes.find(']') else {
                        return Err(format!("path {text:?} has an unclosed ["));
                    };
                    let inner = &indexes[1..close];
                    match inner.parse::<usize>() {
                        Ok(n) => steps.push(Step::Index(n)),
                        Err(_) if inner == "*" => {
                            return Err(format!("path {text:?}: [*] may only end the items path"))
                        }
                        Err(_) => {
                            return Err(format!("path {text:?}: [{inner}] is not an array index"))
                        }
                    }
                    indexes = &indexes[close + 1..];
                    if !indexes.is_empty() && !indexes.starts_with('[') {
                        return Err(format!("path {text:?}: expected [ or . after ]"));
                    }
                }
            }
        }
        Ok(Self {
            text: trimmed.to_string(),
            steps,
        })
    }

    pub fn get<'a>(&self, mut v: &'a Value) -> Option<&'a Value> {
        for step in &self.steps {
            v = match step {
                Step::Key(k) => v.get(k.as_str())?,
                Step::Index(i) => v.get(*i)?,
            };
        }
        Some(v).filter(|v| !v.is_null())
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// How the next page is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pagination {
    /// One request per poll.
    None,
    /// The answer holds a cursor (at `cursor`), sent back as the query parameter `param`; no
    /// cursor, an empty one or the same one again ends the poll.
    Cursor { cursor: JsonPath, param: String },
    /// The answer holds the URL of the next page (at `next_url`, relative or absolute).
    NextUrl { next_url: JsonPath },
    /// Pages numbered from `first` in the query parameter `param`; a page with no items ends
    /// the poll.
    Page { param: String, first: u64 },
}

/// A validated `[source.json_api]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonApiConfig {
    pub items: JsonPath,
    pub id: JsonPath,
    pub text: JsonPath,
    pub author: Option<JsonPath>,
    pub created_at: Option<JsonPath>,
    pub url: Option<JsonPath>,
    pub likes: Option<JsonPath>,
    pub shares: Option<JsonPath>,
    pub comments: Option<JsonPath>,
    pub views: Option<JsonPath>,
    /// The header that carries the credential and the environment variable holding its value
    /// (read at each poll, never logged, never written to the store).
    pub auth: Option<(String, String)>,
    pub pagination: Pagination,
    /// Pages fetched per poll at most.
    pub max_pages: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawJsonApi {
    items: Option<String>,
    id: Option<String>,
    text: Option<String>,
    author: Option<String>,
    created_at: Option<String>,
    url: Option<String>,
    likes: Option<String>,
    shares: Option<String>,
    comments: Option<String>,
    views: Option<String>,
    auth_header: Option<String>,
    auth_env: Option<String>,
    cursor: Option<String>,
    cursor_param: Option<String>,
    next_url: Option<String>,
    page_param: Option<String>,
    first_page: Option<u64>,
    max_pages: Option<usize>,
}

const DEFAULT_MAX_PAGES: usize = 5;
const MAX_MAX_PAGES: usize = 100;

/// Validates `[source.json_api]`, adding each problem (named `json_api.KEY`) to `errs`.
pub(crate) fn validate(raw: RawJsonApi, errs: &mut Vec<String>) -> Option<JsonApiConfig> {
    let before = errs.len();
    let mut path = |v: Option<String>, key: &str, required: bool, allow_all: bool| match v {
        Some(text) => match JsonPath::parse(&text, allow_all) {
            Ok(p) => Some(p),
            Err(e) => {
                errs.push(format!("json_api.{key}: {e}"));
                None
            }
        },
        None => {
            if required {
                errs.push(format!(
                    "json_api.{key} (the path of the {key} field) is missing"
                ));
            }
            None
        }
    };
    let items = path(raw.items, "items", true, true);
    let id = path(raw.id, "id", true, false);
    let text = path(raw.text, "text", true, false);
    let author = path(raw.author, "author", false, false);
    let created_at = path(raw.created_at, "created_at", false, false);
    let url = path(raw.url, "url", false, false);
    let likes = path(raw.likes, "likes", false, false);
    let shares = path(raw.shares, "shares", false, false);
    let comments = path(raw.comments, "comments", false, false);
    let views = path(raw.views, "views", false, false);
    let cursor = path(raw.cursor, "cursor", false, false);
    let next_url = path(raw.next_url, "next_url", false, false);

    let auth = match (raw.auth_header, raw.auth_env) {
        (None, None) => None,
        (Some(header), Some(env)) => {
            let header_ok =
                reqwest::header::HeaderName::from_bytes(header.trim().as_bytes()).is_ok();
            let env_ok =
                !env.is_empty() && env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !header_ok {
                errs.push(format!(
                    "json_api.auth_header {header:?} is not an HTTP header name"
                ));
            }
            if !env_ok {
                errs.push(format!(
                    "json_api.auth_env {env:?} is not an environment variable name (letters, digits, _)"
                ));
            }
            (header_ok && env_ok).then(|| (header.trim().to_string(), env))
        }
        (Some(_), None) => {
            errs.push("json_api.auth_header needs json_api.auth_env (the environment variable holding the value)".into());
            None
        }
        (None, Some(_)) => {
            errs.push(
                "json_api.auth_env needs json_api.auth_header (the header to send it in)".into(),
            );
            None
        }
    };
    let param_ok = |p: &str| !p.trim().is_empty();
    let pagination = match (cursor, raw.cursor_param, next_url, raw.page_param) {
        (None, None, None, None) => Some(Pagination::None),
        (Some(cursor), Some(param), None, None) if param_ok(&param) => {
            Some(Pagination::Cursor { cursor, param })
        }
        (None, None, Some(next_url), None) => Some(Pagination::NextUrl { next_url }),
        (None, None, None, Some(param)) if param_ok(&param) => Some(Pagination::Page {
            param,
            first: raw.first_page.unwrap_or(1),
        }),
        _ => {
            errs.push(
                "json_api pagination: give either cursor and cursor_param, or next_url, or page_param (and optionally first_page)"
                    .into(),
            );
            None
        }
    };
    if raw.first_page.is_some() && !matches!(pagination, Some(Pagination::Page { .. })) {
        errs.push("json_api.first_page is only for page_param pagination".into());
    }
    let max_pages = raw.max_pages.unwrap_or(DEFAULT_MAX_PAGES);
    if !(1..=MAX_MAX_PAGES).contains(&max_pages) {
        errs.push(format!(
            "json_api.max_pages {max_pages} is out of range (1 to {MAX_MAX_PAGES})"
        ));
    }
    if errs.len() > before {
        return None;
    }
    Some(JsonApiConfig {
        items: items?,
        id: id?,
        text: text?,
        author,
        created_at,
        url,
        likes,
        shares,
        comments,
        views,
        auth,
        pagination: pagination?,
        max_pages,
    })
}

/// One page of an API's answer, read.
#[derive(Debug)]
pub struct Page {
    pub posts: Vec<Result<SocialPost, ItemError>>,
    /// Where the next page is, if the pagination rule says there is one.
    pub next: Option<url::Url>,
}

#[derive(Debug, thiserror::Error)]
pub enum SocialError {
    #[error("{url}: the answer is not JSON: {reason}")]
    NotJson { url: String, reason: String },
    #[error("{url}: no array of items at {path:?}")]
    NoItems { url: String, path: String },
    #[error("source {source_id}: the environment variable {var} (json_api.auth_env) is not set")]
    MissingCredential { source_id: String, var: String },
    #[error(
        "source {source_id}: the environment variable {var} does not hold a valid header value"
    )]
    BadCredential { source_id: String, var: String },
}

/// A text field: strings as they are, numbers written out (ids are often numbers).
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()).filter(|s| !s.trim().is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A count: a number, or a string of digits with optional thousands separators ("1,234").
fn count_of(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f.round() as i64)
            })
            .ok_or_else(|| format!("{n} is not a count")),
        Value::String(s) => s
            .trim()
            .replace([',', '_', ' '], "")
            .parse::<i64>()
            .map_err(|_| format!("{s:?} is not a count")),
        other => Err(format!("{other} is not a count")),
    }
}

/// Reads one item with the configured paths.
pub fn read_post(
    config: &JsonApiConfig,
    item: &Value,
    position: usize,
    now: OffsetDateTime,
) -> Result<SocialPost, ItemError> {
    let id = config.id.get(item).and_then(text_of);
    let err = |reason: String| ItemError {
        position,
        what: id.clone().unwrap_or_default(),
        reason,
    };
    let Some(id_text) = id.clone() else {
        return Err(err(format!("no id at {:?}", config.id.as_str())));
    };
    let Some(text) = config.text.get(item).and_then(text_of) else {
        return Err(err(format!("no text at {:?}", config.text.as_str())));
    };
    let optional_text =
        |p: &Option<JsonPath>| p.as_ref().and_then(|p| p.get(item)).and_then(text_of);
    let created_at = match config.created_at.as_ref().and_then(|p| p.get(item)) {
        Some(v) => Some(parse_post_time(v, now).map_err(|e| {
            err(format!(
                "created_at at {:?}: {e}",
                config
                    .created_at
                    .as_ref()
                    .map(JsonPath::as_str)
                    .unwrap_or_default()
            ))
        })?),
        None => None,
    };
    let count = |p: &Option<JsonPath>, name: &str| -> Result<Option<i64>, ItemError> {
        match p.as_ref().and_then(|p| p.get(item)) {
            None => Ok(None),
            Some(v) => count_of(v)
                .map(Some)
                .map_err(|e| err(format!("{name}: {e}"))),
        }
    };
    let engagement = Engagement {
        likes: count(&config.likes, "likes")?,
        shares: count(&config.shares, "shares")?,
        comments: count(&config.comments, "comments")?,
        views: count(&config.views, "views")?,
    };
    Ok(SocialPost {
        id: id_text,
        text,
        author: optional_text(&config.author),
        created_at,
        url: optional_text(&config.url),
        engagement,
    })
}

/// Reads one page: its posts, and the URL of the next page by the pagination rule.
/// `page_number` is the number of the page just read (for page pagination).
pub fn read_page(
    config: &JsonApiConfig,
    url: &url::Url,
    bytes: &[u8],
    page_number: u64,
    now: OffsetDateTime,
) -> Result<Page, SocialError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: Value = serde_json::from_slice(body).map_err(|e| SocialError::NotJson {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    let Some(Value::Array(items)) = config.items.get(&value) else {
        return Err(SocialError::NoItems {
            url: url.to_string(),
            path: config.items.as_str().to_string(),
        });
    };
    let posts: Vec<_> = items
        .iter()
        .enumerate()
        .map(|(i, item)| read_post(config, item, i + 1, now))
        .collect();
    let next = match &config.pagination {
        Pagination::None => None,
        Pagination::Cursor { cursor, param } => cursor
            .get(&value)
            .and_then(text_of)
            .filter(|c| {
                url.query_pairs()
                    .all(|(k, v)| k != param.as_str() || v != c.as_str())
            })
            .map(|c| with_param(url, param, &c)),
        Pagination::NextUrl { next_url } => next_url
            .get(&value)
            .and_then(text_of)
            .and_then(|n| url.join(&n).ok())
            .filter(|n| n != url),
        Pagination::Page { param, .. } if !items.is_empty() => {
            Some(with_param(url, param, &(page_number + 1).to_string()))
        }
        Pagination::Page { .. } => None,
    };
    Ok(Page { posts, next })
}

/// The first page's URL: the configured one, with the first page number for page pagination.
pub fn first_page_url(config: &JsonApiConfig, url: &url::Url) -> (url::Url, u64) {
    match &config.pagination {
        Pagination::Page { param, first } => (with_param(url, param, &first.to_string()), *first),
        _ => (url.clone(), 0),
    }
}

/// `url` with the query parameter `name` set to `value` (replacing any earlier value).
fn with_param(url: &url::Url, name: &str, value: &str) -> url::Url {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut out = url.clone();
    out.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(name, value);
    out
}

/// Fetches up to `max_pages` pages, stores the posts not stored yet, and records every
/// post's engagement as an observation at this poll's time (new and known posts alike:
/// that is the time series). A page that fails after the first ends the poll with what
/// was read so far; an item that cannot be read is skipped and recorded.
pub(crate) async fn poll(
    cx: &Context,
    source: &Source,
    config: &JsonApiConfig,
) -> Result<PollReport, PollError> {
    let headers = match &config.auth {
        Some((header, var)) => {
            let value = std::env::var(var).map_err(|_| SocialError::MissingCredential {
                source_id: source.id.clone(),
                var: var.clone(),
            })?;
            let mut value = reqwest::header::HeaderValue::from_str(value.trim()).map_err(|_| {
                SocialError::BadCredential {
                    source_id: source.id.clone(),
                    var: var.clone(),
                }
            })?;
            value.set_sensitive(true);
            vec![(header.clone(), value)]
        }
        None => Vec::new(),
    };
    let now = OffsetDateTime::now_utc();
    let (mut url, mut page_number) = first_page_url(config, &source.url);
    let mut report = PollReport::default();
    let mut posts = Vec::new();
    for page_index in 0..config.max_pages {
        let fetched = cx
            .fetch_politely_with(source, &url, &Default::default(), &headers)
            .await;
        let bytes = match fetched {
            Ok(crate::fetch::Fetched::Body { bytes, .. }) => bytes,
            Ok(crate::fetch::Fetched::NotModified) => break,
            Err(e) if page_index == 0 => return Err(e.into()),
            Err(e) => {
                tracing::warn!(source = %source.id, error = %e, "a later page failed; keeping the pages read");
                report.skipped.push(ItemError {
                    position: 0,
                    what: url.to_string(),
                    reason: e.to_string(),
                });
                break;
            }
        };
        // Parsed on the parse pool, within its budget (serde_json limits the nesting).
        let (owned, page_url) = (config.clone(), url.clone());
        let job = crate::budget::Job::new(&source.id, format!("the answer of {url}"));
        let parsed = cx
            .parse_pool()
            .run(job, move |budget| {
                budget.check_size(&bytes)?;
                Ok(read_page(&owned, &page_url, &bytes, page_number, now))
            })
            .await
            .map_err(PollError::from)
            .and_then(|page| page.map_err(PollError::from));
        let page = match parsed {
            Ok(p) => p,
            Err(e) if page_index == 0 => return Err(e),
            Err(e) => {
                report.skipped.push(ItemError {
                    position: 0,
                    what: url.to_string(),
                    reason: e.to_string(),
                });
                break;
            }
        };
        let before = report.found;
        report.found += page.posts.len();
        for post in page.posts {
            match post {
                Ok(p) => posts.push(p),
                Err(mut e) => {
                    // Positions count across pages, so a failure names one item.
                    e.position += before;
                    tracing::warn!(source = %source.id, error = %e, "post skipped");
                    report.skipped.push(e);
                }
            }
        }
        match page.next {
            Some(next) => {
                url = next;
                page_number += 1;
            }
            None => break,
        }
    }
    store_posts(cx, source, &source.outlet, &posts, now, &mut report).await?;
    Ok(report)
}

/// Stores posts as documents (new ones only) and their engagement as observations at
/// `observed_at`, for posts new and already stored.
async fn store_posts(
    cx: &Context,
    source: &Source,
    outlet: &str,
    posts: &[SocialPost],
    observed_at: OffsetDateTime,
    report: &mut PollReport,
) -> Result<(), PollError> {
    let mut observed = Vec::with_capacity(posts.len());
    for (i, p) in posts.iter().enumerate() {
        match p.to_document(&source.id, outlet, observed_at) {
            Ok(doc) => observed.push(crate::sink::ObservedPost {
                doc,
                engagement: p.engagement,
                observed_at,
            }),
            Err(e) => report.skipped.push(ItemError {
                position: i + 1,
                what: p.id.clone(),
                reason: e.to_string(),
            }),
        }
    }
    let written = cx.sink().write_posts(&observed).await?;
    report.new += written.inserted.len();
    report.already_stored += written.existing;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn config(extra: &str) -> JsonApiConfig {
        let text = format!(
            "items = \"data.items[*]\"\nid = \"id\"\ntext = \"text\"\nauthor = \"user.name\"\n\
             created_at = \"created_at\"\nurl = \"link\"\nlikes = \"metrics.likes\"\n\
             shares = \"metrics.shares\"\ncomments = \"metrics.replies[0]\"\nviews = \"views\"\n{extra}"
        );
        let raw: RawJsonApi = toml::from_str(&text).unwrap();
        let mut errs = Vec::new();
        let c = validate(raw, &mut errs);
        assert!(errs.is_empty(), "{errs:?}");
        c.unwrap()
    }

    const NOW: OffsetDateTime = datetime!(2024-03-05 05:00 UTC);

    #[test]
    fn paths() {
        let v: Value = serde_json::json!({"a": {"b": [{"c": 1}, {"c": "x"}]}, "top": [1]});
        let p = |s: &str| JsonPath::parse(s, false).unwrap();
        assert_eq!(p("a.b[1].c").get(&v), Some(&Value::from("x")));
        assert_eq!(p("$.a.b[0].c").get(&v), Some(&Value::from(1)));
        assert_eq!(p("a.missing").get(&v), None);
        assert_eq!(p("").get(&v), Some(&v));
        assert_eq!(
            JsonPath::parse("top[*]", true).unwrap().get(&v),
            v.get("top")
        );
        assert!(JsonPath::parse("top[*]", false)
            .unwrap_err()
            .contains("[*]"));
        assert!(JsonPath::parse("a[x]", false)
            .unwrap_err()
            .contains("not an array index"));
        assert!(JsonPath::parse("a..b", false)
            .unwrap_err()
            .contains("empty key"));
        assert!(JsonPath::parse("a[1", false)
            .unwrap_err()
            .contains("unclosed"));
    }

    #[test]
    fn reads_posts_with_the_configured_fields() {
        let c = config("");
        let body = serde_json::json!({"data": {"items": [
            {"id": 17, "text": "ค่าไฟแพงมากกกก 😭 #ค่าไฟ", "user": {"name": "ป้าแดง"},
             "created_at": "2024-03-05T10:15:00+07:00", "link": "https://x.example/17",
             "metrics": {"likes": 120, "shares": "1,204", "replies": [7]}, "views": 9000.0},
            {"id": "18", "text": "  "},
            {"text": "ไม่มีไอดี"},
            {"id": "19", "text": "วันที่ผิด", "created_at": "พรุ่งนี้ตอนไหนก็ไม่รู้"},
            {"id": "20", "text": "นับไม่ได้", "metrics": {"likes": "many"}}
        ]}});
        let url = url::Url::parse("https://api.example/posts").unwrap();
        let page = read_page(&c, &url, body.to_string().as_bytes(), 0, NOW).unwrap();
        assert_eq!(page.posts.len(), 5);
        let p = page.posts[0].as_ref().unwrap();
        assert_eq!(p.id, "17");
        assert_eq!(p.author.as_deref(), Some("ป้าแดง"));
        assert_eq!(p.created_at, Some(datetime!(2024-03-05 03:15 UTC)));
        assert_eq!(
            p.engagement,
            Engagement {
                likes: Some(120),
                shares: Some(1204),
                comments: Some(7),
                views: Some(9000)
            }
        );
        let reasons: Vec<String> = page.posts[1..]
            .iter()
            .map(|r| r.as_ref().unwrap_err().to_string())
            .collect();
        assert!(
            reasons[0].contains("item 2 (18): no text at \"text\""),
            "{reasons:?}"
        );
        assert!(reasons[1].contains("no id at \"id\""), "{reasons:?}");
        assert!(reasons[2].contains("(19): created_at"), "{reasons:?}");
        assert!(
            reasons[3].contains("(20): likes: \"many\" is not a count"),
            "{reasons:?}"
        );
        assert!(page.next.is_none());
    }

    #[test]
    fn pagination_by_cursor_next_url_and_page() {
        let url = url::Url::parse(
            "https://api.example/posts?q=%E0%B8%84%E0%B9%88%E0%B8%B2%E0%B9%84%E0%B8%9F",
        )
        .unwrap();
        let one = |cursor: &str| {
            serde_json::json!({"data": {"items": [{"id": 1, "text": "x"}]}, "meta": {"next": cursor}, "links": {"next": "/posts?after=9"}})
                .to_string()
        };
        let c = config("cursor = \"meta.next\"\ncursor_param = \"cursor\"");
        let page = read_page(&c, &url, one("abc").as_bytes(), 0, NOW).unwrap();
        let next = page.next.unwrap();
        assert_eq!(
            next.query_pairs().find(|(k, _)| k == "cursor").unwrap().1,
            "abc"
        );
        assert!(
            next.query_pairs().any(|(k, _)| k == "q"),
            "other parameters are kept"
        );
        // The same cursor again would loop: it ends the poll.
        assert!(read_page(&c, &next, one("abc").as_bytes(), 0, NOW)
            .unwrap()
            .next
            .is_none());
        assert!(read_page(&c, &url, one("").as_bytes(), 0, NOW)
            .unwrap()
            .next
            .is_none());

        let c = config("next_url = \"links.next\"");
        let page = read_page(&c, &url, one("").as_bytes(), 0, NOW).unwrap();
        assert_eq!(
            page.next.unwrap().as_str(),
            "https://api.example/posts?after=9"
        );

        let c = config("page_param = \"page\"\nfirst_page = 0");
        let (first, n) = first_page_url(&c, &url);
        assert_eq!((first.query().unwrap().ends_with("page=0"), n), (true, 0));
        let page = read_page(&c, &first, one("").as_bytes(), n, NOW).unwrap();
        assert!(page.next.unwrap().as_str().ends_with("page=1"));
        let empty = serde_json::json!({"data": {"items": []}}).to_string();
        assert!(read_page(&c, &first, empty.as_bytes(), n, NOW)
            .unwrap()
            .next
            .is_none());
    }

    #[test]
    fn a_page_without_items_or_json_fails_the_page() {
        let c = config("");
        let url = url::Url::parse("https://api.example/posts").unwrap();
        let e = read_page(&c, &url, b"<html>", 0, NOW)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not JSON"), "{e}");
        let e = read_page(&c, &url, br#"{"data": {"items": {}}}"#, 0, NOW)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no array of items at \"data.items[*]\""), "{e}");
        // A byte-order mark is not an error.
        let ok = "\u{feff}{\"data\": {\"items\": []}}";
        assert!(read_page(&c, &url, ok.as_bytes(), 0, NOW).is_ok());
    }

    #[test]
    fn bad_tables_name_the_key() {
        let check = |text: &str| {
            let raw: RawJsonApi = toml::from_str(text).unwrap();
            let mut errs = Vec::new();
            assert!(validate(raw, &mut errs).is_none());
            errs.join("\n")
        };
        let e = check("items = \"a\"\ntext = \"t\"");
        assert!(
            e.contains("json_api.id (the path of the id field) is missing"),
            "{e}"
        );
        let e = check("items = \"a\"\nid = \"i\"\ntext = \"t\"\nauth_header = \"Authorization\"");
        assert!(
            e.contains("json_api.auth_header needs json_api.auth_env"),
            "{e}"
        );
        let e = check("items = \"a\"\nid = \"i\"\ntext = \"t\"\nauth_header = \"Bad Header\"\nauth_env = \"X-Y\"");
        assert!(
            e.contains("auth_header \"Bad Header\" is not an HTTP header name"),
            "{e}"
        );
        assert!(
            e.contains("auth_env \"X-Y\" is not an environment variable name"),
            "{e}"
        );
        let e =
            check("items = \"a\"\nid = \"i\"\ntext = \"t\"\ncursor = \"c\"\npage_param = \"p\"");
        assert!(e.contains("json_api pagination"), "{e}");
        let e = check("items = \"a\"\nid = \"i\"\ntext = \"t\"\nmax_pages = 0");
        assert!(e.contains("max_pages 0 is out of range"), "{e}");
    }
}
