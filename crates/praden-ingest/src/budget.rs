//! CPU-heavy work of a poll — parsing HTML pages, feeds, transcripts and JSON answers, and
//! the Thai segmentation of near-duplicate fingerprints — runs off the async runtime, on
//! tokio's blocking threads behind a semaphore, under a time and size budget. The async
//! worker threads only wait for the result: a hostile page (a million nested `<div>`s once
//! kept html5ever busy for minutes and, with two such sources, blocked both worker threads and
//! `/healthz`) can cost one poll, never the server.
//!
//! A blocking thread cannot be stopped from outside, so the budget is enforced twice: the
//! awaiting side gives up after `timeout` (the poll fails, naming the source and the budget),
//! and the input is bounded before any parser sees it — a byte cap, and a cheap linear
//! pre-scan of markup that refuses nesting deeper than `max_depth` (html5ever's tree building
//! costs time proportional to the depth for each tag, so depth is what turns a big page into
//! hours). A job that times out keeps its pool slot until it really ends, so runaway parses can
//! never take more than `workers` threads.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The limits on one parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseBudget {
    /// How long a poll waits for one parse once it has a pool slot.
    pub timeout: Duration,
    /// The largest input handed to a parser (after decoding to UTF-8).
    pub max_bytes: usize,
    /// The deepest element nesting a page or feed may have. Real pages stay under 100; 1,024
    /// leaves room for the odd generated page and keeps html5ever's per-tag cost small.
    pub max_depth: usize,
    /// Parses running at once. The default leaves one core to the async runtime.
    pub workers: usize,
}

impl Default for ParseBudget {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            timeout: Duration::from_secs(20),
            // Below the fetch cap (15 MB): a news page is well under 1 MB, a big feed a few.
            max_bytes: 8 << 20,
            max_depth: 1024,
            workers: cores.saturating_sub(1).clamp(1, 4),
        }
    }
}

/// What was being parsed, for messages: "the feed", "the listing page", "the page <url>".
#[derive(Debug, Clone)]
pub struct Job {
    pub source: String,
    pub what: String,
}

impl Job {
    pub fn new(source: &str, what: impl Into<String>) -> Self {
        Self {
            source: source.to_string(),
            what: what.into(),
        }
    }
}

impl std::fmt::Display for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} of source {:?}", self.what, self.source)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ParseError {
    #[error("{job} is {bytes} bytes, over the parse budget of {limit} bytes; not parsed")]
    TooLarge {
        job: Job,
        bytes: usize,
        limit: usize,
    },
    #[error("{job} nests elements deeper than the parse budget of {limit} levels; not parsed")]
    TooDeep { job: Job, limit: usize },
    #[error("parsing {job} took longer than the parse budget of {}s; abandoned", .after.as_secs_f64())]
    TimedOut { job: Job, after: Duration },
    #[error("parsing {job} failed: the parser panicked")]
    Panicked { job: Job },
}

/// Why a job refused its input before parsing it (the pool adds which job it was).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    TooLarge { bytes: usize },
    TooDeep,
}

/// The bounded pool. Cloning shares it.
#[derive(Clone)]
pub struct ParsePool {
    budget: ParseBudget,
    slots: Arc<Semaphore>,
}

impl ParsePool {
    pub fn new(budget: ParseBudget) -> Self {
        Self {
            budget,
            slots: Arc::new(Semaphore::new(budget.workers.max(1))),
        }
    }

    pub fn budget(&self) -> &ParseBudget {
        &self.budget
    }

    /// Runs `work` on a blocking thread once a slot is free, and waits for it at most the
    /// budget's timeout. `work` gets the budget, to refuse its input with `check_size` and
    /// `check_markup` before parsing.
    pub async fn run<T, F>(&self, job: Job, work: F) -> Result<T, ParseError>
    where
        T: Send + 'static,
        F: FnOnce(&ParseBudget) -> Result<T, Refusal> + Send + 'static,
    {
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the parse pool's semaphore is never closed");
        let budget = self.budget;
        let handle = tokio::task::spawn_blocking(move || {
            // Held until the work really ends, timed out or not.
            let _slot = slot;
            work(&budget)
        });
        match tokio::time::timeout(budget.timeout, handle).await {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(Refusal::TooLarge { bytes }))) => Err(ParseError::TooLarge {
                job,
                bytes,
                limit: budget.max_bytes,
            }),
            Ok(Ok(Err(Refusal::TooDeep))) => Err(ParseError::TooDeep {
                job,
                limit: budget.max_depth,
            }),
            Ok(Err(_)) => Err(ParseError::Panicked { job }),
            Err(_) => Err(ParseError::TimedOut {
                job,
                after: budget.timeout,
            }),
        }
    }
}

impl ParseBudget {
    pub fn check_size(&self, bytes: &[u8]) -> Result<(), Refusal> {
        if bytes.len() > self.max_bytes {
            return Err(Refusal::TooLarge { bytes: bytes.len() });
        }
        Ok(())
    }

    /// The size check, then the nesting pre-scan of HTML or XML text.
    pub fn check_markup(&self, text: &[u8], markup: Markup) -> Result<(), Refusal> {
        self.check_size(text)?;
        if nesting_exceeds(text, markup, self.max_depth) {
            return Err(Refusal::TooDeep);
        }
        Ok(())
    }
}

/// How `/>` and HTML's special elements are read by the pre-scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    /// As html5ever reads it: void elements, raw-text elements, end tags that may be left out,
    /// and `/>` closing an element only in SVG and MathML.
    Html,
    /// `/>` closes every element; no element is special.
    Xml,
}

/// More attributes than this on one tag count as too deep (see `nesting_exceeds`).
const MAX_ATTRIBUTES: usize = 1024;

/// HTML elements that never have content.
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
    "keygen", "link", "meta", "param", "source", "track", "wbr",
];
/// Elements whose content is text up to their end tag (a `<` inside is not a tag).
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];
/// Elements whose end tag may be left out: the parser closes one when the next starts (a new
/// `<p>` closes the open one, a `<li>` the previous item), so repeating them never nests deep.
/// They are not counted, and neither are their end tags.
const AUTO_CLOSED: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "rb", "rt", "rtc", "rp",
    "thead", "tbody", "tfoot", "colgroup", "caption", "head", "body", "html",
];

/// Whether `text` (HTML or XML) opens elements more than `limit` deep. Linear: one pass, each
/// end tag closes through the innermost open element of its name (found through a count per
/// name, so a stray end tag costs nothing), as a parser would. It errs towards counting: a
/// `<div/>` in HTML opens a `<div>`, as html5ever reads it, except inside `<svg>`/`<math>`.
pub fn nesting_exceeds(text: &[u8], markup: Markup, limit: usize) -> bool {
    let html = markup == Markup::Html;
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut open: HashMap<Vec<u8>, usize> = HashMap::new();
    // The depth at which an `<svg>` or `<math>` was opened: inside, `/>` closes an element.
    let mut foreign_at: Option<usize> = None;
    let mut i = 0;
    let n = text.len();
    let find = |from: usize, needle: &[u8]| -> Option<usize> {
        text.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| from + p)
    };
    while let Some(p) = text[i..].iter().position(|&b| b == b'<') {
        let at = i + p;
        let rest = &text[at..];
        if rest.starts_with(b"<!--") {
            i = find(at + 4, b"-->").map_or(n, |e| e + 3);
            continue;
        }
        if rest.starts_with(b"<![CDATA[") {
            i = find(at + 9, b"]]>").map_or(n, |e| e + 3);
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            i = find(at + 2, b">").map_or(n, |e| e + 1);
            continue;
        }
        let closing = rest.starts_with(b"</");
        let name_start = at + if closing { 2 } else { 1 };
        if !text.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            i = at + 1;
            continue;
        }
        let name_end = text[name_start..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>')
            .map_or(n, |e| name_start + e);
        let name = text[name_start..name_end].to_ascii_lowercase();
        // The end of the tag, skipping quoted attribute values (a quote opens one only
        // after `=`, as a parser reads it).
        let mut j = name_end;
        let mut quote = None;
        let mut after_equals = false;
        // Attribute-like runs in the tag: html5ever checks each new attribute against the
        // tag's earlier ones, so 100,000 of them on one tag take minutes. Counted as depth.
        let mut attributes = 0usize;
        let mut in_space = true;
        while j < n {
            let c = text[j];
            match quote {
                None if c == b'>' => break,
                None if (c == b'"' || c == b'\'') && after_equals => quote = Some(c),
                Some(q) if c == q => quote = None,
                _ => {}
            }
            if quote.is_none() {
                if !c.is_ascii_whitespace() {
                    after_equals = c == b'=';
                    if in_space && c != b'=' {
                        attributes += 1;
                    }
                }
                in_space = c.is_ascii_whitespace();
            }
            j += 1;
        }
        if attributes > MAX_ATTRIBUTES {
            return true;
        }
        let self_closing = j > name_end && text[j - 1] == b'/';
        i = (j + 1).min(n);
        let local = name.rsplit(|b| *b == b':').next().unwrap_or(&name).to_vec();
        if closing {
            if let Some(count) = open.get_mut(&name).filter(|c| **c > 0) {
                *count -= 1;
                while let Some(top) = stack.pop() {
                    if top == name {
                        break;
                    }
                    if let Some(c) = open.get_mut(&top) {
                        *c -= 1;
                    }
                }
                if foreign_at.is_some_and(|d| stack.len() <= d) {
                    foreign_at = None;
                }
            }
            continue;
        }
        let s = std::str::from_utf8(&local).unwrap_or("");
        let foreign = foreign_at.is_some() || !html;
        if (self_closing && foreign) || (html && (VOID.contains(&s) || AUTO_CLOSED.contains(&s))) {
            continue;
        }
        if RAW_TEXT.contains(&s) && !foreign {
            // Skip to the matching end tag, compared without case.
            let mut k = i;
            i = n;
            while let Some(e) = find(k, b"</") {
                let candidate = text.get(e + 2..e + 2 + name.len());
                if candidate.is_some_and(|c| c.eq_ignore_ascii_case(&name)) {
                    i = e;
                    break;
                }
                k = e + 2;
            }
            continue;
        }
        if self_closing && !foreign && is_xml_like(&name) {
            continue;
        }
        if html && matches!(s, "svg" | "math") && foreign_at.is_none() {
            foreign_at = Some(stack.len());
        }
        *open.entry(name.clone()).or_default() += 1;
        stack.push(name);
        if stack.len() > limit {
            return true;
        }
    }
    false
}

/// A prefixed name (`content:encoded`, `dc:date`, `media:content`) is XML, where `/>` closes
/// the element; an HTML parser never sees such names outside foreign content.
fn is_xml_like(name: &[u8]) -> bool {
    name.contains(&b':')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A "must finish" bound for waits that should end at once; never a timing assertion.
    const MUST_FINISH: Duration = Duration::from_secs(60);

    fn pool(timeout: Duration, workers: usize) -> ParsePool {
        ParsePool::new(ParseBudget {
            timeout,
            workers,
            ..ParseBudget::default()
        })
    }

    /// On a runtime with a single thread, a parse that blocks until the async side has done
    /// its own work can only finish if the parse runs elsewhere.
    #[tokio::test(flavor = "current_thread")]
    async fn parsing_runs_off_the_async_thread() {
        let pool = pool(MUST_FINISH, 1);
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let parse = pool.run(Job::new("s", "the feed"), move |_| {
            done_rx
                .recv_timeout(MUST_FINISH)
                .map_err(|_| Refusal::TooDeep)?;
            Ok("parsed")
        });
        let other_work = async move {
            // Work of another source on the same thread: a local TCP round trip.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (_accepted, _connected) =
                tokio::join!(listener.accept(), tokio::net::TcpStream::connect(addr));
            done_tx.send(()).unwrap();
        };
        let (parsed, ()) = tokio::join!(parse, other_work);
        assert_eq!(parsed.unwrap(), "parsed");
    }

    /// The awaiting side gives up at the budget, naming the source and the budget; the job
    /// keeps its slot until it really ends, so the next job waits for it.
    #[tokio::test(flavor = "current_thread")]
    async fn a_parse_over_its_time_budget_fails_with_a_clear_reason() {
        let pool = pool(Duration::from_millis(200), 1);
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let err = pool
            .run(Job::new("hostile", "the listing page"), move |_| {
                let _ = release_rx.recv_timeout(MUST_FINISH);
                Ok(())
            })
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("the listing page of source \"hostile\"")
                && message.contains("parse budget of 0.2s"),
            "{message}"
        );
        assert_eq!(pool.slots.available_permits(), 0, "still held by the job");
        release_tx.send(()).unwrap();
        let next = pool.run(Job::new("good", "the feed"), |_| Ok(7));
        assert_eq!(
            tokio::time::timeout(MUST_FINISH, next)
                .await
                .unwrap()
                .unwrap(),
            7
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn oversized_deep_and_panicking_inputs_are_refused() {
        let pool = ParsePool::new(ParseBudget {
            max_bytes: 1000,
            max_depth: 100,
            ..ParseBudget::default()
        });
        let big = vec![b'x'; 1001];
        let err = pool
            .run(Job::new("s", "the feed"), move |b| b.check_size(&big))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("1001 bytes, over the parse budget of 1000 bytes"),
            "{err}"
        );
        let err = pool
            .run(Job::new("s", "the page"), |b| {
                b.check_markup("<div>".repeat(199).as_bytes(), Markup::Html)
            })
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("deeper than the parse budget of 100 levels"),
            "{err}"
        );
        let err = pool
            .run(Job::new("s", "the page"), |_| -> Result<(), Refusal> {
                panic!("parser bug")
            })
            .await
            .unwrap_err();
        assert!(matches!(err, ParseError::Panicked { .. }), "{err}");
    }

    fn exceeds(text: &str, limit: usize) -> bool {
        nesting_exceeds(text.as_bytes(), Markup::Html, limit)
    }

    fn deep(n: usize) -> String {
        format!("<html><body>{}x</body></html>", "<div>".repeat(n))
    }

    #[test]
    fn deep_nesting_is_refused_and_ordinary_pages_pass() {
        assert!(exceeds(&deep(1025), 1024));
        assert!(!exceeds(&deep(1000), 1024));
        assert!(exceeds(&deep(1_000_000), 1024));
        // Closed elements, auto-closed paragraphs and list items, void elements, self-closed
        // SVG and XML children, scripts holding `<`, comments and CDATA never add up.
        let mut page = String::from("<!doctype html><html><head><meta charset=utf-8>");
        page.push_str("<script>for (i=0;i<10;i++) { document.write('<div>'); }</script>");
        page.push_str("<!-- <div><div> --><body>");
        for _ in 0..5000 {
            page.push_str("<div class=\"a>b\"><p>text<br><img src=x><li>item</div>");
        }
        page.push_str("<svg>");
        for _ in 0..5000 {
            page.push_str("<path d=\"M0\"/>");
        }
        page.push_str("</svg><ul><li><ul><li>x</ul></ul>");
        assert!(!exceeds(&page, 64), "ordinary page");
        let mut feed = String::from("<?xml version=\"1.0\"?><rss><channel>");
        for _ in 0..5000 {
            feed.push_str("<item><title>t</title><media:content url=\"x\"/><description><![CDATA[<div><div>]]></description></item>");
        }
        feed.push_str("</channel></rss>");
        assert!(
            !nesting_exceeds(feed.as_bytes(), Markup::Xml, 64),
            "ordinary feed"
        );
        let atom = "<feed><entry><category term=\"x\"/><id>1</id></entry></feed>".repeat(5000);
        assert!(
            !nesting_exceeds(atom.as_bytes(), Markup::Xml, 64),
            "ordinary feed"
        );
        let deep_xml = format!("<rss>{}</rss>", "<b>".repeat(2000));
        assert!(nesting_exceeds(deep_xml.as_bytes(), Markup::Xml, 1024));
    }

    #[test]
    fn tricks_do_not_hide_depth() {
        // `<div/>` is an open `<div>` to an HTML parser; stray end tags close nothing.
        assert!(exceeds(&"<div/>".repeat(2000), 1024));
        assert!(exceeds(&"<div></span>".repeat(2000), 1024));
        assert!(exceeds(&"<DIV><b>".repeat(600), 1024));
        // A quote outside an attribute value does not hide the tags after it.
        assert!(exceeds(&format!("<div x\">{}", "<div>".repeat(2000)), 1024));
        // An end tag closes the elements left open inside it.
        assert!(!exceeds(&"<div><span><b><i></div>".repeat(2000), 1024));
    }
}
