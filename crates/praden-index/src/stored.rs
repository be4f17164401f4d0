//! The stored text fields of a search hit, read from the bytes of tantivy's doc store.
//!
//! `Searcher::doc` builds a `TantivyDocument`: every string is copied into a `String` and
//! checked as UTF-8 by the standard library, which at 20 hits of Thai news a page (6 KB of
//! body each, three bytes a letter) was 6% of a loaded server's CPU. Here the strings stay
//! slices of the decompressed block and are checked by `simdutf8`, several times faster on
//! non-ASCII text. The layout read is tantivy 0.27's (`schema/document/de.rs`): a VInt count
//! of values, then per value the field (u32 LE), a type code and the value. Anything else in
//! it makes `parse` return None, and the caller falls back to `Searcher::doc`; the test below
//! checks both readings agree on every field of real documents.

use tantivy::schema::Field;

const TEXT_CODE: u8 = 0;
const U64_CODE: u8 = 1;
const I64_CODE: u8 = 2;
const DATE_CODE: u8 = 5;
const F64_CODE: u8 = 6;
const BOOL_CODE: u8 = 9;

/// The first string value of each field, by field number; other values are skipped.
pub(crate) fn parse(bytes: &[u8]) -> Option<Vec<(Field, &str)>> {
    let mut at = 0;
    let count = vint(bytes, &mut at)?;
    let mut fields = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let field = u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?);
        at += 4;
        let code = *bytes.get(at)?;
        at += 1;
        match code {
            TEXT_CODE => {
                let len = vint(bytes, &mut at)? as usize;
                let text = simdutf8::basic::from_utf8(bytes.get(at..at.checked_add(len)?)?).ok()?;
                at += len;
                let field = Field::from_field_id(field);
                if !fields.iter().any(|(f, _)| *f == field) {
                    fields.push((field, text));
                }
            }
            U64_CODE | I64_CODE | DATE_CODE | F64_CODE => at += 8,
            BOOL_CODE => at += 1,
            _ => return None,
        }
    }
    (at == bytes.len()).then_some(fields)
}

/// tantivy's VInt: 7 bits a byte, low bits first, the last byte marked by its high bit.
fn vint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 != 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, Value, FAST, INDEXED, STORED, STRING, TEXT};
    use tantivy::{doc, DateTime, Index, TantivyDocument};

    #[test]
    fn reads_what_tantivy_reads() {
        let mut b = Schema::builder();
        let id = b.add_u64_field("id", INDEXED | STORED | FAST);
        let title = b.add_text_field("title", TEXT | STORED);
        let body = b.add_text_field("body", STORED);
        let kind = b.add_text_field("kind", STRING | STORED);
        let at = b.add_date_field("at", STORED);
        let flag = b.add_bool_field("flag", STORED);
        let index = Index::create_in_ram(b.build());
        let mut writer = index.writer_with_num_threads(1, 20_000_000).unwrap();
        let texts = [
            ("นายกรัฐมนตรีลงพื้นที่", "น้ำท่วม 12 จังหวัด ".repeat(400)),
            ("", String::new()),
            (
                "a \"quoted\" title",
                "ascii body\u{a0}with a no-break space".into(),
            ),
        ];
        for (n, (t, b)) in texts.iter().enumerate() {
            writer
                .add_document(doc!(
                    id => n as u64 * 300,
                    title => *t,
                    body => b.as_str(),
                    kind => "news",
                    at => DateTime::from_timestamp_secs(1_700_000_000),
                    flag => n % 2 == 0,
                ))
                .unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let segment = &searcher.segment_readers()[0];
        let store = segment.get_store_reader(1).unwrap();
        for doc in 0..segment.max_doc() {
            let bytes = store.get_document_bytes(doc).unwrap();
            let fields = parse(bytes.as_slice()).expect("parses");
            let full: TantivyDocument = store.get(doc).unwrap();
            for field in [title, body, kind] {
                let ours = fields.iter().find(|(f, _)| *f == field).map(|(_, v)| *v);
                let theirs = full.get_first(field).and_then(|v| v.as_str());
                assert_eq!(ours, theirs, "doc {doc} field {field:?}");
            }
        }
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        // One value of field 0 with an unknown type code.
        assert_eq!(parse(&[0x81, 0, 0, 0, 0, 42]), None);
        // A string longer than the bytes.
        assert_eq!(parse(&[0x81, 0, 0, 0, 0, TEXT_CODE, 0x85, b'a']), None);
        // Invalid UTF-8.
        assert_eq!(parse(&[0x81, 0, 0, 0, 0, TEXT_CODE, 0x81, 0xff]), None);
        // Trailing bytes.
        assert_eq!(parse(&[0x80, 1]), None);
        assert_eq!(parse(&[0x80]), Some(vec![]));
    }
}
