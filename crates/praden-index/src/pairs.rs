//! Adjacent pairs of common words, kept as terms of a field of their own (`pairs`), so that a
//! quoted phrase of common words reads one pair's postings instead of comparing the
//! positions of every document that holds all its words (issue 29, after Lucene's
//! CommonGrams).
//!
//! A phrase of two words a, b matches where a is at some position x and b at x + the
//! width of a in the query. Positions are character offsets (`praden_thai::tokenizer`), and
//! the query gives a word the width of its term whenever the word is in its matching form.
//! So the index keeps the pair "a b" at x exactly when a token a is at x and a token b at
//! x + the number of characters of the term a, in the same value, both words common
//! (`data/common_words.txt`). How often the pair occurs in a document is then how often
//! the phrase does, and the phrase's scores, counts and pages come out the same
//! (`tests/pairs.rs` compares both ways on real articles).
//!
//! A pair keeps its first word's position. A phrase of three or more words whose every two
//! adjacent words make a pair ("a b c": "a b" at x and "b c" at x + the width of a) is
//! matched on the pairs' positions alone: a pair of common words occurs a few times in a
//! document where each of its words occurs dozens of times.
//!
//! Only words in the list make pairs: a phrase with a rarer word is led by that word's few
//! documents anyway, and a pair of every two adjacent words made the 1M-document index
//! 16 GB instead of 6.
//!
//! The list is data of the index: changing it needs a new `SCHEMA_VERSION` (the index is
//! rebuilt from the store).

use std::collections::HashSet;
use std::sync::LazyLock;

use tantivy::schema::{Field, Term};
use tantivy::tokenizer::Token;

/// The most frequent terms of the shared Thai news, radio and social data, one a line, as
/// `examples/common_words.rs` wrote them.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common_words.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("# "))
        .collect()
});

pub(crate) fn is_common(term: &str) -> bool {
    COMMON.contains(term)
}

fn pair_text(a: &str, b: &str, out: &mut String) {
    out.clear();
    out.push_str(a);
    // Terms never hold a space: the tokenizer skips spaces.
    out.push(' ');
    out.push_str(b);
}

/// Fills `out` with the pair tokens of one value's `tokens` (in position order, as the
/// index tokenizer gives them), reusing its strings.
pub(crate) fn tokens_of(tokens: &[Token], out: &mut Vec<Token>) {
    let mut n = 0;
    for (i, a) in tokens.iter().enumerate() {
        if !is_common(&a.text) {
            continue;
        }
        let next = a.position + a.text.chars().count();
        for b in &tokens[i + 1..] {
            if b.position > next {
                break;
            }
            if b.position == next && is_common(&b.text) {
                if n == out.len() {
                    out.push(Token::default());
                }
                let t = &mut out[n];
                pair_text(&a.text, &b.text, &mut t.text);
                t.position = a.position;
                // The pair spans both words, so that the next value's positions start past
                // its end and no phrase of pairs reads across two values.
                t.position_length = next + b.text.chars().count() - a.position;
                t.offset_from = a.offset_from;
                t.offset_to = b.offset_to;
                n += 1;
            }
        }
    }
    out.truncate(n);
}

/// The pair terms that stand for adjacent words of a phrase given as (offset, term) in
/// offset order, where both words are common and the first one's width in the query is its
/// term's. Empty when no two adjacent words qualify.
pub(crate) fn terms_of_phrase(phrase: &[(usize, Term)], field: Field) -> Vec<Term> {
    let mut text = String::new();
    phrase
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (w[0].1.value(), w[1].1.value());
            let (a, b) = (a.as_str()?, b.as_str()?);
            let adjacent = w[1].0 - w[0].0 == a.chars().count();
            (adjacent && is_common(a) && is_common(b)).then(|| {
                pair_text(a, b, &mut text);
                Term::from_field_text(field, &text)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(position: usize, text: &str) -> Token {
        Token {
            position,
            text: text.into(),
            ..Token::default()
        }
    }

    #[test]
    fn the_list_holds_the_commonest_words() {
        assert!(COMMON.len() > 100);
        assert!(is_common("การ") && is_common("ที่"));
        assert!(!is_common("ทำเนียบรัฐบาล"));
    }

    #[test]
    fn pairs_join_adjacent_common_words_only() {
        // การ at 0 (3 characters), ที่ at 3, a rare word at 6, การ at 20.
        let tokens = [
            token(0, "การ"),
            token(3, "ที่"),
            token(6, "ทำเนียบรัฐบาล"),
            token(20, "การ"),
        ];
        let mut out = vec![token(99, "left over")];
        tokens_of(&tokens, &mut out);
        let pairs: Vec<(usize, &str)> = out.iter().map(|t| (t.position, t.text.as_str())).collect();
        assert_eq!(pairs, [(0, "การ ที่")]);
    }

    #[test]
    fn a_phrase_uses_pairs_where_its_words_are_common_and_adjacent() {
        let field = Field::from_field_id(0);
        let t = |s: &str| Term::from_field_text(field, s);
        let pairs = terms_of_phrase(&[(0, t("การ")), (3, t("ที่")), (6, t("ทำเนียบรัฐบาล"))], field);
        assert_eq!(pairs, [t("การ ที่")]);
        // A query word whose width is not its term's (written with a stray mark) gives no pair.
        assert!(terms_of_phrase(&[(0, t("การ")), (4, t("ที่"))], field).is_empty());
    }
}
