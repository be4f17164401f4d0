//! A monitor in headless Chromium (Debian `chromium`): logs in, opens the queue, approves a
//! candidate through the form, and the assignment system sees the issue in the feed. Skipped
//! with a notice when Chromium is missing, unless CI is set.

use praden_core::review::{AgencyProposal, AgencyRef, KindCounts, Proposal};
use praden_core::{NewDocument, Role, SourceKind};
use praden_tests::{client_with_token, Browser, Db, RunningApp, TestEnv};
use time::OffsetDateTime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_logs_in_approves_a_candidate_and_the_feed_carries_it() {
    if praden_tests::browser::find_chromium().is_none() {
        assert!(Browser::launch_or_skip().is_none());
        return;
    }
    let env = TestEnv::new(Db::Sqlite).await.unwrap();
    env.write_sources(&[]);
    let mut config = env.config();
    config.detect.enabled = false;
    let app = RunningApp::start(config).await;
    app.add_user("somchai", Role::Monitor, "รหัสของสมชาย").await;

    let now = OffsetDateTime::now_utc();
    let docs = [("matichon.co.th", "มติชน"), ("thairath.co.th", "ไทยรัฐ")]
        .iter()
        .enumerate()
        .map(|(i, (host, outlet))| {
            NewDocument::new(praden_core::DocumentParts {
                source_id: host,
                kind: SourceKind::News,
                outlet,
                url: Some(&format!("https://{host}/news/{i}")),
                item_id: None,
                title: "ราคาไข่ไก่ขึ้นแผงละ 10 บาท ผู้บริโภคเดือดร้อนทั่วประเทศ",
                body: "กรมการค้าภายในเตรียมตรวจสอบราคาไข่ไก่",
                published_at: Some(now),
                fetched_at: now,
            })
            .unwrap()
        })
        .collect::<Vec<_>>();
    let ids = app.store().insert_documents(&docs).await.unwrap().inserted;
    let suggested = AgencyRef {
        name_th: "กระทรวงพาณิชย์".into(),
        abbr: "พณ.".into(),
        ministry_abbr: "พณ.".into(),
        ministry_th: "กระทรวงพาณิชย์".into(),
        name_en: String::new(),
    };
    let proposal = Proposal {
        title: "ราคาไข่ไก่ขึ้นแผงละ 10 บาท".into(),
        summary: "ราคาไข่ไก่ขึ้นแผงละ 10 บาท ผู้บริโภคเดือดร้อนทั่วประเทศ".into(),
        score: 0.7,
        criteria: Vec::new(),
        misleading: None,
        agencies: vec![AgencyProposal {
            agency: suggested,
            score: 0.9,
            reasons: vec!["กล่าวถึง กรมการค้าภายใน".into()],
        }],
        deadline_days: 1,
        deadline_rule: "default".into(),
        outlets: vec!["มติชน".into(), "ไทยรัฐ".into()],
        links: Vec::new(),
        counts: KindCounts {
            news: 2,
            ..KindCounts::default()
        },
        articles: 1,
        first_seen: now,
        last_seen: now,
        public_matter: None,
    };
    let id = app
        .store()
        .upsert_proposal(&ids, &proposal, 2.0, now)
        .await
        .unwrap()
        .candidate_id;

    let base = app.base.clone();
    tokio::task::spawn_blocking(move || {
        let mut b = Browser::launch_or_skip().expect("chromium");
        b.login(&base, "somchai", "รหัสของสมชาย");
        b.goto(&format!("{base}/queue"));
        assert!(b.text("body").contains("ราคาไข่ไก่ขึ้นแผงละ 10 บาท"));
        b.click(&format!("a[href='/candidates/{id}']"));
        assert!(
            b.url().ends_with(&format!("/candidates/{id}")),
            "{}",
            b.url()
        );
        assert_eq!(
            b.count("form.action"),
            3,
            "approve, reject, snooze (no other candidate to merge with)"
        );
        b.fill(
            "form[action$='/approve'] input[name=title]",
            "ราคาไข่ไก่แพง กระทบค่าครองชีพ",
        );
        b.fill("form[action$='/approve'] input[name=deadline_days]", "2");
        b.click("form[action$='/approve'] button[type=submit]");
        assert!(
            b.url().ends_with(&format!("/candidates/{id}")),
            "{}",
            b.url()
        );
        assert!(b.text("body").contains("อนุมัติแล้ว"), "{}", b.text("body"));
        b.screenshot("candidate-approved");

        // The confirmation leads to the page, and the bar to every page a monitor
        // works in; each is shot for review.
        b.click("a[href^='/issues/']");
        assert!(b.url().contains("/issues/"), "{}", b.url());
        assert!(b.text("body").contains("ราคาไข่ไก่แพง กระทบค่าครองชีพ"));
        assert_eq!(b.count("form.action"), 2, "edit and withdraw");
        b.screenshot("issue");
        for (link, shot, words) in [
            ("/issues", "issues", "ประเด็นที่อนุมัติ"),
            ("/queue", "queue", "คิวประเด็นรอพิจารณา"),
            ("/briefs", "briefs", "สรุปประเด็นประจำวัน"),
            ("/search", "search", "ค้นหาข่าว"),
        ] {
            b.click(&format!("header.bar nav a[href='{link}']"));
            assert!(b.url().ends_with(link), "{}", b.url());
            assert!(b.text("body").contains(words), "{link}: {}", b.text("body"));
            assert_eq!(b.count("header.bar form.user button"), 1, "{link}: log-out");
            b.screenshot(shot);
        }
        // A mistyped address is a Thai page with the way home, not JSON.
        b.goto(&format!("{base}/candidates/abc"));
        let text = b.text("body");
        assert!(
            text.contains("ข้อมูลไม่ครบหรือไม่ถูกต้อง") && !text.contains("error"),
            "{text}"
        );
        b.screenshot("error-page");
        b.click("a[href='/']");
        assert!(
            b.url().ends_with("/queue"),
            "home is the queue: {}",
            b.url()
        );
    })
    .await
    .unwrap();

    let consumer = client_with_token(&app.create_token("assign", Role::Consumer).await);
    let page: serde_json::Value = consumer
        .get(format!("{}/api/v1/issues/approved", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{page}");
    assert_eq!(events[0]["issue"]["title"], "ราคาไข่ไก่แพง กระทบค่าครองชีพ");
    assert_eq!(events[0]["issue"]["agency"]["abbr"], "พณ.");
    assert_eq!(events[0]["issue"]["deadline_days"], 2);
    assert_eq!(events[0]["issue"]["approved_by"], "somchai");
    app.stop().await;
}
