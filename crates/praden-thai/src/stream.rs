//! The `praden tokenize` contract: UTF-8 lines in, one line of `|`-joined tokens out.

use std::io::{self, BufRead, Write};

use crate::segmenter::Segmenter;

/// What [`tokenize_stream`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub lines: u64,
    pub tokens: u64,
    pub bytes: u64,
    /// Lines that held invalid UTF-8 (replaced by U+FFFD and reported on `err`).
    pub invalid_lines: u64,
}

/// Reads lines from `input` and writes, for each, its tokens joined by `|`: removing
/// the `|` separators gives back the line (a `|` in the input is a token of its own and
/// is indistinguishable from a separator). Line ends (`\n`) are kept as line ends; a
/// `\r` before them is kept as a whitespace token. Invalid UTF-8 is replaced by U+FFFD
/// and reported on `err` with the line number; it never stops the stream.
pub fn tokenize_stream(
    segmenter: &Segmenter,
    mut input: impl BufRead,
    out: impl Write,
    mut err: impl Write,
) -> io::Result<Stats> {
    let mut out = io::BufWriter::new(out);
    let mut stats = Stats::default();
    let mut buf = Vec::new();
    let mut spans = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        stats.lines += 1;
        stats.bytes += buf.len() as u64;
        let had_newline = buf.last() == Some(&b'\n');
        if had_newline {
            buf.pop();
        }
        let line = String::from_utf8_lossy(&buf);
        if let std::borrow::Cow::Owned(_) = line {
            stats.invalid_lines += 1;
            writeln!(
                err,
                "line {}: invalid UTF-8 replaced with U+FFFD",
                stats.lines
            )?;
        }
        spans.clear();
        segmenter.segment_spans(&line, &mut spans);
        for (k, span) in spans.iter().enumerate() {
            if k > 0 {
                out.write_all(b"|")?;
            }
            out.write_all(line[span.start..span.end].as_bytes())?;
        }
        stats.tokens += spans.len() as u64;
        if had_newline {
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(stats)
}
