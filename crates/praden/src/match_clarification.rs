//! `praden match-clarification`: where the lines come from and what the exit status says.
//! The line contract itself is praden-detect's `clarification_stream`.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use praden_detect::{
    clarification_stream, AgencyRegistry, ClarificationConfig, ClarificationMatcher, StreamSummary,
};

pub fn run(input: Option<&Path>, explain: bool, registry: Option<&Path>) -> anyhow::Result<()> {
    let matcher = match registry {
        Some(path) => ClarificationMatcher::new(
            Arc::new(AgencyRegistry::load_with_extension(path)?),
            ClarificationConfig::default(),
        ),
        None => ClarificationMatcher::with_defaults()?,
    };
    let summary = match input {
        Some(path) if path != Path::new("-") => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open the input {}", path.display()))?;
            lines(
                &matcher,
                explain,
                BufReader::new(file),
                std::io::stdout().lock(),
                std::io::stderr().lock(),
            )?
        }
        _ => lines(
            &matcher,
            explain,
            std::io::stdin().lock(),
            std::io::stdout().lock(),
            std::io::stderr().lock(),
        )?,
    };
    check(summary)
}

/// Answers every line; see [`clarification_stream`].
pub fn lines(
    matcher: &ClarificationMatcher,
    explain: bool,
    input: impl BufRead,
    out: impl Write,
    err: impl Write,
) -> anyhow::Result<StreamSummary> {
    clarification_stream(matcher, explain, input, out, err)
        .context("cannot read the input lines or write the answers")
}

/// Every line was answered, but a caller piping the output on must still learn that some
/// answers are errors: a non-zero exit status after the last line.
pub fn check(summary: StreamSummary) -> anyhow::Result<()> {
    anyhow::ensure!(
        summary.errors == 0,
        "{} of {} input lines were malformed (each named above; their output lines are {{\"error\": …}})",
        summary.errors,
        summary.lines
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_answer_per_line_and_malformed_lines_named() {
        let matcher = ClarificationMatcher::with_defaults().unwrap();
        let good = serde_json::json!({
            "issue_title": "เกษตรกรตัดทิ้งผักกาดขาว ราคาตกต่ำ",
            "agency": "กระทรวงพาณิชย์",
            "doc_title": "พณ. ชี้แจงข้อร้องเรียนผักกาดขาวราคาตกต่ำจนเกษตรกรต้องตัดทิ้ง",
            "doc_body": "พิมพ์\nกรมการค้าภายใน เผยผลผลิตผักกาดขาวปลีมีจำนวนมากจากสภาพอากาศที่เอื้ออำนวย ขณะที่การบริโภคชะลอตัว",
        });
        let unrelated = serde_json::json!({
            "issue_title": "ผังเมืองรวมชัยภูมิเปิดทางพื้นที่อุตสาหกรรม",
            "agency": "กระทรวงมหาดไทย",
            "doc_title": good["doc_title"],
            "doc_body": good["doc_body"],
        });
        let input = format!("{good}\n{{\"issue_title\": \"x\"}}\nnot json\n{unrelated}\n");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let summary = lines(&matcher, false, input.as_bytes(), &mut out, &mut err).unwrap();
        assert_eq!((summary.lines, summary.errors), (4, 2));
        let out: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(out.len(), 4, "{out:?}");
        assert_eq!(out[0]["match"], true, "{out:?}");
        assert!(out[0]["score"].as_f64().unwrap() > 0.6);
        assert!(
            out[1]["error"].as_str().unwrap().contains("line 2"),
            "{out:?}"
        );
        assert!(
            out[1]["error"].as_str().unwrap().contains("agency"),
            "names the missing field: {out:?}"
        );
        assert!(out[2]["error"].as_str().unwrap().contains("line 3"));
        assert_eq!(out[3]["match"], false, "{out:?}");
        let err = String::from_utf8(err).unwrap();
        assert!(
            err.contains("line 2: invalid input") && err.contains("line 3: invalid input"),
            "{err}"
        );
        assert!(check(summary).is_err());
        assert!(check(StreamSummary {
            lines: 4,
            errors: 0
        })
        .is_ok());
    }
}
