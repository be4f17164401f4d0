//! HTML sources: the article links of a listing page, and an article page to a document. The
//! source's CSS selectors come first; without them, generic rules that fit most Thai news
//! sites: `og:title` or `<h1>` for the title, the element with the most paragraph text for the
//! body, `article:published_time` or `<time datetime>` for the date. `<link rel="canonical">`
//! names the article, so the same story reached by two URLs is stored once.

use crate::report::ItemError;
use crate::sources::{HtmlSelectors, Source};
use praden_core::NewDocument;
use scraper::{ElementRef, Html, Selector};
use std::collections::HashSet;
use time::OffsetDateTime;

fn selector(s: &str) -> Option<Selector> {
    // Selectors from sources.toml were validated at load; the built-in ones are constant.
    Selector::parse(s).ok()
}

/// The article URLs on a listing page, in page order, without repeats, at most `max_items`.
pub fn article_links(sel: &HtmlSelectors, page: &str, base: &url::Url) -> Vec<url::Url> {
    let doc = Html::parse_document(page);
    let (Some(items), Some(anchor)) = (selector(&sel.item_link), selector("a[href]")) else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    doc.select(&items)
        .filter_map(|el| {
            el.value().attr("href").or_else(|| {
                el.select(&anchor)
                    .next()
                    .and_then(|a| a.value().attr("href"))
            })
        })
        .filter_map(|href| base.join(href.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|mut u| {
            u.set_fragment(None);
            u
        })
        .filter(|u| seen.insert(u.to_string()))
        .take(sel.max_items)
        .collect()
}

/// An article page as a document. `url` is where it was fetched; a canonical link on the
/// page replaces it.
pub fn article_document(
    source: &Source,
    sel: &HtmlSelectors,
    url: &url::Url,
    page: &str,
    fetched_at: OffsetDateTime,
) -> Result<NewDocument, ItemError> {
    let doc = Html::parse_document(page);
    let err = |reason: String| ItemError {
        position: 0,
        what: url.to_string(),
        reason,
    };
    let url = canonical(&doc, url).unwrap_or_else(|| url.clone());
    let title = sel
        .title
        .as_deref()
        .and_then(|s| first_text(&doc, s))
        .or_else(|| meta(&doc, "meta[property=\"og:title\"]"))
        .or_else(|| first_text(&doc, "h1"))
        .or_else(|| first_text(&doc, "title"))
        .unwrap_or_default();
    let body = match sel.body.as_deref() {
        Some(s) => all_text(&doc, s),
        None => main_text(&doc),
    };
    if title.is_empty() && body.is_empty() {
        return Err(err("the page has neither a title nor any text".into()));
    }
    let date_text = sel
        .date
        .as_deref()
        .and_then(|s| {
            let el = doc.select(&selector(s)?).next()?;
            Some(
                el.value()
                    .attr("datetime")
                    .or(el.value().attr("content"))
                    .map(str::to_string)
                    .unwrap_or_else(|| text_of(el)),
            )
        })
        .or_else(|| meta(&doc, "meta[property=\"article:published_time\"]"))
        .or_else(|| {
            let el = doc.select(&selector("time[datetime]")?).next()?;
            el.value().attr("datetime").map(str::to_string)
        });
    let published_at = match date_text {
        Some(t) => Some(
            praden_core::thai_time::parse_thai_datetime(&t, fetched_at)
                .map_err(|e| err(e.to_string()))?,
        ),
        None => None,
    };
    NewDocument::new(praden_core::DocumentParts {
        source_id: &source.id,
        kind: source.kind,
        outlet: &source.outlet,
        url: Some(url.as_str()),
        item_id: None,
        title: &title,
        body: &body,
        published_at,
        fetched_at,
    })
    .map_err(|e| err(e.to_string()))
}

/// The main text of an article page reached from a feed item: the elements matching
/// `body_selector` if the source names one, else the generic main-text rule.
pub fn page_main_text(page: &str, body_selector: Option<&str>) -> String {
    let doc = Html::parse_document(page);
    match body_selector {
        Some(s) => all_text(&doc, s),
        None => main_text(&doc),
    }
}

fn canonical(doc: &Html, fetched: &url::Url) -> Option<url::Url> {
    let el = doc
        .select(&selector("link[rel=\"canonical\"][href]")?)
        .next()?;
    let u = fetched.join(el.value().attr("href")?.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then_some(u)
}

fn meta(doc: &Html, css: &str) -> Option<String> {
    let el = doc.select(&selector(css)?).next()?;
    let v = el.value().attr("content")?.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// Text of an element with whitespace runs collapsed; script and style are not text, nor is
/// what a page shows in place of a player (audio, video, object).
fn text_of(el: ElementRef) -> String {
    let mut out = String::new();
    for node in el.descendants() {
        if let Some(t) = node.value().as_text() {
            let inside_code = node.ancestors().any(|a| {
                a.value().as_element().is_some_and(|e| {
                    matches!(
                        e.name(),
                        "script" | "style" | "noscript" | "audio" | "video" | "object"
                    )
                })
            });
            if !inside_code {
                out.push_str(t);
                out.push(' ');
            }
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn first_text(doc: &Html, css: &str) -> Option<String> {
    let t = text_of(doc.select(&selector(css)?).next()?);
    (!t.is_empty()).then_some(t)
}

fn all_text(doc: &Html, css: &str) -> String {
    let Some(sel) = selector(css) else {
        return String::new();
    };
    doc.select(&sel)
        .map(text_of)
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The generic main-text rule: among `article`, `main` and `div` elements, the one whose own
/// child paragraphs hold the most text; its paragraphs are the body. Navigation and footers
/// rarely have long paragraphs, so this is right for most article pages.
fn main_text(doc: &Html) -> String {
    let (Some(blocks), Some(p)) = (selector("article, main, div, section"), selector("p")) else {
        return String::new();
    };
    let best = doc
        .select(&blocks)
        .map(|block| {
            let paragraphs: Vec<String> = block
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|c| p.matches(c))
                .map(text_of)
                .filter(|t| !t.is_empty())
                .collect();
            let len: usize = paragraphs.iter().map(|t| t.chars().count()).sum();
            (len, paragraphs)
        })
        .max_by_key(|(len, _)| *len);
    match best {
        Some((len, paragraphs)) if len > 0 => paragraphs.join("\n"),
        // No paragraphs at all: the body's text is better than nothing.
        _ => first_text(doc, "body").unwrap_or_default(),
    }
}

/// A robots.txt group: its user agents and its (allow?, path prefix) rules.
type RobotsGroup = (Vec<String>, Vec<(bool, String)>);

/// Whether robots.txt lets `agent` fetch `path`: the group naming the agent (else `*`) and
/// its longest matching Allow/Disallow prefix decide. `*` and `$` patterns are matched as plain
/// prefixes up to the first `*`, which can only make a Disallow broader.
pub fn robots_allows(robots: &str, agent: &str, path: &str) -> bool {
    let agent = agent.to_ascii_lowercase();
    let mut groups: Vec<RobotsGroup> = Vec::new();
    let mut in_agents = false;
    for line in robots.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
        match key.as_str() {
            "user-agent" => {
                if !in_agents {
                    groups.push((Vec::new(), Vec::new()));
                }
                in_agents = true;
                if let Some(g) = groups.last_mut() {
                    g.0.push(value.to_ascii_lowercase());
                }
            }
            "allow" | "disallow" => {
                in_agents = false;
                if let Some(g) = groups.last_mut() {
                    let prefix = value.split(['*', '$']).next().unwrap_or("").to_string();
                    // An empty Disallow allows everything; it adds no rule.
                    if !(key == "disallow" && value.is_empty()) {
                        g.1.push((key == "allow", prefix));
                    }
                }
            }
            _ => in_agents = false,
        }
    }
    let ours = groups
        .iter()
        .find(|(agents, _)| {
            agents
                .iter()
                .any(|a| a != "*" && agent.contains(a.as_str()))
        })
        .or_else(|| {
            groups
                .iter()
                .find(|(agents, _)| agents.iter().any(|a| a == "*"))
        });
    let Some((_, rules)) = ours else {
        return true;
    };
    rules
        .iter()
        .filter(|(_, prefix)| path.starts_with(prefix.as_str()))
        .max_by_key(|(allow, prefix)| (prefix.len(), *allow))
        .is_none_or(|(allow, _)| *allow)
}

mod poll;
pub(crate) use poll::poll;

#[cfg(test)]
mod tests {
    #[test]
    fn robots_txt_groups_and_longest_match() {
        let robots =
            "User-agent: *\nDisallow: /private/\nDisallow: /search\nAllow: /private/press/\n\n\
                      User-agent: BadBot\nDisallow: /\n";
        assert!(robots_allows(robots, "praden", "/news/1"));
        assert!(!robots_allows(robots, "praden", "/private/x"));
        assert!(robots_allows(robots, "praden", "/private/press/1"));
        assert!(!robots_allows(robots, "praden", "/search?q=1"));
        assert!(!robots_allows(robots, "badbot", "/news/1"));
        let ours = "User-agent: praden\nDisallow: /\n\nUser-agent: *\nDisallow:\n";
        assert!(!robots_allows(ours, "praden", "/news/1"));
        assert!(robots_allows(ours, "other", "/news/1"));
        assert!(robots_allows("", "praden", "/"));
    }

    use super::*;
    use praden_core::SourceKind;
    use time::macros::datetime;

    fn source(sel: HtmlSelectors) -> Source {
        Source {
            id: "legacy".into(),
            name: "legacy".into(),
            kind: SourceKind::Official,
            outlet: "กระทรวง".into(),
            url: url::Url::parse("https://www.example.go.th/news/").unwrap(),
            interval: std::time::Duration::from_secs(600),
            min_interval: std::time::Duration::from_secs(300),
            max_interval: std::time::Duration::from_secs(2400),
            enabled: true,
            allow_private_network: false,
            params: crate::sources::SourceParams::Html(sel),
        }
    }

    fn sel(item_link: &str) -> HtmlSelectors {
        HtmlSelectors {
            item_link: item_link.into(),
            title: None,
            body: None,
            date: None,
            max_items: 20,
        }
    }

    const LIST: &str = r#"<html><body><nav><a href="/">หน้าแรก</a></nav>
        <ul class="news"><li><a href="detail/1#top">ข่าว 1</a></li>
        <li class="item"><span><a href="https://www.example.go.th/news/detail/2">ข่าว 2</a></span></li>
        <li><a href="detail/1">ข่าว 1 อีกครั้ง</a></li><li><a href="javascript:void(0)">x</a></li></ul></body></html>"#;

    #[test]
    fn listing_links_are_resolved_deduplicated_and_capped() {
        let base = url::Url::parse("https://www.example.go.th/news/").unwrap();
        let links: Vec<String> = article_links(&sel("ul.news a"), LIST, &base)
            .iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(
            links,
            [
                "https://www.example.go.th/news/detail/1",
                "https://www.example.go.th/news/detail/2"
            ]
        );
        // A selector for the container finds the link inside it.
        assert_eq!(article_links(&sel("li.item"), LIST, &base).len(), 1);
        let one = HtmlSelectors {
            max_items: 1,
            ..sel("ul.news a")
        };
        assert_eq!(article_links(&one, LIST, &base).len(), 1);
    }

    const ARTICLE: &str = r#"<html><head><title>ข่าว | กระทรวง</title>
        <link rel="canonical" href="/news/detail/1">
        <script>var x = "ไม่ใช่ข่าว";</script></head><body>
        <div class="menu"><p>เมนู</p></div>
        <div class="content"><h1>ครม. อนุมัติงบประมาณ</h1>
          <span class="date">5 มี.ค. 2567 10:15 น.</span>
          <p>คณะรัฐมนตรีมีมติอนุมัติงบประมาณรายจ่ายเพิ่มเติม</p>
          <p>เพื่อช่วยเหลือเกษตรกรที่ได้รับผลกระทบจากภัยแล้ง</p></div>
        <footer><p>ติดต่อเรา</p></footer></body></html>"#;

    #[test]
    fn article_pages_with_generic_rules_and_with_selectors() {
        let fetched =
            url::Url::parse("https://www.example.go.th/news/detail/1?utm_source=x").unwrap();
        let at = datetime!(2024-03-05 05:00 UTC);
        let s = sel("a");
        let d = article_document(&source(s.clone()), &s, &fetched, ARTICLE, at).unwrap();
        assert_eq!(d.title, "ครม. อนุมัติงบประมาณ");
        assert_eq!(
            d.body,
            "คณะรัฐมนตรีมีมติอนุมัติงบประมาณรายจ่ายเพิ่มเติม\nเพื่อช่วยเหลือเกษตรกรที่ได้รับผลกระทบจากภัยแล้ง"
        );
        assert_eq!(
            d.url.as_deref(),
            Some("https://www.example.go.th/news/detail/1")
        );
        assert_eq!(d.published_at, None);

        let s = HtmlSelectors {
            title: Some("title".into()),
            body: Some("div.content p".into()),
            date: Some("span.date".into()),
            ..sel("a")
        };
        let d = article_document(&source(s.clone()), &s, &fetched, ARTICLE, at).unwrap();
        assert_eq!(d.title, "ข่าว | กระทรวง");
        assert_eq!(d.published_at, Some(datetime!(2024-03-05 10:15 +7)));

        let bad_date = ARTICLE.replace("5 มี.ค. 2567 10:15 น.", "เร็ว ๆ นี้");
        let e = article_document(&source(s.clone()), &s, &fetched, &bad_date, at).unwrap_err();
        assert!(e.reason.contains("เร็ว ๆ นี้"), "{e}");
        let empty = article_document(&source(s.clone()), &s, &fetched, "<html></html>", at);
        assert!(empty
            .unwrap_err()
            .reason
            .contains("neither a title nor any text"));
    }
}
