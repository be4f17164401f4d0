//! Feed items to documents. A bad item is skipped with its reason; only a feed that cannot be
//! parsed at all fails as a whole.

pub use crate::report::ItemError;
use crate::sources::{FetchArticle, Source};
use praden_core::NewDocument;
use std::borrow::Cow;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
#[error("the feed could not be parsed: {0}")]
pub struct FeedError(String);

/// A description shorter than this (in characters, as text) with no full content beside it
/// is a teaser: with `fetch_article = "auto"` the item's page is fetched for the story.
pub const SUMMARY_ONLY_BELOW_CHARS: usize = 500;

/// A feed item as a document, and whether its page should be fetched for the full text.
#[derive(Debug, Clone)]
pub struct FeedItem {
    pub doc: NewDocument,
    /// The item's page, when the source's `fetch_article` asks for it (see `FetchArticle`).
    pub fetch_article: Option<url::Url>,
}

pub fn parse_feed(
    source: &Source,
    bytes: &[u8],
    fetched_at: OffsetDateTime,
) -> Result<Vec<Result<NewDocument, ItemError>>, FeedError> {
    // Only the documents: whether their pages would be fetched does not matter here.
    Ok(
        parse_feed_items(source, FetchArticle::Never, bytes, fetched_at)?
            .into_iter()
            .map(|r| r.map(|item| item.doc))
            .collect(),
    )
}

/// The feed's items, each with the decision whether to fetch its page (by `fetch_article`,
/// the source's `FeedParams::fetch_article`).
///
/// feed-rs does the parsing; around it, the feeds it rejects or misreads are mended (see
/// `normalise`), items it drops are read by a lenient pass of our own (RSS 1.0 items without
/// `<link>`), and a feed whose XML lists items of which none could be read is an error, not
/// an empty success.
pub fn parse_feed_items(
    source: &Source,
    fetch_article: FetchArticle,
    bytes: &[u8],
    fetched_at: OffsetDateTime,
) -> Result<Vec<Result<FeedItem, ItemError>>, FeedError> {
    let text = String::from_utf8_lossy(bytes);
    let text = normalise(&text);
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(source.url.as_str()))
        // feed-rs's last resort for an item with neither link nor title is a random UUID,
        // which would store the item again on every poll; such items get an id from their
        // text instead (`to_item`). The other generated ids are kept as they were.
        .id_generator(|links, title, uri| {
            if links.is_empty() && title.is_none() {
                String::new()
            } else {
                feed_rs::parser::generate_id(links, title, uri)
            }
        })
        .build();
    let feed = parser
        .parse(text.as_bytes())
        .map_err(|e| FeedError(e.to_string()))?;
    let raw = scan_items(&text);
    let listed = raw.items.len();
    let rss = matches!(
        feed.feed_type,
        feed_rs::model::FeedType::RSS0
            | feed_rs::model::FeedType::RSS1
            | feed_rs::model::FeedType::RSS2
    );
    let items: Vec<Item> = if rss && raw.complete && feed.entries.len() < listed {
        // feed-rs dropped some (an RSS 1.0 item without <link>): every item is read from
        // the raw XML instead, so positions, dates and ids stay consistent within the poll.
        raw.items.iter().map(Item::from_raw).collect()
    } else {
        feed.entries.into_iter().map(Item::from_entry).collect()
    };
    // feed-rs drops the dates it cannot read (Thai month names, B.E. years, Thai digits); the
    // raw text is read beside it. Matched by position, so only when the counts agree.
    let raw_dates = (raw.complete && listed == items.len())
        .then(|| raw.items.iter().map(|i| i.date.clone()).collect::<Vec<_>>());
    let results: Vec<_> = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let raw_date = raw_dates.as_ref().and_then(|d| d[i].as_deref());
            to_item(source, fetch_article, i + 1, item, raw_date, fetched_at)
        })
        .collect();
    // A feed that lists items of which not one can be stored is broken (a CMS change, a
    // format we misread), not quiet: the poll fails with the first reason.
    if listed > 0 && results.iter().all(Result::is_err) {
        let first = results
            .iter()
            .find_map(|r| r.as_ref().err())
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default();
        return Err(FeedError(format!(
            "it lists {listed} items but none of them could be read{first}"
        )));
    }
    Ok(results)
}

/// One item as a parser gives it, before it becomes a document. Title, content and summary
/// may hold HTML.
#[derive(Debug, Default)]
struct Item {
    /// The item's own id (guid, Atom id, rdf:about, or feed-rs's hash of link and title);
    /// empty if it has none.
    id: String,
    link: Option<String>,
    title: Option<String>,
    content: Option<String>,
    summary: Option<String>,
    published: Option<OffsetDateTime>,
}

impl Item {
    fn from_entry(entry: feed_rs::model::Entry) -> Self {
        let link = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or(entry.links.first())
            .map(|l| l.href.clone());
        Item {
            link,
            title: entry.title.map(|t| t.content),
            content: entry.content.and_then(|c| c.body),
            summary: entry.summary.map(|s| s.content),
            published: entry
                .published
                .or(entry.updated)
                .and_then(|t| OffsetDateTime::from_unix_timestamp(t.timestamp()).ok()),
            id: entry.id,
        }
    }

    /// An item read by `scan_items`; its date comes from the raw date text.
    fn from_raw(raw: &RawItem) -> Self {
        let nonempty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Item {
            id: nonempty(&raw.id).unwrap_or_default(),
            link: nonempty(&raw.link),
            title: nonempty(&raw.title),
            content: nonempty(&raw.content),
            summary: nonempty(&raw.description),
            published: None,
        }
    }
}

fn to_item(
    source: &Source,
    fetch_article: FetchArticle,
    position: usize,
    item: Item,
    raw_date: Option<&str>,
    fetched_at: OffsetDateTime,
) -> Result<FeedItem, ItemError> {
    let link = item.link.clone();
    let err = |reason: &str| ItemError {
        position,
        what: link.clone().unwrap_or_else(|| item.id.clone()),
        reason: reason.to_string(),
    };
    let title = item
        .title
        .as_deref()
        .map(crate::text::html_to_text)
        .unwrap_or_default();
    let content = item
        .content
        .as_deref()
        .map(crate::text::html_to_text)
        .filter(|t| !t.is_empty());
    let has_content = content.is_some();
    let body = content
        .or(item.summary.as_deref().map(crate::text::html_to_text))
        .unwrap_or_default();
    if title.is_empty() && body.is_empty() {
        return Err(err("it has neither a title nor any text"));
    }
    let title = if title.is_empty() {
        body.chars().take(120).collect()
    } else {
        title
    };
    let published_at = match (item.published, raw_date) {
        (Some(t), _) => Some(t),
        (None, Some(raw)) => match praden_core::thai_time::parse_thai_datetime(raw, fetched_at) {
            Ok(t) => Some(t),
            // An unreadable date loses the date, not the item.
            Err(e) => {
                tracing::warn!(source = %source.id, item = position, error = %e, "item date not understood; stored without one");
                None
            }
        },
        (None, None) => None,
    }
    .map(buddhist_era_to_common_era);
    let page = link
        .as_deref()
        .and_then(|l| url::Url::parse(l).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let fetch_article = match fetch_article {
        FetchArticle::Never => None,
        FetchArticle::Always => page,
        FetchArticle::Auto => {
            let teaser = !has_content && body.chars().count() < SUMMARY_ONLY_BELOW_CHARS;
            page.filter(|_| teaser)
        }
    };
    // An item with neither link nor id of its own (no guid, no title for feed-rs to hash) is
    // known by its text, so polling it again stores nothing new; an edited text is a new item.
    let id = if item.id.trim().is_empty() && link.is_none() {
        format!("text:{}", &praden_core::content_hash(&title, &body)[..32])
    } else {
        item.id.clone()
    };
    let doc = NewDocument::new(praden_core::DocumentParts {
        source_id: &source.id,
        kind: source.kind,
        outlet: &source.outlet,
        url: link.as_deref(),
        item_id: Some(&id),
        title: &title,
        body: &body,
        published_at,
        fetched_at,
    })
    .map_err(|e| err(&e.to_string()))?;
    Ok(FeedItem { doc, fetch_article })
}

/// Mends, before feed-rs sees them, the feeds it rejects or misreads:
///
/// - `<rss>` without a `version` (or with one feed-rs does not know, such as 0.94): feed-rs
///   answers "no root element"; read as RSS 2.0, the superset of the others.
/// - RSS 0.90 (`<rdf:RDF xmlns="http://my.netscape.com/rdf/simple/0.9/">`): feed-rs knows
///   RDF only under the RSS 1.0 namespace and finds no items; 0.90's elements are a subset
///   of 1.0's, so the namespace is swapped.
/// - C1 control characters, raw or as `&#128;`–`&#159;`: they are always windows-1252
///   punctuation mislabelled (`&#146;` for ’), and would be dropped as controls ("dont");
///   they are mapped as browsers map them.
fn normalise(text: &str) -> Cow<'_, str> {
    let mut text = fix_c1_controls(text);
    if let Some(fixed) = rename_stray_declarations(&text) {
        text = Cow::Owned(fixed);
    }
    match root_element(&text) {
        Some(Root {
            start,
            end,
            name,
            rss_version_ok: false,
            ..
        }) if name == "rss" => {
            let tag = rewrite_rss_tag(&text[start..end]);
            text = Cow::Owned(format!("{}{}{}", &text[..start], tag, &text[end..]));
        }
        Some(Root { name, .. }) if name == "RDF" => {
            for q in ['"', '\''] {
                let old = format!("{q}http://my.netscape.com/rdf/simple/0.9/{q}");
                if text.contains(&old) {
                    let new = format!("{q}http://purl.org/rss/1.0/{q}");
                    text = Cow::Owned(text.replace(&old, &new));
                }
            }
        }
        _ => {}
    }
    text
}

/// An XML declaration anywhere but at the start (`<rss><?xml version="1.0" encoding="x"?>`)
/// is not XML, and quick-xml (under feed-rs) panics when it names an encoding there. It is
/// renamed to an ordinary processing instruction, `<?xml-stray ...?>`, which parsers skip.
fn rename_stray_declarations(text: &str) -> Option<String> {
    let start = text.len()
        - text
            .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
            .len();
    let is_decl = |at: usize| {
        text[at + 5..]
            .chars()
            .next()
            .is_some_and(|c| c.is_whitespace() || c == '?')
    };
    let stray: Vec<usize> = text
        .match_indices("<?xml")
        .map(|(at, _)| at)
        .filter(|&at| at != start && is_decl(at))
        .collect();
    if stray.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 6 * stray.len());
    let mut from = 0;
    for at in stray {
        out.push_str(&text[from..at + 5]);
        out.push_str("-stray");
        from = at + 5;
    }
    out.push_str(&text[from..]);
    Some(out)
}

/// The document's root element: where its start tag is, its local name, and for `rss`
/// whether feed-rs accepts its version.
struct Root {
    start: usize,
    end: usize,
    name: String,
    rss_version_ok: bool,
}

fn root_element(text: &str) -> Option<Root> {
    use quick_xml::events::Event;
    // The reader's positions would not count a byte-order mark; read without it and shift.
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let shift = text.len() - body.len();
    let mut reader = quick_xml::Reader::from_str(body);
    loop {
        let before = reader.buffer_position() as usize;
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => {
                let end = reader.buffer_position() as usize;
                let start = before + body.get(before..end)?.find('<')?;
                let (start, end) = (start + shift, end + shift);
                let name = e.local_name().as_ref().to_string();
                let version = e
                    .try_get_attribute("version")
                    .ok()
                    .flatten()
                    .map(|a| a.value.trim().to_string());
                let rss_version_ok =
                    matches!(version.as_deref(), Some("2.0" | "0.91" | "0.92" | ""));
                return Some(Root {
                    start,
                    end,
                    name,
                    rss_version_ok,
                });
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// An `<rss …>` start tag with `version="2.0"` in place of a missing or unknown version.
fn rewrite_rss_tag(tag: &str) -> String {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(tag);
    let (e, empty) = match reader.read_event() {
        Ok(Event::Start(e)) => (e, false),
        Ok(Event::Empty(e)) => (e, true),
        // Not readable after all: feed-rs will say what is wrong with it.
        _ => return tag.to_string(),
    };
    let mut out = String::from("<rss");
    for a in e.attributes().with_checks(false).flatten() {
        if a.key.as_ref() == "version" {
            continue;
        }
        let q = if a.value.contains('"') { '\'' } else { '"' };
        let key = a.key.as_ref().to_string();
        out.push_str(&format!(" {key}={q}{}{q}", a.value));
    }
    out.push_str(" version=\"2.0\"");
    out.push_str(if empty { "/>" } else { ">" });
    out
}

/// C1 controls (U+0080–U+009F), raw or as numeric character references, as the windows-1252
/// characters they stand for; the five code points windows-1252 leaves undefined stay.
fn fix_c1_controls(text: &str) -> Cow<'_, str> {
    let c1 = |c: char| ('\u{80}'..='\u{9F}').contains(&c);
    if !text.contains(c1) && !text.contains("&#") {
        return Cow::Borrowed(text);
    }
    let windows_1252 = |code: u32| -> Option<char> {
        let byte = [u8::try_from(code).ok()?];
        let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
        s.chars().next().filter(|c| !c1(*c))
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find(|c: char| c == '&' || c1(c)) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let c = rest.chars().next().expect("found above");
        if c != '&' {
            match windows_1252(c as u32) {
                Some(mapped) => {
                    out.push(mapped);
                    changed = true;
                }
                None => out.push(c),
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        // `&#146;` or `&#x92;`.
        let reference = rest
            .strip_prefix("&#")
            .and_then(|r| r.find(';').filter(|end| *end <= 8).map(|end| &r[..end]));
        let code = reference.and_then(|r| match r.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => r.parse::<u32>().ok(),
        });
        match (
            reference,
            code.filter(|c| (0x80..=0x9F).contains(c))
                .and_then(windows_1252),
        ) {
            (Some(r), Some(mapped)) => {
                out.push(mapped);
                rest = &rest["&#".len() + r.len() + 1..];
                changed = true;
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// Thai feeds sometimes write the B.E. year into an RFC 822 date ("Tue, 05 Mar 2567 ..."),
/// which parses as a year five centuries ahead. No news item is dated after 2400 C.E.
fn buddhist_era_to_common_era(t: OffsetDateTime) -> OffsetDateTime {
    if t.year() >= 2400 {
        t.replace_year(t.year() - 543).unwrap_or(t)
    } else {
        t
    }
}

/// The items of an RSS, RDF or Atom feed (or of a JSON Feed) as the raw XML has them, in
/// document order: how many the feed lists, each one's date text, and for RSS the fields
/// the lenient reading needs when feed-rs drops items.
struct RawScan {
    items: Vec<RawItem>,
    /// The whole document was read; otherwise `items` are those before the first error.
    complete: bool,
}

#[derive(Debug, Default)]
struct RawItem {
    /// The first of pubDate / published / dc:date / issued / created, else updated / modified.
    date: Option<String>,
    title: Option<String>,
    link: Option<String>,
    /// `<guid>` or `<id>`, else the RDF item's `rdf:about`.
    id: Option<String>,
    description: Option<String>,
    /// `content:encoded` (RSS) or `content` (Atom).
    content: Option<String>,
}

/// Which field of a `RawItem` an element of an item fills.
#[derive(Debug, Clone, Copy)]
enum Field {
    /// The rank in `DATE_PREFERENCE`.
    Date(usize),
    Title,
    Link,
    Id,
    Description,
    Content,
}

const DATE_PREFERENCE: [&str; 7] = [
    "pubDate",
    "published",
    "date",
    "issued",
    "created",
    "updated",
    "modified",
];

impl Field {
    /// The field an item's child element fills, by its qualified name. Prefixed names other
    /// than the date modules' and content:encoded (media:title, itunes:summary) are not the
    /// item's own fields.
    fn of(qname: &str) -> Option<Field> {
        let local = qname.rsplit(':').next().unwrap_or(qname);
        if let Some(rank) = DATE_PREFERENCE.iter().position(|p| *p == local) {
            return Some(Field::Date(rank));
        }
        match qname {
            "title" => Some(Field::Title),
            "link" => Some(Field::Link),
            "guid" | "id" => Some(Field::Id),
            "description" | "summary" => Some(Field::Description),
            "content:encoded" | "content" => Some(Field::Content),
            _ => None,
        }
    }
}

/// An item's date texts so far, with their rank in `DATE_PREFERENCE`.
type Dates = Vec<(usize, String)>;

fn scan_items(text: &str) -> RawScan {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('{') {
        return scan_json_items(text);
    }
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut items = Vec::new();
    // Inside an item: its depth below the item, what was read so far and its dates (rank,
    // text).
    let mut item: Option<(usize, RawItem, Dates)> = None;
    let mut capturing: Option<(Field, String)> = None;
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(_) => {
                return RawScan {
                    items,
                    complete: false,
                }
            }
        };
        match event {
            Event::Start(e) => {
                let qname = e.name().as_ref().to_string();
                let local = qname.rsplit(':').next().unwrap_or(&qname);
                match &mut item {
                    None if matches!(local, "item" | "entry") => {
                        let about = e
                            .try_get_attribute("rdf:about")
                            .ok()
                            .flatten()
                            .map(|a| a.value.trim().to_string());
                        let raw = RawItem {
                            id: about,
                            ..RawItem::default()
                        };
                        item = Some((0, raw, Vec::new()));
                    }
                    None => {}
                    Some((depth, raw, _)) => {
                        *depth += 1;
                        if *depth == 1 {
                            capturing = Field::of(&qname).map(|f| (f, String::new()));
                            let is_link = matches!(capturing, Some((Field::Link, _)));
                            if let Some(href) = atom_href(&e).filter(|_| is_link) {
                                raw.link.get_or_insert(href);
                                capturing = None;
                            }
                        }
                    }
                }
            }
            // Atom's <link href="…"/>.
            Event::Empty(e) => {
                if let Some((0, raw, _)) = &mut item {
                    if e.name().as_ref() == "link" {
                        if let Some(href) = atom_href(&e) {
                            raw.link.get_or_insert(href);
                        }
                    }
                }
            }
            Event::Text(t) => {
                if let Some((_, s)) = &mut capturing {
                    s.push_str(t.as_ref());
                }
            }
            Event::CData(t) => {
                if let Some((_, s)) = &mut capturing {
                    s.push_str(t.as_ref());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, s)) = &mut capturing {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => s.push(c),
                        _ => match &*r {
                            "lt" => s.push('<'),
                            "gt" => s.push('>'),
                            "amp" => s.push('&'),
                            "apos" => s.push('\''),
                            "quot" => s.push('"'),
                            other => {
                                s.push('&');
                                s.push_str(other);
                                s.push(';');
                            }
                        },
                    }
                }
            }
            Event::End(_) => match &mut item {
                Some((0, raw, dates)) => {
                    dates.sort_by_key(|(rank, _)| *rank);
                    raw.date = dates.drain(..).next().map(|(_, s)| s);
                    items.push(std::mem::take(raw));
                    item = None;
                }
                Some((depth, raw, dates)) => {
                    if *depth == 1 {
                        if let Some((field, s)) = capturing.take() {
                            let s = s.trim().to_string();
                            if !s.is_empty() {
                                match field {
                                    Field::Date(rank) => dates.push((rank, s)),
                                    // A guid beats the rdf:about read from the item's tag.
                                    Field::Id => raw.id = Some(s),
                                    Field::Title => {
                                        raw.title.get_or_insert(s);
                                    }
                                    Field::Link => {
                                        raw.link.get_or_insert(s);
                                    }
                                    Field::Description => {
                                        raw.description.get_or_insert(s);
                                    }
                                    Field::Content => {
                                        raw.content.get_or_insert(s);
                                    }
                                }
                            }
                        }
                    }
                    *depth -= 1;
                }
                None => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    RawScan {
        items,
        complete: true,
    }
}

/// The `href` of an Atom link that points at the item itself (no `rel`, or `alternate`).
fn atom_href(e: &quick_xml::events::BytesStart<'_>) -> Option<String> {
    let attr = |name: &str| {
        e.try_get_attribute(name)
            .ok()
            .flatten()
            .map(|a| a.value.trim().to_string())
    };
    let href = attr("href")?;
    attr("rel").is_none_or(|r| r == "alternate").then_some(href)
}

/// A JSON Feed's items: only their dates are needed beside feed-rs.
fn scan_json_items(text: &str) -> RawScan {
    let parsed: Option<Vec<RawItem>> = (|| {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let items = v.get("items")?.as_array()?;
        Some(
            items
                .iter()
                .map(|item| RawItem {
                    date: ["date_published", "date_modified"]
                        .iter()
                        .find_map(|k| item.get(*k)?.as_str().map(str::to_string)),
                    ..RawItem::default()
                })
                .collect(),
        )
    })();
    RawScan {
        complete: parsed.is_some(),
        items: parsed.unwrap_or_default(),
    }
}

mod poll;
pub(crate) use poll::poll;

#[cfg(test)]
mod tests {
    use super::*;
    use praden_core::SourceKind;
    use time::macros::datetime;

    fn source(fetch_article: FetchArticle) -> Source {
        Source {
            id: "thai-dates".into(),
            name: "thai-dates".into(),
            kind: SourceKind::News,
            outlet: "ข่าวสด".into(),
            url: url::Url::parse("https://news.example/feed").unwrap(),
            interval: std::time::Duration::from_secs(600),
            min_interval: std::time::Duration::from_secs(300),
            max_interval: std::time::Duration::from_secs(2400),
            enabled: true,
            allow_private_network: false,
            params: crate::sources::SourceParams::Feed(crate::sources::FeedParams {
                fetch_article,
                ..crate::sources::FeedParams::new(crate::sources::FeedFormat::Rss)
            }),
        }
    }

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>ข่าว</title><link>https://news.example/</link><description>x</description>
<item><title>ครม. อนุมัติงบ</title><link>https://news.example/1</link>
  <description>คณะรัฐมนตรีมีมติ</description><pubDate>5 มี.ค. 2567 10:15 น.</pubDate></item>
<item><title>น้ำท่วมเชียงใหม่</title><link>https://news.example/2</link>
  <description><![CDATA[<p>ฝนตกหนัก</p>]]></description>
  <content:encoded><![CDATA[<p>ฝนตกหนักต่อเนื่องทำให้น้ำท่วมหลายอำเภอ</p>]]></content:encoded>
  <dc:date>๕ มีนาคม ๒๕๖๗</dc:date></item>
<item><title>ค่าไฟฟ้า</title><link>https://news.example/3</link>
  <description>ค่าไฟงวดใหม่</description><pubDate>Tue, 05 Mar 2567 10:15:00 +0700</pubDate></item>
<item><title>ไม่มีวันที่</title><link>https://news.example/4</link>
  <description>ข้อความ</description><pubDate>เร็ว ๆ นี้</pubDate></item>
<item><title>มาตรฐาน</title><link>https://news.example/5</link>
  <description>ข้อความ</description><pubDate>Tue, 05 Mar 2024 03:15:00 GMT</pubDate></item>
</channel></rss>"#;

    fn items(source: &Source, feed: &str) -> Vec<FeedItem> {
        let fetch_article = source.feed().unwrap().fetch_article;
        parse_feed_items(
            source,
            fetch_article,
            feed.as_bytes(),
            datetime!(2024-03-06 00:00 UTC),
        )
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect()
    }

    #[test]
    fn thai_dates_that_feed_rs_cannot_read_are_read_from_the_raw_item() {
        let got: Vec<_> = items(&source(FetchArticle::Auto), RSS)
            .iter()
            .map(|i| i.doc.published_at)
            .collect();
        assert_eq!(
            got,
            [
                Some(datetime!(2024-03-05 03:15 UTC)),
                // Thai digits and a full month name, no time: midnight in Bangkok.
                Some(datetime!(2024-03-04 17:00 UTC)),
                // A B.E. year in an RFC 822 date.
                Some(datetime!(2024-03-05 03:15 UTC)),
                // Unreadable: the item stays, without a date.
                None,
                Some(datetime!(2024-03-05 03:15 UTC)),
            ]
        );
        let atom = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><id>urn:x</id><updated>2024-03-05T00:00:00Z</updated>
<entry><id>urn:1</id><title>ก</title><link href="https://news.example/a1"/>
  <updated>เมื่อวานนี้ 08.00 น.</updated><summary>สรุป</summary></entry>
<entry><id>urn:2</id><title>ข</title><link href="https://news.example/a2"/>
  <published>2024-03-05T10:00:00+07:00</published><summary>สรุป</summary></entry>
</feed>"#;
        let got: Vec<_> = items(&source(FetchArticle::Auto), atom)
            .iter()
            .map(|i| i.doc.published_at)
            .collect();
        // "Yesterday 08:00" from 07:00 on 6 March in Bangkok.
        assert_eq!(
            got,
            [
                Some(datetime!(2024-03-05 01:00 UTC)),
                Some(datetime!(2024-03-05 03:00 UTC))
            ]
        );
    }

    #[test]
    fn only_summary_only_items_ask_for_their_page_unless_configured() {
        let wanted = |mode| -> Vec<bool> {
            items(&source(mode), RSS)
                .iter()
                .map(|i| i.fetch_article.is_some())
                .collect()
        };
        // Item 2 has content:encoded: its text is the story.
        assert_eq!(wanted(FetchArticle::Auto), [true, false, true, true, true]);
        assert_eq!(wanted(FetchArticle::Always), [true; 5]);
        assert_eq!(wanted(FetchArticle::Never), [false; 5]);
        let long = RSS.replacen(
            "คณะรัฐมนตรีมีมติ",
            &"คณะรัฐมนตรีมีมติ ".repeat(SUMMARY_ONLY_BELOW_CHARS / 10),
            1,
        );
        let first = &items(&source(FetchArticle::Auto), &long)[0];
        assert!(
            first.fetch_article.is_none(),
            "a long description is the story"
        );
        let item = &items(&source(FetchArticle::Auto), RSS)[1];
        assert_eq!(item.doc.body, "ฝนตกหนักต่อเนื่องทำให้น้ำท่วมหลายอำเภอ");
    }
    /// A fixture as the poller hands it to the parser: decoded to UTF-8 first.
    fn fixture_items(name: &str) -> Result<Vec<Result<FeedItem, ItemError>>, FeedError> {
        let path = format!("{}/tests/fixtures/feeds/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let (utf8, _) = crate::charset::to_utf8(&bytes, None);
        parse_feed_items(
            &source(FetchArticle::Never),
            FetchArticle::Never,
            &utf8,
            datetime!(2024-03-06 00:00 UTC),
        )
    }

    fn titles_and_keys(name: &str) -> Vec<(String, String)> {
        fixture_items(name)
            .unwrap()
            .into_iter()
            .map(|i| {
                let doc = i.unwrap().doc;
                (doc.title, doc.item_key)
            })
            .collect()
    }

    #[test]
    fn rss_without_a_version_is_read_as_rss2() {
        assert_eq!(
            titles_and_keys("tis620-undeclared-no-version.xml"),
            [
                (
                    "นายกฯ สั่งการกระทรวงสาธารณสุขรับมือฝุ่น".to_string(),
                    "https://tis.example/1".to_string()
                ),
                ("กรมอุตุฯ เตือนพายุฤดูร้อน".into(), "https://tis.example/2".into()),
            ]
        );
        // A version feed-rs does not know is mended the same way; other attributes stay.
        let feed = r#"<rss version="0.94" xmlns:dc='http://purl.org/dc/elements/1.1/'><channel><title>t</title>
<item><title>ก</title><link>https://a.example/1</link><dc:date>2024-03-05T10:00:00+07:00</dc:date></item></channel></rss>"#;
        let got = items(&source(FetchArticle::Never), feed);
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].doc.published_at,
            Some(datetime!(2024-03-05 03:00 UTC))
        );
        assert_eq!(
            rewrite_rss_tag(r#"<rss xmlns:a="x" version='3'>"#),
            r#"<rss xmlns:a="x" version="2.0">"#
        );
    }

    #[test]
    fn rss_090_items_are_read() {
        let got = titles_and_keys("rss090.xml");
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].0, "Neue Sicherheitslücke in Routern");
        assert_eq!(got[2].1, "https://www.heise.de/news/3.html");
    }

    #[test]
    fn rss_10_items_without_a_link_are_kept_with_keys_that_do_not_change() {
        let first = titles_and_keys("rss10-items-without-link.xml");
        assert_eq!(first.len(), 3, "{first:?}");
        assert_eq!(
            first[0],
            ("With a link".to_string(), "https://rdf.example/a".into())
        );
        assert_eq!(
            first[1],
            (
                "No link, an rdf:about".to_string(),
                "thai-dates#urn:rdf-example:b".into()
            )
        );
        assert_eq!(
            first[2].0,
            "Neither link nor about nor title: known by its text"
        );
        assert!(first[2].1.starts_with("thai-dates#text:"), "{}", first[2].1);
        assert_eq!(first, titles_and_keys("rss10-items-without-link.xml"));
        let items: Vec<_> = fixture_items("rss10-items-without-link.xml")
            .unwrap()
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(items[0].doc.body, "First & linked");
        assert_eq!(
            items[2].doc.published_at,
            Some(datetime!(2024-03-05 05:15 UTC))
        );
        // An RSS 2.0 item with neither link, guid nor title (feed-rs would give it a random
        // id) gets the same key on every poll too.
        let feed = r#"<rss version="2.0"><channel><title>t</title>
<item><description>ข้อความล้วน</description></item></channel></rss>"#;
        let key = |f: &str| items_of(f)[0].doc.item_key.clone();
        assert!(key(feed).starts_with("thai-dates#text:"));
        assert_eq!(key(feed), key(feed));
    }

    fn items_of(feed: &str) -> Vec<FeedItem> {
        items(&source(FetchArticle::Never), feed)
    }

    #[test]
    fn windows_1252_punctuation_is_mapped_not_deleted() {
        let docs: Vec<_> = fixture_items("windows-1252-c1.xml")
            .unwrap()
            .into_iter()
            .map(|i| i.unwrap().doc)
            .collect();
        assert_eq!(docs[0].title, "Reference: don’t “panic” — ok");
        assert_eq!(docs[0].body, "It’s fine – really");
        assert_eq!(docs[1].title, "Raw byte: don’t stop");
        assert_eq!(docs[1].body, "café – naïve");
        // A C1 control that came through UTF-8 (text once decoded as Latin-1) too; `&amp;`
        // and ordinary references are left alone.
        assert_eq!(
            fix_c1_controls("don\u{92}t &amp;#146; &#233; &#x80;"),
            "don’t &amp;#146; &#233; €"
        );
        assert!(matches!(
            fix_c1_controls("plain & simple"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn a_feed_that_lists_items_but_yields_none_is_an_error() {
        let err = fixture_items("items-none-readable.xml").unwrap_err();
        assert!(
            err.to_string()
                .contains("it lists 2 items but none of them could be read"),
            "{err}"
        );
        assert!(
            err.to_string().contains("neither a title nor any text"),
            "{err}"
        );
        // An empty feed is not an error: it lists nothing.
        let empty = r#"<rss version="2.0"><channel><title>t</title></channel></rss>"#;
        assert!(items_of(empty).is_empty());
        // One readable item is enough for the poll to go on (the other is an item failure).
        let one = r#"<rss version="2.0"><channel><title>t</title>
<item><guid>1</guid></item><item><title>ก</title><guid>2</guid></item></channel></rss>"#;
        let got = parse_feed_items(
            &source(FetchArticle::Never),
            FetchArticle::Never,
            one.as_bytes(),
            datetime!(2024-03-06 00:00 UTC),
        )
        .unwrap();
        assert!(got[0].is_err() && got[1].is_ok());
    }
}
