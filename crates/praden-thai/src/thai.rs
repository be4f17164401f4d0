//! Facts about Thai characters that the normaliser, the pre-pass and the segmenter share.

/// Thai letters and marks that make up words (consonants, vowels, tone marks, ฯ).
/// Excludes ๆ (a repetition sign the gold data writes as its own token), the digits
/// ๐–๙ (numbers are kept whole by the pre-pass) and ๏ ๚ ๛ (punctuation).
pub(crate) fn is_thai_letter(c: char) -> bool {
    matches!(c, '\u{0E01}'..='\u{0E4E}') && c != 'ๆ' && c != '\u{0E3F}'
}

/// Thai consonants ก–ฮ.
pub(crate) fn is_thai_consonant(c: char) -> bool {
    matches!(c, '\u{0E01}'..='\u{0E2E}')
}

pub(crate) fn is_thai_digit(c: char) -> bool {
    matches!(c, '\u{0E50}'..='\u{0E59}')
}

/// Vowels written before the consonant they follow in speech (เ แ โ ใ ไ): a word
/// never ends on one.
pub(crate) fn is_leading_vowel(c: char) -> bool {
    matches!(c, '\u{0E40}'..='\u{0E44}')
}

/// Characters that attach to the consonant before them (following vowels, above and
/// below vowels, tone marks, thanthakhat, nikhahit...): a word never starts with one.
pub(crate) fn is_dependent(c: char) -> bool {
    matches!(c, '\u{0E30}'..='\u{0E3A}' | '\u{0E45}' | '\u{0E47}'..='\u{0E4E}')
}

/// Whether a word boundary may fall between `prev` and `next`: the boundaries of Thai
/// character clusters (TCC). Breaking elsewhere would split a syllable's spelling.
pub(crate) fn boundary_allowed(prev: char, next: char) -> bool {
    !(is_dependent(next) || is_leading_vowel(prev))
}

/// Non-spacing marks that belong to whatever precedes them even outside Thai text
/// (variation selectors, emoji skin tones are handled by the emoji scanner).
pub(crate) fn is_attaching_mark(c: char) -> bool {
    is_dependent(c) || matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{20E3}' | '\u{0300}'..='\u{036F}')
}
