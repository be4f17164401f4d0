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
//!
//! Segmenting Thai is the expensive part (it was 40% of the server's CPU at 1M documents
//! when every hit's first kilobyte was segmented), so as little is segmented as gives the
//! same highlights:
//! * the passage is chosen by plain string search for the query terms, over the whole
//!   body (up to `SCAN_BYTES`): a term the tokenizer would find in text that is already in
//!   matching form is that very text, lower-cased (`praden_thai::is_matching_form`);
//! * inside the passage only the whitespace-separated pieces that hold such a literal
//!   match, or that are not in matching form (where a term may hide behind Thai digits or a
//!   typing variant), are segmented. The segmenter never joins across whitespace, so a
//!   piece gives the tokens the whole text would give there. In a piece in matching form
//!   `ThaiTokenizer::has_tokens_near` says which literal matches are tokens of the index
//!   stream, segmenting `CONTEXT_CHARS` either side of each (the whole piece's answer at
//!   all but a few places in a million); a literal match inside a longer word (ยา in ยาก)
//!   is none, and is not highlighted.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

use memchr::memmem::Finder;
use praden_core::html::escape_into;
use praden_thai::ThaiTokenizer;

thread_local! {
    static TOKENIZER: RefCell<ThaiTokenizer> =
        RefCell::new(crate::tokenizer::snippet_tokenizer());
}

/// The passage length, in bytes (about 160 Thai characters).
const PASSAGE_BYTES: usize = 480;
/// How far into a body the passage is looked for. Radio transcripts run to tens of
/// kilobytes; the scan is a SIMD substring search, a few microseconds per 10 KB.
const SCAN_BYTES: usize = 64 * 1024;
/// How far into a body a word in a variant spelling is looked for when nothing matched
/// literally: that costs segmenting, so only this far.
const HIDDEN_BYTES: usize = 2_000;
/// Passages tried before giving up on a body whose literal matches are no words of it.
const PASSAGE_TRIES: usize = 4;
/// Characters segmented either side of a literal match to tell whether it is a word there:
/// with 48 the answer is the whole piece's on all but 5 of 753,905 places in real text
/// (praden-thai's test `has_tokens_near_mostly_agrees`).
const CONTEXT_CHARS: usize = 48;
/// Context kept before the first highlighted word of a passage, at most.
const LEAD_BYTES: usize = PASSAGE_BYTES / 4;
/// How much of a body the index stores for snippets, in bytes. A passage opens before a
/// match found within `SCAN_BYTES` and runs at most `PASSAGE_BYTES` on, so nothing past
/// `SCAN_BYTES + PASSAGE_BYTES` is read; what is kept beyond that (another passage's worth)
/// keeps "the passage ends before the text does" true wherever it was. The longest bodies
/// (cabinet-meeting summaries, up to 0.67 MB) were otherwise decompressed whole for every
/// hit on them: they hold nearly every word, so they are hits of many queries.
const STORED_BODY_BYTES: usize = SCAN_BYTES + 2 * PASSAGE_BYTES;

/// The part of `body` the index stores for snippets: every passage `Highlighter::html`
/// could choose from the whole body lies in it, highlighted alike.
pub(crate) fn stored_body(body: &str) -> &str {
    &body[..floor_boundary(body, STORED_BODY_BYTES)]
}

pub(crate) struct Highlighter {
    /// Query terms (as the index tokenizer writes them) and their weights: rarer terms
    /// weigh more, so the passage goes where the telling words are. A query has a few
    /// terms: a list is quicker to look a token up in than a hash map.
    terms: Vec<(String, f32)>,
    finders: Vec<(Finder<'static>, f32)>,
    /// Whether a term has Latin letters, so the body must be lower-cased to find it.
    fold_case: bool,
}

impl Highlighter {
    pub fn new(terms: HashMap<String, f32>) -> Self {
        // Most often a word differs from its term only by case or by Thai digits (๒๕๖๗ for
        // 2567): look for those spellings too.
        let finders: Vec<(Finder<'static>, f32)> = terms
            .iter()
            .filter(|(t, _)| !t.is_empty())
            .flat_map(|(t, w)| {
                let thai_digits: String = t.chars().map(thai_digit).collect();
                let spellings = if thai_digits == *t {
                    vec![t.clone()]
                } else {
                    vec![t.clone(), thai_digits]
                };
                spellings
                    .into_iter()
                    .map(move |s| (Finder::new(s.as_bytes()).into_owned(), *w))
            })
            .collect();
        let fold_case = terms
            .keys()
            .any(|t| t.bytes().any(|b| b.is_ascii_alphabetic()));
        Self {
            terms: terms.into_iter().collect(),
            finders,
            fold_case,
        }
    }

    /// The best passage of `text`, HTML-escaped, its query words in `<b>…</b>`; empty when
    /// no query word is highlighted in it.
    pub fn html(&self, text: &str) -> String {
        let scan = &text[..floor_boundary(text, SCAN_BYTES)];
        let folded;
        let haystack = if self.fold_case {
            folded = scan.to_ascii_lowercase();
            folded.as_bytes()
        } else {
            scan.as_bytes()
        };
        // Literal matches: (start, end, weight), in text order.
        let mut found: Vec<(usize, usize, f32)> = Vec::new();
        for (finder, weight) in &self.finders {
            let len = finder.needle().len();
            found.extend(finder.find_iter(haystack).map(|at| (at, at + len, *weight)));
        }
        found.sort_by_key(|&(start, end, _)| (start, end));
        if found.is_empty() {
            // A word typed in a variant spelling (นํ้า for น้ำ) is found by its tokens only;
            // look near the beginning, where the old one-window snippets looked.
            found.extend(self.hidden_match(&text[..floor_boundary(text, HIDDEN_BYTES)]));
        }
        // A literal match may be no word of the text (ยา in ยาก, covid in COVID-19): where
        // the passage has no word highlighted, the next best one is tried.
        for _ in 0..PASSAGE_TRIES {
            let passage = passage(text, &found);
            let marks = self.marks(text, passage.clone(), &found);
            if !marks.is_empty() {
                return render(text, passage, &marks);
            }
            found.retain(|m| !passage.contains(&m.0));
            if found.is_empty() {
                break;
            }
        }
        String::new()
    }

    fn weight(&self, token: &str) -> Option<f32> {
        self.terms.iter().find(|(t, _)| t == token).map(|(_, w)| *w)
    }

    /// The first query word in the pieces of `text` that are not in matching form.
    fn hidden_match(&self, text: &str) -> Option<(usize, usize, f32)> {
        TOKENIZER.with(|tokenizer| {
            let mut tokenizer = tokenizer.borrow_mut();
            let mut start = 0;
            for piece in text.split_inclusive(|c: char| c.is_ascii_whitespace()) {
                let at = start;
                start += piece.len();
                if praden_thai::is_matching_form(piece.trim_end()) {
                    continue;
                }
                let hit = tokenizer.tokens(piece).iter().find_map(|t| {
                    let w = self.weight(&t.text)?;
                    Some((at + t.offset_from, at + t.offset_to, w))
                });
                if hit.is_some() {
                    return hit;
                }
            }
            None
        })
    }

    /// The byte ranges of the tokens inside `passage` that are query terms, in order.
    fn marks(
        &self,
        text: &str,
        passage: Range<usize>,
        found: &[(usize, usize, f32)],
    ) -> Vec<Range<usize>> {
        let mut marks = Vec::new();
        TOKENIZER.with(|tokenizer| {
            let mut tokenizer = tokenizer.borrow_mut();
            let mut next = found.partition_point(|&(start, _, _)| start < passage.start);
            let mut start = passage.start;
            for piece in text[passage.clone()].split_inclusive(|c: char| c.is_ascii_whitespace()) {
                let run = start..start + piece.len();
                start = run.end;
                // The literal matches inside this piece, relative to it.
                let mut literal: Vec<(usize, usize)> = Vec::new();
                while next < found.len() && found[next].0 < run.end {
                    let (a, b, _) = found[next];
                    if b <= run.end {
                        literal.push((a - run.start, b - run.start));
                    }
                    next += 1;
                }
                if praden_thai::is_matching_form(piece.trim_end()) {
                    // Every query word here is one of the literal matches: ask which are
                    // words, without the whole token stream.
                    if literal.is_empty() {
                        continue;
                    }
                    let words = tokenizer.has_tokens_near(piece, &literal, CONTEXT_CHARS);
                    for ((a, b), word) in literal.into_iter().zip(words) {
                        if word {
                            marks.push(run.start + a..run.start + b);
                        }
                    }
                    continue;
                }
                for t in tokenizer.tokens(piece) {
                    if self.weight(&t.text).is_some() {
                        marks.push(run.start + t.offset_from..run.start + t.offset_to);
                    }
                }
            }
        });
        marks.sort_by_key(|r| (r.start, r.end));
        marks
    }
}

/// `passage` of `text`, HTML-escaped, with `marks` (sorted) in `<b>…</b>`.
fn render(text: &str, passage: Range<usize>, marks: &[Range<usize>]) -> String {
    let mut html = String::with_capacity(passage.len() + 32);
    let mut at = passage.start;
    let mut i = 0;
    while i < marks.len() {
        // A compound and its sub-words overlap and become one highlight.
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
}

/// The passage: the `PASSAGE_BYTES` window holding the greatest weight of literal matches
/// (the earliest such), opened a little before its first match at a space where there is
/// one; the beginning of the text when nothing matched literally.
fn passage(text: &str, found: &[(usize, usize, f32)]) -> Range<usize> {
    // Two pointers over the matches: the window opening at match `first` holds
    // found[first..last].
    let mut best: Option<(f32, usize)> = None;
    let mut weight = 0.0;
    let mut last = 0;
    for first in 0..found.len() {
        if last <= first {
            last = first + 1;
            weight = found[first].2;
        }
        let limit = found[first].0 + PASSAGE_BYTES - LEAD_BYTES;
        while last < found.len() && found[last].1 <= limit {
            weight += found[last].2;
            last += 1;
        }
        if best.is_none_or(|(w, _)| weight > w) {
            best = Some((weight, found[first].0));
        }
        weight -= found[first].2;
    }
    let start = match best {
        None => 0,
        Some((_, at)) if at <= LEAD_BYTES => 0,
        Some((_, at)) => {
            let earliest = ceil_boundary(text, at - LEAD_BYTES);
            // Open at the first space before the match, so the passage starts on a word.
            match text[earliest..at].find(|c: char| c.is_ascii_whitespace()) {
                Some(space) => earliest + space + 1,
                None => earliest,
            }
        }
    };
    let mut end = floor_boundary(text, start + PASSAGE_BYTES);
    // End at a space too, unless that would cut off a match or most of the passage.
    if end < text.len() {
        if let Some(space) = text[start..end].rfind(|c: char| c.is_ascii_whitespace()) {
            let covered = found
                .iter()
                .filter(|m| m.0 >= start && m.0 < end)
                .map(|m| m.1)
                .max()
                .unwrap_or(start);
            if start + space >= covered.max(start + PASSAGE_BYTES / 2) {
                end = start + space;
            }
        }
    }
    start..end
}

/// `c` written as a Thai digit, if it is an Arabic one.
fn thai_digit(c: char) -> char {
    match c.to_digit(10) {
        Some(d) if c.is_ascii_digit() => char::from_u32('๐' as u32 + d).unwrap_or(c),
        _ => c,
    }
}

/// The largest char boundary of `text` at or below `at`.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The smallest char boundary of `text` at or above `at`.
fn ceil_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The longest real bodies (over `SCAN_BYTES`: cabinet-meeting summaries) get the same
    /// snippet from the stored part as from the whole, for common words and for words just
    /// before the end of the scan, where a passage runs past it.
    #[test]
    fn the_stored_part_of_a_long_body_gives_the_snippets_of_the_whole() {
        use std::io::BufRead;
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz"
        );
        let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let long: Vec<String> = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file))
            .lines()
            .take(8_000)
            .map(Result::unwrap)
            .filter(|line| line.len() > SCAN_BYTES + 4 * PASSAGE_BYTES)
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                v["body"].as_str().unwrap_or("").to_string()
            })
            .filter(|body| body.len() > STORED_BODY_BYTES)
            .collect();
        assert!(long.len() >= 10, "only {} long bodies", long.len());
        let mut tokenizer = crate::tokenizer::snippet_tokenizer();
        let (mut compared, mut past_the_scan) = (0, 0);
        for body in &long {
            let stored = stored_body(body);
            assert!(stored.len() < body.len());
            // The words of the last stretch of the scan.
            let near_end =
                &body[floor_boundary(body, SCAN_BYTES - 300)..floor_boundary(body, SCAN_BYTES)];
            let mut words: Vec<String> = tokenizer
                .tokens(near_end)
                .iter()
                .map(|t| t.text.clone())
                .filter(|w| w.chars().count() >= 3)
                .collect();
            words.sort();
            words.dedup();
            words.extend(
                ["รัฐบาล", "ประชาชน", "เห็นชอบ", "กระทรวง", "2566", "ครม."].map(String::from),
            );
            for word in words {
                let h = Highlighter::new([(word.clone(), 1.0)].into());
                let whole = h.html(body);
                assert_eq!(h.html(stored), whole, "{word}");
                compared += 1;
                // The passage reaches past the scan when it holds text from beyond it.
                let tail = &body[floor_boundary(body, SCAN_BYTES)..];
                let probe: String = tail.chars().take(8).collect();
                past_the_scan += usize::from(!probe.is_empty() && whole.contains(&probe));
            }
        }
        assert!(compared > 100, "only {compared} snippets compared");
        assert!(past_the_scan > 0, "no passage ran past the scan");
    }

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

    #[test]
    fn passages_open_and_close_on_character_boundaries() {
        let h = Highlighter::new([("ครม.".to_string(), 1.0)].into());
        // No-break spaces (two bytes) just before the lead and the end.
        let filler = "ข่าว\u{a0}".repeat(60);
        for cut in 0..8 {
            let text = format!("{}{filler} ครม.\u{a0}เห็นชอบ {filler}", "ก".repeat(cut));
            assert!(h.html(&text).contains("<b>ครม.</b>"), "{cut}");
        }
    }

    #[test]
    fn the_densest_passage_wins_over_the_first_match() {
        let h = Highlighter::new([("ภัยแล้ง".to_string(), 1.0), ("เกษตรกร".to_string(), 1.0)].into());
        let filler = "ข่าวทั่วไปของวันนี้ ".repeat(40);
        let text = format!("ภัยแล้ง {filler} เกษตรกรเดือดร้อนจากภัยแล้ง {filler}");
        let html = h.html(&text);
        assert!(
            html.contains("<b>เกษตรกร</b>") && html.contains("<b>ภัยแล้ง</b>"),
            "{html}"
        );
        assert!(!html.starts_with("<b>ภัยแล้ง</b> ข่าว"), "{html}");
    }

    #[test]
    fn a_literal_match_inside_another_word_is_not_highlighted() {
        // ยา (medicine) is inside ยาก (hard) here, not a word of it; only the word ยา is
        // highlighted.
        let h = Highlighter::new([("ยา".to_string(), 1.0)].into());
        let html = h.html("ไปหาหมอยาก แต่ต้องกินยา");
        assert_eq!(html, "ไปหาหมอยาก แต่ต้องกิน<b>ยา</b>");
    }

    #[test]
    fn words_written_in_another_form_are_still_found() {
        // The term is the matching form (Arabic digits, lower case); the text has Thai
        // digits and capitals, which plain string search cannot see.
        let h = Highlighter::new([("2566".to_string(), 1.0), ("pm2.5".to_string(), 1.0)].into());
        let html = h.html("งบประมาณปี ๒๕๖๖ และฝุ่น PM2.5 สูง");
        assert!(html.contains("<b>๒๕๖๖</b>"), "{html}");
        assert!(html.contains("<b>PM2.5</b>"), "{html}");
    }
}
