use praden_thai::{matching_form, normalize};

#[test]
fn removes_zero_width_characters() {
    assert_eq!(
        normalize("ทำ\u{200B}เนียบ\u{200C}รัฐ\u{FEFF}บาล"),
        "ทำเนียบรัฐบาล"
    );
    assert_eq!(normalize("a\u{200D}b"), "ab");
    // ...but a ZWJ inside an emoji sequence is part of the emoji.
    assert_eq!(normalize("👨\u{200D}👩"), "👨\u{200D}👩");
}

#[test]
fn repairs_thai_typing_variants() {
    assert_eq!(normalize("ดํา"), "ดำ"); // nikhahit + sara aa
    assert_eq!(normalize("น\u{0E4D}\u{0E49}\u{0E32}"), "น้ำ"); // nikhahit, tone, sara aa
    assert_eq!(normalize("เเล้ว"), "แล้ว"); // two sara e for sara ae
    assert_eq!(normalize("ก\u{0E48}\u{0E35}"), "กี่"); // tone before upper vowel
    assert_eq!(normalize("ที่\u{0E48}"), "ที่"); // doubled tone mark
    assert_eq!(normalize("กิิน"), "กิน"); // doubled vowel
}

#[test]
fn applies_nfc() {
    assert_eq!(normalize("e\u{0301}"), "é");
}

#[test]
fn unifies_quotes_dashes_and_whitespace() {
    assert_eq!(normalize("“ข่าว” ‘ด่วน’"), "\"ข่าว\" 'ด่วน'");
    assert_eq!(normalize("2563–2567 — ok"), "2563-2567 - ok");
    assert_eq!(normalize("ก\u{00A0}\u{00A0}ข\u{3000}ค\r\nง"), "ก ข ค\nง");
}

#[test]
fn matching_form_folds_thai_digits_only_there() {
    assert_eq!(normalize("๒๕๖๗"), "๒๕๖๗");
    assert_eq!(matching_form("ปี ๒๕๖๗ เวลา ๑๐.๓๐"), "ปี 2567 เวลา 10.30");
    assert_eq!(matching_form("ดํา"), "ดำ");
}

#[test]
fn leaves_clean_text_alone() {
    let s = "นายกรัฐมนตรีแถลงข่าว เวลา 10.30 น. (PM2.5)";
    assert_eq!(normalize(s), s);
}
