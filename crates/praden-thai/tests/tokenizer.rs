//! The tantivy token stream, checked without tantivy.
use praden_thai::{ThaiTokenizer, INDEX_TOKENIZER_NAME, TOKENIZER_NAME};
use tantivy_tokenizer_api::{Token, TokenStream, Tokenizer};

fn stream(tok: &mut ThaiTokenizer, text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut s = tok.token_stream(text);
    while s.advance() {
        out.push(s.token().clone());
    }
    out
}

#[test]
fn names_differ() {
    assert_ne!(TOKENIZER_NAME, INDEX_TOKENIZER_NAME);
}

#[test]
fn skips_spaces_and_punctuation_and_lowercases() {
    let text = "COVID-19, ระบาด! ปี ๒๕๖๗";
    let tokens = stream(&mut ThaiTokenizer::new(), text);
    let terms: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(terms, ["covid-19", "ระบาด", "ปี", "2567"]);
    for t in &tokens {
        // Offsets point into the original text.
        assert!(matches!(
            &text[t.offset_from..t.offset_to],
            "COVID-19" | "ระบาด" | "ปี" | "๒๕๖๗"
        ));
    }
    // Positions increase with the text.
    assert!(tokens.windows(2).all(|w| w[0].position < w[1].position));
}

#[test]
fn terms_are_in_matching_form() {
    let tokens = stream(&mut ThaiTokenizer::new(), "ดํา");
    assert_eq!(tokens[0].text, "ดำ");
    assert_eq!(&"ดํา"[tokens[0].offset_from..tokens[0].offset_to], "ดํา");
}

#[test]
fn empty_text_gives_an_empty_stream() {
    let mut tok = ThaiTokenizer::new();
    let mut s = tok.token_stream("   ");
    assert!(!s.advance());
}

/// Whether the query's terms occur in the index stream at the query's relative
/// positions: what a tantivy phrase query checks.
fn phrase_matches(index: &[Token], query: &[Token]) -> bool {
    let Some(first) = query.first() else {
        return false;
    };
    index.iter().filter(|t| t.text == first.text).any(|start| {
        query.iter().all(|q| {
            let pos = start.position + q.position - first.position;
            index.iter().any(|t| t.position == pos && t.text == q.text)
        })
    })
}

#[test]
fn index_stream_finds_sub_words_of_compounds() {
    let mut index = ThaiTokenizer::for_indexing();
    let mut query = ThaiTokenizer::new();
    for (doc, word) in [
        ("ที่ทำเนียบรัฐบาล", "รัฐบาล"),
        ("ประกาศของกรมอุตุนิยมวิทยา", "อุตุนิยมวิทยา"),
        ("กระทรวงสาธารณสุขแถลง", "สาธารณสุข"),
    ] {
        let idx = stream(&mut index, doc);
        let q = stream(&mut query, word);
        assert!(phrase_matches(&idx, &q), "{word} not found in {idx:?}");
    }
}

#[test]
fn plain_phrases_still_match_in_the_index_stream() {
    let mut index = ThaiTokenizer::for_indexing();
    let mut query = ThaiTokenizer::new();
    let doc = "นายกรัฐมนตรีเดินทางไปทำเนียบรัฐบาลเพื่อประชุมคณะรัฐมนตรี";
    let idx = stream(&mut index, doc);
    for phrase in ["เดินทางไปทำเนียบรัฐบาล", "ทำเนียบรัฐบาลเพื่อประชุม", doc]
    {
        let q = stream(&mut query, phrase);
        assert!(phrase_matches(&idx, &q), "{phrase} not found");
    }
    // Words that are not next to each other in the text do not form a phrase.
    let q = stream(&mut query, "นายกรัฐมนตรีประชุม");
    assert!(!phrase_matches(&idx, &q));
}

#[test]
fn index_sub_words_carry_their_own_offsets() {
    let doc = "ทำเนียบรัฐบาล";
    let idx = stream(&mut ThaiTokenizer::for_indexing(), doc);
    let sub = idx
        .iter()
        .find(|t| t.text == "รัฐบาล")
        .expect("sub-word emitted");
    assert_eq!(&doc[sub.offset_from..sub.offset_to], "รัฐบาล");
    let query_only = stream(&mut ThaiTokenizer::new(), doc);
    assert!(query_only.len() < idx.len());
}

#[test]
fn tokenizer_clones_share_the_dictionary() {
    let a = ThaiTokenizer::for_indexing();
    let mut b = a.clone();
    assert!(!stream(&mut b, "รัฐบาล").is_empty());
}

/// A run of tokens that spells a dictionary word: the index adds the word at the first
/// token's position, and a query looks the word up instead of the run.
#[test]
fn compounds_the_segmenter_splits_are_one_term_for_search() {
    use praden_thai::Compounds;
    let texts = |tokens: &[Token]| -> Vec<(String, usize)> {
        tokens
            .iter()
            .map(|t| (t.text.clone(), t.position))
            .collect()
    };
    let mut plain = ThaiTokenizer::new();
    assert_eq!(
        stream(&mut plain, "ค่าไฟฟ้า").len(),
        2,
        "the segmenter splits it (else this test says nothing)"
    );
    let mut query = ThaiTokenizer::new().compounds(Compounds::Instead);
    assert_eq!(
        texts(&stream(&mut query, "ค่าไฟฟ้า")),
        [("ค่าไฟฟ้า".to_string(), 0)]
    );
    // Inside a longer phrase the run is replaced and the positions of the rest kept.
    let q = texts(&stream(&mut query, "ขึ้นค่าไฟฟ้า"));
    assert_eq!(q, [("ขึ้น".to_string(), 0), ("ค่าไฟฟ้า".to_string(), 4)]);
    // Not across a space: two words the editor typed apart stay two.
    assert_eq!(stream(&mut query, "ค่า ไฟฟ้า").len(), 2);

    let mut index = ThaiTokenizer::for_indexing().compounds(Compounds::Added);
    let doc = "ประชุมที่ทำเนียบรัฐบาลเรื่องค่าไฟฟ้า";
    let d = texts(&stream(&mut index, doc));
    let at = |word: &str| doc[..doc.find(word).unwrap()].chars().count();
    for word in ["ค่าไฟฟ้า", "ค่า", "ไฟฟ้า"] {
        let pos = at(word);
        assert!(
            d.contains(&(word.to_string(), pos)),
            "{word}@{pos} in {d:?}"
        );
    }
    // Whatever a query makes of a compound is in the document at the same offsets.
    for word in ["ทำเนียบรัฐบาล", "ค่าไฟฟ้า"] {
        for t in stream(&mut query, word) {
            let pos = at(word) + t.position;
            assert!(d.contains(&(t.text.clone(), pos)), "{t:?} in {d:?}");
        }
    }
}

/// tantivy stores each term's positions in a document as deltas and overflows on one that
/// goes backwards; a compound joined after the fact must not come after a later occurrence
/// of the same word as a sub-word. Checked on 300 real government news articles.
#[test]
fn each_terms_positions_never_go_back_in_the_index_stream() {
    use praden_thai::Compounds;
    use std::collections::HashMap;
    use std::io::BufRead;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz"
    );
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let lines = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file)).lines();
    let mut index = ThaiTokenizer::for_indexing().compounds(Compounds::Added);
    let mut articles = 0;
    for line in lines.take(300) {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let body = v["body"].as_str().unwrap_or("");
        let mut last: HashMap<String, usize> = HashMap::new();
        for t in stream(&mut index, body) {
            if let Some(&before) = last.get(&t.text) {
                assert!(
                    before <= t.position,
                    "{:?} at {} after {before}",
                    t.text,
                    t.position
                );
            }
            last.insert(t.text.clone(), t.position);
        }
        articles += 1;
    }
    assert_eq!(articles, 300);
}

/// The snippet highlighter segments only the whitespace-separated pieces of a passage that
/// can hold a query word, and relies on two things, checked here on 300 real government
/// news articles and 300 social-media messages:
/// * a piece gives the same tokens (offsets shifted) as the whole text gives there;
/// * in a piece in matching form, every term is the piece's own text, lower-cased.
#[test]
fn whitespace_pieces_tokenize_as_the_whole_text_does() {
    use praden_thai::Compounds;
    let texts = real_texts();
    let mut tokenizer = ThaiTokenizer::for_indexing()
        .compounds(Compounds::Added)
        .in_text_order(true);
    let key =
        |t: &Token, shift: usize| (t.offset_from + shift, t.offset_to + shift, t.text.clone());
    let mut literal = 0;
    for text in &texts {
        let whole: Vec<_> = tokenizer.tokens(text).iter().map(|t| key(t, 0)).collect();
        let mut pieces = Vec::new();
        let mut start = 0;
        for piece in text.split_inclusive(|c: char| c.is_ascii_whitespace()) {
            let tokens = tokenizer.tokens(piece);
            if praden_thai::is_matching_form(piece.trim_end()) {
                for t in tokens {
                    assert_eq!(
                        t.text,
                        piece[t.offset_from..t.offset_to].to_ascii_lowercase(),
                        "in {piece:?}"
                    );
                    literal += 1;
                }
            }
            pieces.extend(tokens.iter().map(|t| key(t, start)));
            start += piece.len();
        }
        assert_eq!(pieces, whole, "in {text:?}");
    }
    assert!(
        literal > 100_000,
        "{literal} tokens in matching-form pieces"
    );
}

/// `has_tokens_at` answers what the full index stream would, for every place where the
/// text of an index token occurs literally in a whitespace piece in matching form (where
/// it is that token, and where it is only a substring of other words), on 300 real
/// government news articles and 300 social-media messages.
#[test]
fn has_tokens_at_agrees_with_the_index_stream() {
    use praden_thai::Compounds;
    use std::collections::BTreeSet;
    let texts = real_texts();
    let mut full = ThaiTokenizer::for_indexing().compounds(Compounds::Added);
    let mut quick = ThaiTokenizer::for_indexing().compounds(Compounds::Added);
    let (mut yes, mut no) = (0, 0);
    for piece in matching_form_pieces(&texts) {
        let tokens: BTreeSet<(usize, usize)> = spans(&mut full, piece).into_iter().collect();
        let mut places = literal_places(piece, &tokens);
        // And every run of up to four tokens, where a compound may or may not be.
        let plain = spans(&mut ThaiTokenizer::new(), piece);
        for (i, &(from, _)) in plain.iter().enumerate() {
            places.extend(plain[i + 1..].iter().take(3).map(|&(_, to)| (from, to)));
        }
        let places: Vec<(usize, usize)> = places.into_iter().collect();
        let answers = quick.has_tokens_at(piece, &places);
        for (place, answer) in places.iter().zip(answers) {
            assert_eq!(
                answer,
                tokens.contains(place),
                "{:?} at {place:?} in {piece:?}",
                &piece[place.0..place.1]
            );
            if answer {
                yes += 1
            } else {
                no += 1
            }
        }
    }
    assert!(
        yes > 100_000 && no > 10_000,
        "{yes} tokens, {no} mere substrings checked"
    );
}

/// `has_tokens_near` (48 characters of context, as the snippets use) answers as
/// `has_tokens_at` does at the literal occurrences of every token of the real texts, but
/// for at most one place in 10,000 (when written, asked one place at a time: 5 of 753,905
/// places differed; 253 with 32 characters, 1,446 with 16).
#[test]
fn has_tokens_near_mostly_agrees() {
    use praden_thai::Compounds;
    use std::collections::BTreeSet;
    let texts = real_texts();
    let mut full = ThaiTokenizer::for_indexing().compounds(Compounds::Added);
    let mut exact = ThaiTokenizer::for_indexing().compounds(Compounds::Added);
    let mut near = ThaiTokenizer::for_indexing().compounds(Compounds::Added);
    let (mut places_seen, mut differ) = (0usize, 0usize);
    for piece in matching_form_pieces(&texts) {
        let tokens: BTreeSet<(usize, usize)> = spans(&mut full, piece).into_iter().collect();
        let places = literal_places(piece, &tokens);
        // One at a time, as a passage with a match or two asks (nearby places would
        // share a window and be judged on more context); every third, to keep it quick.
        for &place in places.iter().step_by(3) {
            let a = exact.has_tokens_at(piece, &[place]);
            let b = near.has_tokens_near(piece, &[place], 48);
            places_seen += 1;
            differ += usize::from(a != b);
        }
    }
    assert!(places_seen > 200_000, "{places_seen} places checked");
    assert!(
        differ * 10_000 <= places_seen,
        "{differ} of {places_seen} places differ"
    );
}

/// The whitespace pieces of `texts` that are in matching form.
fn matching_form_pieces(texts: &[String]) -> impl Iterator<Item = &str> {
    texts
        .iter()
        .flat_map(|t| t.split_inclusive(|c: char| c.is_ascii_whitespace()))
        .filter(|piece| praden_thai::is_matching_form(piece.trim_end()))
}

/// The byte ranges of `tokenizer`'s tokens of `piece`, in stream order.
fn spans(tokenizer: &mut ThaiTokenizer, piece: &str) -> Vec<(usize, usize)> {
    tokenizer
        .tokens(piece)
        .iter()
        .map(|t| (t.offset_from, t.offset_to))
        .collect()
}

/// Every place in `piece` where the (lower-cased) text at one of `tokens` occurs.
fn literal_places(
    piece: &str,
    tokens: &std::collections::BTreeSet<(usize, usize)>,
) -> std::collections::BTreeSet<(usize, usize)> {
    let folded = piece.to_ascii_lowercase();
    let mut places = std::collections::BTreeSet::new();
    for &(a, b) in tokens {
        let word = &folded[a..b];
        places.extend(
            folded
                .match_indices(word)
                .map(|(at, _)| (at, at + word.len())),
        );
    }
    places
}

/// 300 government news articles and 300 social-media messages from ../shared.
fn real_texts() -> Vec<String> {
    use std::io::BufRead;
    let read = |path: &str, field: &str| -> Vec<String> {
        let path = format!("{}/../../../shared/data/{path}", env!("CARGO_MANIFEST_DIR"));
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file))
            .lines()
            .take(300)
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
                v[field].as_str().unwrap_or("").to_string()
            })
            .collect()
    };
    let mut texts = read("corpus/thaigov-news-2020-2024h1.jsonl.gz", "body");
    texts.extend(read("social/wisesight-messages.jsonl.gz", "text"));
    assert_eq!(texts.len(), 600);
    texts
}
