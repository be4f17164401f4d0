use praden_core::SourceKind;
use praden_detect::{cluster_stream, ClusterConfig, ClusterDoc, Clusterer};
use time::macros::datetime;
use time::OffsetDateTime;

fn doc(
    id: &str,
    at: OffsetDateTime,
    outlet: &str,
    kind: SourceKind,
    title: &str,
    body: &str,
) -> ClusterDoc {
    ClusterDoc {
        id: id.into(),
        published_at: at,
        title: title.into(),
        body: body.into(),
        outlet: outlet.into(),
        kind,
        url: Some(format!("https://{outlet}/{id}")),
    }
}

const FLOOD_1: &str = "น้ำท่วมจังหวัดเชียงใหม่ ชาวบ้านอพยพกว่าพันครัวเรือน";
const FLOOD_BODY: &str = "สถานการณ์น้ำท่วมในจังหวัดเชียงใหม่ยังวิกฤต ระดับน้ำแม่น้ำปิงสูงเกินตลิ่ง ชาวบ้านกว่าพันครัวเรือนต้องอพยพ กรมป้องกันและบรรเทาสาธารณภัยเร่งส่งเรือช่วยเหลือ";
const RICE: &str = "ครม. อนุมัติมาตรการรักษาเสถียรภาพราคาข้าวเปลือก ช่วยชาวนาไร่ละพันบาท";
const RICE_BODY: &str = "คณะรัฐมนตรีมีมติอนุมัติงบประมาณสนับสนุนชาวนาผู้ปลูกข้าว ไร่ละหนึ่งพันบาท ไม่เกินยี่สิบไร่ เพื่อรักษาเสถียรภาพราคาข้าวเปลือก ธนาคารเพื่อการเกษตรและสหกรณ์การเกษตรจะโอนเงินให้เกษตรกร";

fn t0() -> OffsetDateTime {
    datetime!(2024-09-01 08:00 +7)
}

#[test]
fn same_event_joins_one_story_and_other_event_starts_another() {
    let mut c = Clusterer::new(ClusterConfig::default());
    let a = c.add(doc(
        "1",
        t0(),
        "thairath",
        SourceKind::News,
        FLOOD_1,
        FLOOD_BODY,
    ));
    let b = c.add(doc(
        "2",
        t0() + time::Duration::hours(3),
        "matichon",
        SourceKind::News,
        "เชียงใหม่น้ำท่วมหนัก แม่น้ำปิงล้นตลิ่ง อพยพชาวบ้าน",
        "ระดับน้ำแม่น้ำปิงสูงเกินตลิ่ง น้ำท่วมเชียงใหม่ ชาวบ้านต้องอพยพ ปภ. ส่งเรือช่วยเหลือ",
    ));
    let r = c.add(doc(
        "3",
        t0() + time::Duration::hours(4),
        "khaosod",
        SourceKind::News,
        RICE,
        RICE_BODY,
    ));
    assert!(a.new_story);
    assert_eq!(b.story, a.story, "similarity {}", b.similarity);
    assert!(!b.new_story);
    assert!(r.new_story);
    assert_ne!(r.story, a.story);
    let story = c.story(a.story).unwrap();
    assert_eq!(story.articles, 2);
    assert_eq!(story.outlets.len(), 2);
    assert!(story.title().contains("เชียงใหม่"));
    assert!(story.summary().contains("แม่น้ำปิง"));
}

#[test]
fn near_duplicate_counts_once_but_adds_its_outlet() {
    let mut c = Clusterer::new(ClusterConfig::default());
    let a = c.add(doc(
        "1",
        t0(),
        "thairath",
        SourceKind::News,
        RICE,
        RICE_BODY,
    ));
    let b = c.add(doc(
        "2",
        t0() + time::Duration::minutes(30),
        "dailynews",
        SourceKind::News,
        RICE,
        RICE_BODY,
    ));
    assert_eq!(b.story, a.story);
    assert_eq!(b.duplicate_of.as_deref(), Some("1"));
    let s = c.story(a.story).unwrap();
    assert_eq!(s.articles, 1);
    assert_eq!(s.members.len(), 2);
    assert_eq!(
        s.outlets.iter().cloned().collect::<Vec<_>>(),
        ["dailynews", "thairath"]
    );
}

#[test]
fn documents_outside_the_window_start_a_new_story() {
    let mut c = Clusterer::new(ClusterConfig::default());
    let a = c.add(doc(
        "1",
        t0(),
        "thairath",
        SourceKind::News,
        RICE,
        RICE_BODY,
    ));
    let b = c.add(doc(
        "2",
        t0() + time::Duration::hours(100),
        "matichon",
        SourceKind::News,
        RICE,
        RICE_BODY,
    ));
    assert_ne!(a.story, b.story);
    assert_eq!(c.window_len(), 1);
}

#[test]
fn converging_stories_merge_and_keep_the_older_id() {
    // Link freely, merge whenever a document is close to two stories, whatever the two
    // stories share (the default refuses such a merge: see the test after this one).
    let config = ClusterConfig {
        link_threshold: 0.2,
        merge_threshold: 0.2,
        merge_centroid_threshold: 0.0,
        ..Default::default()
    };
    let mut c = Clusterer::new(config);
    let a = c.add(doc(
        "1",
        t0(),
        "a",
        SourceKind::News,
        "ฝุ่นพีเอ็มสองจุดห้าเกินมาตรฐานกรุงเทพมหานคร",
        "ค่าฝุ่นพีเอ็มสองจุดห้าเกินมาตรฐานหลายเขตของกรุงเทพมหานคร",
    ));
    let b = c.add(doc(
        "2",
        t0() + time::Duration::hours(1),
        "b",
        SourceKind::News,
        "โรงเรียนสั่งปิดเรียนหลังเด็กป่วยทางเดินหายใจ",
        "โรงเรียนหลายแห่งสั่งปิดเรียน เด็กนักเรียนป่วยโรคทางเดินหายใจ",
    ));
    assert_ne!(a.story, b.story);
    let m = c.add(doc(
        "3",
        t0() + time::Duration::hours(2),
        "c",
        SourceKind::News,
        "ฝุ่นพีเอ็มสองจุดห้ากรุงเทพมหานคร โรงเรียนสั่งปิดเรียน เด็กป่วยทางเดินหายใจ",
        "ค่าฝุ่นพีเอ็มสองจุดห้าเกินมาตรฐานกรุงเทพมหานคร โรงเรียนหลายแห่งสั่งปิดเรียน นักเรียนป่วยโรคทางเดินหายใจ",
    ));
    assert_eq!(m.story, a.story, "older id kept");
    assert_eq!(m.merges.len(), 1);
    assert_eq!(m.merges[0].kept, a.story);
    assert_eq!(m.merges[0].absorbed, b.story);
    assert_eq!(c.resolve(b.story), a.story);
    let s = c.story(b.story).unwrap();
    assert_eq!(s.id, a.story);
    assert_eq!(s.members.len(), 3);
    assert_eq!(s.merged_from, [b.story]);
}

/// Issue 22: one document that speaks of two unrelated stories (a round-up) does not fold them
/// into one, and a chain of documents each close to the last cannot drag a story from one
/// topic to another.
#[test]
fn one_bridging_document_neither_merges_nor_drags_a_story() {
    let mut c = Clusterer::new(ClusterConfig::default());
    let dust = "ฝุ่นพีเอ็มสองจุดห้าเกินมาตรฐานกรุงเทพมหานคร";
    let dust_body = "ค่าฝุ่นพีเอ็มสองจุดห้าเกินมาตรฐานหลายเขตของกรุงเทพมหานคร กรมควบคุมมลพิษเตือนสวมหน้ากาก";
    let rice = "ชาวนาร้องราคาข้าวเปลือกตกต่ำ";
    let rice_body = "ชาวนาภาคอีสานร้องเรียนราคาข้าวเปลือกตกต่ำ ขอรัฐบาลประกันราคาข้าว";
    let a = c.add(doc("1", t0(), "a", SourceKind::News, dust, dust_body));
    let a2 = c.add(doc("2", t0(), "b", SourceKind::News, dust, dust_body));
    let b = c.add(doc("3", t0(), "c", SourceKind::News, rice, rice_body));
    let b2 = c.add(doc("4", t0(), "d", SourceKind::News, rice, rice_body));
    assert_eq!((a.story, b.story), (a2.story, b2.story));
    assert_ne!(a.story, b.story);
    let bridge = c.add(doc(
        "5",
        t0() + time::Duration::hours(1),
        "e",
        SourceKind::News,
        &format!("{dust} {rice}"),
        &format!("{dust_body} {rice_body}"),
    ));
    assert!(bridge.merges.is_empty(), "{:?}", bridge.merges);
    assert_ne!(c.resolve(a.story), c.resolve(b.story));
}

#[test]
fn same_input_gives_same_output() {
    let input = [
        doc("1", t0(), "a", SourceKind::News, FLOOD_1, FLOOD_BODY),
        doc(
            "2",
            t0(),
            "b",
            SourceKind::Social,
            "",
            "น้ำท่วมเชียงใหม่หนักมาก ช่วยด้วย",
        ),
        doc("3", t0(), "c", SourceKind::News, RICE, RICE_BODY),
        doc("4", t0(), "d", SourceKind::Official, RICE, RICE_BODY),
    ];
    let run = || {
        let mut c = Clusterer::new(ClusterConfig::default());
        input.iter().map(|d| c.add(d.clone())).collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

#[test]
fn stream_keeps_lines_aligned_and_names_bad_lines() {
    let input = format!(
        "{}\nnot json\n{}\n{{\"id\": \"x\", \"published_at\": \"yesterday\", \"title\": \"t\"}}\n",
        serde_json::json!({"id": "a1", "published_at": "2024-09-01T08:00:00+07:00", "title": RICE, "body": RICE_BODY, "outlet": "thairath", "kind": "news"}),
        serde_json::json!({"id": "a2", "published_at": "2024-09-01", "title": RICE, "body": RICE_BODY, "outlet": "matichon", "kind": "news"}),
    );
    let mut c = Clusterer::new(ClusterConfig::default());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let summary = cluster_stream(&mut c, input.as_bytes(), &mut out, &mut err).unwrap();
    assert_eq!((summary.lines, summary.errors), (4, 2));
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["id"], "a1");
    assert_eq!(lines[0]["story"], "s1");
    assert!(lines[1]["story"].is_null());
    assert!(lines[1]["error"].as_str().unwrap().starts_with("line 2:"));
    assert_eq!(lines[2]["story"], "s1");
    assert!(lines[3]["error"].as_str().unwrap().contains("line 4"));
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("line 2:") && err.contains("line 4:"));
}

/// A document exactly as close to two stories, where the nearest member (the first among
/// equals in the window) belongs to the younger story: the younger merges into the older, and
/// the older must not then be asked to merge with the story it has just absorbed. (Found at 1M
/// documents of repeated articles, where exact ties are common; the detector thread died.)
#[test]
fn a_tie_between_two_stories_merges_them_once() {
    let mut c = Clusterer::new(ClusterConfig {
        merge_centroid_threshold: 0.0,
        ..Default::default()
    });
    let t1 = t0() + time::Duration::hours(1);
    let news = SourceKind::News;
    // Latin words are features as they are; four of them with equal frequencies make the
    // similarities to the two stories exactly equal.
    let a0 = c.add(doc("a0", t0(), "x", news, "alpha bravo", ""));
    let b0 = c.add(doc("b0", t0(), "y", news, "charlie delta", ""));
    assert_ne!(a0.story, b0.story);
    let b1 = c.add(doc("b1", t1, "y", news, "charlie delta", ""));
    let a1 = c.add(doc("a1", t1, "x", news, "alpha bravo", ""));
    assert_eq!((a1.story, b1.story), (a0.story, b0.story));
    let both = c.add(doc("c", t1, "z", news, "alpha bravo charlie delta", ""));
    assert_eq!(both.story, a0.story, "the older story keeps its id");
    assert_eq!(both.merges.len(), 1, "{:?}", both.merges);
    assert_eq!(c.resolve(b0.story), a0.story);
}
