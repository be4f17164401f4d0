//! Compiles the Thai system dictionary (dict/*.txt) into lindera's binary format in
//! OUT_DIR; src/dictionary.rs embeds the result with include_bytes!. Nothing is
//! downloaded and no binary is committed: the CSV sources are the source of truth.
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use lindera_dictionary::builder::DictionaryBuilder;
use lindera_dictionary::dictionary::metadata::Metadata;
use lindera_dictionary::dictionary::schema::Schema;

include!("src/costs.rs");

fn read(path: &Path) -> String {
    println!("cargo:rerun-if-changed={}", path.display());
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Parses `word<TAB>count` lines.
fn read_counts(path: &Path) -> HashMap<String, f64> {
    read(path)
        .lines()
        .filter_map(|line| {
            let (word, count) = line.split_once('\t')?;
            Some((clean(word)?, count.trim().parse().ok()?))
        })
        .collect()
}

/// Entries the lattice can use: non-empty, no whitespace (the pre-pass always splits at
/// whitespace) and no comma (the lexicon is a CSV file).
fn clean(word: &str) -> Option<String> {
    let word = word.trim().trim_start_matches('\u{FEFF}');
    (!word.is_empty() && !word.contains(char::is_whitespace) && !word.contains(','))
        .then(|| word.to_string())
}

fn plain_list(path: &Path) -> Vec<String> {
    read(path)
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .filter_map(clean)
        .collect()
}

fn to_cost(nats: f64) -> i16 {
    (nats * COST_SCALE)
        .round()
        .clamp(i16::MIN as f64 + 1.0, i16::MAX as f64) as i16
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let dict_dir = manifest.join("dict");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=src/costs.rs");

    let train = read_counts(&dict_dir.join("tud_train_freq.txt"));
    let tnc = read_counts(&dict_dir.join("tnc_freq.txt"));
    let wordlist = plain_list(&dict_dir.join("words_th.txt"));
    let domain = plain_list(&dict_dir.join("domain_th.txt"));

    let n_train: f64 = train.values().sum();
    let n_tnc: f64 = tnc.values().sum();
    let mut raw: HashMap<&str, f64> = HashMap::new();
    for (w, c) in &train {
        *raw.entry(w).or_default() += c;
    }
    for (w, c) in &tnc {
        *raw.entry(w).or_default() += TNC_WEIGHT * n_train * c / n_tnc;
    }
    for w in &wordlist {
        *raw.entry(w).or_default() += WORDLIST_PSEUDO_COUNT;
    }
    let total: f64 = raw.values().sum();

    let mut costs: HashMap<&str, i16> = raw
        .iter()
        .map(|(w, r)| {
            let mut nats = -(r / total).ln() + TOKEN_BONUS;
            if !train.contains_key(*w) {
                nats += NOT_IN_TRAIN_PENALTY;
            }
            (*w, to_cost(nats))
        })
        .collect();
    let domain_cost = to_cost(DOMAIN_WORD_COST);
    for w in &domain {
        let c = costs.entry(w).or_insert(domain_cost);
        *c = (*c).min(domain_cost);
    }

    let mut words: Vec<(&str, i16)> = costs.into_iter().collect();
    words.sort();
    let mut lex = String::with_capacity(words.len() * 40);
    for (w, c) in &words {
        writeln!(lex, "{w},0,0,{c},W").unwrap();
    }

    let src = out.join("thai-dict-src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("lex.csv"), lex).unwrap();
    // One context id and a zero connection cost: the model is a unigram model whose
    // whole knowledge sits in the word costs.
    fs::write(src.join("matrix.def"), "1 1\n0 0 0\n").unwrap();
    // Thai letters get single-character unknown candidates always (invoke=1) so the
    // lattice has a path through any spelling; src/segmenter.rs merges them afterwards.
    fs::write(
        src.join("char.def"),
        "DEFAULT 0 1 0\nTHAI 0 0 1\n0x0E01..0x0E5B THAI\n",
    )
    .unwrap();
    let unk = to_cost(UNKNOWN_CHAR_COST);
    fs::write(
        src.join("unk.def"),
        format!("DEFAULT,0,0,{unk},U\nTHAI,0,0,{unk},U\n"),
    )
    .unwrap();

    let dict_out = out.join("thai-dict");
    DictionaryBuilder::new(metadata())
        .build_dictionary(&src, &dict_out)
        .expect("building the Thai dictionary");
}

fn metadata() -> Metadata {
    let fields = |names: &[&str]| Schema::new(names.iter().map(|s| s.to_string()).collect());
    Metadata::new(
        "praden-thai".to_string(),
        "UTF-8".to_string(),
        to_cost(DOMAIN_WORD_COST),
        0,
        0,
        "*".to_string(),
        true,
        false,
        false,
        fields(&[
            "surface",
            "left_context_id",
            "right_context_id",
            "cost",
            "kind",
        ]),
        fields(&["surface", "kind"]),
    )
}
