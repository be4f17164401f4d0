//! The tokenizers of the index, registered in one place (`register`), every time an index is
//! opened, because tantivy does not persist tokenizers: an index opened without them fails at
//! the first query.
//!
//! Interim tokenizer: Thai has no spaces between words, and until the Thai segmenter is wired
//! in, Thai runs are indexed as overlapping character bigrams. A query word becomes a phrase of
//! its bigrams, so any Thai word is found wherever it occurs, at the price of also matching
//! across word boundaries. Latin and digit runs are whole lower-cased tokens; Thai digits are
//! folded to ASCII so that ๒๕๖๗ finds 2567.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

pub const TEXT_TOKENIZER: &str = "praden_text";

pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(TEXT_TOKENIZER, BigramTokenizer);
}

#[derive(Clone, Default)]
pub struct BigramTokenizer;

#[derive(PartialEq, Clone, Copy)]
enum Class {
    Thai,
    Word,
    Other,
}

fn class(c: char) -> Class {
    match c {
        '๐'..='๙' => Class::Word,
        '\u{0E00}'..='\u{0E7F}' => Class::Thai,
        c if c.is_alphanumeric() => Class::Word,
        _ => Class::Other,
    }
}

fn fold(c: char) -> char {
    match c {
        '๐'..='๙' => char::from_u32('0' as u32 + (c as u32 - '๐' as u32)).unwrap_or(c),
        _ => c,
    }
}

pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = Vec::new();
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let end_of = |i: usize| chars.get(i).map_or(text.len(), |&(o, _)| o);
        let mut i = 0;
        while i < chars.len() {
            let cls = class(chars[i].1);
            let mut j = i;
            while j < chars.len() && class(chars[j].1) == cls {
                j += 1;
            }
            match cls {
                Class::Other => {}
                Class::Word => {
                    let text: String = chars[i..j]
                        .iter()
                        .flat_map(|&(_, c)| fold(c).to_lowercase())
                        .collect();
                    push(&mut tokens, chars[i].0, end_of(j), text);
                }
                Class::Thai if j - i == 1 => {
                    push(&mut tokens, chars[i].0, end_of(j), chars[i].1.to_string());
                }
                Class::Thai => {
                    for k in i..j - 1 {
                        let text: String = [chars[k].1, chars[k + 1].1].into_iter().collect();
                        push(&mut tokens, chars[k].0, end_of(k + 2), text);
                    }
                }
            }
            i = j;
        }
        VecTokenStream { tokens, next: 0 }
    }
}

fn push(tokens: &mut Vec<Token>, from: usize, to: usize, text: String) {
    tokens.push(Token {
        offset_from: from,
        offset_to: to,
        position: tokens.len(),
        text,
        position_length: 1,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Vec<String> {
        let mut t = BigramTokenizer;
        let mut stream = t.token_stream(s);
        let mut out = Vec::new();
        while let Some(tok) = stream.next() {
            assert_eq!(tok.position, out.len());
            out.push(tok.text.clone());
        }
        out
    }

    #[test]
    fn thai_runs_become_bigrams_and_words_stay_whole() {
        assert_eq!(tokens("ครม. PM2.5"), ["คร", "รม", "pm2", "5"]);
        assert_eq!(tokens("ก COVID-19"), ["ก", "covid", "19"]);
        assert_eq!(tokens("ปี ๒๕๖๗"), ["ปี", "2567"]);
        assert!(tokens("  ... ").is_empty());
    }

    #[test]
    fn offsets_cover_the_original_text() {
        let s = "นายกฯ ลงพื้นที่";
        let mut t = BigramTokenizer;
        let mut stream = t.token_stream(s);
        while let Some(tok) = stream.next() {
            assert_eq!(&s[tok.offset_from..tok.offset_to], tok.text);
        }
    }
}
