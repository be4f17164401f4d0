use std::sync::Arc;

use praden_detect::{suggest_stream, AgencySuggester};

fn suggester() -> Arc<AgencySuggester> {
    AgencySuggester::shared_default().unwrap()
}

fn top(title: &str, text: &str) -> (String, String) {
    let s = suggester().suggest(title, text);
    let first = s.first().expect("at least one suggestion");
    (first.name_th.clone(), first.ministry_abbr.clone())
}

#[test]
fn abbreviation_mention_wins() {
    let (_, m) = top("สธ. แจงกรณีข่าวขาดแคลนยาในโรงพยาบาล", "");
    assert_eq!(m, "สธ.");
}

#[test]
fn full_thai_name_mention_wins() {
    let (name, m) = top("กระทรวงสาธารณสุขชี้แจงข่าวปลอมเรื่องวัคซีน", "");
    assert_eq!((name.as_str(), m.as_str()), ("กระทรวงสาธารณสุข", "สธ."));
}

#[test]
fn english_name_mention_wins() {
    let (_, m) = top(
        "Ministry of Public Health denies report on drug shortage",
        "",
    );
    assert_eq!(m, "สธ.");
}

#[test]
fn department_is_named_with_its_ministry() {
    let s = suggester().suggest("กรมควบคุมโรคเตือนประชาชนระวังไข้เลือดออกช่วงฤดูฝน", "");
    assert_eq!(s[0].name_th, "กรมควบคุมโรค");
    assert_eq!(s[0].abbr, "คร.");
    assert_eq!(s[0].ministry_abbr, "สธ.");
    assert!(
        s[0].reasons.iter().any(|r| r.contains("กรมควบคุมโรค")),
        "{:?}",
        s[0].reasons
    );
}

#[test]
fn interior_and_prd_are_suggested() {
    assert_eq!(
        top("มท. สั่งผู้ว่าราชการจังหวัดเร่งช่วยเหลือผู้ประสบอุทกภัย", "").1,
        "มท."
    );
    let (name, m) = top("กปส. แถลงแนวทางรับมือข่าวปลอม", "");
    assert_eq!((name.as_str(), m.as_str()), ("กรมประชาสัมพันธ์", "นร."));
}

#[test]
fn keywords_and_history_work_without_mentions() {
    // No agency named: mandate keywords and cabinet history must carry it.
    assert_eq!(top("ราคาน้ำมันดีเซลพุ่ง ประชาชนร้องค่าครองชีพ", "").1, "พน.");
    assert_eq!(
        top("ผู้ประกันตนมาตรา 40 ได้รับเงินชดเชยจากประกันสังคม", "").1,
        "รง."
    );
}

#[test]
fn text_evidence_is_used_when_title_is_vague() {
    let text = "กระทรวงแรงงานโดยกรมการจัดหางานเปิดให้แรงงานต่างด้าวยื่นขอใบอนุญาตทำงาน";
    assert_eq!(top("ประกาศล่าสุดวันนี้", text).1, "รง.");
}

#[test]
fn kilogram_is_not_the_tourism_ministry() {
    let s = suggester().suggest("ราคาหมูเนื้อแดงขึ้นเป็น 180 บาทต่อกก.", "");
    assert_ne!(s[0].ministry_abbr, "กก.");
}

#[test]
fn scores_are_ordered_and_bounded() {
    let s = suggester().suggest("การประชุมรัฐมนตรีต่างประเทศอาเซียน", "");
    assert!(!s.is_empty() && s.len() <= 5);
    assert!(s.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(s.iter().all(|x| (0.0..=1.0).contains(&x.score)));
}

#[test]
fn json_lines_contract_keeps_alignment_on_bad_lines() {
    let input = "{\"title\": \"สธ. เตือนไข้เลือดออก\", \"text\": \"\"}\nnot json\n{\"title\": \"กระทรวงการคลังออกมาตรการภาษี\"}\n{\"text\": \"no title\"}\n";
    let mut out = Vec::new();
    let mut err = Vec::new();
    let summary = suggest_stream(&suggester(), input.as_bytes(), &mut out, &mut err).unwrap();
    assert_eq!((summary.lines, summary.errors), (4, 2));
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["agencies"][0]["ministry_abbr"], "สธ.");
    for key in ["name_th", "abbr", "ministry_abbr", "score"] {
        assert!(lines[0]["agencies"][0].get(key).is_some(), "missing {key}");
    }
    assert_eq!(lines[1]["agencies"].as_array().unwrap().len(), 0);
    assert!(lines[1]["error"].as_str().unwrap().contains("line 2"));
    assert_eq!(lines[2]["agencies"][0]["ministry_abbr"], "กค.");
    assert!(lines[3]["error"].is_string());
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("line 2:") && err.contains("line 4:"), "{err}");
}

#[test]
fn a_ministry_named_in_the_title_outranks_one_named_only_in_the_body() {
    let text = "กระทรวงมหาดไทยร่วมกับกระทรวงมหาดไทยและจังหวัดต่าง ๆ ติดตามสถานการณ์";
    assert_eq!(
        top("กระทรวงเกษตรและสหกรณ์เร่งช่วยเหลือเกษตรกรผู้ประสบภัยแล้ง", text).1,
        "กษ."
    );
}

/// Issue 22: the ค่าไฟ story quoting the PM's Office spokesman belongs to the energy ministry.
#[test]
fn the_agency_whose_spokesman_speaks_is_not_the_responsible_one() {
    let s = suggester().suggest(
        "โฆษกประจำสำนักนายกรัฐมนตรี เผยรัฐบาลเตรียมลดค่าไฟฟ้างวดใหม่",
        "โฆษกประจำสำนักนายกรัฐมนตรี เปิดเผยว่า รัฐบาลสั่งการให้ดูแลค่าไฟฟ้า ค่าเอฟที และราคาพลังงาน \
         เพื่อลดภาระค่าครองชีพของประชาชน",
    );
    assert_eq!(s[0].ministry_abbr, "พน.", "{:?}", &s[..3]);
}

#[test]
fn reasons_cite_the_history() {
    // A title close to past cabinet items: the reasons say which history evidence counted.
    let s = suggester().suggest("ร่างกฎกระทรวงกำหนดอัตราค่าธรรมเนียมการตรวจเรือ", "");
    let reasons: Vec<&String> = s.iter().flat_map(|x| &x.reasons).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("ประวัติ: เรื่องที่คล้ายกันในมติ ครม. ที่ผ่านมาจัดให้เป็นอันดับ 1 ")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("ประวัติ: คล้ายเรื่องเสนอ ครม. ที่ผ่านมา")),
        "{reasons:?}"
    );
}
