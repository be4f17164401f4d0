//! Feed items to documents. A bad item is skipped with its reason; only a feed that cannot be
//! parsed at all fails as a whole.

use crate::sources::Source;
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

pub fn parse_feed(
    source: &Source,
    bytes: &[u8],
    fetched_at: OffsetDateTime,
) -> Result<Vec<Result<NewDocument, ItemError>>, FeedError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(source.url.as_str()))
        .build();
    let feed = parser.parse(bytes).map_err(|e| FeedError(e.to_string()))?;
    Ok(feed
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| to_document(source, i + 1, entry, fetched_at))
        .collect())
}

fn to_document(
    source: &Source,
    position: usize,
    entry: feed_rs::model::Entry,
    fetched_at: OffsetDateTime,
) -> Result<NewDocument, ItemError> {
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
    let body = entry
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .or(entry.summary.as_ref().map(|s| s.content.as_str()))
        .map(crate::text::html_to_text)
        .unwrap_or_default();
    if title.is_empty() && body.is_empty() {
        return Err(err("it has neither a title nor any text"));
    }
    let title = if title.is_empty() {
        body.chars().take(120).collect()
    } else {
        title
    };
    let published_at = entry
        .published
        .or(entry.updated)
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t.timestamp()).ok());
    NewDocument::new(
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
    .map_err(|e| err(&e.to_string()))
}
