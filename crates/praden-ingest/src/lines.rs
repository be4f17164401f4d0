//! Documents from JSON lines, the files `praden import` and `praden replay` read (optionally
//! gzip-compressed), shaped like the thaigov corpus: id, pub_date, category, title, body, url.
//! A line that cannot become a document says why.
//!
//! Social posts (`--kind social`, e.g. the wisesight messages: id, text) and broadcast
//! transcripts (`--kind broadcast`, e.g. the ไทยคู่ฟ้า radio programme) are keyed by
//! `SOURCE#ID`, not by URL: a transcript that is also published as a web article (every
//! ไทยคู่ฟ้า transcript is on thaigov.go.th) is then stored as the broadcast too, linked to the
//! article as a copy, instead of being taken for the article already stored. A social line
//! without an id gets one from its text (`text-` and 16 hex digits of its SHA-256), so
//! re-importing finds it again; a line without a date stays undated (its import time is in
//! `fetched_at`), so re-importing stores nothing and changes nothing.
//!
//! Imported documents are marked `backfill`: the detector goes by their own dates, so history
//! never becomes today's news and an undated line never enters the detection window.

use praden_core::{thai_time, NewDocument, SourceKind};
use serde::Deserialize;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub source_id: String,
    pub kind: SourceKind,
    /// When unset, the host of each document's URL.
    pub outlet: Option<String>,
}

#[derive(Deserialize)]
struct Line {
    id: Option<serde_json::Value>,
    pub_date: Option<String>,
    title: Option<String>,
    body: Option<String>,
    /// Social posts carry `text` instead of `body`.
    text: Option<String>,
    author: Option<String>,
    /// The programme of a broadcast (the outlet when `--outlet` is not given).
    category: Option<String>,
    channel: Option<String>,
    url: Option<String>,
}

/// A file of lines that cannot be opened or read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct LinesError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// Counts the bytes read from the file, for the progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A JSON-lines file opened for reading, gzip-compressed or not.
pub struct Lines {
    pub reader: Box<dyn BufRead>,
    /// The file's size in bytes.
    pub size: u64,
    /// Bytes of the file read so far (for progress).
    pub read: Arc<AtomicU64>,
}

/// Opens `path` as lines, decompressing it if it is gzip.
pub fn open_lines(path: &Path) -> Result<Lines, LinesError> {
    let open_err = |source| LinesError {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(open_err)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let read = Arc::new(AtomicU64::new(0));
    let mut raw = BufReader::new(Counting {
        inner: file,
        read: read.clone(),
    });
    let gzip = raw.fill_buf().map_err(open_err)?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(raw)))
    } else {
        Box::new(raw)
    };
    Ok(Lines { reader, size, read })
}

pub fn to_document(
    line: &str,
    o: &ImportOptions,
    fetched_at: OffsetDateTime,
) -> Result<NewDocument, String> {
    let l: Line = serde_json::from_str(line)
        .map_err(|e| format!("not a JSON object of the expected shape: {e}"))?;
    let title = l.title.unwrap_or_default();
    let body = l.body.or(l.text).unwrap_or_default();
    if title.trim().is_empty() && body.trim().is_empty() {
        return Err("it has neither a title nor a body".into());
    }
    let id = match l.id {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(other) => return Err(format!("id {other} is neither a string nor a number")),
        None => None,
    };
    let published_at = l.pub_date.as_deref().map(parse_pub_date).transpose()?;
    let url = l.url.filter(|u| !u.trim().is_empty());
    let nonempty = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    // A broadcast's outlet is its channel or programme, not the web site that hosts it.
    let programme = match o.kind {
        SourceKind::Broadcast => nonempty(l.channel).or(nonempty(l.category)),
        _ => None,
    };
    let outlet = match (&o.outlet, programme, &url) {
        (Some(outlet), _, _) => outlet.clone(),
        (None, Some(p), _) => p,
        (None, None, Some(u)) if o.kind != SourceKind::Social => {
            url_host(u).unwrap_or_else(|| o.source_id.clone())
        }
        (None, None, _) => o.source_id.clone(),
    };
    if o.kind == SourceKind::Social {
        let text = if body.trim().is_empty() {
            &title
        } else {
            &body
        };
        let id =
            id.unwrap_or_else(|| format!("text-{}", &praden_core::content_hash("", text)[..16]));
        let post = praden_core::social::SocialPost {
            id,
            text: text.clone(),
            author: l.author,
            created_at: published_at,
            url,
            engagement: Default::default(),
        };
        return post
            .to_document(&o.source_id, &outlet, fetched_at)
            .map_err(|e| e.to_string());
    }
    if o.kind == SourceKind::Broadcast && id.is_some() {
        let mut doc = NewDocument::new(praden_core::DocumentParts {
            source_id: &o.source_id,
            kind: o.kind,
            outlet: &outlet,
            url: None,
            item_id: id.as_deref(),
            title: &title,
            body: &body,
            published_at,
            fetched_at,
        })
        .map_err(|e| e.to_string())?;
        doc.url = url;
        return Ok(doc);
    }
    NewDocument::new(praden_core::DocumentParts {
        source_id: &o.source_id,
        kind: o.kind,
        outlet: &outlet,
        url: url.as_deref(),
        item_id: id.as_deref(),
        title: &title,
        body: &body,
        published_at,
        fetched_at,
    })
    .map_err(|e| e.to_string())
}

fn url_host(u: &str) -> Option<String> {
    let rest = u.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?;
    Some(host.trim_start_matches("www.").to_string()).filter(|h| !h.is_empty())
}

/// `2020-08-24` (a day, taken as Bangkok midnight; B.E. years accepted) or RFC 3339.
fn parse_pub_date(s: &str) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    thai_time::parse_date_any_era(s)
        .map(thai_time::bangkok_midnight)
        .map_err(|e| format!("pub_date: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ImportOptions {
        ImportOptions {
            source_id: "thaigov".into(),
            kind: SourceKind::Official,
            outlet: None,
        }
    }

    #[test]
    fn corpus_lines_become_documents() {
        let line = r#"{"id": "34466", "pub_date": "2020-08-24", "category": "ข่าวทำเนียบรัฐบาล", "title": "นายกฯ ย้ำ", "body": "วันนี้", "url": "https://www.thaigov.go.th/news/contents/details/34466"}"#;
        let d = to_document(line, &opts(), OffsetDateTime::now_utc()).unwrap();
        assert_eq!(d.outlet, "thaigov.go.th");
        assert_eq!(
            d.item_key,
            "https://www.thaigov.go.th/news/contents/details/34466"
        );
        assert_eq!(
            d.published_at.unwrap().to_string(),
            "2020-08-23 17:00:00.0 +00:00:00"
        );
        assert_eq!(d.kind, SourceKind::Official);
    }

    #[test]
    fn social_and_broadcast_lines() {
        let now = OffsetDateTime::now_utc();
        let social = ImportOptions {
            source_id: "wisesight".into(),
            kind: SourceKind::Social,
            outlet: None,
        };
        let d = to_document(
            r#"{"id": "neg-5003", "sentiment": "neg", "text": "แค่นั้นเอง 5555555555 😁…"}"#,
            &social,
            now,
        )
        .unwrap();
        assert_eq!(d.item_key, "wisesight#neg-5003");
        assert_eq!(
            (d.outlet.as_str(), d.kind),
            ("wisesight", SourceKind::Social)
        );
        assert_eq!(d.title, "แค่นั้นเอง 5555555555 😁…");
        assert_eq!(d.published_at, None);
        // Without an id: one from the text, the same on every import.
        let a = to_document(r#"{"text": "ไม่มีไอดี 555"}"#, &social, now).unwrap();
        let b = to_document(r#"{"text": "ไม่มีไอดี 555"}"#, &social, now).unwrap();
        assert!(a.item_key.starts_with("wisesight#text-"), "{}", a.item_key);
        assert_eq!(a.item_key, b.item_key);
        assert_ne!(
            a.item_key,
            to_document(r#"{"text": "อีกข้อความ"}"#, &social, now)
                .unwrap()
                .item_key
        );

        let broadcast = ImportOptions {
            source_id: "thaikufah".into(),
            kind: SourceKind::Broadcast,
            outlet: None,
        };
        let line = r#"{"id": "34464", "pub_date": "2020-08-24", "category": "รายการวิทยุไทยคู่ฟ้า", "title": "โคก หนอง นา", "body": "ต่อจากนี้ไป ขอเชิญรับฟังไทยคู่ฟ้า", "url": "https://www.thaigov.go.th/news/contents/details/34464"}"#;
        let d = to_document(line, &broadcast, now).unwrap();
        assert_eq!(d.item_key, "thaikufah#34464");
        assert_eq!(d.outlet, "รายการวิทยุไทยคู่ฟ้า");
        assert_eq!(
            d.url.as_deref(),
            Some("https://www.thaigov.go.th/news/contents/details/34464")
        );
        assert_eq!(d.kind, SourceKind::Broadcast);
    }

    #[test]
    fn bad_lines_say_why() {
        let now = OffsetDateTime::now_utc();
        assert!(to_document("{", &opts(), now)
            .unwrap_err()
            .contains("not a JSON object"));
        assert!(
            to_document(r#"{"id": 1, "title": "", "body": " "}"#, &opts(), now)
                .unwrap_err()
                .contains("neither a title")
        );
        assert!(to_document(
            r#"{"id": 1, "title": "x", "pub_date": "2020-02-31"}"#,
            &opts(),
            now
        )
        .unwrap_err()
        .contains("pub_date"));
        assert!(to_document(r#"{"title": "x"}"#, &opts(), now)
            .unwrap_err()
            .contains("neither a URL nor an id"));
    }
}
