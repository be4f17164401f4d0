//! The pre-pass: cuts text into spans that the dictionary never sees (whitespace,
//! numbers, Latin words and codes, URLs, e-mail addresses, emoji, punctuation) and Thai
//! runs that go to the lattice. Non-Thai spans are final tokens, so "3,185,000",
//! "PM2.5", "COVID-19" or a URL can never be cut by a dictionary accident.

use crate::normalize::is_pictographic;
use crate::thai::{is_attaching_mark, is_thai_consonant, is_thai_digit, is_thai_letter};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpanKind {
    /// A run of Thai letters for the lattice (may hold '.' of abbreviations).
    Thai,
    Space,
    Number,
    /// Latin word or code, URL, e-mail address.
    Latin,
    Emoji,
    /// Anything else: punctuation, symbols, ๆ, the sigil of a hashtag or mention.
    Symbol,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: SpanKind,
}

/// Calls `emit` for each span of `text`, in order, covering every byte.
pub(crate) fn scan(text: &str, mut emit: impl FnMut(Span)) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = char_at(text, i);
        let (end, kind) = if c.is_whitespace() {
            (take_while(text, i, char::is_whitespace), SpanKind::Space)
        } else if is_thai_letter(c) {
            (thai_run(text, i), SpanKind::Thai)
        } else if c.is_ascii_digit() || is_thai_digit(c) {
            (number(text, i), SpanKind::Number)
        } else if c.is_ascii_alphabetic() {
            latin(text, i, &mut emit);
            i = latin_end(text, i);
            continue;
        } else if is_pictographic(c) || is_regional_indicator(c) {
            (emoji(text, i), SpanKind::Emoji)
        } else if matches!(c, '.' | '_' | '-' | '=' | '*' | '~' | '/')
            && next_char(text, i) == Some(c)
        {
            // "...", "____", "//": one mark drawn out, not several.
            (take_while(text, i, |x| x == c), SpanKind::Symbol)
        } else {
            (i + c.len_utf8(), SpanKind::Symbol)
        };
        // A stray combining mark (a Thai vowel typed after an emoji, a variation
        // selector) belongs to the token before it, never starts its own.
        let end = if kind != SpanKind::Thai && kind != SpanKind::Space {
            take_while(text, end, is_attaching_mark)
        } else {
            end
        };
        emit(Span {
            start: i,
            end,
            kind,
        });
        i = end;
    }
}

fn char_at(text: &str, i: usize) -> char {
    text[i..].chars().next().unwrap_or('\0')
}

fn next_char(text: &str, i: usize) -> Option<char> {
    let mut it = text[i..].chars();
    it.next();
    it.next()
}

fn take_while(text: &str, i: usize, f: impl Fn(char) -> bool) -> usize {
    text[i..]
        .char_indices()
        .find(|&(_, c)| !f(c))
        .map_or(text.len(), |(j, _)| i + j)
}

/// Thai letters, plus the dots of abbreviations: a '.' between Thai letters (พ.ศ.,
/// ผบ.ตร.) or a single '.' right after them (กทม., น.). "..." after a word is an
/// ellipsis and stays out.
fn thai_run(text: &str, i: usize) -> usize {
    let mut end = i;
    let mut it = text[i..].char_indices().peekable();
    while let Some((j, c)) = it.next() {
        if is_thai_letter(c) {
            end = i + j + c.len_utf8();
        } else if c == '.' {
            match it.peek() {
                Some(&(_, n)) if is_thai_consonant(n) => end = i + j + 1,
                Some(&(_, '.')) => break,
                _ => {
                    end = i + j + 1;
                    break;
                }
            }
        } else {
            break;
        }
    }
    end
}

/// Digits with inner separators: 10.30, 3,185,000, 19/04/2560, ๒๕๖๗, and a unit or
/// code glued to them (5G, 4u2).
fn number(text: &str, i: usize) -> usize {
    let is_digit = |c: char| c.is_ascii_digit() || is_thai_digit(c);
    let mut end = take_while(text, i, is_digit);
    loop {
        let mut it = text[end..].chars();
        match (it.next(), it.next()) {
            (Some(sep @ ('.' | ',' | ':' | '/')), Some(d)) if is_digit(d) => {
                end = take_while(text, end + sep.len_utf8(), is_digit);
            }
            (Some(a), _) if a.is_ascii_alphabetic() => {
                end = take_while(text, end, |c| c.is_ascii_alphanumeric());
            }
            _ => return end,
        }
    }
}

fn is_url_start(s: &str) -> bool {
    let b = s.as_bytes();
    let lower = |p: &str| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    lower("http://") || lower("https://") || lower("www.")
}

/// Where a Latin span starting at `i` ends (URL, e-mail address or word with inner
/// connectors such as PM2.5, COVID-19, HR-V, Kiehl's).
fn latin_end(text: &str, i: usize) -> usize {
    if is_url_start(&text[i..]) {
        let end = take_while(text, i, |c| !c.is_whitespace() && !is_thai_letter(c));
        // Trailing punctuation belongs to the sentence, not the address.
        return i + text[i..end]
            .trim_end_matches(['.', ',', ')', '!', '?', '"', '\'', ';', ':'])
            .len();
    }
    let word = |c: char| c.is_ascii_alphanumeric();
    let mut end = take_while(text, i, word);
    loop {
        let mut it = text[end..].chars();
        match (it.next(), it.next()) {
            (Some(sep @ ('-' | '.' | '_' | '\'' | '’' | '+')), Some(n))
                if n.is_ascii_alphanumeric() =>
            {
                end = take_while(text, end + sep.len_utf8(), word);
            }
            (Some('@'), Some(n)) if n.is_ascii_alphanumeric() => {
                // e-mail address: the domain needs a dot.
                let dom_end = take_while(text, end + 1, |c| {
                    c.is_ascii_alphanumeric() || c == '.' || c == '-'
                });
                let domain = text[end + 1..dom_end].trim_end_matches(['.', '-']);
                if domain.contains('.') {
                    return end + 1 + domain.len();
                }
                return end;
            }
            _ => return end,
        }
    }
}

/// Emits the Latin span at `i`, cutting run-together words at case changes
/// ("TheFaceAllStars" → The|Face|All|Stars, "GOT7Official" → GOT7|Official) the way
/// hashtags are written; URLs and e-mail addresses stay whole.
fn latin(text: &str, i: usize, emit: &mut impl FnMut(Span)) {
    let end = latin_end(text, i);
    let s = &text[i..end];
    if is_url_start(s) || s.contains('@') {
        emit(Span {
            start: i,
            end,
            kind: SpanKind::Latin,
        });
        return;
    }
    let b = s.as_bytes();
    let mut start = 0;
    for k in 1..b.len().saturating_sub(1) {
        let (p, c, n) = (b[k - 1], b[k], b[k + 1]);
        let case_change = (p.is_ascii_lowercase() && k - start >= 2 || p.is_ascii_digit())
            && c.is_ascii_uppercase()
            && n.is_ascii_lowercase();
        if case_change {
            emit(Span {
                start: i + start,
                end: i + k,
                kind: SpanKind::Latin,
            });
            start = k;
        }
    }
    emit(Span {
        start: i + start,
        end,
        kind: SpanKind::Latin,
    });
}

fn is_regional_indicator(c: char) -> bool {
    matches!(c, '\u{1F1E6}'..='\u{1F1FF}')
}

/// One emoji with its modifiers: skin tones, variation selectors, ZWJ sequences, tags,
/// keycaps, and flag pairs. Separate emoji are separate tokens.
fn emoji(text: &str, i: usize) -> usize {
    let mut it = text[i..].char_indices().peekable();
    let (_, first) = it.next().unwrap_or((0, '\0'));
    let mut end = i + first.len_utf8();
    if is_regional_indicator(first) {
        if let Some(&(j, c)) = it.peek() {
            if is_regional_indicator(c) {
                return i + j + c.len_utf8();
            }
        }
        return end;
    }
    while let Some(&(j, c)) = it.peek() {
        match c {
            '\u{1F3FB}'..='\u{1F3FF}'
            | '\u{FE0F}'
            | '\u{FE0E}'
            | '\u{20E3}'
            | '\u{E0020}'..='\u{E007F}' => {
                end = i + j + c.len_utf8();
                it.next();
            }
            '\u{200D}' => {
                it.next();
                match it.peek() {
                    Some(&(k, n)) if is_pictographic(n) => {
                        end = i + k + n.len_utf8();
                        it.next();
                    }
                    _ => break,
                }
            }
            _ => break,
        }
    }
    end
}
