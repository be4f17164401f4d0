//! `format = "transcripts"`: broadcast transcripts in WebVTT (`.vtt`), SRT (`.srt`) or plain
//! text (`.txt`), each with a sidecar JSON beside it (`news-0700.vtt` + `news-0700.json`:
//! `channel`, `programme`, `air_start`), read from a watched directory or an HTTP listing.
//!
//! Cues are joined into one document per programme segment. The segment rule: a new segment
//! starts when the pause between cues is longer than `segment_gap` (default 30 s) or when the
//! segment would run longer than `max_segment` (default 10 min). A cue's time is its offset
//! from `air_start`, so a segment's document is dated at the instant it was aired. Plain text
//! has no cue times: the whole file is one document dated `air_start`.
//!
//! Malformed input never stops a poll:
//! - a byte-order mark, CRLF or CR line ends: accepted;
//! - a cue with a bad timestamp or ending before it starts: skipped, recorded as an item
//!   failure (`FILE cue N`), the rest of the file is used;
//! - overlapping cues (rolling captions): kept, ordered by start time; the same text repeated
//!   by consecutive cues is written once;
//! - empty cues: dropped;
//! - a file that has no usable cue, is not WebVTT despite its name, or whose sidecar is not
//!   valid: recorded as an item failure for the file;
//! - no sidecar: channel = the source's outlet, programme = the file name without extension,
//!   and `air_start` from a date and time in the file name (`20240305-0700`, `2024-03-05_0700`,
//!   B.E. years accepted; Bangkok time); without one the file is recorded as a failure and
//!   tried again when its sidecar appears. Write the sidecar before the transcript (or move
//!   both into place with a rename).

use crate::feed::ItemError;
use crate::fetch::{Fetched, Validators};
use crate::poll::{Ingester, PollError, PollReport};
use crate::sources::Source;
use praden_core::{thai_time, NewDocument};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::OffsetDateTime;

pub const DEFAULT_SEGMENT_GAP: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_SEGMENT: Duration = Duration::from_secs(600);
const DEFAULT_MAX_FILES: usize = 50;
/// A transcript larger than this is refused (a day of speech is well under 2 MB).
const MAX_FILE_BYTES: u64 = 20 << 20;

/// A validated `[source.transcripts]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptsConfig {
    /// The watched directory; `None` for an HTTP listing at the source's `url`.
    pub dir: Option<PathBuf>,
    pub segment_gap: Duration,
    pub max_segment: Duration,
    /// Transcript files read per poll at most (the rest wait for the next poll).
    pub max_files: usize,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTranscripts {
    dir: Option<String>,
    segment_gap: Option<String>,
    max_segment: Option<String>,
    max_files: Option<usize>,
}

impl RawTranscripts {
    pub(crate) fn dir(&self) -> Option<&str> {
        self.dir.as_deref().map(str::trim).filter(|d| !d.is_empty())
    }
}

/// Validates `[source.transcripts]`, adding each problem (named `transcripts.KEY`) to `errs`.
pub(crate) fn validate(raw: RawTranscripts, errs: &mut Vec<String>) -> Option<TranscriptsConfig> {
    let before = errs.len();
    let mut duration = |v: &Option<String>, key: &str, default: Duration| match v.as_deref() {
        None => Some(default),
        Some(text) => match crate::sources::parse_duration(text) {
            Some(d) if d >= Duration::from_secs(1) && d <= Duration::from_secs(6 * 3600) => Some(d),
            Some(_) => {
                errs.push(format!(
                    "transcripts.{key} {text:?} is out of range (1s to 6h)"
                ));
                None
            }
            None => {
                errs.push(format!(
                    "transcripts.{key} {text:?} is not a duration (expected e.g. \"30s\", \"10m\")"
                ));
                None
            }
        },
    };
    let segment_gap = duration(&raw.segment_gap, "segment_gap", DEFAULT_SEGMENT_GAP);
    let max_segment = duration(&raw.max_segment, "max_segment", DEFAULT_MAX_SEGMENT);
    let max_files = raw.max_files.unwrap_or(DEFAULT_MAX_FILES);
    if !(1..=1000).contains(&max_files) {
        errs.push(format!(
            "transcripts.max_files {max_files} is out of range (1 to 1000)"
        ));
    }
    let dir = raw.dir().map(|d| {
        let p = PathBuf::from(d);
        std::path::absolute(&p).unwrap_or(p)
    });
    if errs.len() > before {
        return None;
    }
    Some(TranscriptsConfig {
        dir,
        segment_gap: segment_gap?,
        max_segment: max_segment?,
        max_files,
    })
}

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
fn parse_timestamp(s: &str) -> Option<i64> {
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
fn clean_cue_text(line: &str) -> String {
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

/// The sidecar JSON of a transcript.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Sidecar {
    pub channel: Option<String>,
    #[serde(alias = "program")]
    pub programme: Option<String>,
    /// When the recording starts: RFC 3339, or a Thai date-time (Bangkok time).
    pub air_start: Option<String>,
    /// Where the programme can be watched or heard, if anywhere.
    pub url: Option<String>,
}

/// What a transcript's documents are labelled and dated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    pub channel: String,
    pub programme: String,
    pub air_start: OffsetDateTime,
    pub url: Option<String>,
}

/// The programme from a sidecar's bytes.
pub fn read_sidecar(
    source: &Source,
    name: &str,
    bytes: &[u8],
    file_name: &str,
    now: OffsetDateTime,
) -> Result<Programme, TranscriptError> {
    let err = |reason: String| TranscriptError::Sidecar {
        name: name.to_string(),
        reason,
    };
    let text = decode(bytes);
    let sidecar: Sidecar = serde_json::from_str(&text)
        .map_err(|e| err(format!("not a JSON object of the expected shape: {e}")))?;
    programme_from(source, sidecar, file_name, now).map_err(err)
}

fn programme_from(
    source: &Source,
    sidecar: Sidecar,
    file_name: &str,
    now: OffsetDateTime,
) -> Result<Programme, String> {
    let air = sidecar
        .air_start
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or("air_start is missing")?;
    let air_start =
        thai_time::parse_thai_datetime(air, now).map_err(|e| format!("air_start: {e}"))?;
    let nonempty = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(Programme {
        channel: nonempty(sidecar.channel).unwrap_or_else(|| source.outlet.clone()),
        programme: nonempty(sidecar.programme).unwrap_or_else(|| file_stem(file_name).to_string()),
        air_start,
        url: nonempty(sidecar.url),
    })
}

fn file_stem(name: &str) -> &str {
    name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name)
}

/// The fallback without a sidecar: a date and time in the file name, Bangkok time.
pub fn programme_from_file_name(source: &Source, file_name: &str) -> Option<Programme> {
    let stem = file_stem(file_name);
    let runs: Vec<&str> = stem
        .split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty())
        .collect();
    let date_time = |y: &str, mo: &str, d: &str, hm: Option<&str>| -> Option<OffsetDateTime> {
        let date = thai_time::parse_date_any_era(&format!("{y}-{mo}-{d}")).ok()?;
        let (h, m) = match hm {
            Some(hm) if hm.len() == 4 => (hm[..2].parse().ok()?, hm[2..].parse().ok()?),
            _ => return None,
        };
        let t = time::Time::from_hms(h, m, 0).ok()?;
        Some(thai_time::bangkok_midnight(date).replace_time(t))
    };
    let air_start = runs.windows(4).find_map(|w| {
        (w[0].len() == 4 && w[1].len() == 2 && w[2].len() == 2)
            .then(|| date_time(w[0], w[1], w[2], Some(w[3])))
            .flatten()
    });
    let air_start = air_start.or_else(|| {
        runs.iter().enumerate().find_map(|(i, r)| match r.len() {
            8 => date_time(&r[..4], &r[4..6], &r[6..], runs.get(i + 1).copied()),
            12 => date_time(&r[..4], &r[4..6], &r[6..8], Some(&r[8..])),
            _ => None,
        })
    })?;
    Some(Programme {
        channel: source.outlet.clone(),
        programme: stem.to_string(),
        air_start,
        url: None,
    })
}

/// What one transcript file gave: its documents and the cues that could not be used.
#[derive(Debug, Default)]
pub struct FileDocuments {
    pub documents: Vec<NewDocument>,
    pub problems: Vec<ItemError>,
}

/// Turns one transcript file into documents, one per segment (plain text: one).
pub fn file_documents(
    source: &Source,
    config: &TranscriptsConfig,
    file_name: &str,
    text: &str,
    programme: &Programme,
    fetched_at: OffsetDateTime,
) -> Result<FileDocuments, TranscriptError> {
    let format = TranscriptFormat::of_file(file_name).unwrap_or(TranscriptFormat::Plain);
    let mut out = FileDocuments::default();
    let segments = match format {
        TranscriptFormat::Plain => {
            let body = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            if body.is_empty() {
                return Err(TranscriptError::Empty);
            }
            vec![Segment {
                start_ms: 0,
                end_ms: 0,
                text: body,
            }]
        }
        _ => {
            if text.trim().is_empty() {
                return Err(TranscriptError::Empty);
            }
            let cues = parse_cues(format, text)?;
            out.problems = cues
                .problems
                .iter()
                .map(|p| ItemError {
                    position: p.cue,
                    what: format!("{file_name} cue {} (line {})", p.cue, p.line),
                    reason: p.reason.clone(),
                })
                .collect();
            segments(&cues.cues, config.segment_gap, config.max_segment)
        }
    };
    for seg in segments {
        let start = programme.air_start + time::Duration::milliseconds(seg.start_ms);
        let end = programme.air_start + time::Duration::milliseconds(seg.end_ms);
        let (bs, be) = (thai_time::to_bangkok(start), thai_time::to_bangkok(end));
        let when = if format == TranscriptFormat::Plain {
            format!("{:02}:{:02} น.", bs.hour(), bs.minute())
        } else {
            format!(
                "{:02}:{:02}–{:02}:{:02} น.",
                bs.hour(),
                bs.minute(),
                be.hour(),
                be.minute()
            )
        };
        let title = format!(
            "{} {} {when}",
            programme.programme,
            thai_time::format_thai_date_short(bs.date())
        );
        // The key names the file and the segment's offset, so reading the file again (after
        // a restart, from a listing seen again) stores nothing new.
        let item_id = format!("{file_name}@{}", seg.start_ms);
        let mut doc = NewDocument::new(praden_core::DocumentParts {
            source_id: &source.id,
            kind: source.kind,
            outlet: &programme.channel,
            url: None,
            item_id: Some(&item_id),
            title: &title,
            body: &seg.text,
            published_at: Some(start),
            fetched_at,
        })
        .map_err(|e| TranscriptError::NoCues(e.to_string()))?;
        doc.url = programme.url.clone();
        out.documents.push(doc);
    }
    Ok(out)
}

/// What a file looked like when it was read: a file is read again only when it, or its
/// sidecar, changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    sidecar: Option<(u64, Option<std::time::SystemTime>)>,
}

impl FileStamp {
    /// The stamp as the store keeps it (`transcript_files.stamp`): sizes and modification
    /// times in nanoseconds since 1970, `-` where there is none.
    fn as_text(&self) -> String {
        let time = |m: Option<std::time::SystemTime>| {
            m.and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or("-".to_string(), |d| d.as_nanos().to_string())
        };
        let sidecar = self
            .sidecar
            .map_or("-".to_string(), |(len, m)| format!("{len}@{}", time(m)));
        format!("{}@{};sidecar={sidecar}", self.len, time(self.modified))
    }
}

/// One entry of an HTTP listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingEntry {
    pub url: url::Url,
    /// The sidecar's URL, when the listing names one or has `STEM.json` beside the file.
    pub sidecar: Option<url::Url>,
    /// Sidecar fields given in the listing itself (a JSON listing's entry).
    pub inline: Option<Sidecar>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JsonEntry {
    Url(String),
    Object {
        url: String,
        sidecar: Option<String>,
        #[serde(flatten)]
        fields: Sidecar,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JsonListing {
    List(Vec<JsonEntry>),
    Files { files: Vec<JsonEntry> },
}

fn is_transcript(url: &url::Url) -> bool {
    url.path_segments()
        .and_then(|mut s| s.next_back())
        .is_some_and(|name| TranscriptFormat::of_file(name).is_some())
}

fn sibling_json(url: &url::Url) -> url::Url {
    let mut out = url.clone();
    let path = url.path();
    let stem = path.rsplit_once('.').map(|(s, _)| s).unwrap_or(path);
    out.set_path(&format!("{stem}.json"));
    out
}

/// Reads a listing: a JSON array (or `{"files": [...]}`) of transcript URLs or of objects
/// `{"url", "sidecar"?, "channel"?, "programme"?, "air_start"?}`, or an HTML index page whose
/// links to `.vtt`/`.srt`/`.txt` files are the transcripts (with `STEM.json` as the sidecar
/// when it is linked too). URLs are resolved against the listing's.
pub fn read_listing(base: &url::Url, text: &str) -> Result<Vec<ListingEntry>, TranscriptError> {
    let err = |reason: String| TranscriptError::Listing {
        url: base.to_string(),
        reason,
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        let listing: JsonListing = serde_json::from_str(trimmed)
            .map_err(|e| err(format!("not a list of transcript URLs or objects: {e}")))?;
        let entries = match listing {
            JsonListing::List(e) | JsonListing::Files { files: e } => e,
        };
        let mut out = Vec::new();
        for e in entries {
            let (url, sidecar, inline) = match e {
                JsonEntry::Url(u) => (u, None, None),
                JsonEntry::Object {
                    url,
                    sidecar,
                    fields,
                } => {
                    let inline = (fields != Sidecar::default()).then_some(fields);
                    (url, sidecar, inline)
                }
            };
            let url = base
                .join(&url)
                .map_err(|e| err(format!("{url:?} is not a URL: {e}")))?;
            let sidecar = match sidecar {
                Some(s) => Some(
                    base.join(&s)
                        .map_err(|e| err(format!("{s:?} is not a URL: {e}")))?,
                ),
                None if inline.is_none() => Some(sibling_json(&url)),
                None => None,
            };
            out.push(ListingEntry {
                url,
                sidecar,
                inline,
            });
        }
        return Ok(out);
    }
    let page = scraper::Html::parse_document(text);
    let links = scraper::Selector::parse("a[href]").expect("static selector");
    let hrefs: Vec<url::Url> = page
        .select(&links)
        .filter_map(|a| a.value().attr("href"))
        .filter_map(|h| base.join(h).ok())
        .collect();
    if hrefs.is_empty() && !trimmed.starts_with('<') {
        return Err(err("no links found".into()));
    }
    let mut out: Vec<ListingEntry> = Vec::new();
    for url in hrefs.iter().filter(|u| is_transcript(u)) {
        if out.iter().any(|e| &e.url == url) {
            continue;
        }
        let json = sibling_json(url);
        out.push(ListingEntry {
            url: url.clone(),
            sidecar: hrefs.contains(&json).then_some(json),
            inline: None,
        });
    }
    Ok(out)
}

impl Ingester {
    /// Reads the new or changed transcripts of a watched directory or an HTTP listing.
    pub(crate) async fn poll_transcripts(
        &self,
        source: &Source,
        config: &TranscriptsConfig,
        validators: &Validators,
    ) -> (Result<PollReport, PollError>, Option<Validators>) {
        match &config.dir {
            Some(dir) => (self.poll_directory(source, config, dir).await, None),
            None => self.poll_listing(source, config, validators).await,
        }
    }

    async fn poll_directory(
        &self,
        source: &Source,
        config: &TranscriptsConfig,
        dir: &Path,
    ) -> Result<PollReport, PollError> {
        let dir_err = |e: std::io::Error| TranscriptError::Dir {
            dir: dir.display().to_string(),
            reason: e.to_string(),
        };
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(dir_err)?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| TranscriptFormat::of_file(n).is_some())
            .collect();
        names.sort();
        let stamp_of = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .map(|m| (m.len(), m.modified().ok()))
        };
        let seen = self.store().read_files(&source.id).await?;
        let now = OffsetDateTime::now_utc();
        let mut report = PollReport::default();
        let mut docs = Vec::new();
        let mut read = Vec::new();
        for name in names {
            if read.len() >= config.max_files {
                break;
            }
            let path = dir.join(&name);
            let sidecar_path = path.with_extension("json");
            let Some((len, modified)) = stamp_of(&path) else {
                continue;
            };
            let stamp = FileStamp {
                len,
                modified,
                sidecar: stamp_of(&sidecar_path),
            };
            if already_read(&seen, &name, &stamp) {
                continue;
            }
            read.push((name.clone(), stamp.clone()));
            let result = if len > MAX_FILE_BYTES {
                Err(TranscriptError::Read {
                    file: name.clone(),
                    reason: format!("larger than {MAX_FILE_BYTES} bytes"),
                })
            } else {
                // Reading and parsing are blocking work: on the parse pool, within its budget.
                let (owned, owned_config, file) = (source.clone(), config.clone(), name.clone());
                let has_sidecar = stamp.sidecar.is_some();
                let job = crate::budget::Job::new(&source.id, format!("the transcript {name}"));
                self.parse_pool()
                    .run(job, move |budget| {
                        let sidecar = has_sidecar.then(|| std::fs::read(&sidecar_path));
                        Ok(match std::fs::read(&path) {
                            Ok(bytes) => {
                                budget.check_size(&bytes)?;
                                transcript_file(
                                    &owned,
                                    &owned_config,
                                    &file,
                                    &bytes,
                                    sidecar.map(|s| s.map_err(|e| e.to_string())),
                                    None,
                                    now,
                                )
                            }
                            Err(e) => Err(TranscriptError::Read {
                                file,
                                reason: e.to_string(),
                            }),
                        })
                    })
                    .await
                    .unwrap_or_else(|e| {
                        Err(TranscriptError::Read {
                            file: name.clone(),
                            reason: e.to_string(),
                        })
                    })
            };
            collect(&name, result, &mut docs, &mut report);
        }
        self.store_new_documents(&docs, &mut report).await?;
        self.remember(&source.id, read).await;
        Ok(report)
    }

    async fn poll_listing(
        &self,
        source: &Source,
        config: &TranscriptsConfig,
        validators: &Validators,
    ) -> (Result<PollReport, PollError>, Option<Validators>) {
        let (bytes, new_validators) = match self
            .fetch_politely_with(source, &source.url, validators, &[])
            .await
        {
            Ok(Fetched::NotModified) => {
                let report = PollReport {
                    not_modified: true,
                    ..PollReport::default()
                };
                return (Ok(report), None);
            }
            Ok(Fetched::Body {
                bytes, validators, ..
            }) => (bytes, validators),
            Err(e) => return (Err(e.into()), None),
        };
        let base = source.url.clone();
        let listing = self
            .parse_pool()
            .run(
                crate::budget::Job::new(&source.id, "the transcript listing"),
                move |budget| {
                    let text = decode(&bytes);
                    budget.check_markup(text.as_bytes(), crate::budget::Markup::Html)?;
                    Ok(read_listing(&base, &text))
                },
            )
            .await;
        let entries = match listing {
            Ok(Ok(e)) => e,
            Ok(Err(e)) => return (Err(e.into()), None),
            Err(e) => return (Err(e.into()), None),
        };
        let seen = match self.store().read_files(&source.id).await {
            Ok(seen) => seen,
            Err(e) => return (Err(e.into()), None),
        };
        let now = OffsetDateTime::now_utc();
        let mut report = PollReport::default();
        let mut docs = Vec::new();
        let mut read = Vec::new();
        // A listing's files are remembered by URL: a changed file at the same URL is not read
        // again (publish corrections under a new name).
        let unchanged = FileStamp {
            len: 0,
            modified: None,
            sidecar: None,
        };
        for entry in entries {
            if read.len() >= config.max_files {
                break;
            }
            let key = entry.url.to_string();
            if already_read(&seen, &key, &unchanged) {
                continue;
            }
            let name = entry
                .url
                .path_segments()
                .and_then(|mut s| s.next_back())
                .unwrap_or("transcript")
                .to_string();
            let file = self
                .fetch_politely_with(source, &entry.url, &Validators::default(), &[])
                .await;
            let bytes = match file {
                Ok(Fetched::Body { bytes, .. }) => bytes,
                Ok(Fetched::NotModified) => continue,
                Err(e) => {
                    // Not remembered: tried again next poll.
                    report.found += 1;
                    report.skipped.push(ItemError {
                        position: report.found,
                        what: key.clone(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            let sidecar = match &entry.sidecar {
                None => None,
                Some(url) => match self
                    .fetch_politely_with(source, url, &Validators::default(), &[])
                    .await
                {
                    Ok(Fetched::Body { bytes, .. }) => Some(Ok(bytes)),
                    // No sidecar at the conventional place: the file-name fallback applies.
                    Err(crate::FetchError::Status { status: 404, .. }) => None,
                    Ok(Fetched::NotModified) => None,
                    Err(e) => Some(Err(e.to_string())),
                },
            };
            let missing_sidecar = sidecar.is_none() && entry.inline.is_none();
            let (owned, owned_config, inline) =
                (source.clone(), config.clone(), entry.inline.clone());
            let job = crate::budget::Job::new(&source.id, format!("the transcript {key}"));
            let file_name = name.clone();
            let result = self
                .parse_pool()
                .run(job, move |budget| {
                    budget.check_size(&bytes)?;
                    Ok(transcript_file(
                        &owned,
                        &owned_config,
                        &file_name,
                        &bytes,
                        sidecar,
                        inline,
                        now,
                    ))
                })
                .await
                .unwrap_or_else(|e| {
                    Err(TranscriptError::Read {
                        file: name.clone(),
                        reason: e.to_string(),
                    })
                });
            // A file waiting for its sidecar is tried again; everything else is read once.
            if !(missing_sidecar && result.is_err()) {
                read.push((key.clone(), unchanged.clone()));
            }
            collect(&key, result, &mut docs, &mut report);
        }
        if let Err(e) = self.store_new_documents(&docs, &mut report).await {
            return (Err(e), None);
        }
        self.remember(&source.id, read).await;
        (Ok(report), Some(new_validators))
    }

    /// Records the files read in the store, after their documents: a crash in between only
    /// means reading them once more, which their item keys make a no-op. Best effort, for
    /// the same reason.
    async fn remember(&self, source_id: &str, read: Vec<(String, FileStamp)>) {
        let read: Vec<(String, String)> = read
            .into_iter()
            .map(|(key, stamp)| (key, stamp.as_text()))
            .collect();
        if let Err(e) = self.store().remember_read_files(source_id, &read).await {
            tracing::warn!(source = source_id, error = %e, "transcript files read not recorded");
        }
    }
}

/// Whether the file `key` was read before, when it looked as it does now.
fn already_read(seen: &HashMap<String, String>, key: &str, stamp: &FileStamp) -> bool {
    seen.get(key).is_some_and(|s| *s == stamp.as_text())
}

/// One transcript with its sidecar (bytes, or the error reading them), or the sidecar
/// fields a listing gave, or neither (the file-name fallback).
#[allow(clippy::too_many_arguments)]
fn transcript_file(
    source: &Source,
    config: &TranscriptsConfig,
    name: &str,
    bytes: &[u8],
    sidecar: Option<Result<Vec<u8>, String>>,
    inline: Option<Sidecar>,
    now: OffsetDateTime,
) -> Result<FileDocuments, TranscriptError> {
    let sidecar_name = format!("{}.json", file_stem(name));
    let programme = match (sidecar, inline) {
        (Some(Ok(s)), _) => read_sidecar(source, &sidecar_name, &s, name, now)?,
        (Some(Err(reason)), _) => {
            return Err(TranscriptError::Sidecar {
                name: sidecar_name,
                reason,
            })
        }
        (None, Some(fields)) => programme_from(source, fields, name, now).map_err(|reason| {
            TranscriptError::Sidecar {
                name: "the listing's entry".into(),
                reason,
            }
        })?,
        (None, None) => {
            programme_from_file_name(source, name).ok_or(TranscriptError::NoSidecar {
                sidecar: sidecar_name,
            })?
        }
    };
    file_documents(source, config, name, &decode(bytes), &programme, now)
}

/// Adds one file's outcome to the poll: its documents, its unusable cues, or its failure.
fn collect(
    what: &str,
    result: Result<FileDocuments, TranscriptError>,
    docs: &mut Vec<NewDocument>,
    report: &mut PollReport,
) {
    match result {
        Ok(file) => {
            report.found += file.documents.len() + file.problems.len();
            docs.extend(file.documents);
            for p in file.problems {
                tracing::warn!(error = %p, "transcript cue skipped");
                report.skipped.push(p);
            }
        }
        Err(e) => {
            report.found += 1;
            tracing::warn!(file = what, error = %e, "transcript skipped");
            report.skipped.push(ItemError {
                position: report.found,
                what: what.to_string(),
                reason: e.to_string(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn source() -> Source {
        crate::sources::parse(
            "[[source]]\nid = \"nbt\"\nname = \"NBT\"\nkind = \"broadcast\"\noutlet = \"NBT\"\n\
             url = \"http://127.0.0.1/list\"\nformat = \"transcripts\"\ninterval = \"5m\"\n",
            "sources.toml",
        )
        .unwrap()
        .remove(0)
    }

    fn config() -> TranscriptsConfig {
        source().transcripts.unwrap()
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("01:02:03.456"), Some(3_723_456));
        assert_eq!(parse_timestamp("02:03.4"), Some(123_400));
        assert_eq!(parse_timestamp("00:00:01,000"), Some(1000));
        assert_eq!(parse_timestamp("00:61:00.000"), None);
        assert_eq!(parse_timestamp("00:00:xx.000"), None);
        assert_eq!(parse_timestamp("1.5"), None);
        assert_eq!(parse_timestamp("00:00:01.0000"), None);
    }

    #[test]
    fn webvtt_with_bom_crlf_notes_markup_and_bad_cues() {
        let text = decode(
            "\u{feff}WEBVTT - ข่าวเช้า\r\nKind: captions\r\n\r\nNOTE ผู้จัดทำ\r\n\r\n\
             1\r\n00:00:01.000 --> 00:00:04.000 align:start\r\n<v ผู้ประกาศ>สวัสดีครับ</v> &amp; ยินดีต้อนรับ\r\n\r\n\
             00:00:05.000 --> 00:00:xx.000\r\nเวลาผิด\r\n\r\n\
             00:00:09.000 --> 00:00:08.000\r\nย้อนเวลา\r\n\r\n\
             00:00:06.000 --> 00:00:07.000\r\n\r\n\
             00:00:03.500 --> 00:00:06.000\r\nซ้อนกัน\r\n"
                .as_bytes(),
        );
        let cues = parse_cues(TranscriptFormat::WebVtt, &text).unwrap();
        let texts: Vec<_> = cues.cues.iter().map(|c| c.text.as_str()).collect();
        // The empty cue (00:06) is dropped; the overlapping one is kept, in start order.
        assert_eq!(texts, ["สวัสดีครับ & ยินดีต้อนรับ", "ซ้อนกัน"]);
        assert_eq!(cues.cues[1].start_ms, 3500);
        let reasons: Vec<_> = cues
            .problems
            .iter()
            .map(|p| (p.cue, p.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert_eq!(reasons[0].0, 2);
        assert!(reasons[0].1.contains("bad timestamp"), "{reasons:?}");
        assert!(
            reasons[1].1.contains("ends before it starts"),
            "{reasons:?}"
        );
    }

    #[test]
    fn webvtt_needs_its_header_and_usable_cues() {
        let e = parse_cues(
            TranscriptFormat::WebVtt,
            "1\n00:00:01,000 --> 00:00:02,000\nx\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("not WebVTT"), "{e}");
        let e = parse_cues(
            TranscriptFormat::WebVtt,
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("no usable cue"), "{e}");
        let e = parse_cues(TranscriptFormat::WebVtt, "WEBVTTX\n").unwrap_err();
        assert!(e.to_string().contains("not WebVTT"), "{e}");
    }

    #[test]
    fn srt_with_markup() {
        let text = "1\n00:00:01,000 --> 00:00:02,500\n<i>รัฐบาล</i> {\\an8}แถลง\nต่อ\n\n2\n00:00:03,000 --> 00:00:04,000\nจบ\n";
        let cues = parse_cues(TranscriptFormat::Srt, text).unwrap();
        assert_eq!(cues.cues[0].text, "รัฐบาล แถลง ต่อ");
        assert_eq!((cues.cues[0].start_ms, cues.cues[0].end_ms), (1000, 2500));
        assert_eq!(cues.cues.len(), 2);
        assert!(cues.problems.is_empty());
        let e = parse_cues(TranscriptFormat::Srt, "1\nno timing\n").unwrap_err();
        assert!(e.to_string().contains("no timing line"), "{e}");
    }

    #[test]
    fn segments_split_on_pauses_and_length() {
        let cue = |s: i64, e: i64, t: &str| Cue {
            start_ms: s * 1000,
            end_ms: e * 1000,
            text: t.into(),
        };
        let cues = [
            cue(0, 5, "ก"),
            cue(4, 8, "ก"),
            cue(8, 12, "ข"),
            cue(60, 65, "ค"),
            cue(65, 80, "ง"),
        ];
        let s = segments(&cues, Duration::from_secs(30), Duration::from_secs(15));
        let got: Vec<_> = s
            .iter()
            .map(|s| (s.start_ms / 1000, s.end_ms / 1000, s.text.as_str()))
            .collect();
        assert_eq!(got, [(0, 12, "ก\nข"), (60, 65, "ค"), (65, 80, "ง")]);
    }

    #[test]
    fn file_documents_are_dated_at_air_time() {
        let programme = Programme {
            channel: "NBT".into(),
            programme: "ข่าวเช้า".into(),
            air_start: datetime!(2024-03-05 07:00 +7),
            url: None,
        };
        let text = "WEBVTT\n\n00:00:10.000 --> 00:00:20.000\nนายกฯ แถลง\n\n00:05:00.000 --> 00:05:10.000\nพยากรณ์อากาศ\n";
        let now = datetime!(2024-03-05 02:00 UTC);
        let out =
            file_documents(&source(), &config(), "morning.vtt", text, &programme, now).unwrap();
        assert_eq!(out.documents.len(), 2);
        let d = &out.documents[1];
        assert_eq!(d.published_at, Some(datetime!(2024-03-05 00:05 UTC)));
        assert_eq!(d.title, "ข่าวเช้า 5 มี.ค. 2567 07:05–07:05 น.");
        assert_eq!(d.item_key, "nbt#morning.vtt@300000");
        assert_eq!(d.outlet, "NBT");
        assert_eq!(d.kind, praden_core::SourceKind::Broadcast);
        let plain = file_documents(
            &source(),
            &config(),
            "a.txt",
            "\n  บรรทัด\r\n",
            &programme,
            now,
        )
        .unwrap();
        assert_eq!(plain.documents[0].body, "บรรทัด");
        assert!(matches!(
            file_documents(&source(), &config(), "a.txt", " \n", &programme, now),
            Err(TranscriptError::Empty)
        ));
    }

    #[test]
    fn sidecars_and_the_file_name_fallback() {
        let s = source();
        let now = datetime!(2024-03-05 02:00 UTC);
        let p = read_sidecar(
            &s,
            "a.json",
            "\u{feff}{\"channel\": \"สวท.\", \"program\": \"ไทยคู่ฟ้า\", \"air_start\": \"2024-03-05T07:00:00+07:00\"}".as_bytes(),
            "a.vtt",
            now,
        )
        .unwrap();
        assert_eq!(
            (p.channel.as_str(), p.programme.as_str()),
            ("สวท.", "ไทยคู่ฟ้า")
        );
        assert_eq!(p.air_start, datetime!(2024-03-05 00:00 UTC));
        let e = read_sidecar(&s, "a.json", b"{\"channel\": 1}", "a.vtt", now).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("sidecar a.json: not a JSON object"),
            "{e}"
        );
        let e = read_sidecar(&s, "a.json", b"{}", "a.vtt", now).unwrap_err();
        assert!(e.to_string().contains("air_start is missing"), "{e}");

        let f = programme_from_file_name(&s, "nbt-20240305-0730.vtt").unwrap();
        assert_eq!(f.air_start, datetime!(2024-03-05 00:30 UTC));
        assert_eq!(
            (f.channel.as_str(), f.programme.as_str()),
            ("NBT", "nbt-20240305-0730")
        );
        let f = programme_from_file_name(&s, "2567-03-05_1800.srt").unwrap();
        assert_eq!(f.air_start, datetime!(2024-03-05 11:00 UTC));
        assert!(programme_from_file_name(&s, "202403051200.txt").is_some());
        assert!(programme_from_file_name(&s, "morning.vtt").is_none());
        assert!(programme_from_file_name(&s, "20240305.vtt").is_none());
    }

    #[test]
    fn listings_in_json_or_html() {
        let base = url::Url::parse("http://127.0.0.1/radio/").unwrap();
        let json = r#"["a.vtt", {"url": "b.srt", "channel": "สวท.", "air_start": "2024-03-05T07:00:00+07:00"}, {"url": "/x/c.txt", "sidecar": "meta/c.json"}]"#;
        let e = read_listing(&base, json).unwrap();
        assert_eq!(e[0].url.as_str(), "http://127.0.0.1/radio/a.vtt");
        assert_eq!(
            e[0].sidecar.as_ref().unwrap().as_str(),
            "http://127.0.0.1/radio/a.json"
        );
        assert!(e[1].sidecar.is_none());
        assert_eq!(
            e[1].inline.as_ref().unwrap().channel.as_deref(),
            Some("สวท.")
        );
        assert_eq!(e[2].url.as_str(), "http://127.0.0.1/x/c.txt");
        assert_eq!(
            e[2].sidecar.as_ref().unwrap().as_str(),
            "http://127.0.0.1/radio/meta/c.json"
        );
        assert_eq!(
            read_listing(&base, r#"{"files": ["a.vtt"]}"#)
                .unwrap()
                .len(),
            1
        );

        let html = r#"<html><body><a href="../">up</a><a href="a.vtt">a.vtt</a><a href="a.json">a.json</a><a href="b.srt">b</a><a href="notes.pdf">x</a></body></html>"#;
        let e = read_listing(&base, html).unwrap();
        assert_eq!(e.len(), 2);
        assert!(e[0].sidecar.is_some());
        assert!(e[1].sidecar.is_none(), "b.json is not listed");
        assert!(read_listing(&base, "{\"nope\": 1}").is_err());
        assert!(read_listing(&base, "plain words").is_err());
    }
}
