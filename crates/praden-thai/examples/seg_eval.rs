//! Prints praden-thai's figures beside icu_segmenter (dictionary mode) and nlpo3 (newmm
//! with words_th.txt): word F1 on the dev sets, throughput on real news text, dictionary
//! load time, resident memory, index/query recall and the time for a 10 MB line.
//! Prints only; asserts nothing.
//!
//! cargo run --release --example seg_eval -- [MB of corpus text, default 8]
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::time::Instant;

use praden_thai::{Compounds, Segmenter, ThaiTokenizer};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(8);

    let t = Instant::now();
    let seg = Segmenter::new();
    let load_ms = t.elapsed().as_secs_f64() * 1e3;

    let articles = read_corpus(mb << 20);
    let corpus_bytes: usize = articles.iter().map(|a| a.len()).sum();

    // --- praden alone first, so its memory figure is not inflated by the others ---
    let mut spans = Vec::new();
    let mut praden_cpu_mbs = 0.0f64;
    let praden_mbs = best_of(3, || {
        let t = Instant::now();
        let cpu = cpu_secs();
        for a in &articles {
            spans.clear();
            seg.segment_spans(a, &mut spans);
        }
        praden_cpu_mbs = praden_cpu_mbs.max(corpus_bytes as f64 / (cpu_secs() - cpu) / 1e6);
        corpus_bytes as f64 / t.elapsed().as_secs_f64() / 1e6
    });
    let mut index_tok = ThaiTokenizer::for_indexing();
    let t = Instant::now();
    for a in &articles {
        index_tok.tokens(a);
    }
    let index_mbs = corpus_bytes as f64 / t.elapsed().as_secs_f64() / 1e6;
    let rss_mb = proc_status("VmHWM:") / 1024.0;

    let (line_10mb_s, line_1mb_s, line_len) = long_line(&seg, &articles);
    let recall = recall(&seg, &articles);

    // --- the others, on the same text ---
    let icu = icu_segmenter::WordSegmenter::new_dictionary(Default::default());
    let icu_seg = |s: &str| -> Vec<String> {
        let bps: Vec<usize> = icu.segment_str(s).collect();
        bps.windows(2).map(|w| s[w[0]..w[1]].to_string()).collect()
    };
    let t = Instant::now();
    let nlpo3 =
        nlpo3::tokenizer::newmm::NewmmTokenizer::new(&format!("{SHARED}/lexicon/words_th.txt"));
    let nlpo3_load_ms = t.elapsed().as_secs_f64() * 1e3;
    use nlpo3::tokenizer::tokenizer_trait::Tokenizer as _;
    let nlpo3_seg = |s: &str| -> Vec<String> { nlpo3.segment_to_string(s, false, false) };
    let praden_seg =
        |s: &str| -> Vec<String> { seg.segment(s).into_iter().map(String::from).collect() };

    let icu_mbs = throughput(&articles, corpus_bytes, &icu_seg);
    let nlpo3_mbs = throughput(&articles, corpus_bytes, &nlpo3_seg);

    println!("praden-thai segmentation benchmark");
    println!(
        "corpus sample: {} articles, {:.1} MB of thaigov news (title + body)",
        articles.len(),
        corpus_bytes as f64 / 1e6
    );
    println!();
    println!(
        "{:<14} {:>10} {:>15} {:>10}",
        "segmenter", "tud-dev F1", "wisesight F1", "MB/s"
    );
    for (name, f) in [
        ("praden-thai", &praden_seg as &dyn Fn(&str) -> Vec<String>),
        ("icu_segmenter", &icu_seg),
        ("nlpo3 newmm", &nlpo3_seg),
    ] {
        let lost = ["tud-dev", "wisesight-dev"]
            .iter()
            .map(|n| lost_lines(n, f))
            .sum::<usize>();
        if lost > 0 {
            println!("  ({name}: {lost} dev lines whose tokens do not concatenate to the input, whitespace ignored)");
        }
        let tud = f1_file("tud-dev", f);
        let ws = f1_file("wisesight-dev", f);
        let mbs = match name {
            "praden-thai" => praden_mbs,
            "icu_segmenter" => icu_mbs,
            _ => nlpo3_mbs,
        };
        println!("{name:<14} {tud:>10.4} {ws:>15.4} {mbs:>10.1}");
    }
    println!();
    println!("praden throughput by process CPU time (less sensitive to a busy machine): {praden_cpu_mbs:.1} MB/s");
    println!(
        "praden dictionary load: {load_ms:.1} ms (nlpo3 dictionary load: {nlpo3_load_ms:.1} ms)"
    );
    println!("praden index-time tokenizer (with sub-words): {index_mbs:.1} MB/s");
    println!(
        "peak RSS after the praden runs (includes the {:.0} MB text sample): {rss_mb:.1} MB",
        corpus_bytes as f64 / 1e6
    );
    println!(
        "no-space line: {:.1} MB in {line_10mb_s:.3} s; first 1/10 of it in {line_1mb_s:.3} s (ratio {:.1}, linear = 10)",
        line_len as f64 / 1e6,
        line_10mb_s / line_1mb_s
    );
    println!(
        "search recall: {}/{} (word, article) pairs found by phrase = {:.4}; \
         {} pairs where the word only straddles word boundaries, {} of them matched \
         (false matches = {:.4} of all matches)",
        recall.found,
        recall.clean,
        recall.found as f64 / recall.clean as f64,
        recall.straddle_only,
        recall.straddle_matched,
        recall.straddle_matched as f64 / (recall.found + recall.straddle_matched) as f64
    );
}

/// User + system CPU time of this process (/proc/self/stat, 100 ticks a second).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    // After the ")" the fields start at field 3 (state); utime and stime are 14 and 15.
    let f: Vec<&str> = after.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (num(11) + num(12)) / 100.0
}

fn best_of(n: usize, mut f: impl FnMut() -> f64) -> f64 {
    (0..n).map(|_| f()).fold(0.0, f64::max)
}

fn throughput(articles: &[String], bytes: usize, f: &dyn Fn(&str) -> Vec<String>) -> f64 {
    let t = Instant::now();
    for a in articles {
        std::hint::black_box(f(a));
    }
    bytes as f64 / t.elapsed().as_secs_f64() / 1e6
}

fn read_corpus(limit: usize) -> Vec<String> {
    let file = std::fs::File::open(format!("{SHARED}/corpus/thaigov-news-2020-2024h1.jsonl.gz"))
        .expect("corpus file");
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    let mut total = 0;
    for line in reader.lines() {
        let line = line.expect("corpus line");
        let v: serde_json::Value = serde_json::from_str(&line).expect("corpus json");
        let text = format!(
            "{}\n{}",
            v["title"].as_str().unwrap_or(""),
            v["body"].as_str().unwrap_or("")
        );
        total += text.len();
        out.push(text);
        if total >= limit {
            break;
        }
    }
    out
}

/// Word F1 exactly as tools/seg_score.py: whitespace removed from tokens, empty tokens
/// dropped, a word counts when its character span matches a gold span; micro-averaged
/// over lines, lines whose gold is empty skipped.
fn f1_file(name: &str, f: &dyn Fn(&str) -> Vec<String>) -> f64 {
    let raw = std::fs::read_to_string(format!("{SHARED}/thai-seg/{name}.txt")).expect("dev txt");
    let gold =
        std::fs::read_to_string(format!("{SHARED}/thai-seg/{name}.label")).expect("dev label");
    let (mut correct, mut n_ref, mut n_hyp) = (0usize, 0usize, 0usize);
    for (r, g) in raw.split('\n').zip(gold.split('\n')) {
        let gold_toks: Vec<String> = g.split('|').map(String::from).collect();
        let hyp = f(r);
        let (rs, rl) = spans(&gold_toks);
        if rl == 0 {
            continue;
        }
        let (hs, _) = spans(&hyp);
        let hs: HashSet<_> = hs.into_iter().collect();
        let rs: HashSet<_> = rs.into_iter().collect();
        correct += rs.intersection(&hs).count();
        n_ref += rs.len();
        n_hyp += hs.len();
    }
    let p = correct as f64 / n_hyp as f64;
    let r = correct as f64 / n_ref as f64;
    2.0 * p * r / (p + r)
}

fn lost_lines(name: &str, f: &dyn Fn(&str) -> Vec<String>) -> usize {
    let raw = std::fs::read_to_string(format!("{SHARED}/thai-seg/{name}.txt")).expect("dev txt");
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    raw.lines()
        .filter(|l| squeeze(&f(l).concat()) != squeeze(l))
        .count()
}

fn spans(tokens: &[String]) -> (Vec<(usize, usize)>, usize) {
    let mut out = Vec::new();
    let mut pos = 0;
    for t in tokens {
        let n = t.chars().filter(|c| !c.is_whitespace()).count();
        if n > 0 {
            out.push((pos, pos + n));
            pos += n;
        }
    }
    (out, pos)
}

fn proc_status(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(f64::NAN)
}

/// Times one ~10 MB line of real text with all whitespace removed, and its first tenth.
fn long_line(seg: &Segmenter, articles: &[String]) -> (f64, f64, usize) {
    let mut line = String::with_capacity(11 << 20);
    'outer: loop {
        for a in articles {
            line.extend(a.chars().filter(|c| !c.is_whitespace()));
            if line.len() >= 10_000_000 {
                break 'outer;
            }
        }
    }
    let mut cut = line.len() / 10;
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut spans = Vec::new();
    let t = Instant::now();
    seg.segment_spans(&line[..cut], &mut spans);
    let small = t.elapsed().as_secs_f64();
    spans.clear();
    let t = Instant::now();
    seg.segment_spans(&line, &mut spans);
    let big = t.elapsed().as_secs_f64();
    (big, small, line.len())
}

/// Whether byte offset `i` of `text` is a character-cluster boundary (a word may
/// start or end there).
fn cluster_edge(text: &str, i: usize) -> bool {
    let prev = text[..i].chars().next_back();
    let next = text[i..].chars().next();
    match (prev, next) {
        (Some(p), Some(n)) => {
            let dependent = |c: char| matches!(c, '\u{0E30}'..='\u{0E3A}' | '\u{0E45}' | '\u{0E47}'..='\u{0E4E}');
            !(dependent(n) || matches!(p, '\u{0E40}'..='\u{0E44}'))
        }
        _ => true,
    }
}

struct Recall {
    clean: usize,
    found: usize,
    straddle_only: usize,
    straddle_matched: usize,
}

/// For (lexicon word, article) pairs where the word occurs in the article's text: does
/// the index-time token stream hold the word's query-time tokens at consecutive
/// positions (what a phrase query needs)? Occurrences are classed against the plain
/// segmentation of the article: "clean" when the occurrence is a token sequence or lies
/// inside one token (a compound), "straddling" when it cuts across a token boundary
/// (ตาก in ตา|กลม) — a match there is a false match.
fn recall(seg: &Segmenter, articles: &[String]) -> Recall {
    let lexicon: HashSet<String> =
        std::fs::read_to_string(format!("{SHARED}/lexicon/words_th.txt"))
            .expect("words_th")
            .lines()
            .map(|w| w.trim().to_string())
            .filter(|w| {
                w.chars().count() >= 3 && w.chars().all(|c| ('\u{0E01}'..='\u{0E4E}').contains(&c))
            })
            .collect();
    let mut rng = 0x2545F4914F6CDD1Du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    // The tokenizers the search index uses (praden-index/src/tokenizer.rs).
    let mut index_tok = ThaiTokenizer::for_indexing().compounds(Compounds::Added);
    let mut query_tok = ThaiTokenizer::new().compounds(Compounds::Instead);
    let mut res = Recall {
        clean: 0,
        found: 0,
        straddle_only: 0,
        straddle_matched: 0,
    };
    let mut spans = Vec::new();
    for article in articles.iter().take(600) {
        // Distinct lexicon words occurring in the article.
        let chars: Vec<(usize, char)> = article.char_indices().collect();
        let mut present: Vec<&str> = Vec::new();
        let mut seen = HashSet::new();
        for i in 0..chars.len() {
            for n in 3..=20.min(chars.len() - i) {
                let end = chars.get(i + n).map_or(article.len(), |c| c.0);
                let w = &article[chars[i].0..end];
                if lexicon.contains(w) && seen.insert(w) {
                    present.push(w);
                }
            }
        }
        if present.is_empty() {
            continue;
        }
        present.sort();
        let mut by_pos: HashMap<usize, HashSet<String>> = HashMap::new();
        for t in index_tok.tokens(article) {
            by_pos.entry(t.position).or_default().insert(t.text.clone());
        }
        spans.clear();
        seg.segment_spans(article, &mut spans);
        let starts: HashSet<usize> = spans.iter().map(|s| s.start).collect();
        let ends: HashSet<usize> = spans.iter().map(|s| s.end).collect();
        for _ in 0..3 {
            let w = present[(next() % present.len() as u64) as usize];
            let query: Vec<(usize, String)> = query_tok
                .tokens(w)
                .iter()
                .map(|t| (t.position, t.text.clone()))
                .collect();
            // A phrase query: every query term at the document position that keeps the
            // query's own relative positions.
            let matched = by_pos.keys().any(|&p| {
                query
                    .iter()
                    .all(|(off, q)| by_pos.get(&(p + off)).is_some_and(|set| set.contains(q)))
            });
            // An occurrence that cuts a character cluster (ข้า inside เข้า) is not
            // the word; pairs with only such occurrences are left out.
            let whole_clusters =
                |s: usize, e: usize| cluster_edge(article, s) && cluster_edge(article, e);
            let occurrences: Vec<usize> = article
                .match_indices(w)
                .map(|(s, _)| s)
                .filter(|&s| whole_clusters(s, s + w.len()))
                .collect();
            if occurrences.is_empty() {
                continue;
            }
            let clean = occurrences.iter().any(|&s| {
                let e = s + w.len();
                (starts.contains(&s) && ends.contains(&e))
                    || spans.iter().any(|t| t.start <= s && e <= t.end)
            });
            if clean && !matched && std::env::var_os("SEG_EVAL_DEBUG").is_some() {
                let s = article.find(w).unwrap_or(0);
                let ctx: Vec<&str> = spans
                    .iter()
                    .filter(|t| t.end + 30 > s && t.start < s + w.len() + 30)
                    .map(|t| &article[t.start..t.end])
                    .collect();
                eprintln!("MISS {w} query={query:?} ctx={}", ctx.join("|"));
            }
            if clean {
                res.clean += 1;
                res.found += matched as usize;
            } else {
                res.straddle_only += 1;
                res.straddle_matched += matched as usize;
            }
        }
    }
    res
}
