//! Hostile inputs through every parser entry point of praden-ingest: entity bombs, deep
//! nesting, huge items, broken encodings, NUL and control bytes, truncated documents,
//! malformed transcripts and JSON answers. Each call must return (no panic) and finish in a
//! generous bound (a hang detector, not a speed test), and what it returns must stay within a
//! multiple of its input (an entity bomb expanded would not). Small inputs live in
//! `tests/fixtures/hostile/`; large ones are generated here.
//!
//! The proptest properties at the end feed random bytes and token soups to the same parsers.

use praden_ingest::budget::{nesting_exceeds, Markup};
use praden_ingest::transcript::{self, TranscriptFormat};
use praden_ingest::{charset, feed, html, social, sources, text, ParseBudget, Source};
use proptest::prelude::*;
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How long one call may run before it counts as a hang.
const HANG_AFTER: Duration = Duration::from_secs(30);
/// A call's output may be at most this many times its input, plus `SLACK` bytes.
const GROWTH: usize = 16;
const SLACK: usize = 64 << 10;

const SOURCES: &str = r#"
[[source]]
id = "rss"
name = "rss"
kind = "news"
outlet = "x"
url = "https://example.com/feed"
format = "rss"
interval = "5m"

[[source]]
id = "atom"
name = "atom"
kind = "news"
outlet = "x"
url = "https://example.com/atom"
format = "atom"
interval = "5m"

[[source]]
id = "jsonfeed"
name = "jsonfeed"
kind = "news"
outlet = "x"
url = "https://example.com/feed.json"
format = "jsonfeed"
interval = "5m"

[[source]]
id = "html"
name = "html"
kind = "news"
outlet = "x"
url = "https://example.com/news/"
format = "html"
interval = "5m"
[source.html]
item_link = "div.item a, h2 > a"
title = "h1.title"
body = "div.body p"
date = "time[datetime]"

[[source]]
id = "api-cursor"
name = "api"
kind = "social"
outlet = "x"
url = "https://api.example/posts"
format = "json_api"
interval = "5m"
[source.json_api]
items = "data[*]"
id = "id"
text = "text"
author = "user.name"
created_at = "created_at"
url = "link"
likes = "likes"
shares = "shares"
comments = "stats.comments"
views = "stats.views[0]"
cursor = "meta.next"
cursor_param = "cursor"

[[source]]
id = "api-next"
name = "api"
kind = "social"
outlet = "x"
url = "https://api.example/posts"
format = "json_api"
interval = "5m"
[source.json_api]
items = "$"
id = "id"
text = "a.b.c"
next_url = "next"

[[source]]
id = "api-page"
name = "api"
kind = "social"
outlet = "x"
url = "https://api.example/posts"
format = "json_api"
interval = "5m"
[source.json_api]
items = "data"
id = "id"
text = "text"
page_param = "page"
first_page = 1

[[source]]
id = "radio"
name = "radio"
kind = "broadcast"
outlet = "x"
url = "https://radio.example/list"
format = "transcripts"
interval = "5m"
"#;

fn sources() -> &'static [Source] {
    static S: OnceLock<Vec<Source>> = OnceLock::new();
    S.get_or_init(|| sources::parse(SOURCES, "hostile.toml").expect("test sources are valid"))
}

fn source(id: &str) -> &'static Source {
    sources().iter().find(|s| s.id == id).expect("known id")
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_709_622_000).unwrap()
}

// --- the entry points -------------------------------------------------------------------------

/// One parser entry point: a name and a call returning the size of what it produced (bytes of
/// text, for the growth bound).
type Entry = (&'static str, fn(&[u8]) -> usize);

fn doc_size(d: &praden_core::NewDocument) -> usize {
    d.title.len() + d.body.len() + d.url.as_ref().map_or(0, String::len) + d.item_key.len()
}

fn item_error_size(e: &feed::ItemError) -> usize {
    e.what.len() + e.reason.len()
}

fn feed_size(id: &str, bytes: &[u8]) -> usize {
    let fetch_article = source(id).feed().expect("a feed source").fetch_article;
    match feed::parse_feed_items(source(id), fetch_article, bytes, now()) {
        Ok(items) => items
            .iter()
            .map(|r| match r {
                Ok(i) => {
                    doc_size(&i.doc) + i.fetch_article.as_ref().map_or(0, |u| u.as_str().len())
                }
                Err(e) => item_error_size(e),
            })
            .sum(),
        Err(e) => e.to_string().len(),
    }
}

/// Like the poller: decode to UTF-8, refuse by size and nesting, then parse.
fn production_feed(id: &str, markup: Option<Markup>, bytes: &[u8]) -> usize {
    let (bytes, _) = charset::to_utf8(bytes, Some("application/xml"));
    let budget = ParseBudget::default();
    let refused = match markup {
        Some(m) => budget.check_markup(&bytes, m).is_err(),
        None => budget.check_size(&bytes).is_err(),
    };
    if refused {
        return 0;
    }
    feed_size(id, &bytes)
}

fn production_html(bytes: &[u8]) -> Option<String> {
    let (bytes, _) = charset::to_utf8(bytes, Some("text/html"));
    ParseBudget::default()
        .check_markup(&bytes, Markup::Html)
        .ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The input for an html5ever-based call, as the poller hands it over: only what passes the
/// nesting pre-scan. html5ever is quadratic in nesting depth (100,000 nested `<div>`s take
/// minutes), which is what the pre-scan is for; such input is refused, counted as done.
fn prescanned(bytes: &[u8]) -> Option<String> {
    let text = lossy(bytes);
    ParseBudget::default()
        .check_markup(text.as_bytes(), Markup::Html)
        .ok()?;
    Some(text)
}

fn selectors() -> &'static praden_ingest::HtmlSelectors {
    source("html").html().unwrap()
}

fn base() -> url::Url {
    url::Url::parse("https://example.com/news/").unwrap()
}

fn links_size(page: &str) -> usize {
    html::article_links(selectors(), page, &base())
        .iter()
        .map(|u| u.as_str().len())
        .sum()
}

fn article_size(page: &str) -> usize {
    let url = url::Url::parse("https://example.com/news/1").unwrap();
    match html::article_document(source("html"), selectors(), &url, page, now()) {
        Ok(d) => doc_size(&d),
        Err(e) => item_error_size(&e),
    }
}

fn cues_size(format: TranscriptFormat, bytes: &[u8]) -> usize {
    let text = transcript::decode(bytes);
    match transcript::parse_cues(format, &text) {
        Ok(c) => {
            let segs = transcript::segments(
                &c.cues,
                transcript::DEFAULT_SEGMENT_GAP,
                transcript::DEFAULT_MAX_SEGMENT,
            );
            // Segments join cue texts: count them, not the cues again.
            segs.iter().map(|s| s.text.len()).sum::<usize>()
                + c.problems.iter().map(|p| p.reason.len()).sum::<usize>()
        }
        Err(e) => e.to_string().len(),
    }
}

fn file_documents_size(name: &str, bytes: &[u8]) -> usize {
    let src = source("radio");
    let config = src.transcripts().unwrap();
    let programme = transcript::programme_from_file_name(src, "news-20240305-0700.vtt")
        .expect("a dated file name");
    let text = transcript::decode(bytes);
    match transcript::file_documents(src, config, name, &text, &programme, now()) {
        Ok(f) => {
            f.documents.iter().map(doc_size).sum::<usize>()
                + f.problems.iter().map(item_error_size).sum::<usize>()
        }
        Err(e) => e.to_string().len(),
    }
}

fn api_size(id: &str, bytes: &[u8]) -> usize {
    let config = source(id).json_api().unwrap();
    let url = url::Url::parse("https://api.example/posts?cursor=a").unwrap();
    match social::read_page(config, &url, bytes, 1, now()) {
        Ok(page) => {
            page.posts
                .iter()
                .map(|p| match p {
                    Ok(p) => {
                        p.id.len()
                            + p.text.len()
                            + p.author.as_ref().map_or(0, String::len)
                            + p.url.as_ref().map_or(0, String::len)
                    }
                    Err(e) => item_error_size(e),
                })
                .sum::<usize>()
                + page.next.map_or(0, |u| u.as_str().len())
        }
        Err(e) => e.to_string().len(),
    }
}

const ENTRIES: &[Entry] = &[
    ("charset::to_utf8 (no label)", |b| {
        charset::to_utf8(b, None).0.len()
    }),
    ("charset::to_utf8 (utf-8 label)", |b| {
        charset::to_utf8(b, Some("text/html; charset=utf-8"))
            .0
            .len()
    }),
    ("charset::to_utf8 (tis-620 label)", |b| {
        charset::to_utf8(b, Some("application/rss+xml; charset=TIS-620"))
            .0
            .len()
    }),
    ("charset::to_utf8 (bogus label)", |b| {
        charset::to_utf8(b, Some("text/html; charset=\"x-\u{0}-nonsense"))
            .0
            .len()
    }),
    ("transcript::decode", |b| transcript::decode(b).len()),
    ("budget::nesting_exceeds (html)", |b| {
        nesting_exceeds(b, Markup::Html, 1024) as usize
    }),
    ("budget::nesting_exceeds (xml)", |b| {
        nesting_exceeds(b, Markup::Xml, 1024) as usize
    }),
    ("ParseBudget::check_markup", |b| {
        ParseBudget::default().check_markup(b, Markup::Html).is_ok() as usize
    }),
    ("feed::parse_feed_items (rss)", |b| feed_size("rss", b)),
    ("feed::parse_feed_items (atom)", |b| feed_size("atom", b)),
    ("feed::parse_feed_items (jsonfeed)", |b| {
        feed_size("jsonfeed", b)
    }),
    ("feed::parse_feed", |b| {
        match feed::parse_feed(source("rss"), b, now()) {
            Ok(v) => v
                .iter()
                .map(|r| r.as_ref().map_or_else(item_error_size, doc_size))
                .sum(),
            Err(e) => e.to_string().len(),
        }
    }),
    ("poll path: decode, pre-scan, feed (rss)", |b| {
        production_feed("rss", Some(Markup::Xml), b)
    }),
    ("poll path: decode, size check, feed (jsonfeed)", |b| {
        production_feed("jsonfeed", None, b)
    }),
    ("html::article_links", |b| {
        prescanned(b).map_or(0, |p| links_size(&p))
    }),
    ("html::article_document", |b| {
        prescanned(b).map_or(0, |p| article_size(&p))
    }),
    ("html::page_main_text (generic)", |b| {
        prescanned(b).map_or(0, |p| html::page_main_text(&p, None).len())
    }),
    ("html::page_main_text (selector)", |b| {
        prescanned(b).map_or(0, |p| {
            html::page_main_text(&p, Some("article p, div.body")).len()
        })
    }),
    ("poll path: decode, pre-scan, html pages", |b| {
        production_html(b).map_or(0, |page| article_size(&page))
    }),
    ("html::robots_allows", |b| {
        html::robots_allows(&lossy(b), "praden", "/news/1") as usize
    }),
    ("text::html_to_text", |b| {
        prescanned(b).map_or(0, |p| text::html_to_text(&p).len())
    }),
    ("transcript::parse_cues (webvtt) + segments", |b| {
        cues_size(TranscriptFormat::WebVtt, b)
    }),
    ("transcript::parse_cues (srt) + segments", |b| {
        cues_size(TranscriptFormat::Srt, b)
    }),
    ("transcript::parse_cues (plain)", |b| {
        cues_size(TranscriptFormat::Plain, b)
    }),
    ("transcript::file_documents (.vtt)", |b| {
        file_documents_size("news-20240305-0700.vtt", b)
    }),
    ("transcript::file_documents (.srt)", |b| {
        file_documents_size("news-20240305-0700.srt", b)
    }),
    ("transcript::file_documents (.txt)", |b| {
        file_documents_size("news-20240305-0700.txt", b)
    }),
    ("transcript::read_listing", |b| {
        let base = url::Url::parse("https://radio.example/list/").unwrap();
        let Some(text) = prescanned(transcript::decode(b).as_bytes()) else {
            return 0;
        };
        match transcript::read_listing(&base, &text) {
            Ok(v) => v
                .iter()
                .map(|e| e.url.as_str().len() + e.sidecar.as_ref().map_or(0, |u| u.as_str().len()))
                .sum(),
            Err(e) => e.to_string().len(),
        }
    }),
    (
        "transcript::read_sidecar",
        |b| match transcript::read_sidecar(source("radio"), "x.json", b, "x.vtt", now()) {
            Ok(p) => p.channel.len() + p.programme.len(),
            Err(e) => e.to_string().len(),
        },
    ),
    ("social::read_page (cursor)", |b| api_size("api-cursor", b)),
    ("social::read_page (next url, root array)", |b| {
        api_size("api-next", b)
    }),
    ("social::read_page (page numbers)", |b| {
        api_size("api-page", b)
    }),
    ("social::JsonPath::parse", |b| {
        social::JsonPath::parse(&lossy(b), true).map_or_else(|e| e.len(), |p| p.as_str().len())
    }),
];

// --- the hostile corpus -------------------------------------------------------------------------

fn rss(items: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>t</title>\
         <link>https://example.com/</link>{items}</channel></rss>"
    )
    .into_bytes()
}

/// Thai text as TIS-620 bytes (U+0E01..U+0E5B are 0xA1..0xFB), with no label anywhere.
fn tis620(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c as u32 {
            0x0E01..=0x0E5B => (c as u32 - 0x0E01 + 0xA1) as u8,
            c if c < 0x80 => c as u8,
            _ => b'?',
        })
        .collect()
}

fn generated() -> Vec<(String, Vec<u8>)> {
    const DEEP: usize = 100_000;
    let thai = "รัฐบาลประกาศมาตรการช่วยเหลือเกษตรกรที่ได้รับผลกระทบจากภัยแล้งในภาคอีสาน ";
    let big_thai = thai.repeat(5_000_000 / thai.len() + 1);
    let mut out: Vec<(String, Vec<u8>)> = vec![
        (
            "deep XML in an RSS item".into(),
            rss(&format!(
                "<item><title>t</title><link>https://example.com/1</link><description>{}x{}</description></item>",
                "<a>".repeat(DEEP),
                "</a>".repeat(DEEP)
            )),
        ),
        (
            "deep XML, never closed".into(),
            rss(&"<item><x>".repeat(DEEP)),
        ),
        (
            "deep prefixed XML (content:encoded nesting)".into(),
            rss(&format!("<item>{}", "<content:encoded>".repeat(DEEP))),
        ),
        (
            "deep Atom".into(),
            format!(
                "<feed xmlns=\"http://www.w3.org/2005/Atom\">{}",
                "<entry><content type=\"xhtml\"><div>".repeat(DEEP / 3)
            )
            .into_bytes(),
        ),
        (
            "deep HTML divs".into(),
            format!(
                "<html><body><div class=\"body\">{}<p>x</p>{}</div></body></html>",
                "<div>".repeat(DEEP),
                "</div>".repeat(DEEP)
            )
            .into_bytes(),
        ),
        (
            "deep HTML inline formatting (adoption agency)".into(),
            format!("<body>{}<p>x</p>", "<b><i><a href=\"/a\">".repeat(DEEP / 3)).into_bytes(),
        ),
        (
            "deep HTML tables".into(),
            format!("<body>{}", "<table><tr><td>".repeat(DEEP / 3)).into_bytes(),
        ),
        (
            "deep SVG self-closing soup".into(),
            format!("<body><svg>{}", "<g/><g>".repeat(DEEP)).into_bytes(),
        ),
        (
            "misnested formatting with stray end tags".into(),
            "<b><i></b></i><p><a></p></a>".repeat(DEEP / 4).into_bytes(),
        ),
        (
            "many unclosed <script> tags".into(),
            "<script>x<".repeat(DEEP).into_bytes(),
        ),
        (
            "many unclosed comments and CDATA".into(),
            "<!--<![CDATA[<!<?".repeat(DEEP).into_bytes(),
        ),
        (
            "tags that never end".into(),
            "<a href=\"".repeat(DEEP).into_bytes(),
        ),
        (
            "one tag with 100,000 attributes".into(),
            format!(
                "<div {}>x</div>",
                (0..DEEP).map(|i| format!("a{i}=\"{i}\" ")).collect::<String>()
            )
            .into_bytes(),
        ),
        (
            "huge RSS description (5 MB)".into(),
            rss(&format!(
                "<item><title>t</title><link>https://example.com/1</link><description>{big_thai}</description></item>"
            )),
        ),
        (
            "huge RSS description of escaped HTML (2 MB)".into(),
            rss(&format!(
                "<item><title>t</title><link>https://example.com/1</link><description>{}</description></item>",
                "&lt;p&gt;ข่าว&amp;amp;&lt;/p&gt;".repeat(60_000)
            )),
        ),
        (
            "RSS with 100,000 empty items".into(),
            rss(&"<item></item>".repeat(DEEP)),
        ),
        (
            "RSS with 50,000 items with the same link".into(),
            rss(&"<item><title>a</title><link>https://example.com/same</link></item>".repeat(50_000)),
        ),
        (
            "huge HTML article (5 MB paragraph)".into(),
            format!(
                "<html><head><title>t</title><link rel=\"canonical\" href=\"/x\"></head><body>\
                 <h1 class=\"title\">t</h1><div class=\"body\"><p>{big_thai}</p></div></body></html>"
            )
            .into_bytes(),
        ),
        (
            "HTML listing with 100,000 links".into(),
            (0..DEEP)
                .map(|i| format!("<div class=\"item\"><a href=\"/n/{i}\">n</a></div>"))
                .collect::<String>()
                .into_bytes(),
        ),
        (
            "a million HTML entities".into(),
            "&amp;&#x0E01;&#0;&#xD800;&#99999999999;&nbsp".repeat(1_000_000 / 6).into_bytes(),
        ),
        (
            "a 5 MB word without spaces or tags".into(),
            "ก".repeat(5_000_000 / 3).into_bytes(),
        ),
        (
            "invalid UTF-8 everywhere".into(),
            (0..1_000_000u32)
                .map(|i| [0xC0, 0xFF, 0xE0, 0x80, 0xF4, 0x90, 0xED, 0xA0, b'<'][i as usize % 9])
                .collect(),
        ),
        (
            "RSS with invalid UTF-8 inside and a UTF-8 label".into(),
            {
                let mut b = rss("<item><title>\u{1}</title><link>https://example.com/1</link><description>XX</description></item>");
                let at = b.windows(2).position(|w| w == b"XX").unwrap();
                b.splice(at..at + 2, [0xFF, 0xFE, 0xC3, 0x28, 0xE2, 0x82]);
                b
            },
        ),
        (
            "unlabelled TIS-620 RSS".into(),
            tis620(&format!(
                "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>ข่าว</title><item>\
                 <title>ข่าวเช้า</title><link>https://example.com/1</link><description>{}</description></item></channel></rss>",
                thai.repeat(200)
            )),
        ),
        (
            "unlabelled TIS-620 HTML".into(),
            tis620(&format!(
                "<html><body><h1 class=\"title\">ข่าว</h1><div class=\"body\"><p>{}</p></div></body></html>",
                thai.repeat(200)
            )),
        ),
        (
            "unlabelled TIS-620 WebVTT".into(),
            tis620(&format!(
                "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{thai}\n\n00:00:03.000 --> 00:00:04.000\n{thai}\n"
            )),
        ),
        (
            "TIS-620 declared as UTF-8 in the prolog".into(),
            {
                let mut b = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>".to_vec();
                b.extend(tis620("<rss version=\"2.0\"><channel><item><title>ข่าว</title><link>https://example.com/1</link></item></channel></rss>"));
                b
            },
        ),
        (
            "NUL bytes in RSS".into(),
            rss("<item><title>a\0b</title><link>https://example.com/\0</link><description>\0\0\0</description></item>\0"),
        ),
        (
            "NUL bytes only (1 MB)".into(),
            vec![0u8; 1 << 20],
        ),
        (
            "NUL bytes in WebVTT and HTML".into(),
            b"WEBVTT\0\n\n00:00:01.000 --> 00:00:02.000\n\0<b>\0</b>\n\n<p>\0</p>".to_vec(),
        ),
        (
            "control characters (C0 and C1) in RSS".into(),
            {
                let ctl: String = (0u32..0x20).chain(0x7F..0xA0).filter_map(char::from_u32).collect();
                rss(&format!(
                    "<item><title>{ctl}</title><link>https://example.com/{ctl}</link><description>{ctl}</description></item>"
                ))
            },
        ),
        (
            "control bytes 0x80-0x9F unlabelled".into(),
            (0x80u8..0xA0).cycle().take(100_000).collect(),
        ),
        (
            "truncated gzip-looking body".into(),
            vec![0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03],
        ),
        (
            "UTF-16 BOM with an odd number of bytes".into(),
            [&[0xFF, 0xFE][..], b"<\0r\0s\0s\0>"].concat(),
        ),
        (
            "UTF-16BE BOM then garbage".into(),
            [&[0xFE, 0xFF][..], &[0xD8, 0x00, 0xD8, 0x00, 0x00]].concat(),
        ),
        (
            "UTF-32 BOM with invalid code points".into(),
            [&[0xFF, 0xFE, 0x00, 0x00][..], &[0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0xD8, 0x00, 0x00, 0x41]].concat(),
        ),
        ("empty".into(), Vec::new()),
        ("only a BOM".into(), vec![0xEF, 0xBB, 0xBF]),
        (
            "lone CRs".into(),
            "WEBVTT\r\r00:01.000 --> 00:02.000\rx\r\r".repeat(10_000).into_bytes(),
        ),
        (
            "a million WebVTT cues".into(),
            {
                let mut s = String::from("WEBVTT\n\n");
                for i in 0..1_000_000u64 {
                    let (a, b) = (i % 3_600_000, i % 3_600_000 + 1);
                    s.push_str(&format!(
                        "{:02}:{:02}:{:02}.{:03} --> {:02}:{:02}:{:02}.{:03}\nก\n\n",
                        a / 3600 % 1000, a / 60 % 60, a % 60, i % 1000,
                        b / 3600 % 1000, b / 60 % 60, b % 60, i % 1000
                    ));
                }
                s.into_bytes()
            },
        ),
        (
            "a million SRT blocks of bad timestamps".into(),
            "1\n00:00:0x,000 --> 00:00:01,000\nx\n\n".repeat(1_000_000).into_bytes(),
        ),
        (
            "a million lines of one WebVTT cue".into(),
            format!("WEBVTT\n\n00:00:01.000 --> 99:59:59.999\n{}", "<v a>ข่าว&amp;</v>\n".repeat(1_000_000))
                .into_bytes(),
        ),
        (
            "WebVTT header only, a million header lines".into(),
            format!("WEBVTT\n{}", "X-TIMESTAMP-MAP=LOCAL:00:00:00.000\n".repeat(1_000_000)).into_bytes(),
        ),
        (
            "a cue text of unclosed caption tags".into(),
            format!("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{}", "<c.{\\".repeat(1_000_000)).into_bytes(),
        ),
        (
            "arrows only".into(),
            "-->".repeat(1_000_000).into_bytes(),
        ),
        (
            "JSON nested 100,000 arrays deep".into(),
            format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP)).into_bytes(),
        ),
        (
            "JSON nested 100,000 objects deep, never closed".into(),
            "{\"data\":".repeat(DEEP).into_bytes(),
        ),
        (
            "JSON item nested 100 deep (under serde's limit)".into(),
            format!(
                "{{\"data\":[{{\"id\":1,\"text\":{}\"x\"{}}}]}}",
                "{\"a\":".repeat(100),
                "}".repeat(100)
            )
            .into_bytes(),
        ),
        (
            "JSON API answer with a million items".into(),
            format!(
                "{{\"meta\":{{\"next\":\"n\"}},\"data\":[{}{{}}]}}",
                "{\"id\":1,\"text\":\"ก\",\"likes\":\"1,234\",\"stats\":{\"views\":[7]}},".repeat(1_000_000)
            )
            .into_bytes(),
        ),
        (
            "JSON root array of a million nulls".into(),
            format!("[{}null]", "null,".repeat(1_000_000)).into_bytes(),
        ),
        (
            "JSON with a 5 MB string".into(),
            format!("{{\"data\":[{{\"id\":\"x\",\"text\":\"{}\"}}]}}", "\\u0e01".repeat(800_000)).into_bytes(),
        ),
        (
            "JSON with huge numbers".into(),
            format!(
                "{{\"data\":[{{\"id\":{0},\"text\":\"x\",\"likes\":{0},\"shares\":-{0},\"created_at\":{0}}}]}}",
                "9".repeat(100_000)
            )
            .into_bytes(),
        ),
        (
            "JSON listing of a million entries".into(),
            format!("[{}\"a.vtt\"]", "{\"url\":\"../../a.srt\",\"sidecar\":\"a.json\"},".repeat(200_000)).into_bytes(),
        ),
        (
            "JSON Feed with deep HTML content".into(),
            format!(
                "{{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"t\",\"items\":[{{\"id\":\"1\",\"content_html\":\"{}\"}}]}}",
                "<div>".repeat(DEEP)
            )
            .into_bytes(),
        ),
        (
            "robots.txt with a million wildcards".into(),
            format!("User-agent: *\nDisallow: /{}x\n", "*".repeat(1_000_000)).into_bytes(),
        ),
        (
            "JSON path of a million brackets".into(),
            "a[".repeat(1_000_000).into_bytes(),
        ),
    ];
    // Billion-laughs at full depth, generated (the fixtures hold the classic 10^9 one).
    let mut entities = String::new();
    for i in 1..=30 {
        entities.push_str(&format!("<!ENTITY e{i} \"&e{0};&e{0};\">", i - 1));
    }
    out.push((
        "quadratic blowup entity (2^30)".into(),
        format!(
            "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY e0 \"{}\">{entities}]><rss version=\"2.0\"><channel>\
             <title>t</title><item><title>&e30;</title><link>https://example.com/1</link><description>&e30;</description></item></channel></rss>",
            "x".repeat(1000)
        )
        .into_bytes(),
    ));
    out
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/hostile")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|p| {
            let name = format!(
                "fixtures/hostile/{}",
                p.file_name().unwrap().to_string_lossy()
            );
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.extend(generated());
    out
}

// --- the hang detector --------------------------------------------------------------------------

enum Outcome {
    Done(usize),
    Panicked(String),
    Hung,
}

/// Runs `entry` on `input` on its own thread (2 MiB stack, like the parse pool's blocking
/// threads) and waits at most `HANG_AFTER`. A hung thread is left behind; the test fails.
fn guarded(entry: fn(&[u8]) -> usize, input: Arc<Vec<u8>>) -> Outcome {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let r = std::panic::catch_unwind(|| entry(&input));
            let _ = tx.send(r);
        })
        .expect("spawn");
    match rx.recv_timeout(HANG_AFTER) {
        Ok(Ok(n)) => Outcome::Done(n),
        Ok(Err(p)) => Outcome::Panicked(
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        ),
        Err(_) => Outcome::Hung,
    }
}

/// About 2,400 calls on inputs of up to millions of elements: minutes in a debug build, so
/// it is left out of `cargo test` and run optimised:
/// `cargo test --release -p praden-ingest --test hostile_inputs -- --ignored --nocapture`.
#[test]
#[ignore = "minutes in a debug build; run with --release -- --ignored"]
fn hostile_inputs_neither_panic_nor_hang_nor_blow_up() {
    let corpus = corpus();
    let mut failures = Vec::new();
    let (mut hangs, mut calls) = (0, 0);
    let started = Instant::now();
    for (name, bytes) in &corpus {
        let input = Arc::new(bytes.clone());
        for (entry_name, entry) in ENTRIES {
            calls += 1;
            let t = Instant::now();
            match guarded(*entry, input.clone()) {
                Outcome::Done(n) if n > GROWTH * bytes.len() + SLACK => failures.push(format!(
                    "{entry_name} on {name:?}: {n} bytes out of {} in",
                    bytes.len()
                )),
                Outcome::Done(_) => {}
                Outcome::Panicked(msg) => {
                    failures.push(format!("{entry_name} on {name:?} panicked: {msg}"))
                }
                Outcome::Hung => {
                    hangs += 1;
                    failures.push(format!(
                        "{entry_name} on {name:?} did not finish in {HANG_AFTER:?}"
                    ));
                }
            }
            let took = t.elapsed();
            if took > Duration::from_secs(5) {
                println!("slow: {entry_name} on {name:?} took {took:.1?}");
            }
        }
    }
    println!(
        "hostile inputs tried: {}, entry points: {}, calls: {calls}, hangs: {hangs}, in {:.1?}",
        corpus.len(),
        ENTRIES.len(),
        started.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The pre-scan refuses the deep documents before a parser sees them, as the poller does.
#[test]
fn pre_scan_refuses_deep_documents_and_passes_flat_ones() {
    let budget = ParseBudget::default();
    for (name, bytes) in generated() {
        if name.contains("100,000 attributes") {
            assert!(
                budget.check_markup(&bytes, Markup::Html).is_err(),
                "{name} passed the pre-scan"
            );
        }
        let deep = name.starts_with("deep ");
        if deep && !name.contains("SVG") {
            let markup = if name.contains("HTML") {
                Markup::Html
            } else {
                Markup::Xml
            };
            assert!(
                budget.check_markup(&bytes, markup).is_err(),
                "{name} passed the pre-scan"
            );
        }
    }
    let flat = format!("<body>{}</body>", "<div>x</div>".repeat(100_000));
    assert!(budget.check_markup(flat.as_bytes(), Markup::Html).is_ok());
}

// --- properties ---------------------------------------------------------------------------------

/// Total output stays within a multiple of the input.
fn bounded(out: usize, input: usize) -> bool {
    out <= GROWTH * input + SLACK
}

fn soup(tokens: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(tokens).prop_map(str::to_string),
            1 => "\\PC{0,8}",
            1 => any::<char>().prop_map(|c| c.to_string()),
        ],
        0..max,
    )
    .prop_map(|v| v.concat())
}

const XML_TOKENS: &[&str] = &[
    "<?xml version=\"1.0\"?>",
    "<?xml version=\"1.0\" encoding=\"tis-620\"?>",
    "<rss>",
    "<rss version=\"2.0\">",
    "</rss>",
    "<rdf:RDF>",
    "<channel>",
    "</channel>",
    "<item>",
    "</item>",
    "<entry>",
    "</entry>",
    "<feed xmlns=\"http://www.w3.org/2005/Atom\">",
    "</feed>",
    "<title>",
    "</title>",
    "<link>",
    "</link>",
    "<link href=\"/a\"/>",
    "https://example.com/a",
    "<guid>",
    "</guid>",
    "<description>",
    "</description>",
    "<content:encoded>",
    "</content:encoded>",
    "<pubDate>",
    "</pubDate>",
    "Tue, 05 Mar 2024 07:00:00 +0700",
    "5 มี.ค. 2567",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "&amp;",
    "&lt;",
    "&#x0E01;",
    "&#0;",
    "&lol;",
    "<!DOCTYPE rss [",
    "<!ENTITY lol \"&lol;&lol;\">",
    "]>",
    "ข่าว",
    "\0",
    "\u{85}",
    "/>",
    "<",
    ">",
    "\"",
    "'",
    "=",
];

const HTML_TOKENS: &[&str] = &[
    "<html>",
    "<head>",
    "</head>",
    "<body>",
    "</body>",
    "<div class=\"item\">",
    "<div class=\"body\">",
    "</div>",
    "<p>",
    "</p>",
    "<a href=\"/n/1\">",
    "<a href=\"javascript:x\">",
    "<a href=\"//[::1\">",
    "</a>",
    "<h1 class=\"title\">",
    "</h1>",
    "<h2>",
    "<article>",
    "</article>",
    "<script>",
    "</script>",
    "<style>",
    "</style>",
    "<svg>",
    "</svg>",
    "<math>",
    "<g/>",
    "<br/>",
    "<table>",
    "<tr>",
    "<td>",
    "<template>",
    "<noscript>",
    "<plaintext>",
    "<textarea>",
    "<title>",
    "<link rel=\"canonical\" href=\"/c\">",
    "<meta property=\"article:published_time\" content=\"2024-03-05\">",
    "<time datetime=\"2567-03-05\">",
    "<!--",
    "-->",
    "<!",
    "<?",
    "</",
    "&amp;",
    "&nbsp",
    "&#xD800;",
    "ข่าววันนี้ ",
    "\0",
    "<b><i></b></i>",
    "<select><option>",
];

const VTT_TOKENS: &[&str] = &[
    "WEBVTT",
    "WEBVTT\n\n",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "1\n",
    "00:00:01.000",
    "00:01.000",
    "99:59:59.999",
    "00:00:01,000",
    "00:99:00.000",
    "-1:00:00.000",
    "999:59:59.9999",
    " --> ",
    "-->",
    "NOTE ",
    "STYLE\n",
    "REGION\n",
    "<v Speaker>",
    "</v>",
    "<c.yellow>",
    "<00:00:01.500>",
    "{\\an8}",
    "&amp;",
    "&lrm;",
    "ข่าวภาคเช้า",
    " ",
    "\t",
    "\u{feff}",
    "\0",
    "<",
    "{\\",
];

const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"data\"",
    "\"id\"",
    "\"text\"",
    "\"likes\"",
    "\"meta\"",
    "\"next\"",
    "\"stats\"",
    "\"views\"",
    "\"created_at\"",
    "\"user\"",
    "\"name\"",
    "\"a\"",
    "\"b\"",
    "\"c\"",
    "1",
    "-1",
    "1e308",
    "1e999",
    "0.5",
    "null",
    "true",
    "\"1,234\"",
    "\"2024-03-05T07:00:00Z\"",
    "\"5 มี.ค. 2567 07:00\"",
    "\"1709622000\"",
    "1709622000000",
    "\"\\ud800\"",
    "\"ข่าว\"",
    "\"\"",
    "\"https://x/\"",
    "\"?cursor=a\"",
    "\"../a.vtt\"",
    "\"url\"",
    "\"files\"",
    "\"sidecar\"",
    "\"air_start\"",
];

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn feed_parsers_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        for id in ["rss", "atom", "jsonfeed"] {
            prop_assert!(bounded(feed_size(id, &bytes), bytes.len()));
        }
        prop_assert!(bounded(charset::to_utf8(&bytes, None).0.len(), bytes.len()));
    }

    #[test]
    fn feed_parsers_on_xml_soup(s in soup(XML_TOKENS, 200)) {
        for id in ["rss", "atom"] {
            prop_assert!(bounded(feed_size(id, s.as_bytes()), s.len()));
            prop_assert!(bounded(production_feed(id, Some(Markup::Xml), s.as_bytes()), s.len()));
        }
        let _ = nesting_exceeds(s.as_bytes(), Markup::Xml, 8);
    }

    #[test]
    fn html_parsers_on_html_soup(s in soup(HTML_TOKENS, 200)) {
        let out = links_size(&s)
            + article_size(&s)
            + html::page_main_text(&s, None).len()
            + html::page_main_text(&s, Some("div.body p")).len()
            + text::html_to_text(&s).len();
        prop_assert!(bounded(out, s.len()));
        let _ = nesting_exceeds(s.as_bytes(), Markup::Html, 8);
        let _ = html::robots_allows(&s, "praden", "/a");
    }

    #[test]
    fn html_parsers_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let s = lossy(&bytes);
        prop_assert!(bounded(links_size(&s) + article_size(&s) + text::html_to_text(&s).len(), s.len()));
        let _ = nesting_exceeds(&bytes, Markup::Html, 4);
        let _ = nesting_exceeds(&bytes, Markup::Xml, 4);
    }

    #[test]
    fn transcript_parsers_on_vtt_soup(s in soup(VTT_TOKENS, 300)) {
        for format in [TranscriptFormat::WebVtt, TranscriptFormat::Srt, TranscriptFormat::Plain] {
            prop_assert!(bounded(cues_size(format, s.as_bytes()), s.len()));
        }
        for name in ["a-20240305-0700.vtt", "a-20240305-0700.srt", "a-20240305-0700.txt"] {
            prop_assert!(bounded(file_documents_size(name, s.as_bytes()), s.len()));
        }
    }

    #[test]
    fn transcript_parsers_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        prop_assert!(bounded(transcript::decode(&bytes).len(), bytes.len()));
        for format in [TranscriptFormat::WebVtt, TranscriptFormat::Srt] {
            prop_assert!(bounded(cues_size(format, &bytes), bytes.len()));
        }
    }

    #[test]
    fn json_api_on_json_soup(s in soup(JSON_TOKENS, 300)) {
        for id in ["api-cursor", "api-next", "api-page"] {
            prop_assert!(bounded(api_size(id, s.as_bytes()), s.len()));
        }
        let base = url::Url::parse("https://radio.example/list/").unwrap();
        let _ = transcript::read_listing(&base, &s);
        let _ = transcript::read_sidecar(source("radio"), "x.json", s.as_bytes(), "x.vtt", now());
        prop_assert!(bounded(feed_size("jsonfeed", s.as_bytes()), s.len()));
    }

    #[test]
    fn json_api_on_random_bytes_and_paths(bytes in prop::collection::vec(any::<u8>(), 0..1024), path in "[a-z.\\[\\]*$0-9]{0,24}") {
        for id in ["api-cursor", "api-next", "api-page"] {
            prop_assert!(bounded(api_size(id, &bytes), bytes.len()));
        }
        if let Ok(p) = social::JsonPath::parse(&path, true) {
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let _ = p.get(&v);
        }
    }
}

/// Found by `feed_parsers_on_xml_soup`: a byte-order mark shifted the root tag's position
/// by three bytes, and slicing the text there panicked inside a four-byte character.
#[test]
fn a_byte_order_mark_before_the_root_does_not_shift_it() {
    for id in ["rss", "atom"] {
        let _ = feed_size(id, "\u{feff}𐀀<rss>".as_bytes());
        let _ = feed_size(
            id,
            "\u{feff}<rss><channel><item><title>ก</title></item></channel></rss>".as_bytes(),
        );
    }
}
