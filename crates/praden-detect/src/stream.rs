//! The JSON-lines contracts behind `praden suggest-agency` and `praden cluster`: one output
//! line per input line, so callers can zip inputs and outputs even when some lines are
//! malformed.

use std::io::{self, BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::cluster::{ClusterDoc, Clusterer};
use crate::suggest::AgencySuggester;

#[derive(Debug, Deserialize)]
struct StoryLine {
    title: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Debug, Serialize)]
struct AgencyOut<'a> {
    name_th: &'a str,
    abbr: &'a str,
    ministry_abbr: &'a str,
    score: f64,
}

#[derive(Debug, Serialize)]
struct LineOut<'a> {
    agencies: Vec<AgencyOut<'a>>,
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
    mut out: impl Write,
    mut err: impl Write,
) -> io::Result<StreamSummary> {
    let mut summary = StreamSummary::default();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        summary.lines += 1;
        let line_no = i + 1;
        let json = match serde_json::from_str::<StoryLine>(&line) {
            Ok(story) => {
                let suggestions =
                    suggester.suggest(&story.title, story.text.as_deref().unwrap_or(""));
                let agencies = suggestions
                    .iter()
                    .map(|s| AgencyOut {
                        name_th: &s.name_th,
                        abbr: &s.abbr,
                        ministry_abbr: &s.ministry_abbr,
                        score: (s.score * 1e4).round() / 1e4,
                    })
                    .collect();
                serde_json::to_string(&LineOut {
                    agencies,
                    error: None,
                })
            }
            Err(e) => {
                summary.errors += 1;
                let msg = format!("line {line_no}: invalid input: {e}");
                writeln!(err, "{msg}")?;
                serde_json::to_string(&LineOut {
                    agencies: Vec::new(),
                    error: Some(msg),
                })
            }
        }
        .map_err(io::Error::other)?;
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
    mut out: impl Write,
    mut err: impl Write,
) -> io::Result<StreamSummary> {
    let mut summary = StreamSummary::default();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        summary.lines += 1;
        let line_no = i + 1;
        let record = match parse_cluster_line(&line) {
            Ok(doc) => {
                let a = clusterer.add(doc);
                ClusterOut {
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
                }
            }
            Err(e) => {
                summary.errors += 1;
                let msg = format!("line {line_no}: invalid input: {e}");
                writeln!(err, "{msg}")?;
                ClusterOut {
                    id: None,
                    story: None,
                    merged: Vec::new(),
                    error: Some(msg),
                }
            }
        };
        let json = serde_json::to_string(&record).map_err(io::Error::other)?;
        writeln!(out, "{json}")?;
    }
    out.flush()?;
    Ok(summary)
}
