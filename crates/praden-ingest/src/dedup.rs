//! Near-duplicates: the same story run by several outlets with small edits (an agency press
//! release, a wire story). A 64-bit SimHash over shingles of three Thai words: copies differ
//! in a few bits, unrelated texts in about half of them. Pure; the store keeps the hashes.

use praden_thai::Segmenter;

/// Texts whose hashes differ in at most this many bits are the same story. News texts are
/// short (tens to hundreds of words), so an edited copy lands further away than the classic
/// 3 bits for web pages: in the test a lightly rewritten copy is 9 bits away and unrelated
/// stories over 30; random pairs are at 32 ± 4, so 10 keeps false links rare. Links are
/// only links (nothing is dropped), so an occasional false one costs little.
pub const MAX_DISTANCE: u32 = 10;
/// Shorter texts (in words) are not fingerprinted: a headline alone matches too much.
pub const MIN_WORDS: usize = 30;

/// The SimHash of `text`, or `None` if it is too short to say anything.
pub fn simhash(segmenter: &Segmenter, text: &str) -> Option<u64> {
    let words: Vec<&str> = segmenter
        .segment(text)
        .into_iter()
        // A Thai consonant answers at once; `char::is_alphanumeric` is a table search for
        // every Thai letter, which cost a bulk import several percent of its time.
        .filter(|w| {
            w.chars()
                .any(|c| matches!(c, '\u{0E01}'..='\u{0E2E}') || c.is_alphanumeric())
        })
        .collect();
    if words.len() < MIN_WORDS {
        return None;
    }
    let mut weights = [0i32; 64];
    // Words and word pairs: a local edit changes a few features, not every shingle around it.
    let features = words
        .iter()
        .map(std::slice::from_ref)
        .chain(words.windows(2));
    for feature in features {
        let h = fnv1a(feature);
        for (bit, w) in weights.iter_mut().enumerate() {
            *w += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    Some(
        weights
            .iter()
            .enumerate()
            .filter(|(_, w)| **w > 0)
            .fold(0u64, |acc, (bit, _)| acc | 1 << bit),
    )
}

pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// FNV-1a: stable across releases and platforms, unlike std's hasher, because the hashes are
/// stored.
fn fnv1a(words: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for b in w.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASE: &str = "นายกรัฐมนตรีเป็นประธานการประชุมคณะรัฐมนตรีที่ทำเนียบรัฐบาล \
        ที่ประชุมมีมติเห็นชอบมาตรการลดค่าครองชีพให้แก่ประชาชน โดยลดค่าไฟฟ้าและค่าน้ำประปา \
        เป็นเวลาสามเดือน ตั้งแต่เดือนเมษายนถึงเดือนมิถุนายน กระทรวงพลังงานจะเป็นผู้ดำเนินการ \
        ร่วมกับการไฟฟ้านครหลวงและการไฟฟ้าส่วนภูมิภาค คาดว่าจะช่วยเหลือครัวเรือนได้กว่ายี่สิบล้านครัวเรือน \
        โฆษกประจำสำนักนายกรัฐมนตรีกล่าวว่ารัฐบาลติดตามสถานการณ์อย่างใกล้ชิด";

    #[test]
    fn rewritten_copies_are_near_and_other_stories_are_far() {
        let seg = Segmenter::new();
        let a = simhash(&seg, RELEASE).unwrap();
        let copy = format!(
            "(ข่าวสด) {} ติดตามข่าวสารได้ที่เว็บไซต์",
            RELEASE.replace("สามเดือน", "3 เดือน")
        );
        let b = simhash(&seg, &copy).unwrap();
        assert!(distance(a, b) <= MAX_DISTANCE, "{}", distance(a, b));
        let other = "กรมอุตุนิยมวิทยาประกาศเตือนพายุฤดูร้อนบริเวณภาคเหนือและภาคตะวันออกเฉียงเหนือ \
            ประชาชนควรระวังอันตรายจากลมกระโชกแรงและลูกเห็บตก เกษตรกรควรเตรียมการป้องกันความเสียหาย \
            ที่จะเกิดกับผลผลิตทางการเกษตร ส่วนกรุงเทพมหานครและปริมณฑลมีฝนฟ้าคะนองร้อยละสามสิบของพื้นที่ \
            อุณหภูมิต่ำสุดยี่สิบห้าองศาเซลเซียส อุณหภูมิสูงสุดสามสิบแปดองศาเซลเซียส";
        let c = simhash(&seg, other).unwrap();
        assert!(distance(a, c) > 2 * MAX_DISTANCE, "{}", distance(a, c));
        assert_eq!(simhash(&seg, RELEASE), Some(a), "stable");
        assert_eq!(simhash(&seg, "ข่าวสั้น"), None);
    }
}
