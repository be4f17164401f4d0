//! Display and matching forms of text.
//!
//! `normalize` is for what we store and show: it repairs what a typist or a web page
//! got wrong without changing what the text says. `matching_form` additionally folds
//! spellings that readers treat as equal (Thai digits) so searching and clustering
//! see one form.

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Cleans text for storage and display:
///
/// * Unicode NFC;
/// * removes zero-width characters (U+200B, U+200C, U+FEFF, and U+200D except inside
///   emoji sequences, where it is part of the emoji);
/// * repairs common Thai typing variants: nikhahit + sara aa (ํา) typed for sara am (ำ),
///   two sara e (เเ) typed for sara ae (แ), a tone mark typed before an upper vowel,
///   and the same vowel or tone mark typed twice;
/// * unifies quotes (“ ” « » → ", ‘ ’ → '), dashes (– — − … → -) and whitespace (every
///   space character becomes U+0020, runs collapse to one, CRLF becomes LF).
pub fn normalize(text: &str) -> String {
    let nfc: std::borrow::Cow<str> = match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => text.into(),
        _ => text.nfc().collect::<String>().into(),
    };
    let chars: Vec<char> = nfc.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let prev_out = out.chars().next_back();
        match c {
            '\u{200B}' | '\u{200C}' | '\u{FEFF}' => {}
            '\u{200D}' => {
                if prev_out.is_some_and(is_pictographic) && next.is_some_and(is_pictographic) {
                    out.push(c);
                }
            }
            // ํ + า is how sara am looks on screen, so it gets typed that way.
            '\u{0E4D}' if next == Some('\u{0E32}') => {
                out.push('\u{0E33}');
                i += 1;
            }
            // ํ + tone mark + า: the tone mark belongs before sara am.
            '\u{0E4D}'
                if next.is_some_and(is_tone_mark) && chars.get(i + 2) == Some(&'\u{0E32}') =>
            {
                out.push(chars[i + 1]);
                out.push('\u{0E33}');
                i += 2;
            }
            'เ' if next == Some('เ') => {
                out.push('แ');
                i += 1;
            }
            // Tone marks are written after an upper vowel (กี่, not ก่ี); NFC does not
            // reorder these because both have combining class 0.
            t if is_tone_mark(t) && next.is_some_and(is_upper_vowel) => {
                out.push(next.unwrap_or(t));
                out.push(t);
                i += 1;
            }
            // A doubled mark renders as one; the second is a typing slip.
            m if (is_tone_mark(m) || is_upper_vowel(m) || is_lower_vowel(m))
                && prev_out == Some(m) => {}
            '“' | '”' | '„' | '‟' | '«' | '»' | '″' => out.push('"'),
            '‘' | '’' | '‚' | '‛' | '′' => out.push('\''),
            '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '﹘' | '﹣' | '－' => {
                out.push('-')
            }
            '\r' if next == Some('\n') => {}
            '\n' => out.push('\n'),
            w if w.is_whitespace() => {
                if prev_out != Some(' ') {
                    out.push(' ');
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// The form used for matching (search terms, clustering): `normalize` plus Thai digits
/// ๐–๙ folded to ASCII 0–9. Case is left alone; the tokenizer lowercases.
pub fn matching_form(text: &str) -> String {
    fold_digits(normalize(text))
}

pub(crate) fn fold_digits(mut s: String) -> String {
    if s.chars().any(crate::thai::is_thai_digit) {
        s = s
            .chars()
            .map(|c| {
                if crate::thai::is_thai_digit(c) {
                    char::from(b'0' + (c as u32 - 0x0E50) as u8)
                } else {
                    c
                }
            })
            .collect();
    }
    s
}

/// Whether `normalize` and digit folding would leave `s` unchanged; lets the tokenizer
/// skip the allocation-heavy path for the common case. Then every term the tokenizers give
/// for `s` is the ASCII-lowercased text at the token's offsets, so a term can be found in
/// such text by plain string search (the snippet highlighter relies on it).
pub fn is_matching_form(s: &str) -> bool {
    let mut prev = '\0';
    for c in s.chars() {
        let suspicious = match c {
            '\u{0E4D}' | '\u{0E50}'..='\u{0E59}' => true,
            'เ' => prev == 'เ',
            _ if is_tone_mark(prev) && is_upper_vowel(c) => true,
            _ if c == prev && (is_tone_mark(c) || is_upper_vowel(c) || is_lower_vowel(c)) => true,
            _ => !(c.is_ascii_graphic() || c == ' ' || ('\u{0E01}'..='\u{0E5B}').contains(&c)),
        };
        if suspicious {
            return false;
        }
        prev = c;
    }
    true
}

fn is_tone_mark(c: char) -> bool {
    matches!(c, '\u{0E48}'..='\u{0E4B}')
}

fn is_upper_vowel(c: char) -> bool {
    matches!(c, '\u{0E31}' | '\u{0E34}'..='\u{0E37}' | '\u{0E47}')
}

fn is_lower_vowel(c: char) -> bool {
    matches!(c, '\u{0E38}'..='\u{0E3A}')
}

pub(crate) fn is_pictographic(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2300..=0x23FF | 0x2B00..=0x2BFF
        | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x00A9 | 0x00AE | 0x2122
        | 0x2190..=0x21FF | 0x2934 | 0x2935 | 0x25AA..=0x25FE)
}
