//! Bytes from the wire to UTF-8 before parsing. Thai legacy sites still serve TIS-620 /
//! windows-874, and declarations are often wrong (a CMS template says UTF-8 over a TIS-620
//! body, or the other way round), so the body is checked against what is declared:
//!
//! 1. A byte-order mark decides (UTF-8, UTF-16, and UTF-32, which encoding_rs lacks).
//! 2. Valid UTF-8 is UTF-8 — Thai text in a single-byte encoding is practically never valid
//!    UTF-8.
//! 3. A declared encoding other than UTF-8 (HTTP Content-Type charset, then the XML prolog,
//!    then the HTML meta tag) is used.
//! 4. A UTF-8 declaration over bytes that are not all UTF-8 is believed when the body is
//!    mostly UTF-8: a stray bad byte in a Thai UTF-8 feed must cost one U+FFFD, not turn the
//!    whole feed into windows-874 mojibake ("เธเนเธฒเธง"). It is overruled when the body reads
//!    as Thai in windows-874 or is mostly not UTF-8 (a legacy body under a template's label).
//! 5. Otherwise the content decides: bytes that read as well-formed Thai in windows-874 (the
//!    superset of TIS-620) are windows-874 — the tie-breaker, since Thai sites are what we
//!    read most —, mostly-UTF-8 bytes are UTF-8, anything else is what chardetng guesses
//!    (windows-1252 French, Shift_JIS…).
//!
//! Bytes that are invalid in the chosen encoding become U+FFFD and are counted, so a poll can
//! record that its text was damaged.

use encoding_rs::{DecoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_874};
use std::borrow::Cow;

/// What was decided and why, for logs, the source's failures and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    pub encoding: &'static Encoding,
    pub basis: Basis,
    /// Bytes that were not valid in that encoding and became U+FFFD.
    pub replaced_bytes: usize,
}

/// Why the encoding was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    ByteOrderMark,
    /// The body is valid UTF-8.
    ValidUtf8,
    /// The Content-Type charset, the XML prolog or the HTML meta tag said so.
    Declared,
    /// Nothing usable was declared: the bytes were read (Thai structure, then chardetng).
    Detected,
}

impl Decoded {
    pub fn had_errors(&self) -> bool {
        self.replaced_bytes > 0
    }

    /// Why some text became U+FFFD, for the source's failures; None if none did.
    pub fn problem(&self) -> Option<String> {
        if self.replaced_bytes == 0 {
            return None;
        }
        let how = match self.basis {
            Basis::ByteOrderMark => "marked by its byte-order mark as",
            Basis::ValidUtf8 => "in",
            Basis::Declared => "declared as",
            Basis::Detected => "detected as",
        };
        let bytes = if self.replaced_bytes == 1 {
            "1 byte was".to_string()
        } else {
            format!("{} bytes were", self.replaced_bytes)
        };
        Some(format!(
            "{bytes} not valid in {} (the body is {how} {}) and replaced with U+FFFD; the items were kept",
            self.encoding.name(),
            self.encoding.name()
        ))
    }
}

/// Decodes `bytes` to UTF-8 and rewrites an XML prolog's encoding to UTF-8, so the XML
/// parser does not decode the text a second time.
pub fn to_utf8(bytes: &[u8], content_type: Option<&str>) -> (Vec<u8>, Decoded) {
    if let Some((text, replaced_bytes)) = utf32_with_bom(bytes) {
        let text = fix_xml_prolog(Cow::Owned(text));
        let decoded = Decoded {
            // encoding_rs has no UTF-32; the name only shows in reports.
            encoding: UTF_8,
            basis: Basis::ByteOrderMark,
            replaced_bytes,
        };
        return (text.into_owned().into_bytes(), decoded);
    }
    let (encoding, basis, body) = choose(bytes, content_type);
    let (text, replaced_bytes) = decode_counting(encoding, body);
    let text = fix_xml_prolog(Cow::Owned(text));
    (
        text.into_owned().into_bytes(),
        Decoded {
            encoding,
            basis,
            replaced_bytes,
        },
    )
}

/// The encoding of `bytes`, why, and the body without its byte-order mark.
fn choose<'b>(bytes: &'b [u8], content_type: Option<&str>) -> (&'static Encoding, Basis, &'b [u8]) {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return (enc, Basis::ByteOrderMark, &bytes[bom_len..]);
    }
    if std::str::from_utf8(bytes).is_ok() {
        return (UTF_8, Basis::ValidUtf8, bytes);
    }
    let declared = declared(bytes, content_type);
    if let Some(&enc) = declared.iter().find(|e| **e != UTF_8) {
        return (enc, Basis::Declared, bytes);
    }
    if declared.contains(&UTF_8) && !thai_looking(bytes) && mostly_utf8(bytes) {
        return (UTF_8, Basis::Declared, bytes);
    }
    (detect(bytes), Basis::Detected, bytes)
}

/// The encoding of bytes that are not UTF-8 and say nothing usable about themselves.
fn detect(bytes: &[u8]) -> &'static Encoding {
    if thai_looking(bytes) {
        return WINDOWS_874;
    }
    // UTF-8 with a few bad bytes and no label: still UTF-8 (chardetng is never asked for
    // UTF-8 here, since it is only consulted on invalid UTF-8).
    if mostly_utf8(bytes) {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    // No TLD hint: the caller's URL is not known here, and Thai is handled above.
    detector.guess(None, false)
}

/// Whether `bytes` read as Thai in windows-874: no undefined byte, hardly any C1 control,
/// and Thai's spelling rules kept — a vowel or tone mark above or below sits on a
/// Thai letter, a leading vowel (เ แ โ ใ ไ) stands before a consonant. Latin-1 accents read
/// as windows-874 break the rules at once ("criminalit้"), as does UTF-8 Thai ("เธ\u{81}").
fn thai_looking(bytes: &[u8]) -> bool {
    let (text, had_errors) = WINDOWS_874.decode_without_bom_handling(bytes);
    if had_errors {
        return false;
    }
    let is_thai = |c: char| ('\u{0E01}'..='\u{0E5B}').contains(&c);
    let is_consonant = |c: char| ('\u{0E01}'..='\u{0E2E}').contains(&c);
    let is_mark = |c: char| {
        c == '\u{0E31}'
            || ('\u{0E34}'..='\u{0E3A}').contains(&c)
            || ('\u{0E47}'..='\u{0E4E}').contains(&c)
    };
    let is_leading_vowel = |c: char| ('\u{0E40}'..='\u{0E44}').contains(&c);
    let (mut thai, mut other, mut broken) = (0usize, 0usize, 0usize);
    let mut prev = ' ';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_thai(c) {
            thai += 1;
            if is_mark(c)
                && !(is_consonant(prev)
                    || is_mark(prev)
                    || prev == '\u{0E24}'
                    || prev == '\u{0E26}')
            {
                broken += 1;
            }
            if is_leading_vowel(c) && !chars.peek().is_some_and(|n| is_consonant(*n)) {
                broken += 1;
            }
        } else if ('\u{80}'..='\u{9F}').contains(&c) {
            // windows-874's own punctuation (“ ” – … €) and NBSP are common in Thai text;
            // C1 controls are what UTF-8 or another encoding read as windows-874 leaves.
            other += 1;
        }
        prev = c;
    }
    // A little slack for typos and the odd symbol in real Thai text.
    thai > 0 && other * 20 <= thai && broken * 50 <= thai
}

/// Whether bytes that are not all valid UTF-8 are still mostly UTF-8: far more valid
/// multi-byte characters than invalid bytes.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (text, replaced) = decode_counting(UTF_8, bytes);
    let valid = text
        .chars()
        .filter(|c| !c.is_ascii() && *c != '\u{FFFD}')
        .count();
    valid >= replaced * 4
}

/// Decodes `body`, one U+FFFD for each malformed sequence, and counts the malformed bytes.
fn decode_counting(encoding: &'static Encoding, body: &[u8]) -> (String, usize) {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(body.len() + body.len() / 2 + 16);
    let mut input = body;
    let mut replaced = 0usize;
    loop {
        let (result, read) = decoder.decode_to_string_without_replacement(input, &mut out, true);
        input = &input[read..];
        match result {
            DecoderResult::InputEmpty => return (out, replaced),
            DecoderResult::OutputFull => {
                let more = decoder
                    .max_utf8_buffer_length_without_replacement(input.len())
                    .unwrap_or(input.len() * 3 + 16);
                out.reserve(more.max(16));
            }
            DecoderResult::Malformed(bad, _) => {
                replaced += usize::from(bad);
                out.push('\u{FFFD}');
            }
        }
    }
}

/// UTF-32 text with its byte-order mark (encoding_rs, following the web, has no UTF-32; feed
/// test suites have it). None if `bytes` do not start with a UTF-32 mark.
fn utf32_with_bom(bytes: &[u8]) -> Option<(String, usize)> {
    let big_endian = match bytes {
        [0, 0, 0xFE, 0xFF, ..] => true,
        [0xFF, 0xFE, 0, 0, ..] => false,
        _ => return None,
    };
    let mut replaced = 0;
    let chunks = bytes[4..].chunks(4);
    let text = chunks
        .map(|c| {
            let unit = <[u8; 4]>::try_from(c).ok().map(|b| {
                if big_endian {
                    u32::from_be_bytes(b)
                } else {
                    u32::from_le_bytes(b)
                }
            });
            unit.and_then(char::from_u32).unwrap_or_else(|| {
                replaced += c.len();
                '\u{FFFD}'
            })
        })
        .collect();
    Some((text, replaced))
}

/// The encodings the body declares, in order of precedence: the Content-Type charset, the
/// XML prolog, the HTML meta tag. UTF-16 labels on a body whose labels could be read as
/// ASCII are wrong by construction, and are left out.
fn declared(bytes: &[u8], content_type: Option<&str>) -> Vec<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    // The head is ASCII in every encoding we expect; lossy is fine for finding labels.
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    [
        content_type.and_then(|ct| charset_param(&ct.to_ascii_lowercase())),
        xml_prolog_encoding(&head),
        html_meta_charset(&head),
    ]
    .into_iter()
    .flatten()
    .filter_map(|label| Encoding::for_label(label.trim().as_bytes()))
    .filter(|enc| *enc != UTF_16LE && *enc != UTF_16BE && *enc != encoding_rs::REPLACEMENT)
    .collect()
}

fn charset_param(content_type: &str) -> Option<String> {
    let at = content_type.find("charset=")? + "charset=".len();
    let value = content_type[at..].split(';').next()?;
    Some(
        value
            .trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .to_string(),
    )
}

fn xml_prolog_encoding(head: &str) -> Option<String> {
    let prolog = head.strip_prefix("<?xml")?;
    let prolog = &prolog[..prolog.find("?>")?];
    quoted_after(prolog, "encoding=")
}

fn html_meta_charset(head: &str) -> Option<String> {
    let mut rest = head;
    while let Some(at) = rest.find("<meta") {
        rest = &rest[at + 5..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        // Both <meta charset="x"> and <meta http-equiv="content-type" content="…; charset=x">.
        if let Some(v) = quoted_after(tag, "charset=") {
            return Some(v);
        }
    }
    None
}

/// The value after `key`, quoted or not: `encoding="tis-620"`, `charset=windows-874`.
fn quoted_after(s: &str, key: &str) -> Option<String> {
    let v = s[s.find(key)? + key.len()..].trim_start();
    let v = match v.chars().next()? {
        q @ ('"' | '\'') => &v[1..][..v[1..].find(q)?],
        _ => v
            .split(|c: char| c.is_whitespace() || matches!(c, '>' | '/' | '?' | '"' | '\'' | ';'))
            .next()?,
    };
    Some(v.to_string())
}

fn fix_xml_prolog(text: Cow<'_, str>) -> Cow<'_, str> {
    let Some(end) = text.strip_prefix("<?xml").and_then(|p| p.find("?>")) else {
        return text;
    };
    let prolog = &text[..end + 5 + 2];
    let lower = prolog.to_ascii_lowercase();
    let Some(at) = lower.find("encoding=") else {
        return text;
    };
    let value_start = at + "encoding=".len();
    let rest = &prolog[value_start..];
    let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return text;
    };
    let Some(len) = rest[1..].find(q) else {
        return text;
    };
    let value_end = value_start + 1 + len + 1;
    Cow::Owned(format!(
        "{}encoding=\"UTF-8\"{}",
        &text[..at],
        &text[value_end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tis620(s: &str) -> Vec<u8> {
        let (bytes, _, errors) = WINDOWS_874.encode(s);
        assert!(!errors);
        bytes.into_owned()
    }

    const THAI: &str = "ครม.เห็นชอบมาตรการลดค่าไฟฟ้า ๒๕๖๗";

    #[test]
    fn utf8_passes_through_whatever_is_declared() {
        let (out, d) = to_utf8(THAI.as_bytes(), Some("text/xml; charset=TIS-620"));
        assert_eq!(String::from_utf8(out).unwrap(), THAI);
        assert_eq!(d.encoding, UTF_8);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(THAI.as_bytes());
        assert_eq!(to_utf8(&bom, None).0, THAI.as_bytes());
    }

    #[test]
    fn tis620_is_decoded_from_the_header_the_prolog_the_meta_tag_or_by_default() {
        let body = tis620(THAI);
        for ct in [
            Some("text/html; charset=\"tis-620\""),
            Some("text/html"),
            None,
        ] {
            let (out, d) = to_utf8(&body, ct);
            assert_eq!(String::from_utf8(out).unwrap(), THAI, "{ct:?}");
            assert_eq!(d.encoding, WINDOWS_874);
            assert!(!d.had_errors());
        }
        let xml = [
            b"<?xml version=\"1.0\" encoding='TIS-620'?><rss><title>".as_slice(),
            &tis620(THAI),
            b"</title></rss>",
        ]
        .concat();
        let (out, d) = to_utf8(&xml, Some("application/rss+xml"));
        assert_eq!(d.encoding, WINDOWS_874);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><title>{THAI}</title></rss>")
        );
        let html = [
            b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-874\"></head><body>".as_slice(),
            &tis620(THAI),
        ]
        .concat();
        assert_eq!(declared(&html, None), [WINDOWS_874], "the meta tag is read");
        let html5 = b"<meta charset=tis-620><p>".as_slice();
        assert_eq!(declared(html5, None), [WINDOWS_874]);
    }

    #[test]
    fn a_wrong_utf8_declaration_over_tis620_is_overruled() {
        let xml = [
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><title>".as_slice(),
            &tis620(THAI),
            b"</title></rss>",
        ]
        .concat();
        let (out, d) = to_utf8(&xml, Some("application/rss+xml; charset=utf-8"));
        assert_eq!(d.encoding, WINDOWS_874);
        assert!(String::from_utf8(out).unwrap().contains(THAI));
    }

    #[test]
    fn another_declared_encoding_is_honoured() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode("café");
        let (out, d) = to_utf8(&bytes, Some("text/xml; charset=windows-1252"));
        assert_eq!(d.encoding, encoding_rs::WINDOWS_1252);
        assert_eq!(out, "café".as_bytes());
    }
    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/feeds/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn a_utf8_declaration_with_a_stray_byte_stays_utf8_and_counts_it() {
        let feed = fixture("utf8-declared-stray-byte.xml");
        let (out, d) = to_utf8(&feed, Some("application/rss+xml"));
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            (d.encoding, d.basis, d.replaced_bytes),
            (UTF_8, Basis::Declared, 1)
        );
        assert!(text.contains("ครม. เห็นชอบมาตรการลดค่าไฟฟ้า"), "{text}");
        assert!(text.contains("น้ำท่วมเชียงใหม่\u{FFFD}</title>"), "{text}");
        let problem = d.problem().unwrap();
        assert!(
            problem.contains("1 byte was not valid in UTF-8"),
            "{problem}"
        );
        // The same from the HTTP header alone.
        let bare = String::from_utf8_lossy(&feed).replace(" encoding=\"UTF-8\"", "");
        let bare = [
            bare.split('\u{FFFD}').next().unwrap().as_bytes(),
            b"\xff",
            bare.split('\u{FFFD}').nth(1).unwrap().as_bytes(),
        ]
        .concat();
        let (_, d) = to_utf8(&bare, Some("application/rss+xml; charset=utf-8"));
        assert_eq!((d.encoding, d.replaced_bytes), (UTF_8, 1));
        // Without any declaration the content is still mostly UTF-8.
        let (_, d) = to_utf8(&bare, None);
        assert_eq!(
            (d.encoding, d.basis, d.replaced_bytes),
            (UTF_8, Basis::Detected, 1)
        );
    }

    #[test]
    fn without_a_declaration_the_content_decides() {
        for (name, encoding, expected) in [
            (
                "tis620-undeclared-no-version.xml",
                WINDOWS_874,
                "นายกฯ สั่งการกระทรวงสาธารณสุขรับมือฝุ่น",
            ),
            (
                "latin1-undeclared.xml",
                encoding_rs::WINDOWS_1252,
                "La criminalité liée aux drogues",
            ),
            (
                "shift-jis-undeclared.xml",
                encoding_rs::SHIFT_JIS,
                "東京で桜が満開になりました",
            ),
        ] {
            let (out, d) = to_utf8(&fixture(name), Some("text/xml"));
            let text = String::from_utf8(out).unwrap();
            assert_eq!(
                (d.encoding, d.basis, d.replaced_bytes),
                (encoding, Basis::Detected, 0),
                "{name}"
            );
            assert!(text.contains(expected), "{name}: {text}");
        }
        // A short Thai title alone is still Thai.
        let (out, d) = to_utf8(&tis620("ข่าวด่วน"), None);
        assert_eq!(
            (d.encoding, out),
            (WINDOWS_874, "ข่าวด่วน".as_bytes().to_vec())
        );
    }

    #[test]
    fn thai_looking_needs_thai_spelling() {
        assert!(thai_looking(&tis620(THAI)));
        // windows-874's punctuation and no-break space are part of Thai text.
        assert!(thai_looking(&tis620("“ข่าวด่วน” – ครม.\u{a0}เห็นชอบ…")));
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode("criminalité liée, voilà");
        assert!(
            !thai_looking(&latin1),
            "accents read as windows-874 break the rules"
        );
        assert!(
            !thai_looking("ข่าว".as_bytes()),
            "UTF-8 Thai is not windows-874 Thai"
        );
        assert!(!thai_looking(b"plain ascii"));
    }

    #[test]
    fn utf32_with_a_byte_order_mark_is_read() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-32\"?><rss><title>ข่าว</title></rss>";
        for big_endian in [true, false] {
            let mut bytes = if big_endian {
                vec![0, 0, 0xFE, 0xFF]
            } else {
                vec![0xFF, 0xFE, 0, 0]
            };
            for c in text.chars() {
                let unit = c as u32;
                bytes.extend(if big_endian {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                });
            }
            let (out, d) = to_utf8(&bytes, None);
            assert_eq!(d.replaced_bytes, 0);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                text.replace("UTF-32", "UTF-8")
            );
        }
    }
}
