//! Bytes from the wire to UTF-8 before parsing. Thai legacy sites still serve TIS-620 /
//! windows-874, and declarations are often wrong (a CMS template says UTF-8 over a TIS-620
//! body, or the other way round), so the body itself decides first: valid UTF-8 is UTF-8 —
//! Thai text in a single-byte encoding is practically never valid UTF-8. Otherwise the
//! declaration is used (HTTP Content-Type charset, then the XML prolog, then the HTML meta
//! tag), and without a usable one, windows-874, the superset of TIS-620.

use encoding_rs::{Encoding, UTF_8, WINDOWS_874};
use std::borrow::Cow;

/// What was decided and why, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    pub encoding: &'static Encoding,
    /// Some bytes were not valid in that encoding and became U+FFFD.
    pub had_errors: bool,
}

/// Decodes `bytes` to UTF-8 and rewrites an XML prolog's encoding to UTF-8, so the XML
/// parser does not decode the text a second time.
pub fn to_utf8(bytes: &[u8], content_type: Option<&str>) -> (Vec<u8>, Decoded) {
    let (encoding, body) = match Encoding::for_bom(bytes) {
        Some((enc, bom_len)) => (enc, &bytes[bom_len..]),
        None if std::str::from_utf8(bytes).is_ok() => (UTF_8, bytes),
        None => (declared(bytes, content_type).unwrap_or(WINDOWS_874), bytes),
    };
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    let text = fix_xml_prolog(text);
    (
        text.into_owned().into_bytes(),
        Decoded {
            encoding,
            had_errors,
        },
    )
}

/// The declared encoding, if it names one other than UTF-8 (which the body already failed).
fn declared(bytes: &[u8], content_type: Option<&str>) -> Option<&'static Encoding> {
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
    .find(|enc| *enc != UTF_8)
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
            assert!(!d.had_errors);
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
        assert_eq!(
            declared(&html, None),
            Some(WINDOWS_874),
            "the meta tag is read"
        );
        let html5 = b"<meta charset=tis-620><p>".as_slice();
        assert_eq!(declared(html5, None), Some(WINDOWS_874));
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
}
