//! The brief's Thai outputs against golden files (tests/golden/), LINE splitting, Buddhist-era
//! dates across the year boundary, and the assignment message.
//!
//! After an intended change of wording, regenerate the golden files with
//! `UPDATE_GOLDEN=1 cargo test -p praden-brief --test golden` and review the diff.

use praden_brief::{
    assignment_message, build, line_messages, markdown, plain_text, ApprovedInput,
    AssignmentSettings, Brief, BriefInput, Coverage, CoverageDoc, ItemStatus, PendingInput,
    LINE_MAX_CHARS,
};
use praden_core::review::{
    AgencyProposal, AgencyRef, Candidate, CandidateStatus, Criterion, CriterionRecord, Issue,
    IssueStatus, KindCounts, Proposal,
};
use praden_core::SourceKind;
use std::path::PathBuf;
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map_or("the length".to_string(), |i| format!("line {}", i + 1));
        panic!(
            "{} differs at {first}; run with UPDATE_GOLDEN=1 and review the diff.\n--- actual ---\n{actual}",
            path.display()
        );
    }
}

fn agency(name: &str, abbr: &str) -> AgencyRef {
    AgencyRef {
        name_th: name.into(),
        abbr: abbr.into(),
        ministry_abbr: abbr.into(),
        ministry_th: name.into(),
        name_en: String::new(),
    }
}

fn record(criterion: Criterion, score: f64) -> CriterionRecord {
    CriterionRecord {
        criterion,
        score,
        evidence: vec![],
    }
}

fn doc(outlet: &str, url: &str, kind: SourceKind, title: &str, body: &str) -> CoverageDoc {
    CoverageDoc {
        title: title.into(),
        body: body.into(),
        outlet: outlet.into(),
        url: Some(url.into()),
        kind,
        published_at: None,
    }
}

fn proposal(title: &str, summary: &str, score: f64, at: OffsetDateTime) -> Proposal {
    Proposal {
        title: title.into(),
        summary: summary.into(),
        score,
        criteria: vec![],
        misleading: None,
        agencies: vec![],
        deadline_days: 1,
        deadline_rule: "default".into(),
        outlets: vec![],
        links: vec![],
        counts: KindCounts::default(),
        articles: 0,
        first_seen: at - Duration::hours(20),
        last_seen: at - Duration::hours(1),
        public_matter: None,
    }
}

fn candidate(id: i64, proposal: Proposal, at: OffsetDateTime) -> Candidate {
    Candidate {
        id,
        version: 1,
        status: CandidateStatus::Pending,
        proposal,
        development: None,
        reject_reason: None,
        merged_into: None,
        snoozed_until: None,
        issue_id: None,
        created_at: at - Duration::hours(20),
        updated_at: at - Duration::hours(1),
    }
}

/// A morning with two approved issues and two pending candidates, in real newsroom Thai.
fn sample_input(slot: Date, late: bool) -> BriefInput {
    let scheduled = slot.with_hms(2, 30, 0).unwrap().assume_utc(); // 09:30 Bangkok
    let generated = if late {
        scheduled + Duration::minutes(47)
    } else {
        scheduled + Duration::seconds(3)
    };

    let mut eggs = proposal(
        "ราคาไข่ไก่ปรับขึ้นแผงละ 10 บาท ผู้บริโภคร้องค่าครองชีพสูง",
        "กรมการค้าภายในเตรียมเรียกผู้เลี้ยงไก่ไข่รายใหญ่หารือหลังราคาไข่ไก่คละปรับขึ้นต่อเนื่องสามสัปดาห์ \
         ผู้บริโภคในกรุงเทพฯ และปริมณฑลร้องเรียนผ่านสายด่วน 1569 กว่า 300 ราย",
        0.82,
        scheduled,
    );
    eggs.criteria = vec![
        record(Criterion::WidePublicImpact, 0.9),
        record(Criterion::MediaAttention, 0.75),
        record(Criterion::CurrentSituation, 0.3),
    ];
    eggs.counts = KindCounts {
        news: 14,
        social: 6,
        broadcast: 3,
        official: 1,
    };
    eggs.articles = 24;
    eggs.outlets = vec![
        "มติชน".into(),
        "ไทยรัฐ".into(),
        "ไทยพีบีเอส".into(),
        "X".into(),
        "กรมการค้าภายใน".into(),
    ];
    let eggs_issue = Issue {
        id: 41,
        candidate_id: 7,
        version: 1,
        status: IssueStatus::Approved,
        title: "ราคาไข่ไก่แพง".into(),
        agency: agency("กระทรวงพาณิชย์", "พณ."),
        deadline_days: 1,
        due_date: slot,
        source: "มติชนออนไลน์ และไทยรัฐออนไลน์".into(),
        criteria: eggs.criteria.clone(),
        links: vec!["https://www.matichon.co.th/economy/news_1".into()],
        approved_by: "somchai".into(),
        approved_at: scheduled - Duration::hours(15),
        updated_at: scheduled - Duration::hours(15),
    };
    let eggs_cov = Coverage {
        documents: vec![
            doc(
                "มติชน",
                "https://www.matichon.co.th/economy/news_1",
                SourceKind::News,
                "ไข่ไก่แพงขึ้นอีก",
                "ไข่ไก่แพงขึ้นอีก\nนายกสมาคมผู้เลี้ยงไก่ไข่ระบุว่าต้นทุนอาหารสัตว์และค่าไฟฟ้าเพิ่มขึ้นกว่าร้อยละ 15 ตั้งแต่ต้นปี \
                 จึงจำเป็นต้องปรับราคาไข่ไก่หน้าฟาร์ม",
            ),
            doc(
                "มติชน",
                "https://www.matichon.co.th/economy/news_2",
                SourceKind::News,
                "ไข่ไก่",
                "ข่าวต่อเนื่องของมติชน",
            ),
            doc(
                "X",
                "https://x.com/consumer/status/1",
                SourceKind::Social,
                "โพสต์",
                "ไข่แพงมาก",
            ),
            doc(
                "ไทยรัฐ",
                "https://www.thairath.co.th/news/local/2",
                SourceKind::News,
                "แม่ค้าตลาดสดโอด",
                "แม่ค้าตลาดสดในหลายจังหวัดโอดขายไข่ไก่ได้น้อยลงเพราะลูกค้าหันไปซื้อครั้งละไม่กี่ฟอง",
            ),
        ],
        social_engagement: 15230,
    };

    let mut flood = proposal(
        "น้ำท่วมเชียงราย",
        "ระดับน้ำในแม่น้ำกกยังสูงต่อเนื่อง ศูนย์ป้องกันและบรรเทาสาธารณภัยเขต 15 \
         เตือนประชาชนริมตลิ่งในอำเภอเมืองเชียงรายให้ขนของขึ้นที่สูง",
        0.64,
        scheduled,
    );
    flood.criteria = vec![
        record(Criterion::CurrentSituation, 0.95),
        record(Criterion::WidePublicImpact, 0.55),
    ];
    flood.counts = KindCounts {
        news: 6,
        social: 0,
        broadcast: 2,
        official: 2,
    };
    flood.articles = 10;
    flood.outlets = vec!["ไทยพีบีเอส".into(), "กรมป้องกันและบรรเทาสาธารณภัย".into()];
    let flood_issue = Issue {
        id: 42,
        candidate_id: 9,
        version: 2,
        status: IssueStatus::Approved,
        title: "น้ำท่วมเชียงราย ประชาชนริมแม่น้ำกกต้องอพยพ".into(),
        agency: agency("กรมป้องกันและบรรเทาสาธารณภัย", "ปภ."),
        deadline_days: 2,
        due_date: slot + Duration::days(1),
        source: "ไทยพีบีเอส".into(),
        criteria: flood.criteria.clone(),
        links: vec![],
        approved_by: "suda".into(),
        approved_at: scheduled - Duration::hours(2),
        updated_at: scheduled - Duration::hours(2),
    };

    let mut rumour = proposal(
        "ข่าวลือรัฐบาลแจกเงินดิจิทัลรอบใหม่ผ่านลิงก์ทางไลน์",
        "มีการส่งต่อข้อความทางไลน์อ้างว่ารัฐบาลเปิดลงทะเบียนรับเงินดิจิทัลรอบใหม่ผ่านลิงก์ที่ไม่ใช่ของทางราชการ",
        0.58,
        scheduled,
    );
    rumour.criteria = vec![record(Criterion::PublicInterest, 0.7)];
    rumour.misleading = Some(vec!["ลิงก์ไม่ใช่ของทางราชการ".into()]);
    rumour.agencies = vec![AgencyProposal {
        agency: agency("กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม", "ดศ."),
        score: 0.8,
        reasons: vec![],
    }];
    rumour.counts = KindCounts {
        news: 2,
        social: 11,
        broadcast: 0,
        official: 0,
    };
    rumour.articles = 13;
    rumour.outlets = vec!["X".into(), "Facebook".into(), "ข่าวสด".into()];
    rumour.links = vec!["https://www.khaosod.co.th/breaking-news/news_3".into()];

    let mut pm25 = proposal("ฝุ่น PM2.5 เกินมาตรฐาน 30 พื้นที่", "", 0.41, scheduled);
    pm25.criteria = vec![record(Criterion::CurrentSituation, 0.6)];
    pm25.deadline_days = 2;
    pm25.counts = KindCounts {
        news: 3,
        ..KindCounts::default()
    };
    pm25.articles = 3;
    pm25.outlets = vec!["ไทยรัฐ".into()];

    BriefInput {
        slot,
        scheduled_for: scheduled,
        generated_at: generated,
        late,
        covers_from: scheduled - Duration::days(1),
        covers_until: generated,
        // In approval order; the brief ranks them.
        approved: vec![
            ApprovedInput {
                issue: flood_issue,
                proposal: Some(flood),
                coverage: Coverage::default(),
            },
            ApprovedInput {
                issue: eggs_issue,
                proposal: Some(eggs),
                coverage: eggs_cov,
            },
        ],
        pending: vec![
            PendingInput {
                candidate: candidate(12, rumour, scheduled),
                coverage: Coverage {
                    documents: vec![],
                    social_engagement: 48211,
                },
            },
            PendingInput {
                candidate: candidate(15, pm25, scheduled),
                coverage: Coverage::default(),
            },
        ],
        pending_total: 17,
    }
}

fn joined(messages: &[String]) -> String {
    let mut out = String::new();
    for (i, m) in messages.iter().enumerate() {
        out.push_str(&format!("===== LINE message {} =====\n{m}\n", i + 1));
    }
    out
}

#[test]
fn line_text_matches_the_golden_file() {
    let brief = build(&sample_input(date!(2026 - 11 - 23), false));
    let messages = line_messages(&brief);
    assert_eq!(messages.len(), 1, "a short brief is one message");
    golden("brief-2026-11-23.line.txt", &joined(&messages));
}

#[test]
fn markdown_matches_the_golden_file() {
    let brief = build(&sample_input(date!(2026 - 11 - 23), false));
    golden("brief-2026-11-23.md", &markdown(&brief));
}

#[test]
fn a_late_brief_across_the_year_boundary_says_so_in_buddhist_era() {
    // 1 January 2026 C.E. is 1 มกราคม 2569 B.E.; the window starts on 31 ธ.ค. 2568.
    let brief = build(&sample_input(date!(2026 - 01 - 01), true));
    let text = plain_text(&brief);
    golden("brief-2026-01-01-late.txt", &text);
    assert!(
        text.contains("วันพฤหัสบดีที่ 1 มกราคม 2569 เวลา 09:30 น."),
        "{text}"
    );
    assert!(
        text.contains("ช่วงเวลา: 31 ธ.ค. 2568 09:30 น. ถึง 1 ม.ค. 2569 10:17 น."),
        "{text}"
    );
    assert!(
        text.contains("ส่งล่าช้า (กำหนด 09:30 น. จัดทำเมื่อ 1 ม.ค. 2569 10:17 น.)"),
        "{text}"
    );
    let on_time = plain_text(&build(&sample_input(date!(2025 - 12 - 31), false)));
    assert!(on_time.contains("วันพุธที่ 31 ธันวาคม 2568"), "{on_time}");
    assert!(!on_time.contains("ส่งล่าช้า"), "{on_time}");
}

#[test]
fn items_are_ranked_and_carry_their_figures_agency_and_links() {
    let brief = build(&sample_input(date!(2026 - 11 - 23), false));
    assert_eq!(brief.counts.approved, 2);
    assert_eq!(brief.counts.pending_shown, 2);
    assert_eq!(brief.counts.pending_total, 17);
    // The stronger story first although it was approved earlier.
    let eggs = &brief.approved[0];
    assert_eq!((eggs.rank, eggs.issue_id), (1, Some(41)));
    assert_eq!(eggs.status, ItemStatus::Approved);
    assert_eq!(
        eggs.criteria,
        vec![Criterion::WidePublicImpact, Criterion::MediaAttention]
    );
    assert_eq!(eggs.figures.articles, 24);
    assert_eq!(eggs.figures.outlets, 5);
    assert_eq!(eggs.figures.broadcast, 3);
    assert_eq!(eggs.figures.social_engagement, 15230);
    assert_eq!(
        eggs.links,
        vec![
            "https://www.matichon.co.th/economy/news_1",
            "https://www.thairath.co.th/news/local/2",
            "https://x.com/consumer/status/1"
        ]
    );
    assert!(
        eggs.summary.contains("นายกสมาคมผู้เลี้ยงไก่ไข่"),
        "{}",
        eggs.summary
    );
    let rumour = &brief.pending[0];
    assert_eq!(rumour.status, ItemStatus::Pending);
    assert!(rumour.misleading);
    assert_eq!(rumour.agency.as_ref().map(|a| a.abbr.as_str()), Some("ดศ."));
    assert_eq!(rumour.due_date, None);
    assert_eq!(
        rumour.links,
        vec!["https://www.khaosod.co.th/breaking-news/news_3"]
    );
}

#[test]
fn the_json_form_round_trips() {
    let brief = build(&sample_input(date!(2026 - 11 - 23), true));
    let json = serde_json::to_string(&brief).unwrap();
    assert!(json.contains("\"slot\":\"2026-11-23\""), "{json}");
    assert!(json.contains("\"due_date\":\"2026-11-23\""), "{json}");
    let back: Brief = serde_json::from_str(&json).unwrap();
    assert_eq!(back, brief);
}

#[test]
fn a_long_brief_splits_into_line_messages_without_splitting_an_item() {
    let mut input = sample_input(date!(2026 - 11 - 23), false);
    let template = input.pending[0].clone();
    input.pending = (0..60)
        .map(|i| {
            let mut p = template.clone();
            p.candidate.id = 100 + i;
            p.candidate.proposal.title = format!("ประเด็นทดสอบลำดับที่ {i} {}", "ข่าวยาว".repeat(30));
            p.candidate.proposal.summary = format!(
                "สรุปข่าวลำดับที่ {i} ซึ่งมีเนื้อหายาวพอสมควรเพื่อให้สรุปทั้งฉบับเกินหนึ่งข้อความ {}",
                "รายละเอียดเพิ่มเติม ".repeat(12)
            );
            p
        })
        .collect();
    input.pending_total = 60;
    let brief = build(&input);
    let messages = line_messages(&brief);
    assert!(messages.len() >= 3, "{} messages", messages.len());
    for (i, m) in messages.iter().enumerate() {
        let n = m.encode_utf16().count();
        assert!(n <= LINE_MAX_CHARS, "message {} has {n} characters", i + 1);
        if i > 0 {
            assert!(
                m.starts_with(&format!(
                    "(ต่อ) สรุปประเด็น 23 พ.ย. 2569 · ข้อความที่ {}/{}",
                    i + 1,
                    messages.len()
                )),
                "{}",
                &m[..200]
            );
        }
    }
    // Every item is whole in exactly one message, and they come in rank order.
    let mut last = (0, 0);
    for item in brief.approved.iter().chain(&brief.pending) {
        let head = format!("{}. {}\n", item.rank, item.title);
        let tail = item.links.last().cloned().unwrap_or_default();
        let holders: Vec<usize> = messages
            .iter()
            .enumerate()
            .filter(|(_, m)| m.contains(&head))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(holders.len(), 1, "item {} in {holders:?}", item.rank);
        let m = &messages[holders[0]];
        let at = m.find(&head).unwrap();
        assert!(m[at..].contains(&tail), "item {} was split", item.rank);
        if item.status == ItemStatus::Pending {
            assert!((holders[0], at) > last || last == (0, 0));
            last = (holders[0], at);
        }
    }
    // Nothing is lost: the messages hold every block of the plain text.
    let all = messages.join("\n\n");
    for line in plain_text(&brief).lines().filter(|l| !l.is_empty()) {
        assert!(all.contains(line), "lost: {line}");
    }
}

fn settings() -> AssignmentSettings {
    AssignmentSettings {
        sender_name: "นายสมชาย ใจดี".into(),
        sender_title: "ผู้อำนวยการสำนักข่าว".into(),
        on_behalf_name: "นายวิรัช ประเสริฐ".into(),
        on_behalf_title: "โฆษกประจำสำนักนายกรัฐมนตรี และอธิบดีกรมประชาสัมพันธ์".into(),
        thai_digits: true,
    }
}

#[test]
fn the_assignment_message_matches_the_golden_file() {
    let input = sample_input(date!(2017 - 02 - 14), false);
    let mut issues: Vec<Issue> = input.approved.iter().map(|a| a.issue.clone()).collect();
    let mut withdrawn = issues[0].clone();
    withdrawn.id = 43;
    withdrawn.status = IssueStatus::Withdrawn;
    withdrawn.title = "ประเด็นที่ถอนแล้ว".into();
    issues.push(withdrawn);
    let (text, lines) = assignment_message(date!(2017 - 02 - 14), &issues, &settings());
    assert_eq!(lines.len(), 2, "the withdrawn issue is left out");
    // In order of approval: the eggs were approved first.
    assert_eq!(lines[0].issue_id, 41);
    golden("assignment-2560-02-14.txt", &text);
    assert!(text.contains("ประจำวันที่ ๑๔ กุมภาพันธ์ ๒๕๖๐ จำนวน ๒ ประเด็น ดังนี้"));
    assert!(text.ends_with("\nจบการส่งประเด็น"));

    let plain = AssignmentSettings {
        thai_digits: false,
        ..settings()
    };
    let (text, _) = assignment_message(date!(2017 - 02 - 14), &issues, &plain);
    golden("assignment-2560-02-14.arabic.txt", &text);
    assert!(text.contains("ประจำวันที่ 14 ก.พ. 2560 จำนวน 2 ประเด็น ดังนี้"));
}

#[test]
fn the_assignment_message_dates_cross_the_year_boundary_in_buddhist_era() {
    let (text, lines) = assignment_message(date!(2025 - 12 - 31), &[], &settings());
    assert!(lines.is_empty());
    assert!(
        text.contains("ประจำวันที่ ๓๑ ธันวาคม ๒๕๖๘ จำนวน ๐ ประเด็น"),
        "{text}"
    );
    let (text, _) = assignment_message(
        date!(2026 - 01 - 01),
        &[],
        &AssignmentSettings {
            thai_digits: false,
            sender_name: String::new(),
            ..settings()
        },
    );
    assert!(text.contains("ประจำวันที่ 1 ม.ค. 2569"), "{text}");
    assert!(
        text.starts_with("ข้าพเจ้า ............ ผู้อำนวยการสำนักข่าว\n"),
        "{text}"
    );
}

#[test]
fn a_bangkok_morning_is_the_previous_utc_evening() {
    // The slot instant is 09:30 Bangkok = 02:30 UTC; the header shows Bangkok time.
    let input = sample_input(date!(2026 - 11 - 23), false);
    assert_eq!(input.scheduled_for, datetime!(2026-11-23 02:30 UTC));
    let text = plain_text(&build(&input));
    assert!(text.contains("เวลา 09:30 น."), "{text}");
}
