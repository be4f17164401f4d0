use crate::SourceKind;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// What a source says of an item, from which [`NewDocument::new`] builds the document: named
/// fields, since nine positional ones (three of them `&str`, two `Option<&str>`) were easy to
/// swap.
#[derive(Debug, Clone, Copy)]
pub struct DocumentParts<'a> {
    pub source_id: &'a str,
    pub kind: SourceKind,
    pub outlet: &'a str,
    pub url: Option<&'a str>,
    /// The source's own id of the item, used for the item key when there is no URL.
    pub item_id: Option<&'a str>,
    pub title: &'a str,
    pub body: &'a str,
    pub published_at: Option<OffsetDateTime>,
    pub fetched_at: OffsetDateTime,
}

/// A document as it comes out of ingestion, before the store has given it an id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewDocument {
    pub source_id: String,
    pub kind: SourceKind,
    pub outlet: String,
    pub url: Option<String>,
    /// What makes re-ingesting the same item a no-op: the canonical URL when the item has one,
    /// else `<source_id>#<the item's own id>`.
    pub item_key: String,
    pub title: String,
    pub body: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub fetched_at: OffsetDateTime,
    pub content_hash: String,
    pub language: String,
    /// Loaded from an archive by `praden import`, not seen arriving: `fetched_at` is the
    /// import's time, which says nothing of when the item appeared.
    #[serde(default)]
    pub backfill: bool,
}

/// What a page shows in place of a player a browser cannot run ("Your browser does not
/// support the audio element."): the page's chrome, not the story, and it surfaced in search
/// snippets. Lowercase beginnings of such lines.
const PLAYER_FALLBACKS: [&str; 5] = [
    "your browser does not support",
    "your browser doesn't support",
    "this browser does not support",
    "เบราว์เซอร์ของคุณไม่รองรับ",
    "บราวเซอร์ของคุณไม่รองรับ",
];

/// `body` without the lines that are only a media player's fallback text ("Your browser does
/// not support the audio element."). New documents are built without them; the store reads
/// older ones through it too, and snippets from an index built before it.
pub fn without_player_fallbacks(body: &str) -> std::borrow::Cow<'_, str> {
    let is_fallback = |line: &str| {
        let line = line.trim();
        line.chars().count() <= 120 && {
            let lower = line.to_lowercase();
            PLAYER_FALLBACKS.iter().any(|p| lower.starts_with(p))
        }
    };
    // Nearly every body has none: look before building a new one.
    let lower_hint = |b: &str| b.contains("support") || b.contains("ไม่รองรับ");
    if !lower_hint(body) || !body.lines().any(is_fallback) {
        return std::borrow::Cow::Borrowed(body);
    }
    let kept: Vec<&str> = body.lines().filter(|l| !is_fallback(l)).collect();
    std::borrow::Cow::Owned(kept.join("\n"))
}

impl NewDocument {
    /// When the item appeared, as detection counts time: its publication time, clamped to
    /// when praden saw it (a date in the future is the source's mistake and must not hold a
    /// story open); for a live document without a date, when praden first saw it. A
    /// backfilled document without a date has no time: it can never be current.
    pub fn event_time(&self) -> Option<OffsetDateTime> {
        match self.published_at {
            Some(p) => Some(p.min(self.fetched_at)),
            None if self.backfill => None,
            None => Some(self.fetched_at),
        }
    }

    /// Builds a document, deriving the item key from the URL (canonicalised) or the
    /// source's own item id, and the content hash from title and body.
    pub fn new(parts: DocumentParts<'_>) -> Result<Self, MissingItemKey> {
        let DocumentParts {
            source_id,
            kind,
            outlet,
            url,
            item_id,
            title,
            body,
            published_at,
            fetched_at,
        } = parts;
        let url = url.map(str::trim).filter(|u| !u.is_empty());
        let body = without_player_fallbacks(body);
        let body = body.as_ref();
        let item_key = match (url, item_id.map(str::trim).filter(|i| !i.is_empty())) {
            (Some(u), _) => canonical_url(u),
            (None, Some(id)) => format!("{source_id}#{id}"),
            (None, None) => {
                return Err(MissingItemKey {
                    source_id: source_id.to_string(),
                    title: title.chars().take(60).collect(),
                })
            }
        };
        Ok(Self {
            source_id: source_id.to_string(),
            kind,
            outlet: outlet.to_string(),
            url: url.map(str::to_string),
            item_key,
            title: title.trim().to_string(),
            body: body.trim().to_string(),
            // A date no store can hold (a feed's `0001-01-01`, Go's zero time) would fail
            // the insert of the whole batch on SQLite; the document is kept, undated.
            published_at: published_at
                .filter(|t| crate::thai_time::sane_instant(*t).is_ok())
                .map(|t| t.to_offset(time::UtcOffset::UTC)),
            fetched_at: fetched_at.to_offset(time::UtcOffset::UTC),
            content_hash: content_hash(title, body),
            language: "th".to_string(),
            backfill: false,
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("item “{title}” from source {source_id} has neither a URL nor an id, so it cannot be deduplicated")]
pub struct MissingItemKey {
    pub source_id: String,
    pub title: String,
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: i64,
    #[serde(flatten)]
    pub doc: NewDocument,
}

/// SHA-256 over title and body with whitespace runs folded, so that re-fetching a page whose
/// only change is formatting counts as the same content.
pub fn content_hash(title: &str, body: &str) -> String {
    let mut h = Sha256::new();
    for (i, part) in [title, body].into_iter().enumerate() {
        if i > 0 {
            h.update([0u8]);
        }
        for (j, word) in part.split_whitespace().enumerate() {
            if j > 0 {
                h.update(b" ");
            }
            h.update(word.as_bytes());
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The item key of one outlet's copy of an item whose URL another outlet's document already
/// holds as its key (an aggregator or a second outlet listing the same article): the
/// canonical URL with the outlet as its fragment. Canonical URLs never keep a fragment, so
/// this cannot clash with a URL's key, and it is the same on every poll, so re-polling that
/// outlet stores nothing new. The first copy keeps the plain URL; the ingester links the
/// others to it (`duplicate_of`).
pub fn outlet_item_key(item_key: &str, outlet: &str) -> String {
    format!("{item_key}#outlet={outlet}")
}

/// Tracking parameters that never change what a page says.
fn is_tracking_param(name: &str) -> bool {
    name.starts_with("utm_")
        || matches!(
            name,
            "fbclid" | "gclid" | "igshid" | "mc_cid" | "mc_eid" | "ref_src"
        )
}

/// The form of a URL used to recognise the same item: scheme and host lower-cased, fragment
/// and tracking parameters dropped. A string that does not parse as a URL is kept as it is.
pub fn canonical_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw.trim()) else {
        return raw.trim().to_string();
    };
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking_param(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_url_drops_tracking_and_fragment() {
        assert_eq!(
            canonical_url("https://WWW.Matichon.co.th/news/123?utm_source=fb&id=7&fbclid=x#top"),
            "https://www.matichon.co.th/news/123?id=7"
        );
        assert_eq!(canonical_url("not a url"), "not a url");
    }

    #[test]
    fn a_players_fallback_text_is_not_part_of_the_story() {
        // As 305 of the shared government articles carry it.
        let body = "วันเสาร์ที่ 27 มีนาคม 2564\nYour browser does not support the audio element.\n\
                    ต่อจากนี้ไป ขอเชิญรับฟัง\n  Your browser does not support the video tag. \nจบ";
        assert_eq!(
            without_player_fallbacks(body),
            "วันเสาร์ที่ 27 มีนาคม 2564\nต่อจากนี้ไป ขอเชิญรับฟัง\nจบ"
        );
        // A story about browser support keeps its sentences.
        let story = "Your browser does not support the new tax form, the ministry said, and a long \
                     explanation follows here that goes well past what a player's fallback line says.";
        assert_eq!(without_player_fallbacks(story), story);
        let plain = "ข่าวทั่วไป";
        assert!(matches!(
            without_player_fallbacks(plain),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn content_hash_ignores_whitespace_layout() {
        assert_eq!(
            content_hash("ข่าว  ด่วน", "a\n b"),
            content_hash("ข่าว ด่วน", "a b")
        );
        assert_ne!(content_hash("ab", ""), content_hash("a", "b"));
    }

    #[test]
    fn item_key_prefers_url_then_item_id() {
        let now = OffsetDateTime::now_utc();
        let k = |url, id| {
            NewDocument::new(DocumentParts {
                source_id: "s",
                kind: SourceKind::News,
                outlet: "o",
                url,
                item_id: id,
                title: "t",
                body: "b",
                published_at: None,
                fetched_at: now,
            })
            .map(|d| d.item_key)
        };
        assert_eq!(
            k(Some("https://a.th/x?utm_medium=1"), Some("9")).unwrap(),
            "https://a.th/x"
        );
        assert_eq!(k(None, Some("9")).unwrap(), "s#9");
        let key = outlet_item_key(&canonical_url("https://a.th/x#top"), "ข่าวสด");
        assert_eq!(key, "https://a.th/x#outlet=ข่าวสด");
        assert_ne!(canonical_url(&key), key, "no URL's key looks like it");
        assert!(k(Some("  "), None).is_err());
    }

    #[test]
    fn a_date_no_store_can_hold_is_dropped_not_the_document() {
        let now = OffsetDateTime::now_utc();
        let dated = |t| {
            NewDocument::new(DocumentParts {
                source_id: "s",
                kind: SourceKind::News,
                outlet: "o",
                url: None,
                item_id: Some("1"),
                title: "t",
                body: "b",
                published_at: Some(t),
                fetched_at: now,
            })
            .unwrap()
            .published_at
        };
        assert_eq!(dated(time::macros::datetime!(0001-01-01 00:00 UTC)), None);
        assert_eq!(dated(time::macros::datetime!(0000-01-01 00:00 +1)), None);
        let ok = time::macros::datetime!(2024-03-05 10:00 +7);
        assert_eq!(dated(ok), Some(ok));
    }
}
