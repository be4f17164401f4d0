//! Text normalisation shared by the registry matcher and the history model.
//!
//! Official Thai documents are often copied out of PDFs, which leaves decomposed SARA AM
//! (NIKHAHIT + SARA AA), zero-width spaces and no-break spaces; without folding these, the
//! same agency name would fail to match depending on where a story was copied from.

/// Folds PDF artefacts and collapses runs of whitespace into one ASCII space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let c = match c {
            // NIKHAHIT followed by SARA AA is how PDFs spell SARA AM.
            '\u{0E4D}' if chars.peek() == Some(&'\u{0E32}') => {
                chars.next();
                '\u{0E33}'
            }
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' => continue,
            c if c.is_whitespace() => {
                pending_space = true;
                continue;
            }
            c => c,
        };
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

/// Removes all whitespace. Thai writers space long names inconsistently
/// ("กระทรวงการอุดมศึกษา วิทยาศาสตร์ วิจัยและนวัตกรรม" appears with and without spaces),
/// so Thai names and keywords are matched on this form.
pub fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Thai consonants, vowels and tone marks (not Thai digits or symbols).
pub fn is_thai_letter(c: char) -> bool {
    matches!(c, '\u{0E01}'..='\u{0E2E}' | '\u{0E30}'..='\u{0E3A}' | '\u{0E40}'..='\u{0E4E}')
}

/// Thai consonants only.
pub fn is_thai_consonant(c: char) -> bool {
    matches!(c, '\u{0E01}'..='\u{0E2E}')
}

pub fn has_thai(text: &str) -> bool {
    text.chars().any(|c| ('\u{0E00}'..='\u{0E7F}').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_pdf_sara_am_and_spaces() {
        assert_eq!(
            normalize("กระทรวงการคลัง\u{00A0}\u{00A0}(กค.)"),
            "กระทรวงการคลัง (กค.)"
        );
        assert_eq!(normalize("น\u{0E4D}\u{0E32}เข้า"), "นำเข้า");
        assert_eq!(normalize("  a \u{200B}b  "), "a b");
        assert_eq!(squeeze("ก ข\tค"), "กขค");
    }
}
