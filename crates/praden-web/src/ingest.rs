//! `POST /api/v1/ingest/social?source=ID`: social-listening vendors push posts as JSON lines.
//!
//! Each line is one post: `{"id", "text", "author"?, "created_at"?, "url"?, "outlet"?,
//! "likes"?, "shares"?, "comments"?, "views"?, "observed_at"?}` (`platform` is accepted for
//! `outlet`; without either the outlet is the source id). A post is stored once per
//! (source, id): pushing it again stores nothing new but records its engagement as another
//! observation, at `observed_at` (the vendor's snapshot time) or else the time of the
//! request. Each bad line is rejected with its line number and reason; the good lines are
//! kept. The answer is 200 whenever the request itself was acceptable, even if every line was
//! rejected: `{"accepted", "duplicates", "rejected": [{"line", "reason"}], "observations"}`.
//! The body is at most 10 MiB and 10,000 lines (413 beyond).

use crate::extract::{Json, Query};
use crate::{ApiError, AppState};
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use praden_core::social::{parse_post_time, Engagement, SocialPost};
use praden_ingest::sources::{valid_source_id, SOURCE_ID_RULE};
use praden_ingest::{DocumentSink, ObservedPost, ParseBudget};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::sync::Notify;

pub const MAX_BODY_BYTES: usize = 10 << 20;
pub const MAX_LINES: usize = 10_000;

/// Hands the push endpoint the sink the pollers write to, so pushed posts are stored,
/// fingerprinted and linked, and wake the index follower and the detector, exactly as polled
/// ones. Without it (a router built alone) the endpoint writes through a sink of its own on
/// the same store that wakes nobody: the follower then finds the posts at its next look.
pub fn with_document_sink(router: Router, sink: DocumentSink) -> Router {
    router.layer(Extension(sink))
}

#[derive(Deserialize)]
pub(crate) struct PushParams {
    source: Option<String>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Rejected {
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Default, Serialize)]
pub struct PushReport {
    /// Posts stored for the first time.
    pub accepted: usize,
    /// Posts already stored (same source and id), left as they were.
    pub duplicates: usize,
    pub rejected: Vec<Rejected>,
    /// Engagement observations recorded (new and known posts).
    pub observations: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: Option<serde_json::Value>,
    text: Option<String>,
    author: Option<String>,
    created_at: Option<serde_json::Value>,
    url: Option<String>,
    #[serde(alias = "platform")]
    outlet: Option<String>,
    likes: Option<i64>,
    shares: Option<i64>,
    comments: Option<i64>,
    views: Option<i64>,
    observed_at: Option<serde_json::Value>,
}

/// One accepted line: the post, its outlet and when its counts were observed.
#[derive(Debug)]
struct Parsed {
    post: SocialPost,
    outlet: Option<String>,
    observed_at: Option<OffsetDateTime>,
}

fn parse_line(text: &str, now: OffsetDateTime) -> Result<Parsed, String> {
    let l: Line = serde_json::from_str(text).map_err(|e| format!("not a post object: {e}"))?;
    let id = match l.id {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::String(_)) | None => return Err("id is missing".into()),
        Some(other) => return Err(format!("id {other} is neither a string nor a number")),
    };
    let text = l
        .text
        .filter(|t| !t.trim().is_empty())
        .ok_or("text is missing or empty")?;
    // PostgreSQL's text cannot hold U+0000: stored, it would fail the whole batch.
    for (name, value) in [
        ("id", Some(&id)),
        ("text", Some(&text)),
        ("author", l.author.as_ref()),
        ("url", l.url.as_ref()),
        ("outlet", l.outlet.as_ref()),
    ] {
        if value.is_some_and(|v| v.contains('\0')) {
            return Err(format!("{name} contains a NUL character (U+0000)"));
        }
    }
    let created_at = l
        .created_at
        .map(|v| parse_post_time(&v, now).map_err(|e| format!("created_at: {e}")))
        .transpose()?;
    let observed_at = l
        .observed_at
        .map(|v| parse_post_time(&v, now).map_err(|e| format!("observed_at: {e}")))
        .transpose()?;
    for (name, v) in [
        ("likes", l.likes),
        ("shares", l.shares),
        ("comments", l.comments),
        ("views", l.views),
    ] {
        if v.is_some_and(|v| v < 0) {
            return Err(format!("{name} is negative"));
        }
    }
    Ok(Parsed {
        post: SocialPost {
            id,
            text,
            author: l.author,
            created_at,
            url: l.url,
            engagement: Engagement {
                likes: l.likes,
                shares: l.shares,
                comments: l.comments,
                views: l.views,
            },
        },
        outlet: l
            .outlet
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty()),
        observed_at,
    })
}

pub(crate) async fn push(
    State(state): State<AppState>,
    sink: Option<Extension<DocumentSink>>,
    Query(params): Query<PushParams>,
    body: Body,
) -> Result<Response, ApiError> {
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return Err(ApiError::TooLarge(format!(
            "the body is larger than {MAX_BODY_BYTES} bytes (or was cut off)"
        )));
    };
    let source = params.source.unwrap_or_default();
    if !valid_source_id(&source) {
        return Err(ApiError::BadParameter(format!(
            "source {source:?}: give ?source=ID, {SOURCE_ID_RULE}"
        )));
    }
    let lines: Vec<&[u8]> = body
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    let non_empty = lines
        .iter()
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count();
    if non_empty == 0 {
        return Err(ApiError::BadParameter(
            "the body has no lines: send one JSON post per line".into(),
        ));
    }
    if non_empty > MAX_LINES {
        return Err(ApiError::TooLarge(format!(
            "{non_empty} lines; at most {MAX_LINES} per request"
        )));
    }
    let now = OffsetDateTime::now_utc();
    let mut report = PushReport::default();
    let mut accepted = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let line = i + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
            Err(e) => {
                report.rejected.push(Rejected {
                    line,
                    reason: format!("not UTF-8: {e}"),
                });
                continue;
            }
        };
        let parsed = parse_line(text, now).and_then(|p| {
            let outlet = p.outlet.clone().unwrap_or_else(|| source.clone());
            let doc = p
                .post
                .to_document(&source, &outlet, now)
                .map_err(|e| e.to_string())?;
            Ok((p, doc))
        });
        match parsed {
            Ok(ok) => accepted.push(ok),
            Err(reason) => report.rejected.push(Rejected { line, reason }),
        }
    }
    let sink = match sink {
        Some(Extension(sink)) => sink,
        None => DocumentSink::new(
            state.store.clone(),
            Arc::new(Notify::new()),
            ParseBudget::default(),
        ),
    };
    let posts: Vec<ObservedPost> = accepted
        .into_iter()
        .map(|(p, doc)| ObservedPost {
            doc,
            engagement: p.post.engagement,
            observed_at: p.observed_at.unwrap_or(now),
        })
        .collect();
    let written = sink.write_posts(&posts).await?;
    report.accepted = written.inserted.len();
    report.duplicates = written.existing;
    report.observations = written.observations;
    tracing::info!(
        source,
        accepted = report.accepted,
        duplicates = report.duplicates,
        rejected = report.rejected.len(),
        "social posts pushed"
    );
    Ok(Json(report).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2024-03-05 05:00 UTC);

    #[test]
    fn lines_become_posts() {
        let p = parse_line(
            r#"{"id": 42, "text": "ค่าไฟแพงงงง 😤", "author": "ป้า", "platform": "facebook", "likes": 5, "observed_at": 1709614800}"#,
            NOW,
        )
        .unwrap();
        assert_eq!(p.post.id, "42");
        assert_eq!(p.outlet.as_deref(), Some("facebook"));
        assert_eq!(p.post.engagement.likes, Some(5));
        assert_eq!(p.observed_at, Some(datetime!(2024-03-05 05:00 UTC)));
    }

    #[test]
    fn bad_lines_say_why() {
        let why = |l: &str| parse_line(l, NOW).unwrap_err();
        assert!(why("{").contains("not a post object"));
        assert!(why(r#"{"text": "x"}"#).contains("id is missing"));
        assert!(why(r#"{"id": "1", "text": "  "}"#).contains("text is missing"));
        assert!(why(r#"{"id": [1], "text": "x"}"#).contains("neither a string nor a number"));
        assert!(why(r#"{"id": "1", "text": "x", "created_at": "ไม่รู้"}"#).contains("created_at"));
        assert!(why(r#"{"id": "1", "text": "x", "likes": -1}"#).contains("likes is negative"));
        assert!(why(r#"{"id": "1", "text": "x", "likes": "many"}"#).contains("not a post object"));
        assert!(why(r#"{"id": "1", "text": "x", "lieks": 1}"#).contains("unknown field"));
        assert!(why(r#"{"id": "1", "text": "a\u0000b"}"#).contains("text contains a NUL"));
        // Dates no store can hold (the year -1199, or 0001) are the line's fault alone.
        let e = why(r#"{"id": "1", "text": "x", "created_at": -99999999999999}"#);
        assert!(
            e.contains("created_at") && e.contains("year out of range"),
            "{e}"
        );
        let e = why(r#"{"id": "1", "text": "x", "observed_at": "0001-01-01T00:00:00Z"}"#);
        assert!(
            e.contains("observed_at") && e.contains("year out of range"),
            "{e}"
        );
    }
}
