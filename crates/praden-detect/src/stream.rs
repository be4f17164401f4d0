//! The JSON-lines contracts behind `praden suggest-agency`, `praden cluster` and
//! `praden match-clarification`: one output
//! line per input line, so callers can zip inputs and outputs even when some lines are
//! malformed.

use std::io::{self, BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::clarification::{ClarificationMatch, ClarificationMatcher};
use crate::cluster::{ClusterDoc, Clusterer};
use crate::suggest::AgencySuggester;

#[derive(Debug, Deserialize)]
struct StoryLine {
    title: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Debug, Serialize)]
struct AgencyOut {
    name_th: String,
    abbr: String,
    ministry_abbr: String,
    score: f64,
}

#[derive(Debug, Serialize)]
struct LineOut {
    agencies: Vec<AgencyOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamSummary {
    pub lines: usize,
    pub errors: usize,
}

/// Reads `{"title": "...", "text": "..."}` lines and writes `{"agencies": [...]}` lines.
/// A malformed line yields `{"agencies": [], "error": "..."}` on `out` and a message naming
/// the line number on `err`. Only I/O failures abort.
pub fn suggest_stream(
    suggester: &AgencySuggester,
    input: impl BufRead,
    out: impl Write,
    err: impl Write,
) -> io::Result<StreamSummary> {
    json_lines(
        input,
        out,
        err,
        |line| {
            let story: StoryLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
            let suggestions = suggester.suggest(&story.title, story.text.as_deref().unwrap_or(""));
            let agencies = suggestions
                .into_iter()
                .map(|s| AgencyOut {
                    name_th: s.name_th,
                    abbr: s.abbr,
                    ministry_abbr: s.ministry_abbr,
                    score: (s.score * 1e4).round() / 1e4,
                })
                .collect();
            Ok(LineOut {
                agencies,
                error: None,
            })
        },
        |msg| LineOut {
            agencies: Vec::new(),
            error: Some(msg),
        },
    )
}

#[derive(Debug, Deserialize)]
struct PairLine {
    issue_title: String,
    agency: String,
    doc_title: String,
    doc_body: String,
}

#[derive(Debug, Serialize)]
struct PairOut {
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    is_match: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<ClarificationMatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Reads `{"issue_title", "agency", "doc_title", "doc_body"}` lines (all four strings
/// required) and writes `{"match": bool, "score": 0..1}` lines, plus `"evidence"` (cue,
/// matched words, agency, excerpt, speaker) when `explain` is set. A malformed line yields
/// `{"error": "line N: invalid input: …"}` on `out`, so outputs stay aligned with inputs, and
/// the same message on `err`. Consecutive lines about the same document reuse its
/// segmentation. Only I/O failures abort.
pub fn clarification_stream(
    matcher: &ClarificationMatcher,
    explain: bool,
    input: impl BufRead,
    out: impl Write,
    err: impl Write,
) -> io::Result<StreamSummary> {
    let mut last: Option<(String, String, crate::clarification::PreparedDocument)> = None;
    json_lines(
        input,
        out,
        err,
        |line| {
            let pair: PairLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
            let issue = matcher.prepare_issue(&pair.issue_title, &pair.agency);
            let doc = match last.take() {
                Some((t, b, d)) if t == pair.doc_title && b == pair.doc_body => (t, b, d),
                _ => {
                    let d = matcher.prepare_document(&pair.doc_title, &pair.doc_body);
                    (pair.doc_title, pair.doc_body, d)
                }
            };
            let m = matcher.score(&issue, &doc.2);
            last = Some(doc);
            Ok(PairOut {
                is_match: Some(m.is_match),
                score: Some(m.score),
                evidence: explain.then_some(m),
                error: None,
            })
        },
        |msg| PairOut {
            is_match: None,
            score: None,
            evidence: None,
            error: Some(msg),
        },
    )
}

/// One output line per input line: `answer` turns a line into its record; a line it refuses
/// gets the record `failed` makes of the message, and the message (with the line number) also
/// goes to `err`, so the output stays aligned with the input. Only I/O failures abort.
/// Public so the binary's other JSON-lines commands keep the same contract.
pub fn json_lines<T: Serialize>(
    input: impl BufRead,
    mut out: impl Write,
    mut err: impl Write,
    mut answer: impl FnMut(&str) -> Result<T, String>,
    failed: impl Fn(String) -> T,
) -> io::Result<StreamSummary> {
    let mut summary = StreamSummary::default();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        summary.lines += 1;
        let record = match answer(&line) {
            Ok(record) => record,
            Err(e) => {
                summary.errors += 1;
                let msg = format!("line {}: invalid input: {e}", i + 1);
                writeln!(err, "{msg}")?;
                failed(msg)
            }
        };
        let json = serde_json::to_string(&record).map_err(io::Error::other)?;
        writeln!(out, "{json}")?;
    }
    out.flush()?;
    Ok(summary)
}

#[derive(Debug, Deserialize)]
struct ClusterLine {
    id: String,
    published_at: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    outlet: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Debug, Serialize)]
struct MergeOut {
    kept: String,
    absorbed: String,
}

#[derive(Debug, Serialize)]
struct ClusterOut {
    id: Option<String>,
    story: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    merged: Vec<MergeOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// RFC 3339, or a bare `YYYY-MM-DD` (C.E. or B.E.) taken as midnight Bangkok time, as
/// `praden import` reads dates.
fn parse_published_at(s: &str) -> Result<time::OffsetDateTime, String> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    praden_core::thai_time::parse_date_any_era(s)
        .map(praden_core::thai_time::bangkok_midnight)
        .map_err(|_| format!("published_at {s:?} is neither RFC 3339 nor YYYY-MM-DD"))
}

fn parse_cluster_line(line: &str) -> Result<ClusterDoc, String> {
    let raw: ClusterLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let published_at = parse_published_at(&raw.published_at)?;
    let kind = match raw.kind.as_deref() {
        None => praden_core::SourceKind::News,
        Some(k) => k
            .parse()
            .map_err(|e: praden_core::UnknownSourceKind| e.to_string())?,
    };
    Ok(ClusterDoc {
        id: raw.id,
        published_at,
        title: raw.title,
        body: raw.body,
        outlet: raw.outlet,
        kind,
        url: raw.url,
    })
}

/// The JSON-lines contract behind `praden cluster`: reads documents
/// `{"id", "published_at", "title", "body", "outlet", "kind"}` in time order and writes
/// `{"id": "...", "story": "..."}` per input line: the story the document joined when it
/// arrived. When that arrival merged stories, the line also carries
/// `"merged": [{"kept", "absorbed"}]` (earlier lines keep the absorbed id; callers follow the
/// merges). A malformed line gives `{"id": null, "story": null, "error": "line N: ..."}` and the
/// same message on `err`, so output stays aligned with input. Only I/O failures abort.
pub fn cluster_stream(
    clusterer: &mut Clusterer,
    input: impl BufRead,
    out: impl Write,
    err: impl Write,
) -> io::Result<StreamSummary> {
    json_lines(
        input,
        out,
        err,
        |line| {
            let a = clusterer.add(parse_cluster_line(line)?);
            Ok(ClusterOut {
                id: Some(a.doc_id),
                story: Some(a.story.to_string()),
                merged: a
                    .merges
                    .iter()
                    .map(|m| MergeOut {
                        kept: m.kept.to_string(),
                        absorbed: m.absorbed.to_string(),
                    })
                    .collect(),
                error: None,
            })
        },
        |msg| ClusterOut {
            id: None,
            story: None,
            merged: Vec::new(),
            error: Some(msg),
        },
    )
}
