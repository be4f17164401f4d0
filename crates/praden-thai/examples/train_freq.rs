//! Regenerates `dict/tud_train_freq.txt`: how often each Thai word occurs in the
//! UD_Thai-TUD training split. build.rs turns these counts (with the TNC frequencies)
//! into word costs, so the dictionary learns the word granularity of the gold data.
//! Only the training split is read: the dev sets stay held out.
//!
//! cargo run --example train_freq -- [../../../shared/data/thai-seg/tud-train.label]
use std::collections::HashMap;
use std::io::Write;

fn is_thai_word(token: &str) -> bool {
    let mut has_letter = false;
    for c in token.chars() {
        match c {
            '\u{0E01}'..='\u{0E4F}' | '\u{0E5A}' | '\u{0E5B}' => has_letter = true,
            '.' => {}
            _ => return false,
        }
    }
    has_letter
}

fn main() -> std::io::Result<()> {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let input = std::env::args()
        .nth(1)
        .unwrap_or_else(|| format!("{manifest}/../../../shared/data/thai-seg/tud-train.label"));
    let text = std::fs::read_to_string(&input)?;
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for line in text.lines() {
        for token in line.split('|') {
            if is_thai_word(token) {
                *counts.entry(token).or_default() += 1;
            }
        }
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let out_path = format!("{manifest}/dict/tud_train_freq.txt");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&out_path)?);
    for (word, count) in &rows {
        writeln!(out, "{word}\t{count}")?;
    }
    eprintln!("{} words -> {out_path}", rows.len());
    Ok(())
}
