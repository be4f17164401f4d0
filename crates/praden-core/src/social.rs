//! Social-media posts, however they arrive (a platform API polled by a `json_api` source, a
//! vendor pushing to `POST /api/v1/ingest/social`): one shape, one way to become a document.

use crate::document::MissingItemKey;
use crate::{NewDocument, SourceKind};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Engagement counts as a platform reports them at one moment. A count the platform does not
/// give is `None`, not zero: "no views reported" is not "nobody viewed it".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    pub likes: Option<i64>,
    pub shares: Option<i64>,
    pub comments: Option<i64>,
    pub views: Option<i64>,
}

impl Engagement {
    pub fn is_empty(&self) -> bool {
        self.likes.is_none()
            && self.shares.is_none()
            && self.comments.is_none()
            && self.views.is_none()
    }

    /// Likes, shares and comments together: what people did, as opposed to what they saw.
    pub fn interactions(&self) -> i64 {
        [self.likes, self.shares, self.comments]
            .into_iter()
            .flatten()
            .fold(0i64, i64::saturating_add)
    }
}

/// One post, with the fields every source maps onto.
#[derive(Debug, Clone, PartialEq)]
pub struct SocialPost {
    /// The platform's (or vendor's) id of the post: with the source id, what makes ingesting
    /// the same post again a no-op.
    pub id: String,
    pub text: String,
    pub author: Option<String>,
    pub created_at: Option<OffsetDateTime>,
    pub url: Option<String>,
    pub engagement: Engagement,
}

/// How many characters of the text a post's title keeps.
const TITLE_CHARS: usize = 120;

impl SocialPost {
    /// The post as a document of kind `social`. The item key is always `<source>#<post id>`,
    /// even when the post has a URL: platforms hand out several URLs for one post (share
    /// links, mobile hosts), while the id is stable. The title is the author and the text's
    /// first line, so search hits read like the post and an author's name is searchable.
    pub fn to_document(
        &self,
        source_id: &str,
        outlet: &str,
        fetched_at: OffsetDateTime,
    ) -> Result<NewDocument, MissingItemKey> {
        let text = self.text.trim();
        let first_line: String = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .trim()
            .chars()
            .take(TITLE_CHARS)
            .collect();
        let title = match self
            .author
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            Some(author) => format!("{author}: {first_line}"),
            None => first_line,
        };
        let mut doc = NewDocument::new(crate::DocumentParts {
            source_id,
            kind: SourceKind::Social,
            outlet,
            url: None,
            item_id: Some(&self.id),
            title: &title,
            body: text,
            published_at: self.created_at,
            fetched_at,
        })?;
        doc.url = self
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string);
        Ok(doc)
    }
}

/// A timestamp as social platforms write them: a JSON number is Unix time (seconds, or
/// milliseconds when it is too large to be seconds before the year 5000), a string anything
/// `thai_time::parse_thai_datetime` reads (RFC 3339, RFC 822, Thai dates).
pub fn parse_post_time(
    value: &serde_json::Value,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, String> {
    let t = match value {
        serde_json::Value::Number(n) => {
            let secs = n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .ok_or_else(|| format!("{n} is not a Unix time"))?;
            let secs = if secs.abs() > 100_000_000_000 {
                secs / 1000
            } else {
                secs
            };
            OffsetDateTime::from_unix_timestamp(secs).map_err(|e| format!("{n}: {e}"))?
        }
        serde_json::Value::String(s) => {
            return crate::thai_time::parse_thai_datetime(s, now).map_err(|e| e.to_string())
        }
        other => return Err(format!("{other} is neither a string nor a number")),
    };
    crate::thai_time::sane_instant(t).map_err(|reason| format!("{value}: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn post() -> SocialPost {
        SocialPost {
            id: "1789".into(),
            text: "\n ค่าไฟแพงมากกก 😡😡\nบรรทัดสอง".into(),
            author: Some("น้องแมว".into()),
            created_at: Some(datetime!(2024-03-05 10:15 +7)),
            url: Some("https://x.example/p/1789?utm_source=a".into()),
            engagement: Engagement {
                likes: Some(10),
                shares: None,
                comments: Some(2),
                views: Some(500),
            },
        }
    }

    #[test]
    fn posts_are_keyed_by_source_and_id_not_url() {
        let now = datetime!(2024-03-05 04:00 UTC);
        let d = post().to_document("vendor", "x", now).unwrap();
        assert_eq!(d.item_key, "vendor#1789");
        assert_eq!(d.kind, SourceKind::Social);
        assert_eq!(d.title, "น้องแมว: ค่าไฟแพงมากกก 😡😡");
        assert_eq!(d.body, "ค่าไฟแพงมากกก 😡😡\nบรรทัดสอง");
        assert_eq!(
            d.url.as_deref(),
            Some("https://x.example/p/1789?utm_source=a")
        );
        assert_eq!(d.published_at, Some(datetime!(2024-03-05 03:15 UTC)));
        let mut no_id = post();
        no_id.id = " ".into();
        assert!(no_id.to_document("vendor", "x", now).is_err());
    }

    #[test]
    fn interactions_skip_missing_counts() {
        assert_eq!(post().engagement.interactions(), 12);
        assert!(Engagement::default().is_empty());
        assert!(!post().engagement.is_empty());
    }

    #[test]
    fn post_times_in_unix_seconds_milliseconds_or_text() {
        let now = datetime!(2024-03-05 04:00 UTC);
        let t = |v: serde_json::Value| parse_post_time(&v, now);
        assert_eq!(
            t(1709612100.into()).unwrap(),
            datetime!(2024-03-05 04:15 UTC)
        );
        assert_eq!(
            t(1709612100000i64.into()).unwrap(),
            datetime!(2024-03-05 04:15 UTC)
        );
        assert_eq!(
            t("2024-03-05T11:15:00+07:00".into()).unwrap(),
            datetime!(2024-03-05 04:15 UTC)
        );
        assert!(t("not a date".into()).is_err());
        // -99999999999 s (read as milliseconds) is the year -1199: no store holds it.
        let e = t((-99_999_999_999_999i64).into()).unwrap_err();
        assert!(e.contains("year out of range"), "{e}");
        assert!(t("0001-01-01T00:00:00Z".into()).is_err());
        assert!(t(serde_json::Value::Bool(true)).is_err());
    }
}
