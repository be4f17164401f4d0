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
