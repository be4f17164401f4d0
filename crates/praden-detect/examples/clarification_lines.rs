//! `praden match-clarification` without the binary's dependencies, for tuning the matcher
//! quickly: the same JSON-lines contract (stdin to stdout), same matcher, same defaults.
//!
//!     python3 tests/clarification/pairs.py input --split tune \
//!       | cargo run --release -p praden-detect --example clarification_lines \
//!       | python3 tests/clarification/pairs.py score --split tune
//!
//! `--explain` adds the evidence to every line; `--time` prints to stderr the time per line
//! and the time of scoring alone (every issue of the input against every document, each
//! prepared once); `--set NAME=VALUE` overrides a `ClarificationConfig` field (for tuning on
//! the tune split only).

use std::io::Write;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let explain = args.iter().any(|a| a == "--explain");
    let time = args.iter().any(|a| a == "--time");
    let mut config = praden_detect::ClarificationConfig::default();
    for pair in args.windows(2).filter(|w| w[0] == "--set") {
        let (name, value) = pair[1].split_once('=').ok_or("--set takes NAME=VALUE")?;
        let value: f64 = value.parse().map_err(|e| format!("--set {name}: {e}"))?;
        let field = match name {
            "weight_overlap" => &mut config.weight_overlap,
            "weight_cue" => &mut config.weight_cue,
            "weight_agency" => &mut config.weight_agency,
            "threshold" => &mut config.threshold,
            "min_overlap" => &mut config.min_overlap,
            "lead_word_credit" => &mut config.lead_word_credit,
            "lead_cue_factor" => &mut config.lead_cue_factor,
            "min_word_weight" => &mut config.min_word_weight,
            other => return Err(format!("--set: no config field {other:?}").into()),
        };
        *field = value;
    }
    let matcher = praden_detect::ClarificationMatcher::new(
        std::sync::Arc::new(praden_detect::AgencyRegistry::load_default()?),
        config,
    );
    let input = std::io::read_to_string(std::io::stdin())?;
    let started = Instant::now();
    let summary = praden_detect::clarification_stream(
        &matcher,
        explain,
        input.as_bytes(),
        std::io::stdout().lock(),
        std::io::stderr().lock(),
    )?;
    if time {
        let per = started.elapsed().as_secs_f64() * 1e3 / summary.lines.max(1) as f64;
        writeln!(
            std::io::stderr(),
            "{} lines, {} errors, {per:.3} ms per line (segmentation included)",
            summary.lines,
            summary.errors
        )?;
        score_only(&matcher, &input)?;
    }
    Ok(())
}

/// Scoring alone: the distinct issues and documents of the input prepared once, then every
/// issue against every document.
fn score_only(
    matcher: &praden_detect::ClarificationMatcher,
    input: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut issues = std::collections::BTreeMap::new();
    let mut docs = std::collections::BTreeMap::new();
    for line in input.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        issues.insert((s("issue_title"), s("agency")), ());
        docs.insert((s("doc_title"), s("doc_body")), ());
    }
    let started = Instant::now();
    let docs: Vec<_> = docs
        .keys()
        .take(300)
        .map(|(t, b)| matcher.prepare_document(t, b))
        .collect();
    let prep_docs = started.elapsed();
    let issues: Vec<_> = issues
        .keys()
        .take(300)
        .map(|(t, a)| matcher.prepare_issue(t, a))
        .collect();
    let started = Instant::now();
    let mut matches = 0usize;
    for d in &docs {
        for i in &issues {
            matches += usize::from(matcher.score(i, d).is_match);
        }
    }
    let pairs = docs.len() * issues.len();
    writeln!(
        std::io::stderr(),
        "prepare: {:.3} ms per document; score: {:.4} ms per pair ({pairs} pairs, {matches} matches)",
        prep_docs.as_secs_f64() * 1e3 / docs.len().max(1) as f64,
        started.elapsed().as_secs_f64() * 1e3 / pairs.max(1) as f64
    )?;
    Ok(())
}
