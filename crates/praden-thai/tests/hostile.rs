//! Arbitrary and adversarial text through the segmenter and both tokenizers: no panic,
//! offsets on character boundaries inside the text, and an amount of output bounded by a
//! small multiple of the input — the work is linear in the text, whatever it holds. (Time
//! itself is measured by `cargo run --release -p praden-thai --example hostile_tokenize`,
//! not asserted here.)

use praden_thai::{Compounds, Segmenter, ThaiTokenizer};
use proptest::prelude::*;

/// Every token of `text`, checked; returns how many.
fn checked_tokens(tok: &mut ThaiTokenizer, text: &str) -> usize {
    let tokens = tok.tokens(text);
    for t in tokens {
        assert!(t.offset_from <= t.offset_to && t.offset_to <= text.len());
        assert!(text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to));
        assert!(!t.text.is_empty());
    }
    tokens.len()
}

/// Tokens per character an index-time tokenizer may give at most: each character starts at
/// most as many sub-words as the dictionary has words that are prefixes of one another (the
/// longest such chain is ก, กก, … of 17 letters: a run of 128 × ก gives 1,927 tokens) and joins
/// at most a few compounds.
const MAX_TOKENS_PER_CHAR: usize = 24;

fn all_tokenizers() -> Vec<ThaiTokenizer> {
    vec![
        ThaiTokenizer::new(),
        ThaiTokenizer::new().compounds(Compounds::Instead),
        ThaiTokenizer::for_indexing().compounds(Compounds::Added),
        ThaiTokenizer::for_indexing()
            .compounds(Compounds::Added)
            .in_text_order(true),
    ]
}

fn thai_soup() -> impl Strategy<Value = String> {
    // Thai letters, vowels and tone marks in any order, digits, Latin, spaces, emoji,
    // combining marks from other scripts, and the odd control character.
    prop::collection::vec(
        prop_oneof![
            8 => prop::char::range('\u{0E01}', '\u{0E5B}'),
            1 => prop::char::range('a', 'z'),
            1 => prop::char::range('0', '9'),
            1 => Just(' '),
            1 => prop::char::range('\u{0300}', '\u{036F}'),
            1 => prop::char::range('\u{1F600}', '\u{1F64F}'),
            1 => any::<char>(),
        ],
        0..400,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_tokenize(text in any::<String>()) {
        for mut tok in all_tokenizers() {
            let n = checked_tokens(&mut tok, &text);
            prop_assert!(n <= MAX_TOKENS_PER_CHAR * text.chars().count().max(1));
        }
    }

    #[test]
    fn thai_soup_tokenizes(text in thai_soup()) {
        for mut tok in all_tokenizers() {
            let n = checked_tokens(&mut tok, &text);
            prop_assert!(n <= MAX_TOKENS_PER_CHAR * text.chars().count().max(1));
        }
        let mut spans = Vec::new();
        Segmenter::new().segment_spans(&text, &mut spans);
        // Spans tile the text.
        let mut at = 0;
        for s in &spans {
            prop_assert_eq!(s.start, at);
            at = s.end;
        }
        prop_assert_eq!(at, text.len());
    }

    #[test]
    fn repeated_runs_stay_linear(unit in "[กขคงจกขก่้๊๋ะาำ]{1,3}", times in 1usize..4000) {
        let text = unit.repeat(times);
        let mut tok = ThaiTokenizer::for_indexing().compounds(Compounds::Added);
        let n = checked_tokens(&mut tok, &text);
        prop_assert!(n <= MAX_TOKENS_PER_CHAR * text.chars().count());
    }
}

/// The inputs that used to take seconds to minutes at index time (30,000 × ก took 36 s):
/// now their token counts are linear, and the test finishes at once.
#[test]
fn long_junk_runs_give_few_tokens() {
    let mut tok = ThaiTokenizer::for_indexing().compounds(Compounds::Added);
    for text in [
        "ก".repeat(30_000),
        "ก".repeat(100_000),
        "กขค".repeat(30_000),
        "้".repeat(50_000),
        "5".repeat(100_000),
        "ค่าไฟ".repeat(20_000),
    ] {
        let chars = text.chars().count();
        let n = checked_tokens(&mut tok, &text);
        assert!(
            n <= MAX_TOKENS_PER_CHAR * chars,
            "{} tokens for {chars} characters of {:?}…",
            n,
            &text[..30]
        );
    }
}
