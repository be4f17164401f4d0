//! WebVTT, SRT and plain-text transcripts into cues, and cues into programme segments.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriptFormat {
    WebVtt,
    Srt,
    Plain,
}

impl TranscriptFormat {
    /// By the file's extension: `.vtt`, `.srt`, `.txt`.
    pub fn of_file(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "vtt" => Some(Self::WebVtt),
            "srt" => Some(Self::Srt),
            "txt" => Some(Self::Plain),
            _ => None,
        }
    }
}

/// One caption: its times are milliseconds from the start of the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
}

/// A cue that could not be used, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CueProblem {
    /// 1-based number of the cue block in the file.
    pub cue: usize,
    /// 1-based line of the block's first line.
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Cues {
    pub cues: Vec<Cue>,
    pub problems: Vec<CueProblem>,
}

#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    #[error("not WebVTT: the first line is {0:?}, not \"WEBVTT\"")]
    NotWebVtt(String),
    #[error("no usable cue ({0})")]
    NoCues(String),
    #[error("the file is empty")]
    Empty,
    #[error("sidecar {name}: {reason}")]
    Sidecar { name: String, reason: String },
    #[error("no sidecar {sidecar} and no date-time (e.g. 20240305-0700) in the file name")]
    NoSidecar { sidecar: String },
    #[error("cannot read the directory {dir}: {reason}")]
    Dir { dir: String, reason: String },
    #[error("cannot read {file}: {reason}")]
    Read { file: String, reason: String },
    #[error("the listing {url} is neither a JSON list nor an HTML index: {reason}")]
    Listing { url: String, reason: String },
}

/// The text of a transcript file: decoded (UTF-8, else TIS-620/windows-874), without a
/// byte-order mark, with `\n` line ends.
pub fn decode(bytes: &[u8]) -> String {
    let (utf8, _) = crate::charset::to_utf8(bytes, None);
    let text = String::from_utf8_lossy(&utf8);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// `[hh:]mm:ss[.,]fff` to milliseconds.
pub(super) fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    let (clock, frac) = match s.rfind(['.', ',']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    if frac.len() > 3 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let ms: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>().ok()? * 10i64.pow(3 - frac.len() as u32)
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let num = |p: &str| -> Option<i64> {
        (!p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let (h, m, sec) = match parts.as_slice() {
        [m, s] => (0, num(m)?, num(s)?),
        [h, m, s] => (num(h)?, num(m)?, num(s)?),
        _ => return None,
    };
    if m >= 60 || sec >= 60 {
        return None;
    }
    Some(((h * 60 + m) * 60 + sec) * 1000 + ms)
}

/// Caption markup out: WebVTT tags (`<v Name>`, `<c.x>`, `<00:00:01.000>`), SRT's `<i>` and
/// `{\an8}`, and the entities WebVTT allows.
pub(super) fn clean_cue_text(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' => {
                for c in chars.by_ref() {
                    if c == '>' {
                        break;
                    }
                }
            }
            '{' if chars.peek() == Some(&'\\') => {
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&lrm;", "")
        .replace("&rlm;", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses WebVTT or SRT text (already `decode`d) into cues ordered by start time.
pub fn parse_cues(format: TranscriptFormat, text: &str) -> Result<Cues, TranscriptError> {
    let mut lines = text.lines().enumerate().peekable();
    if format == TranscriptFormat::WebVtt {
        let first = lines.peek().map(|(_, l)| *l).unwrap_or_default();
        let is_header = first
            .strip_prefix("WEBVTT")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
        if !is_header {
            return Err(TranscriptError::NotWebVtt(first.chars().take(40).collect()));
        }
        // The header block runs to the first blank line.
        for (_, l) in lines.by_ref() {
            if l.trim().is_empty() {
                break;
            }
        }
    }
    let mut blocks: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut current: Option<(usize, Vec<&str>)> = None;
    for (i, line) in lines {
        if line.trim().is_empty() {
            blocks.extend(current.take());
        } else {
            current
                .get_or_insert_with(|| (i + 1, Vec::new()))
                .1
                .push(line);
        }
    }
    blocks.extend(current);
    let mut out = Cues::default();
    let mut number = 0;
    for (line, block) in blocks {
        if format == TranscriptFormat::WebVtt
            && ["NOTE", "STYLE", "REGION"].iter().any(|k| {
                block[0] == *k
                    || block[0].starts_with(&format!("{k} "))
                    || block[0].starts_with(&format!("{k}\t"))
            })
        {
            continue;
        }
        number += 1;
        let problem = |reason: String| CueProblem {
            cue: number,
            line,
            reason,
        };
        // The timing line is the first or, after a cue id / SRT counter, the second.
        let Some(t) = block.iter().take(2).position(|l| l.contains("-->")) else {
            out.problems
                .push(problem("no timing line (start --> end)".into()));
            continue;
        };
        let timing = block[t];
        let (start, rest) = timing.split_once("-->").expect("contains -->");
        let end = rest.split_whitespace().next().unwrap_or_default();
        let (Some(start_ms), Some(end_ms)) = (parse_timestamp(start), parse_timestamp(end)) else {
            out.problems
                .push(problem(format!("bad timestamp in {:?}", timing.trim())));
            continue;
        };
        if end_ms < start_ms {
            out.problems.push(problem(format!(
                "ends before it starts ({:?})",
                timing.trim()
            )));
            continue;
        }
        let text = block[t + 1..]
            .iter()
            .map(|l| clean_cue_text(l))
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if text.is_empty() {
            continue;
        }
        out.cues.push(Cue {
            start_ms,
            end_ms,
            text,
        });
    }
    // Overlapping and out-of-order cues are kept, in start order (a stable sort keeps the
    // file's order for equal starts).
    out.cues.sort_by_key(|c| c.start_ms);
    if out.cues.is_empty() {
        let why = match out.problems.first() {
            Some(p) => format!(
                "{} cue blocks, all unusable; first: cue {}: {}",
                number, p.cue, p.reason
            ),
            None if number == 0 => "no cue blocks".to_string(),
            None => "every cue is empty".to_string(),
        };
        return Err(TranscriptError::NoCues(why));
    }
    Ok(out)
}

/// A run of cues that make one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
}

/// Joins cues (in start order) into segments by the rule in the module documentation.
pub fn segments(cues: &[Cue], gap: Duration, max: Duration) -> Vec<Segment> {
    let gap = gap.as_millis() as i64;
    let max = max.as_millis() as i64;
    let mut out: Vec<Segment> = Vec::new();
    let mut last_text: Option<&str> = None;
    for cue in cues {
        let starts_new = match out.last() {
            None => true,
            Some(s) => cue.start_ms - s.end_ms > gap || cue.end_ms.max(s.end_ms) - s.start_ms > max,
        };
        if starts_new {
            out.push(Segment {
                start_ms: cue.start_ms,
                end_ms: cue.end_ms,
                text: cue.text.clone(),
            });
        } else {
            let s = out.last_mut().expect("not empty");
            s.end_ms = s.end_ms.max(cue.end_ms);
            // Rolling captions repeat a line in the next cue: write it once.
            if last_text != Some(cue.text.as_str()) {
                s.text.push('\n');
                s.text.push_str(&cue.text);
            }
        }
        last_text = Some(&cue.text);
    }
    out
}
