//! The JSON-lines contract behind `praden suggest-agency`: one output line per input line,
//! so callers can zip inputs and outputs even when some lines are malformed.

use std::io::{self, BufRead, Write};

use serde::{Deserialize, Serialize};

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
