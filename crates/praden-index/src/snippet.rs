//! Highlighted passages: the part of a body where the query's words are densest, with
//! those words in `<b>…</b>`.
//!
//! Not tantivy's `SnippetGenerator`, for two reasons:
//! * it clones its tokenizer for every snippet, and so starts the Thai tokenizer's
//!   sub-word cache empty every time: at 1M documents snippets cost as much as the search.
//!   Here each search thread keeps one tokenizer, and its cache, across requests;
//! * it assumes token offsets only grow, and the index tokenizer gives a compound and then
//!   its sub-words: where a passage ended inside such a compound its `to_html` sliced past
//!   the passage and panicked ("PM2.5" and its sub-word "PM2").

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

use praden_core::html::escape_into;
use praden_thai::ThaiTokenizer;

thread_local! {
    static TOKENIZER: RefCell<ThaiTokenizer> =
        RefCell::new(crate::tokenizer::snippet_tokenizer());
}

/// The passage length, in bytes (about 160 Thai characters).
const PASSAGE_BYTES: usize = 480;

pub(crate) struct Highlighter {
    /// Query terms (as the index tokenizer writes them) and their weights: rarer terms
    /// weigh more, so the passage goes where the telling words are.
    terms: HashMap<String, f32>,
}

impl Highlighter {
    pub fn new(terms: HashMap<String, f32>) -> Self {
        Self { terms }
    }

    /// The best passage of `text`, HTML-escaped, its query words in `<b>…</b>`; empty when
    /// no query word is in `text`.
    pub fn html(&self, text: &str) -> String {
        TOKENIZER.with(|tokenizer| {
            let mut tokenizer = tokenizer.borrow_mut();
            let tokens = tokenizer.tokens(text);
            // Candidate passages, each at most PASSAGE_BYTES, scored by their query words.
            let mut best: Option<(f32, Range<usize>)> = None;
            let mut start = 0;
            let mut end = 0;
            let mut score = 0.0;
            for t in tokens {
                if t.offset_to - start > PASSAGE_BYTES && end > start {
                    if score > 0.0 && best.as_ref().is_none_or(|(s, _)| score > *s) {
                        best = Some((score, start..end));
                    }
                    start = t.offset_from;
                    score = 0.0;
                }
                end = end.max(t.offset_to);
                if let Some(w) = self.terms.get(&t.text) {
                    score += w;
                }
            }
            if score > 0.0 && best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, start..end));
            }
            let Some((_, passage)) = best else {
                return String::new();
            };
            // Highlights inside the passage; a compound and its sub-words overlap and
            // become one.
            let mut marks: Vec<Range<usize>> = tokens
                .iter()
                .filter(|t| {
                    t.offset_from >= passage.start
                        && t.offset_to <= passage.end
                        && self.terms.contains_key(&t.text)
                })
                .map(|t| t.offset_from..t.offset_to)
                .collect();
            marks.sort_by_key(|r| r.start);
            let mut html = String::with_capacity(passage.len() + 32);
            let mut at = passage.start;
            let mut i = 0;
            while i < marks.len() {
                let mut mark = marks[i].clone();
                i += 1;
                while i < marks.len() && marks[i].start <= mark.end {
                    mark.end = mark.end.max(marks[i].end);
                    i += 1;
                }
                let mark_start = mark.start.max(at);
                escape_into(&mut html, &text[at..mark_start]);
                html.push_str("<b>");
                escape_into(&mut html, &text[mark_start..mark.end]);
                html.push_str("</b>");
                at = mark.end;
            }
            escape_into(&mut html, &text[at..passage.end]);
            html
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_passage_is_escaped_and_goes_where_the_words_are() {
        let h = Highlighter::new([("น้ำท่วม".to_string(), 1.0)].into());
        assert_eq!(
            h.html("<ด่วน> น้ำท่วม & ฝนตก"),
            "&lt;ด่วน&gt; <b>น้ำท่วม</b> &amp; ฝนตก"
        );
        let filler = "ข่าวทั่วไปของวันนี้ ".repeat(40);
        let html = h.html(&format!("{filler}ฝนตกหนักน้ำท่วมหลายจังหวัด {filler}"));
        assert!(html.contains("<b>น้ำท่วม</b>"), "{html}");
        assert!(html.len() <= PASSAGE_BYTES + "<b></b>".len(), "{html}");
        assert_eq!(h.html("ไม่มีคำที่ค้น"), "");
    }
}
