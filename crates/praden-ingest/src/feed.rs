//! Feed items to documents. A bad item is skipped with its reason; only a feed that cannot be
//! parsed at all fails as a whole.

use crate::sources::{FetchArticle, Source};
use praden_core::NewDocument;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
#[error("the feed could not be parsed: {0}")]
pub struct FeedError(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("item {position} ({what}): {reason}")]
pub struct ItemError {
    /// 1-based position of the item in the feed.
    pub position: usize,
    /// The item's id or link, as far as it has one.
    pub what: String,
    pub reason: String,
}

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
    Ok(parse_feed_items(source, bytes, fetched_at)?
        .into_iter()
        .map(|r| r.map(|item| item.doc))
        .collect())
}

/// The feed's items, each with the decision whether to fetch its page.
pub fn parse_feed_items(
    source: &Source,
    bytes: &[u8],
    fetched_at: OffsetDateTime,
) -> Result<Vec<Result<FeedItem, ItemError>>, FeedError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(source.url.as_str()))
        .build();
    let feed = parser.parse(bytes).map_err(|e| FeedError(e.to_string()))?;
    // feed-rs drops the dates it cannot read (Thai month names, B.E. years, Thai digits); the
    // raw text is read beside it. Matched by position, so only when the counts agree.
    let raw_dates = raw_item_dates(bytes).filter(|d| d.len() == feed.entries.len());
    Ok(feed
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let raw_date = raw_dates.as_ref().and_then(|d| d[i].as_deref());
            to_item(source, i + 1, entry, raw_date, fetched_at)
        })
        .collect())
}

fn to_item(
    source: &Source,
    position: usize,
    entry: feed_rs::model::Entry,
    raw_date: Option<&str>,
    fetched_at: OffsetDateTime,
) -> Result<FeedItem, ItemError> {
    let link = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or(entry.links.first())
        .map(|l| l.href.clone());
    let err = |reason: &str| ItemError {
        position,
        what: link.clone().unwrap_or_else(|| entry.id.clone()),
        reason: reason.to_string(),
    };
    let title = entry
        .title
        .as_ref()
        .map(|t| crate::text::html_to_text(&t.content))
        .unwrap_or_default();
    let content = entry
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .map(crate::text::html_to_text)
        .filter(|t| !t.is_empty());
    let has_content = content.is_some();
    let body = content
        .or(entry
            .summary
            .as_ref()
            .map(|s| crate::text::html_to_text(&s.content)))
        .unwrap_or_default();
    if title.is_empty() && body.is_empty() {
        return Err(err("it has neither a title nor any text"));
    }
    let title = if title.is_empty() {
        body.chars().take(120).collect()
    } else {
        title
    };
    let parsed = entry
        .published
        .or(entry.updated)
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t.timestamp()).ok());
    let published_at = match (parsed, raw_date) {
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
    let fetch_article = match source.fetch_article {
        FetchArticle::Never => None,
        FetchArticle::Always => page,
        FetchArticle::Auto => {
            let teaser = !has_content && body.chars().count() < SUMMARY_ONLY_BELOW_CHARS;
            page.filter(|_| teaser)
        }
    };
    let doc = NewDocument::new(
        &source.id,
        source.kind,
        &source.outlet,
        link.as_deref(),
        Some(&entry.id),
        &title,
        &body,
        published_at,
        fetched_at,
    )
    .map_err(|e| err(&e.to_string()))?;
    Ok(FeedItem { doc, fetch_article })
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

/// The date text of each item of an RSS, RDF or Atom feed (or of a JSON Feed), in document
/// order: the first of pubDate / published / dc:date / issued / created, else updated /
/// modified. None if the bytes are neither XML nor JSON that can be read.
fn raw_item_dates(bytes: &[u8]) -> Option<Vec<Option<String>>> {
    let text = std::str::from_utf8(bytes)
        .ok()?
        .trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let items = v.get("items")?.as_array()?;
        return Some(
            items
                .iter()
                .map(|item| {
                    ["date_published", "date_modified"]
                        .iter()
                        .find_map(|k| item.get(*k)?.as_str().map(str::to_string))
                })
                .collect(),
        );
    }
    const PREFERENCE: [&str; 7] = [
        "pubDate",
        "published",
        "date",
        "issued",
        "created",
        "updated",
        "modified",
    ];
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(text.as_bytes());
    let mut buf = Vec::new();
    let mut dates = Vec::new();
    // Inside an item: its depth below the item and the dates found so far (preference, text).
    let mut item: Option<(usize, Vec<(usize, String)>)> = None;
    let mut capturing: Option<(usize, String)> = None;
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) => {
                let local = e.local_name();
                let name: &str = local.into_inner();
                match &mut item {
                    None if matches!(name, "item" | "entry") => item = Some((0, Vec::new())),
                    None => {}
                    Some((depth, _)) => {
                        *depth += 1;
                        if *depth == 1 {
                            capturing = PREFERENCE
                                .iter()
                                .position(|p| *p == name)
                                .map(|rank| (rank, String::new()));
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
            Event::End(_) => match &mut item {
                Some((0, found)) => {
                    found.sort_by_key(|(rank, _)| *rank);
                    dates.push(found.drain(..).next().map(|(_, s)| s));
                    item = None;
                }
                Some((depth, found)) => {
                    if *depth == 1 {
                        if let Some((rank, s)) = capturing.take() {
                            let s = s.trim().to_string();
                            if !s.is_empty() {
                                found.push((rank, s));
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
        buf.clear();
    }
    Some(dates)
}

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
            format: crate::SourceFormat::Rss,
            interval: std::time::Duration::from_secs(600),
            min_interval: std::time::Duration::from_secs(300),
            max_interval: std::time::Duration::from_secs(2400),
            enabled: true,
            allow_private_network: false,
            html: None,
            json_api: None,
            transcripts: None,
            fetch_article,
            article_body: None,
            max_article_fetches: crate::sources::DEFAULT_MAX_ARTICLE_FETCHES,
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
        parse_feed_items(source, feed.as_bytes(), datetime!(2024-03-06 00:00 UTC))
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
}
