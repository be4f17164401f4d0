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

use crate::adapter::Context;
use crate::fetch::{Fetched, Validators};
use crate::report::{ItemError, PollError, PollReport};
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

mod cues;
mod listing;
mod poll;
mod programme;

pub(crate) use poll::poll;

pub use cues::*;
pub use listing::*;
pub use programme::*;

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
        source().transcripts().unwrap().clone()
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
