//! Index-time tokenizing speed on hostile inputs of growing size, beside real Thai text:
//! the time per character must stay flat as the input grows (linear work).
//!
//!     cargo run --release -p praden-thai --example hostile_tokenize

use praden_thai::{Compounds, ThaiTokenizer};
use std::io::BufRead;
use std::time::Instant;

/// Makes a hostile input of about the given length.
type Generator<'a> = Box<dyn Fn(usize) -> String + 'a>;

fn main() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz");
    let mut real = String::new();
    if let Ok(f) = std::fs::File::open(&corpus) {
        for line in std::io::BufReader::new(flate2::read::MultiGzDecoder::new(f))
            .lines()
            .take(400)
        {
            let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            real.push_str(v["body"].as_str().unwrap_or(""));
            real.push('\n');
        }
    }
    let cases: Vec<(&str, Generator)> = vec![
        ("ก repeated", Box::new(|n| "ก".repeat(n))),
        ("กขค repeated", Box::new(|n| "กขค".repeat(n / 3))),
        ("tone marks only", Box::new(|n| "้".repeat(n))),
        ("ค่าไฟ repeated", Box::new(|n| "ค่าไฟ".repeat(n / 5))),
        ("digits", Box::new(|n| "5".repeat(n))),
        (
            "real thaigov text",
            Box::new(|n| real.chars().take(n).collect()),
        ),
    ];
    let mut tok = ThaiTokenizer::for_indexing().compounds(Compounds::Added);
    println!(
        "{:<20} {:>10} {:>10} {:>12} {:>10}",
        "input", "chars", "tokens", "ns/char", "ms"
    );
    for (name, make) in &cases {
        for n in [10_000, 100_000, 1_000_000] {
            let text = make(n);
            let chars = text.chars().count();
            if chars == 0 {
                continue;
            }
            let t = Instant::now();
            let tokens = tok.tokens(&text).len();
            let e = t.elapsed();
            println!(
                "{name:<20} {chars:>10} {tokens:>10} {:>12.1} {:>10.1}",
                e.as_nanos() as f64 / chars as f64,
                e.as_secs_f64() * 1e3
            );
        }
    }
}
