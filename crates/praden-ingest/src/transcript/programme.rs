//! What a transcript file is of: its sidecar or its file name, and the documents of its
//! segments.

use super::*;

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

pub(super) fn programme_from(
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

pub(super) fn file_stem(name: &str) -> &str {
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
