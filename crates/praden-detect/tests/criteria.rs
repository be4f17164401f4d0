use praden_core::SourceKind;
use praden_detect::{
    candidate_for, people_affected, AgencySuggester, ClusterConfig, ClusterDoc, Clusterer,
    CriteriaConfig, CriteriaScorer, Criterion, PolicyList, PublicMatterModel, SocialEngagement,
    Story,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn t0() -> OffsetDateTime {
    datetime!(2024-09-01 08:00 +7)
}

struct Doc<'a> {
    hours: i64,
    outlet: &'a str,
    kind: SourceKind,
    title: &'a str,
    body: &'a str,
}

/// Clusters the documents (with links that always join) and returns the one story.
fn story(docs: &[Doc]) -> Story {
    let config = ClusterConfig {
        link_threshold: 0.0001,
        centroid_threshold: -1.0,
        merge_threshold: 2.0,
        ..Default::default()
    };
    let mut c = Clusterer::new(config);
    for (i, d) in docs.iter().enumerate() {
        c.add(ClusterDoc {
            id: format!("d{i}"),
            published_at: t0() + Duration::hours(d.hours),
            title: d.title.into(),
            body: d.body.into(),
            outlet: d.outlet.into(),
            kind: d.kind,
            url: Some(format!("https://{}/{i}", d.outlet)),
        });
    }
    let stories: Vec<Story> = c.stories().cloned().collect();
    assert_eq!(stories.len(), 1, "test documents must form one story");
    stories.into_iter().next().unwrap()
}

const FLOOD_T: &str = "น้ำท่วมหนัก 12 จังหวัดภาคเหนือ เชียงใหม่ เชียงราย ลำปาง";
const FLOOD_B: &str = "สถานการณ์อุทกภัยกระทบประชาชนกว่า 1.2 ล้านคน ใน 12 จังหวัด รวม 350,000 ครัวเรือน น้ำท่วมเชียงใหม่ เชียงราย ลำปาง จ.น่าน พะเยา จังหวัดแพร่ ได้รับผลกระทบ";

fn flood(n: usize, hours_apart: i64) -> Vec<Doc<'static>> {
    const OUTLETS: [&str; 6] = [
        "thairath",
        "matichon",
        "khaosod",
        "thaipbs",
        "dailynews",
        "prd",
    ];
    (0..n)
        .map(|i| Doc {
            hours: i as i64 * hours_apart,
            outlet: OUTLETS[i % OUTLETS.len()],
            kind: if i == 5 {
                SourceKind::Broadcast
            } else {
                SourceKind::News
            },
            title: FLOOD_T,
            body: FLOOD_B,
        })
        .collect()
}

fn public() -> std::sync::Arc<PublicMatterModel> {
    PublicMatterModel::shared_default().unwrap()
}

fn scorer() -> CriteriaScorer {
    CriteriaScorer::with_defaults().unwrap()
}

#[test]
fn people_counts_are_parsed_with_thai_multipliers() {
    let found =
        people_affected("ผู้ได้รับผลกระทบ 1.2 ล้านคน และ 20 ล้านครัวเรือน บาดเจ็บ 3,000 ราย ราคา 25 บาท");
    let values: Vec<f64> = found.iter().map(|p| p.0).collect();
    assert_eq!(values, [1_200_000.0, 20_000_000.0, 3_000.0]);
    assert_eq!(found[0].1, "1.2 ล้านคน");
    // Thai digits are folded before parsing by the scorer; the parser reads ASCII digits.
    let thai = praden_thai::matching_form("ประชาชน ๕๐๐ ครอบครัว");
    assert_eq!(people_affected(&thai)[0].0, 500.0);
}

#[test]
fn a_flood_burst_scores_current_situation_media_and_wide_impact() {
    let s = story(&flood(6, 1));
    let a = scorer().assess(&s, t0() + Duration::hours(6));
    let current = &a.scores[0];
    assert_eq!(current.criterion, Criterion::CurrentSituation);
    assert!(current.score >= 0.9, "{current:?}");
    assert!(current.evidence[0].contains("z ="));
    let media = &a.scores[1];
    assert!(media.score > 0.8, "{media:?}");
    assert!(media.evidence[0].contains("สื่อ 6 แหล่ง"));
    let impact = &a.scores[4];
    assert!(impact.score > 0.8, "{impact:?}");
    let ev = impact.evidence.join(" | ");
    assert!(ev.contains("ภัยพิบัติ: น้ำท่วม, อุทกภัย"), "{ev}");
    assert!(ev.contains("ผู้ได้รับผลกระทบ 1200000"), "{ev}");
    assert!(ev.contains("กล่าวถึง 6 จังหวัด"), "{ev}");
    assert!(a.misleading.is_none());
}

#[test]
fn a_steady_story_is_not_a_burst() {
    // One document a day for three days: the story's own rate explains today's volume.
    let s = story(&flood(3, 24));
    let a = scorer().assess(&s, t0() + Duration::hours(49));
    assert_eq!(
        a.score(Criterion::CurrentSituation),
        0.0,
        "{:?}",
        a.scores[0]
    );
}

#[test]
fn cabinet_resolution_and_policy_are_recognised_with_evidence() {
    let s = story(&[Doc {
        hours: 0,
        outlet: "thaigov",
        kind: SourceKind::Official,
        title: "ครม. มีมติเห็นชอบโครงการเติมเงิน 10,000 บาท ผ่าน Digital Wallet",
        body: "ที่ประชุมคณะรัฐมนตรีมีมติเห็นชอบหลักการโครงการ ดิจิทัลวอลเล็ต ให้ประชาชนกว่า 50 ล้านคน",
    }]);
    let a = scorer().assess(&s, t0());
    assert_eq!(a.score(Criterion::CabinetResolution), 1.0);
    assert!(a.scores[3].evidence[0].contains("ครม.มีมติ"));
    assert_eq!(a.score(Criterion::GovernmentPolicy), 1.0);
    assert!(
        a.scores[2].evidence[0].contains("digital-wallet"),
        "{:?}",
        a.scores[2]
    );
    // No social posts: public interest is 0 and says why.
    assert_eq!(a.score(Criterion::PublicInterest), 0.0);
    assert!(a.scores[5].evidence[0].starts_with("โพสต์โซเชียล 0 รายการ"));
}

#[test]
fn routine_cabinet_business_counts_less_than_a_decision_that_touches_people() {
    let routine = praden_detect::RoutineDecisionModel::shared_default().unwrap();
    let scorer = scorer().with_routine_decisions(routine);
    let config = CriteriaConfig::default();
    // Two releases of 6 February 2024 (thaigov.go.th): a customs-transit MoU with a
    // neighbour, and political appointments.
    for (title, body) in [
        (
            "ที่ประชุม ครม. มีมติอนุมัติร่างบันทึกความเข้าใจว่าด้วยการผ่านแดนสินค้าระหว่างกรมศุลกากรแห่งราชอาณาจักรไทยกับกรมศุลกากรแห่งสาธารณรัฐประชาธิปไตยประชาชนลาว",
            "ที่ประชุมคณะรัฐมนตรีมีมติอนุมัติร่างบันทึกความเข้าใจ และอนุมัติให้อธิบดีกรมศุลกากรหรือผู้ที่ได้รับมอบหมายเป็นผู้ลงนาม ตามที่กระทรวงการคลังเสนอ",
        ),
        (
            "ครม. มีมติอนุมัติ /เห็นชอบแต่งตั้งข้าราชการการเมือง กรรมการผู้ช่วยรัฐมนตรี",
            "ที่ประชุมคณะรัฐมนตรีมีมติอนุมัติแต่งตั้งข้าราชการการเมือง ตำแหน่งที่ปรึกษารัฐมนตรี และเห็นชอบแต่งตั้งกรรมการผู้ช่วยรัฐมนตรี",
        ),
    ] {
        let s = story(&[Doc {
            hours: 0,
            outlet: "thaigov",
            kind: SourceKind::Official,
            title,
            body,
        }]);
        let a = scorer.assess(&s, t0());
        assert_eq!(
            a.score(Criterion::CabinetResolution),
            config.routine_cabinet_score,
            "{:?}",
            a.scores[3]
        );
        assert!(
            a.scores[3].evidence[0].contains("มติงานประจำ") && a.scores[3].evidence[0].contains("#d0"),
            "{:?}",
            a.scores[3]
        );
    }
    // A fee cut for migrant workers' visas touches people: still a full cabinet resolution.
    let s = story(&[Doc {
        hours: 0,
        outlet: "thaigov",
        kind: SourceKind::Official,
        title: "ครม. มีมติปรับลดค่าธรรมเนียมการตรวจลงตราแรงงานต่างด้าว 4 สัญชาติ เหลือ 500 บาท",
        body: "ที่ประชุมคณะรัฐมนตรีมีมติเห็นชอบร่างกฎกระทรวงลดค่าธรรมเนียมการตรวจลงตราสำหรับแรงงานกัมพูชา ลาว เมียนมา และเวียดนาม เพื่อลดภาระนายจ้างและลูกจ้าง",
    }]);
    let a = scorer.assess(&s, t0());
    assert_eq!(
        a.score(Criterion::CabinetResolution),
        1.0,
        "{:?}",
        a.scores[3]
    );
}

#[test]
fn a_date_between_the_cabinet_and_its_decision_does_not_hide_it() {
    // thaigov.go.th, 19 Dec 2023: the meeting's date sits between the cabinet and its verb.
    let s = story(&[Doc {
        hours: 0,
        outlet: "thaigov",
        kind: SourceKind::Official,
        title: "วาระสำคัญของรัฐบาล (ของขวัญปีใหม่ ปี 2567) การยกเว้นค่าธรรมเนียมการใช้ยานยนต์บนทางหลวงพิเศษช่วงเทศกาลปีใหม่",
        body: "นายชัย วัชรงค์ โฆษกประจำสำนักนายกรัฐมนตรี เปิดเผยว่า คณะรัฐมนตรี (19 ธันวาคม 2566) มีมติอนุมัติหลักการร่างกฎกระทรวงยกเว้นค่าธรรมเนียมการใช้ยานยนตร์บนทางหลวงพิเศษหมายเลข 7 และทางหลวงพิเศษหมายเลข 9 (ฉบับที่ …) ตามที่กระทรวงคมนาคมเสนอ",
    }]);
    let a = scorer().assess(&s, t0());
    assert_eq!(
        a.score(Criterion::CabinetResolution),
        0.9,
        "{:?}",
        a.scores[3]
    );
    assert!(a.scores[3].evidence[0].contains("คณะรัฐมนตรีมีมติ"));
    // A long bracketed clause is not an aside: the phrase stays broken.
    let s = story(&[Doc {
        hours: 0,
        outlet: "thaigov",
        kind: SourceKind::Official,
        title: "ผลการประชุม",
        body: "คณะรัฐมนตรี (ซึ่งประชุมนอกสถานที่ที่จังหวัดหนองคายเป็นครั้งแรกของปีนี้) มีมติเห็นชอบ",
    }]);
    assert_eq!(
        scorer()
            .assess(&s, t0())
            .score(Criterion::CabinetResolution),
        0.0
    );
}

#[test]
fn social_growth_scores_public_interest() {
    let mut docs = vec![Doc {
        hours: 0,
        outlet: "x",
        kind: SourceKind::Social,
        title: "",
        body: "ค่าไฟแพงมาก บิลค่าไฟเดือนนี้ขึ้นราคาอีกแล้ว",
    }];
    for h in 30..40 {
        docs.push(Doc {
            hours: h,
            outlet: "x",
            kind: SourceKind::Social,
            title: "",
            body: "ค่าไฟแพงมาก บิลค่าไฟเดือนนี้ขึ้นราคาอีกแล้ว",
        });
    }
    let s = story(&docs);
    let a = scorer().assess(&s, t0() + Duration::hours(40));
    let interest = &a.scores[5];
    assert!(interest.score > 0.5, "{interest:?}");
    assert!(interest.evidence[0].contains("โพสต์โซเชียล 11 รายการ"));
    assert!(a.scores[4]
        .evidence
        .join(" ")
        .contains("ค่าครองชีพและราคาสินค้า"));
}

#[test]
fn engagement_growth_raises_public_interest_and_says_so() {
    let docs: Vec<Doc> = (0..3)
        .map(|h| Doc {
            hours: h,
            outlet: "x",
            kind: SourceKind::Social,
            title: "",
            body: "ค่าไฟแพงมาก บิลค่าไฟเดือนนี้ขึ้นราคาอีกแล้ว",
        })
        .collect();
    let s = story(&docs);
    let now = t0() + Duration::hours(3);
    let quiet = scorer().assess(&s, now).score(Criterion::PublicInterest);
    let viral = scorer().assess_with(
        &s,
        now,
        Some(SocialEngagement {
            posts_observed: 3,
            interactions_gained: 25_000,
            interactions_total: 30_000,
            views_total: 0,
        }),
    );
    let interest = &viral.scores[5];
    assert!(interest.score > quiet + 0.15, "{quiet} -> {interest:?}");
    assert!(
        interest.evidence[1].contains("เพิ่มขึ้น 25000 ครั้ง"),
        "{interest:?}"
    );
    // Engagement that fell (deleted posts) never lowers the score below volume alone.
    let fell = scorer().assess_with(
        &s,
        now,
        Some(SocialEngagement {
            posts_observed: 3,
            interactions_gained: -500,
            ..Default::default()
        }),
    );
    assert!(fell.score(Criterion::PublicInterest) >= quiet);
}

#[test]
fn false_claim_phrasing_is_flagged() {
    let s = story(&[
        Doc {
            hours: 0,
            outlet: "x",
            kind: SourceKind::Social,
            title: "",
            body: "แชร์ด่วน รัฐบาลจะยึดเงินฝากประชาชน",
        },
        Doc {
            hours: 2,
            outlet: "prd",
            kind: SourceKind::Official,
            title: "ข่าวปลอม อย่าแชร์ รัฐบาลยึดเงินฝากประชาชน",
            body: "กระทรวงการคลังชี้แจงว่าข่าวรัฐบาลยึดเงินฝากประชาชนไม่เป็นความจริง",
        },
    ]);
    let a = scorer().assess(&s, t0() + Duration::hours(2));
    let flag = a.misleading.expect("flagged");
    let ev = flag.evidence.join(" | ");
    assert!(ev.contains("ข่าวปลอม"), "{ev}");
    assert!(ev.contains("คำชี้แจงของหน่วยงานรัฐ ข่าว #d1"), "{ev}");
}

#[test]
fn policy_list_rejects_malformed_rows() {
    assert!(PolicyList::parse("a\tname\n").is_err());
    let list = PolicyList::parse("# c\nx\tชื่อ\tคำ หนึ่ง|B\n").unwrap();
    assert_eq!(list.policies[0].keywords, ["คำหนึ่ง", "b"]);
    assert!(PolicyList::load_default().unwrap().policies.len() >= 10);
}

#[test]
fn a_strong_story_becomes_a_candidate_and_a_weak_one_does_not() {
    let suggester = AgencySuggester::shared_default().unwrap();
    let scorer = scorer();
    let s = story(&flood(6, 1));
    let c = candidate_for(
        &s,
        t0() + Duration::hours(6),
        &scorer,
        &suggester,
        &public(),
    )
    .expect("candidate");
    assert_eq!(c.title, FLOOD_T);
    assert!(c.summary.contains("อุทกภัย"));
    assert_eq!(c.deadline_days, 1, "{}", c.deadline_rule);
    assert_eq!(c.sources.counts.news, 5);
    assert_eq!(c.sources.counts.broadcast, 1);
    assert_eq!(c.sources.links.len(), 6);
    assert!(!c.agencies.is_empty());
    assert!(serde_json::to_string(&c)
        .unwrap()
        .contains("\"current_situation\""));

    // A weak story that is a public matter. (It was the car-tax online service, "กรมการขนส่ง
    // ทางบกเปิดให้ต่อภาษีรถยนต์ทางออนไลน์"; since the public-matter model learned that
    // government releases can be ceremony or PR it scores that title 0.12, a known miss.)
    let weak = story(&[Doc {
        hours: 0,
        outlet: "x",
        kind: SourceKind::News,
        title: "กรมควบคุมโรคเตือนประชาชนระวังไข้เลือดออกช่วงฤดูฝน",
        body: "กรมควบคุมโรคเตือนประชาชนระวังโรคไข้เลือดออกซึ่งระบาดมากในช่วงฤดูฝน",
    }]);
    assert!(candidate_for(&weak, t0(), &scorer, &suggester, &public()).is_none());

    // The threshold lives in the config.
    let lenient = CriteriaScorer::new(
        CriteriaConfig {
            candidate_threshold: 0.0,
            ..Default::default()
        },
        PolicyList::load_default().unwrap(),
    );
    assert!(candidate_for(&weak, t0(), &lenient, &suggester, &public()).is_some());

    // Loud brand chatter (real wisesight posts) passes every threshold of the lenient scorer
    // and still is no issue.
    let chatter: Vec<Doc> = [
        "เบียร์ช้าง น่าจะมอบรางวัลให้นะครับ!!! คอเบียร์ตัวจริง",
        "ทำไมเบียร์ช้างมันเปรี้ยวๆ",
        "เบียร์ช้างนี่มันแย่จริงๆนะ",
        "ไม่น่ากินเบียร์ช้างเลยจริงๆ",
        "เบียร์ช้างไมรสชาติแย่ขนาดนี้.",
        "ลาก่อนเบียร์ช้าง...สวัสดีลีโอ",
    ]
    .into_iter()
    .map(|body| Doc {
        hours: 0,
        outlet: "facebook",
        kind: SourceKind::Social,
        title: "",
        body,
    })
    .collect();
    let loud = story(&chatter);
    assert!(candidate_for(&loud, t0(), &lenient, &suggester, &public()).is_none());
}

/// Issue 22's misfires on ordinary Thai: เลย the word is not Loei province; laughter, phone
/// numbers and years are not people; a social post asking about a cabinet decision is not one;
/// a viral post outranks an ignored one.
#[test]
fn provinces_need_a_place_context_when_the_name_is_a_word() {
    let doc = |body: &'static str| Doc {
        hours: 0,
        outlet: "thairath",
        kind: SourceKind::News,
        title: "ฝนตกหนัก",
        body,
    };
    let named = |body| {
        let a = scorer().assess(&story(&[doc(body)]), t0());
        a.scores[4].evidence.join(" | ")
    };
    assert!(!named("ไม่มีใครช่วยเลย ตากผ้าไม่แห้ง ข่าวลือแพร่สะพัด").contains("จังหวัด"));
    let ev = named("ฝนตกหนักที่จังหวัดเลย จ.ตาก และ จ. แพร่ รวมถึงเชียงใหม่");
    assert!(
        ev.contains("กล่าวถึง 4 จังหวัด: ตาก, เชียงใหม่, เลย, แพร่"),
        "{ev}"
    );
}

#[test]
fn laughter_phone_numbers_and_years_are_not_people() {
    for text in [
        "ขำมาก 5555555555 คน",
        "555 คนอะไรเนี่ย",
        "โทร 0812345678 คนรับสาย",
        "ปี 2567 คนไทยเที่ยวมาก",
        "เลขที่ 12 คน",
        "12345678 คน",
    ] {
        assert!(
            people_affected(text).is_empty(),
            "{text}: {:?}",
            people_affected(text)
        );
    }
    assert_eq!(people_affected("ผู้ประสบภัย 5,555 คน")[0].0, 5_555.0);
    assert_eq!(people_affected("ผู้ป่วย 1,250,000 คน")[0].0, 1_250_000.0);
}

#[test]
fn a_question_about_the_cabinet_is_not_a_resolution() {
    let post = Doc {
        hours: 0,
        outlet: "facebook",
        kind: SourceKind::Social,
        title: "",
        body: "ครม.อนุมัติลดค่าไฟฟ้าจริงไหม",
    };
    let a = scorer().assess(&story(&[post]), t0());
    assert_eq!(
        a.score(Criterion::CabinetResolution),
        0.0,
        "{:?}",
        a.scores[3]
    );
    // The same question in a news headline is still a question.
    let asked = Doc {
        hours: 0,
        outlet: "thairath",
        kind: SourceKind::News,
        title: "ครม.อนุมัติลดค่าไฟฟ้าจริงหรือ?",
        body: "",
    };
    let a = scorer().assess(&story(&[asked]), t0());
    assert_eq!(a.score(Criterion::CabinetResolution), 0.0);
    // Reporting of the decision counts, even next to a fire (ไหม้ is not the particle ไหม).
    let reported = Doc {
        hours: 0,
        outlet: "thairath",
        kind: SourceKind::News,
        title: "ครม.อนุมัติงบช่วยผู้ประสบเหตุเพลิงไหม้ตลาด",
        body: "",
    };
    let a = scorer().assess(&story(&[reported]), t0());
    assert_eq!(a.score(Criterion::CabinetResolution), 1.0);
}

#[test]
fn a_viral_post_has_more_public_interest_than_an_ignored_one() {
    let post = Doc {
        hours: 0,
        outlet: "facebook",
        kind: SourceKind::Social,
        title: "",
        body: "ค่าไฟเดือนนี้แพงขึ้นมาก รัฐบาลช่วยด้วย",
    };
    let s = story(&[post]);
    let with = |e: SocialEngagement| {
        scorer()
            .assess_with(&s, t0(), Some(e))
            .score(Criterion::PublicInterest)
    };
    let viral = with(SocialEngagement {
        posts_observed: 1,
        interactions_gained: 0,
        interactions_total: 3_200,
        views_total: 120_000,
    });
    let ignored = with(SocialEngagement {
        posts_observed: 1,
        ..Default::default()
    });
    assert!(
        viral >= 0.5 && viral > ignored + 0.25,
        "viral {viral}, ignored {ignored}"
    );
}

/// How clearly the text must read as a public matter depends on what else vouches for the
/// story: one release alone needs `thin_evidence_public_matter` — one that reports a cabinet
/// decision too —, the same report from a second outlet the model's own threshold.
#[test]
fn the_bar_for_the_text_depends_on_what_else_vouches_for_the_story() {
    let suggester = AgencySuggester::shared_default().unwrap();
    let with = |config: CriteriaConfig| {
        CriteriaScorer::new(
            CriteriaConfig {
                candidate_threshold: 0.0,
                ..config
            },
            PolicyList::load_default().unwrap(),
        )
    };
    let unreachable = with(CriteriaConfig {
        thin_evidence_public_matter: 1.01,
        ..Default::default()
    });
    let dengue = |outlet| Doc {
        hours: 0,
        outlet,
        kind: SourceKind::Official,
        title: "กรมควบคุมโรคเตือนประชาชนระวังไข้เลือดออกช่วงฤดูฝน",
        body: "กรมควบคุมโรคเตือนประชาชนระวังโรคไข้เลือดออกซึ่งระบาดมากในช่วงฤดูฝน",
    };
    let one = story(&[dengue("moph")]);
    let two = story(&[dengue("moph"), dengue("prd")]);
    assert!(candidate_for(&one, t0(), &unreachable, &suggester, &public()).is_none());
    assert!(candidate_for(&two, t0(), &unreachable, &suggester, &public()).is_some());

    // A real thaigov.go.th release (5 July 2022): a cabinet decision on a fee, which reads as
    // a public matter clearly enough for one release to pass the default bar; the decision
    // alone does not lower it.
    let fee = story(&[Doc {
        hours: 0,
        outlet: "thaigov",
        kind: SourceKind::Official,
        title: "ครม. ไฟเขียว! ยกเว้นค่าธรรมเนียมประกอบธุรกิจโรงแรม 40 บาท/ห้องพัก ต่ออีก 2 ปี เริ่ม 1 ก.ค. 65 - 30 มิ.ย. 67",
        body: "ที่ประชุม ครม. (5 ก.ค. 65) เห็นชอบหลักการร่างกฎกระทรวงยกเว้นค่าธรรมเนียมสำหรับการประกอบธุรกิจโรงแรม พ.ศ. ... สาระสำคัญ คือ ให้ยกเว้นค่าธรรมเนียมประกอบธุรกิจโรงแรมปีละ 40 บาท/ห้องพัก เป็นเวลาอีก 2 ปี",
    }]);
    let default = with(CriteriaConfig::default());
    assert!(candidate_for(&fee, t0(), &default, &suggester, &public()).is_some());
    assert!(candidate_for(&fee, t0(), &unreachable, &suggester, &public()).is_none());
}
