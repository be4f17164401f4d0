//! Segmentation behaviour: round trip on real dev lines, pre-pass cases, merge rules,
//! user dictionaries.
use praden_thai::{Segmenter, TokenKind};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/thai-seg");

fn seg() -> Segmenter {
    Segmenter::new()
}

#[test]
fn tokens_concatenate_to_the_input_on_every_dev_line() {
    let s = seg();
    let mut checked = 0;
    for name in ["tud-dev.txt", "wisesight-dev.txt"] {
        let path = format!("{SHARED}/{name}");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipping {path}: not present");
            continue;
        };
        for line in text.lines() {
            let tokens = s.segment(line);
            assert_eq!(tokens.concat(), line);
            assert!(tokens.iter().all(|t| !t.is_empty()));
            checked += 1;
        }
    }
    // The crate also carries its own lines so the property is checked without ../shared.
    for line in [
        "นายกรัฐมนตรีเดินทางไปทำเนียบรัฐบาล เวลา 10.30 น.",
        "ฝุ่น PM2.5 เกินมาตรฐาน ๒๕๖๗ COVID-19 https://www.thaigov.go.th/news",
        "มากกกกกก 555+ 😭😭 👍🏽 เเล้วก็ ดำ ดํา",
        "\u{200B}ทดสอบ\u{FEFF} \t\r\n",
        "",
        "ๆๆๆ...!!!",
    ] {
        assert_eq!(s.segment(line).concat(), line);
        checked += 1;
    }
    assert!(checked > 6);
}

#[test]
fn spaces_are_tokens_of_their_own() {
    let tokens = seg().segment("สวัสดี  ครับ");
    assert!(tokens.contains(&"  "));
}

fn assert_whole(text: &str, piece: &str) {
    let tokens = seg().segment(text);
    assert!(
        tokens.contains(&piece),
        "{piece:?} not a token of {tokens:?}"
    );
}

#[test]
fn numbers_stay_whole() {
    assert_whole("เวลา 10.30 น.", "10.30");
    assert_whole("งบประมาณ 3,185,000 บาท", "3,185,000");
    assert_whole("ปี ๒๕๖๗ นี้", "๒๕๖๗");
    assert_whole("วันที่19/04/2560", "19/04/2560");
}

#[test]
fn latin_codes_urls_and_addresses_stay_whole() {
    assert_whole("ค่าฝุ่นPM2.5สูง", "PM2.5");
    assert_whole("โรคCOVID-19ระบาด", "COVID-19");
    assert_whole(
        "ดูที่ https://www.thaigov.go.th/news/contents/details/12345 ครับ",
        "https://www.thaigov.go.th/news/contents/details/12345",
    );
    assert_whole(
        "อีเมล spokesman@thaigov.go.th ครับ",
        "spokesman@thaigov.go.th",
    );
    assert_whole("ดู www.prd.go.th.", "www.prd.go.th");
}

#[test]
fn hashtags_and_mentions_keep_their_body_whole() {
    let tokens = seg().segment("#COVID19 @prdthailand");
    assert_eq!(tokens, ["#", "COVID19", " ", "@", "prdthailand"]);
}

#[test]
fn emoji_sequences_stay_whole() {
    assert_whole("ดีมาก👍🏽ครับ", "👍🏽");
    assert_whole("ครอบครัว👨‍👩‍👧สุขสันต์", "👨‍👩‍👧");
    assert_whole("ธงชาติ🇹🇭", "🇹🇭");
    let tokens = seg().segment("😭😭");
    assert_eq!(tokens, ["😭", "😭"]);
}

#[test]
fn dotted_abbreviations_stay_whole() {
    assert_whole("ที่ประชุมครม.มีมติ", "ครม.");
    assert_whole("ในพ.ศ. 2567", "พ.ศ.");
    assert_whole("ผู้ว่าฯกทม.แถลง", "กทม.");
    assert_whole("เวลา 09.30 น.", "น.");
}

#[test]
fn ellipsis_is_one_token() {
    assert_whole("รอก่อน....แล้วค่อยไป", "....");
}

#[test]
fn never_breaks_inside_a_character_cluster() {
    let s = seg();
    for line in ["ฟอจูนเนอเหอะ", "เคีลย์ยาก", "สังเกตุเห็นชัด", "กรี้ดสุดดด", "อยุ่รุ้สึก"]
    {
        let tokens = s.segment(line);
        for t in &tokens {
            let first = t.chars().next().unwrap();
            assert!(
                !matches!(first, '\u{0E30}'..='\u{0E3A}' | '\u{0E45}' | '\u{0E47}'..='\u{0E4E}'),
                "{t:?} starts with a dependent mark in {tokens:?}"
            );
            let last = t.chars().last().unwrap();
            assert!(
                !matches!(last, 'เ'..='ไ'),
                "{t:?} ends with a leading vowel in {tokens:?}"
            );
        }
    }
}

#[test]
fn emphasis_repeats_stay_with_their_word() {
    assert_whole("แพงมากกกกก", "มากกกกก");
    assert_whole("ร้อนสุดดด", "สุดดด");
}

#[test]
fn known_words_are_found() {
    let tokens = seg().segment("รัฐบาลประกาศมาตรการช่วยเหลือประชาชน");
    assert!(tokens.contains(&"รัฐบาล"), "{tokens:?}");
    assert!(tokens.contains(&"ประชาชน"), "{tokens:?}");
}

#[test]
fn span_kinds_tell_content_from_punctuation() {
    let s = seg();
    let mut spans = Vec::new();
    s.segment_spans("ข่าว, 2567 PM2.5!", &mut spans);
    let kinds: Vec<TokenKind> = spans.iter().map(|s| s.kind).collect();
    assert!(kinds.contains(&TokenKind::Symbol));
    assert!(kinds.contains(&TokenKind::Number));
    assert!(kinds.contains(&TokenKind::Latin));
    assert!(kinds.contains(&TokenKind::Space));
}

#[test]
fn user_dictionary_entries_are_kept_whole() {
    let name = "ซุปเปอร์โฆษกใหม่";
    let before = seg().segment(name);
    assert!(
        before.len() > 1,
        "test word must not already be known: {before:?}"
    );
    let dir = std::env::temp_dir().join(format!("praden-thai-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("user.txt");
    std::fs::write(&path, format!("# extra words\n{name}\n")).unwrap();
    let s = Segmenter::with_user_dict(&path).unwrap();
    assert_eq!(s.segment(&format!("นาย{name}แถลง")), ["นาย", name, "แถลง"]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn missing_user_dictionary_is_an_error() {
    let err = Segmenter::with_user_dict("/nonexistent/praden/user.txt")
        .err()
        .unwrap();
    assert!(err.to_string().contains("/nonexistent/praden/user.txt"));
}

#[test]
fn a_long_line_without_spaces_round_trips() {
    let unit = "รัฐบาลเร่งแก้ปัญหาฝุ่นพีเอ็มสองจุดห้าในกรุงเทพมหานครและปริมณฑล";
    let line = unit.repeat(2000); // ~ 120k characters, several lattice windows
    let tokens = seg().segment(&line);
    assert_eq!(tokens.concat(), line);
    assert!(tokens.iter().filter(|t| **t == "รัฐบาล").count() >= 1900);
}
