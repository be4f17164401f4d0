//! The shipped public-matter model on texts it was not trained on: brand marketing, sports and
//! entertainment stay low; complaints about public matters and government news are high.

use std::sync::Arc;

use praden_detect::public_matter::{default_labelled, Split};
use praden_detect::{PublicMatterModel, PublicMatterParams};

fn model() -> Arc<PublicMatterModel> {
    PublicMatterModel::shared_default().expect("embedded model")
}

// Written for this test in the manner of the posts and articles the monitors see (none of
// them is in the labelled set).
const WHISKY_AD: &str = "ฉลองปีใหม่กับ Johnnie Walker Black Label ราคาพิเศษเพียง 1,290 บาท วันนี้ถึงสิ้นเดือนเท่านั้น ที่ร้านค้าที่ร่วมรายการ #JohnnieWalker #KeepWalking";
const CAR_REVIEW: &str = "รีวิว Toyota Yaris Ativ ใหม่ เครื่อง 1.2 ลิตร อัตราเร่งดีกว่าที่คิด ช่วงล่างนุ่ม เบาะนั่งสบาย ห้องโดยสารกว้าง ราคาเริ่มต้น 549,000 บาท ใครสนใจทักแชทมาได้เลยครับ";
const FOOTBALL: &str =
    "ผลบอลไทยลีก บุรีรัมย์ ยูไนเต็ด บุกไปชนะ การท่าเรือ เอฟซี 3-1 ยึดจ่าฝูงต่อเนื่อง ศุภชัย ยิงสองประตู";
const CONCERT: &str =
    "คืนนี้พบกับ DJ ชื่อดังจากเกาหลี ที่ร้าน Route 66 บัตรราคา 500 บาท ฟรีเบียร์ 1 ขวด ก่อน 4 ทุ่ม มาแดนซ์กันให้สุด";
const PM25: &str =
    "ฝุ่น PM2.5 กรุงเทพวันนี้เกินค่ามาตรฐานอีกแล้ว หายใจไม่ออก เด็กในบ้านไอทั้งคืน รัฐบาลกับ กทม. จะแก้ปัญหาเมื่อไหร่";
const POWER_BILL: &str =
    "ค่าไฟเดือนนี้ขึ้นมาเกือบสองเท่า การไฟฟ้าคิดค่า Ft แพงเกินไป ประชาชนเดือดร้อนกันทั้งประเทศ รัฐบาลต้องช่วยลดค่าไฟด่วน";

#[test]
fn brand_sports_and_entertainment_are_low() {
    let m = model();
    for text in [WHISKY_AD, CAR_REVIEW, FOOTBALL, CONCERT] {
        let p = m.probability("", text);
        assert!(p < 0.3, "{p:.3} for {text}");
    }
}

#[test]
fn public_complaints_and_government_news_are_high() {
    let m = model();
    for text in [PM25, POWER_BILL] {
        let p = m.probability("", text);
        assert!(p > 0.7, "{p:.3} for {text}");
    }
    // Government articles of the held-out split (embedded, never trained on).
    let rows = default_labelled().unwrap();
    let held_out: Vec<_> = rows
        .iter()
        .filter(|r| r.split == Split::Test && r.source == "thaigov-news")
        .take(20)
        .collect();
    assert_eq!(held_out.len(), 20);
    for r in held_out {
        let p = m.probability(&r.title, &r.text);
        assert!(p > 0.7, "{p:.3} for {}", r.title);
    }
}

#[test]
fn a_story_is_judged_by_its_members_together() {
    let m = model();
    let chatter = m.assess([("", WHISKY_AD), ("", CONCERT), ("", CAR_REVIEW), ("", PM25)]);
    assert!(!chatter.is_public, "{}", chatter.evidence);
    assert_eq!(chatter.member_probabilities.len(), 4);
    assert!(chatter
        .evidence
        .starts_with("ไม่ใช่เรื่องสาธารณะ: ความน่าจะเป็น 0."));
    assert!(chatter.evidence.contains("(จาก 4 ข่าว)"));
    assert!(
        !chatter.deciding.contains(&3),
        "the PM2.5 post did not decide it"
    );

    let issue = m.assess([
        ("", PM25),
        (
            "กทม. เตือนค่าฝุ่น PM2.5 เกินมาตรฐาน 40 เขต",
            "ขอให้ประชาชนสวมหน้ากากอนามัยและงดกิจกรรมกลางแจ้ง",
        ),
        ("", CONCERT),
    ]);
    assert!(issue.is_public, "{}", issue.evidence);
    assert!(issue.evidence.starts_with("เรื่องสาธารณะ: ความน่าจะเป็น 0."));
    assert!(issue.evidence.contains("(จาก 3 ข่าว)"));
    assert_ne!(issue.deciding.first(), Some(&2));

    let empty = m.assess(std::iter::empty());
    assert!(!empty.is_public && empty.probability == 0.0 && empty.deciding.is_empty());
}

#[test]
fn fitting_is_deterministic_and_built_once() {
    assert!(Arc::ptr_eq(&model(), &model()));
    let rows = default_labelled().unwrap();
    let some: Vec<_> = rows
        .into_iter()
        .filter(|r| r.split == Split::Train)
        .step_by(5)
        .collect();
    let params = PublicMatterParams::default();
    let a = PublicMatterModel::fit(&some, &params).unwrap();
    let b = PublicMatterModel::fit(&some, &params).unwrap();
    for text in [WHISKY_AD, PM25, POWER_BILL, FOOTBALL] {
        assert_eq!(
            a.probability("", text).to_bits(),
            b.probability("", text).to_bits()
        );
    }
}
