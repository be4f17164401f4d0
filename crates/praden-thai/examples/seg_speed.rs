//! Segmenting and tokenizing speed on real text, one way at a time (so `time` gives the CPU
//! of each): `seg_speed FILE seg|query|index|sub-words|compounds`, a document a line.
use praden_thai::{Compounds, Segmenter, ThaiTokenizer};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("a text file, a document a line");
    let way = args.next().unwrap_or_else(|| "index".into());
    let text = std::fs::read_to_string(path).expect("readable UTF-8 text");
    let lines: Vec<&str> = text.lines().collect();
    let t = Instant::now();
    let mut n = 0;
    if way == "seg" {
        let seg = Segmenter::new();
        let mut spans = Vec::new();
        for l in &lines {
            spans.clear();
            seg.segment_spans(l, &mut spans);
            n += spans.len();
        }
    } else {
        let mut tok = match way.as_str() {
            "query" => ThaiTokenizer::new(),
            "index" => ThaiTokenizer::for_indexing().compounds(Compounds::Added),
            "sub-words" => ThaiTokenizer::for_indexing(),
            "compounds" => ThaiTokenizer::new().compounds(Compounds::Added),
            other => panic!("unknown way {other}"),
        };
        let check = std::env::var_os("CHECKSUM").is_some();
        let mut sum = std::collections::hash_map::DefaultHasher::new();
        for l in &lines {
            let tokens = tok.tokens(l);
            n += tokens.len();
            if check {
                use std::hash::Hash;
                for t in tokens {
                    (
                        &t.text,
                        t.position,
                        t.offset_from,
                        t.offset_to,
                        t.position_length,
                    )
                        .hash(&mut sum);
                }
            }
        }
        if check {
            use std::hash::Hasher;
            println!("checksum {:x}", sum.finish());
        }
    }
    let mb = text.len() as f64 / 1e6;
    let s = t.elapsed().as_secs_f64();
    println!(
        "{way}: {n} tokens, {mb:.1} MB in {s:.2} s ({:.1} MB/s)",
        mb / s
    );
}
