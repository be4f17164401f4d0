//! The 2–3 sentence Thai summary of an item, drawn from its coverage.
//!
//! Thai writes no full stop: a space ends a phrase and often a sentence, and news leads are
//! a few long phrases. A "sentence" here is therefore a run of phrases of at least
//! [`SENTENCE_MIN_CHARS`] characters (or one ending in `.`, `!` or `?`). The summary takes
//! the lead of the story's representative document (detection's summary) first, then the
//! leads of the other documents in the order they appeared, skipping repeats of the title
//! and of sentences already taken, so a story told by several outlets adds what the others
//! said.

use crate::{cut, CoverageDoc};

/// The summary stays below this many characters.
pub const SUMMARY_MAX_CHARS: usize = 400;
const SENTENCE_MIN_CHARS: usize = 60;
const SENTENCE_MAX: usize = 3;
/// Shorter fragments are page furniture (dates, bylines, "อ่านต่อ").
const FRAGMENT_MIN_CHARS: usize = 20;
/// Sentences read from each document's body.
const PER_DOCUMENT: usize = 2;
/// Only the start of a body is read.
const LEAD_CHARS: usize = 1200;

/// Up to three sentences, at most [`SUMMARY_MAX_CHARS`] characters; empty when the coverage
/// has no text beyond the title.
pub fn summarize(title: &str, lead: &str, docs: &[CoverageDoc]) -> String {
    let title_key = key(title);
    // Lazy: the documents after the first few are read only when their sentences are needed.
    let pool = sentences(lead).into_iter().chain(docs.iter().flat_map(|d| {
        let start: String = d.body.chars().take(LEAD_CHARS).collect();
        let doc_title = key(&d.title);
        sentences(&start)
            .into_iter()
            .filter(move |s| key(s) != doc_title)
            .take(PER_DOCUMENT)
    }));
    let mut chosen: Vec<String> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut length = 0;
    for s in pool {
        if chosen.len() == SENTENCE_MAX {
            break;
        }
        let k = key(&s);
        let repeats = k.is_empty()
            || k == title_key
            || (title_key.contains(&k))
            || keys
                .iter()
                .any(|c| c.contains(&k) || k.contains(c.as_str()));
        if repeats {
            continue;
        }
        let n = s.chars().count();
        if chosen.is_empty() {
            let s = cut(&s, SUMMARY_MAX_CHARS);
            length = s.chars().count();
            chosen.push(s);
        } else if length + 1 + n <= SUMMARY_MAX_CHARS {
            length += 1 + n;
            chosen.push(s);
        } else {
            // A shorter sentence further on may still fit: keep looking.
            continue;
        }
        keys.push(k);
    }
    chosen.join(" ")
}

/// The sentences of `text` in order (see the module comment). A number never starts a
/// sentence ("สายด่วน 1569", "ร้อยละ 15" belong together), and a short remainder at the end
/// of a line joins the sentence before it rather than being lost.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let phrases: Vec<&str> = line.split_whitespace().collect();
        let mut from_line: Vec<String> = Vec::new();
        let mut current = String::new();
        for (i, phrase) in phrases.iter().enumerate() {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(phrase);
            let next_is_number = phrases
                .get(i + 1)
                .and_then(|p| p.chars().next())
                .is_some_and(|c| c.is_ascii_digit() || ('๐'..='๙').contains(&c));
            let ends =
                phrase.ends_with(['.', '!', '?']) || current.chars().count() >= SENTENCE_MIN_CHARS;
            if ends && !next_is_number {
                from_line.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            match from_line.last_mut() {
                Some(last) if current.chars().count() < FRAGMENT_MIN_CHARS => {
                    last.push(' ');
                    last.push_str(&current);
                }
                _ => from_line.push(current),
            }
        }
        out.extend(
            from_line
                .into_iter()
                .filter(|s| s.chars().count() >= FRAGMENT_MIN_CHARS),
        );
    }
    out
}

/// What two sentences are compared by: letters and digits only.
fn key(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use praden_core::SourceKind;

    fn doc(title: &str, body: &str) -> CoverageDoc {
        CoverageDoc {
            title: title.into(),
            body: body.into(),
            outlet: "มติชน".into(),
            url: None,
            kind: SourceKind::News,
            published_at: None,
        }
    }

    #[test]
    fn takes_the_lead_then_what_other_coverage_adds() {
        let lead = "กระทรวงพาณิชย์เตรียมตรวจสอบราคาไข่ไก่ที่ปรับขึ้นต่อเนื่องในหลายจังหวัดตั้งแต่ต้นเดือน \
                    หลังผู้บริโภคร้องเรียนว่าราคาแพงเกินกว่าที่ประกาศไว้";
        let other = doc(
            "ไข่ไก่แพง",
            "ไข่ไก่แพง\nสมาคมผู้เลี้ยงไก่ไข่ชี้แจงว่าต้นทุนอาหารสัตว์สูงขึ้นกว่าร้อยละ 20 ในรอบปี ทำให้ต้องปรับราคาหน้าฟาร์ม",
        );
        let s = summarize("ราคาไข่ไก่แพง", lead, &[other]);
        assert!(s.starts_with("กระทรวงพาณิชย์เตรียมตรวจสอบ"), "{s}");
        assert!(s.contains("สมาคมผู้เลี้ยงไก่ไข่"), "{s}");
        assert!(!s.contains("ไข่ไก่แพง\n"), "{s}");
        assert!(s.chars().count() <= SUMMARY_MAX_CHARS);
    }

    #[test]
    fn repeats_and_the_title_are_skipped_and_three_sentences_at_most() {
        let title = "น้ำท่วมภาคเหนือ";
        let sentence = |n: usize| {
            format!("ประโยคที่ {n} รายงานสถานการณ์น้ำท่วมในจังหวัดเชียงรายและพะเยาซึ่งระดับน้ำยังสูงอยู่ต่อเนื่อง")
        };
        let lead = format!("{title}\n{}", sentence(1));
        let docs = vec![
            doc("a", &sentence(1)),
            doc("b", &sentence(2)),
            doc("c", &sentence(3)),
            doc("d", &sentence(4)),
        ];
        let s = summarize(title, &lead, &docs);
        assert!(!s.starts_with(title), "{s}");
        assert_eq!(s.matches("ประโยคที่ 1 ").count(), 1, "{s}");
        assert!(s.contains("ประโยคที่ 3") && !s.contains("ประโยคที่ 4"), "{s}");
    }

    #[test]
    fn numbers_stay_with_their_words_and_remainders_are_kept() {
        let text =
            "ผู้บริโภคในกรุงเทพฯ และปริมณฑลร้องเรียนผ่านสายด่วนของกรมการค้าภายในหมายเลข 1569 กว่า 300 ราย";
        assert_eq!(sentences(text), vec![text.to_string()]);
    }

    #[test]
    fn a_huge_lead_is_cut_and_empty_coverage_gives_nothing() {
        let lead = "ก".repeat(2000);
        let s = summarize("x", &lead, &[]);
        assert!(s.chars().count() <= SUMMARY_MAX_CHARS && s.ends_with('…'));
        assert_eq!(summarize("ข่าว", "", &[]), "");
        assert_eq!(summarize("ข่าว", "สั้น", &[]), "");
    }
}
