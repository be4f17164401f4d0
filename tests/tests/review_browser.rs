//! The app in headless Chromium (Debian `chromium`): a monitor logs in, approves a candidate,
//! edits and withdraws the issue through the forms, and the assignment system sees each step
//! in the feed; each role walks its pages. Screenshots go to target/screenshots. Skipped
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
            ("/assignments", "assignments", "การส่งประเด็นให้หน่วยงาน"),
            ("/overdue", "overdue", "ประเด็นที่ต้องติดตาม"),
            ("/search", "search", "ค้นหาข่าว"),
            ("/sources", "sources", "แหล่งข่าว"),
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

        // The approved issue is edited, then withdrawn, through its page's forms.
        b.goto(&format!("{base}/issues"));
        b.click("table a[href^='/issues/']");
        b.fill(
            "form[action$='/edit'] input[name=title]",
            "ราคาไข่ไก่แพงทั่วประเทศ",
        );
        b.click("form[action$='/edit'] button[type=submit]");
        assert!(
            b.text("h1").contains("ราคาไข่ไก่แพงทั่วประเทศ"),
            "{}",
            b.text("body")
        );
        b.fill(
            "form[action$='/withdraw'] input[name=reason]",
            "ซ้ำกับประเด็นเมื่อวาน",
        );
        b.click("form[action$='/withdraw'] button[type=submit]");
        let text = b.text("body");
        assert!(
            text.contains("ถอนแล้ว") && text.contains("ซ้ำกับประเด็นเมื่อวาน"),
            "{text}"
        );
        assert_eq!(
            b.count("form[action$='/edit']"),
            0,
            "a withdrawn issue is not edited"
        );
        b.screenshot("issue-withdrawn");
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
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["approved", "edited", "withdrawn"], "{page}");
    assert_eq!(events[0]["issue"]["title"], "ราคาไข่ไก่แพง กระทบค่าครองชีพ");
    assert_eq!(events[1]["issue"]["title"], "ราคาไข่ไก่แพงทั่วประเทศ");
    assert_eq!(events[0]["issue"]["agency"]["abbr"], "พณ.");
    assert_eq!(events[0]["issue"]["deadline_days"], 2);
    assert_eq!(events[0]["issue"]["approved_by"], "somchai");
    app.stop().await;
}

/// English a page must never show a person: framework and API error words.
const ENGLISH_ERRORS: [&str; 7] = [
    "error",
    "Error",
    "Invalid",
    "Forbidden",
    "Unauthorized",
    "Not Found",
    "Cannot parse",
];

/// The page's text holds no JSON and none of [`ENGLISH_ERRORS`].
fn assert_thai_page(b: &mut Browser, what: &str) {
    let text = b.text("body");
    assert!(
        !text.contains("{\"") && !ENGLISH_ERRORS.iter().any(|w| text.contains(w)),
        "{what} shows JSON or English error text: {text}"
    );
}

/// Every page loads praden's own Thai font, so Thai renders on a machine that has none.
fn assert_thai_font_loaded(b: &mut Browser, what: &str) {
    let loaded = b.eval(
        "document.fonts.ready.then(() => [...document.fonts].some(f => \
           f.family.replace(/\"/g, '') === 'Sarabun' && f.status === 'loaded' \
           && f.unicodeRange.includes('E01')))",
    );
    assert_eq!(
        loaded,
        serde_json::json!(true),
        "{what}: the Thai web font did not load"
    );
}

/// Each role walks its navigation in Chromium: the bar holds exactly its pages, each answers
/// with a Thai page in praden's Thai font (shot for review), a page of another role's is a
/// Thai refusal with the way home, the queue pages on, and logging out works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_walks_its_pages_in_chromium() {
    if praden_tests::browser::find_chromium().is_none() {
        assert!(Browser::launch_or_skip().is_none());
        return;
    }
    let env = TestEnv::new(Db::Sqlite).await.unwrap();
    env.write_sources(&[]);
    let mut config = env.config();
    config.detect.enabled = false;
    let app = RunningApp::start(config).await;
    // Past one page of the queue (50 a page).
    praden_tests::seed::seed_queue(app.store(), 60, OffsetDateTime::now_utc()).await;
    let roles: [(Role, &[&str], &[&str]); 3] = [
        (
            Role::Admin,
            &[
                "/queue",
                "/issues",
                "/overdue",
                "/agency",
                "/agency/kpi",
                "/briefs",
                "/assignments",
                "/kpi",
                "/search",
                "/sources",
                "/audit",
                "/admin/accounts",
                "/admin/agencies",
            ],
            &[],
        ),
        (
            Role::Monitor,
            &[
                "/queue",
                "/issues",
                "/overdue",
                "/briefs",
                "/assignments",
                "/kpi",
                "/search",
                "/sources",
            ],
            &["/audit", "/admin/accounts"],
        ),
        (
            Role::Editor,
            &["/briefs", "/search"],
            &[
                "/queue",
                "/issues",
                "/overdue",
                "/assignments",
                "/sources",
                "/audit",
            ],
        ),
    ];
    for (role, _, _) in &roles {
        app.add_user(
            &format!("u{}", role.as_str()),
            *role,
            "a long enough password",
        )
        .await;
    }
    let base = app.base.clone();
    tokio::task::spawn_blocking(move || {
        let mut b = Browser::launch_or_skip().expect("chromium");
        for (role, links, refused) in roles {
            let name = format!("u{}", role.as_str());
            let name = name.as_str();
            b.login(&base, name, "a long enough password");
            let shown = b.eval(
                "[...document.querySelectorAll('header.bar nav a')].map(a => a.getAttribute('href'))",
            );
            assert_eq!(shown, serde_json::json!(links), "{name}'s navigation");
            for link in links {
                b.click(&format!("header.bar nav a[href='{link}']"));
                let what = format!("{name} {link}");
                assert!(b.url().ends_with(link), "{what}: at {}", b.url());
                assert_thai_page(&mut b, &what);
                assert_thai_font_loaded(&mut b, &what);
                b.screenshot(&format!("{name}{}", link.replace('/', "-")));
            }
            for path in refused {
                b.goto(&format!("{base}{path}"));
                let what = format!("{name} {path}");
                assert!(
                    b.text("body").contains("ไม่มีสิทธิ์"),
                    "{what}: {}",
                    b.text("body")
                );
                assert_thai_page(&mut b, &what);
                assert_eq!(b.count("a[href='/']"), 1, "{what}: the way home");
                assert_eq!(
                    b.count("header.bar form.user button"),
                    1,
                    "{what}: log-out: {}",
                    b.html()
                );
            }
            if role == Role::Monitor {
                b.goto(&format!("{base}/queue"));
                assert_eq!(b.count("table tbody tr"), 50);
                let first = b.text("table tbody tr");
                b.click("a[rel=next]");
                assert!(b.url().contains("page=2"), "{}", b.url());
                assert_eq!(b.count("table tbody tr"), 10, "60 pending, 50 a page");
                assert_ne!(b.text("table tbody tr"), first);
                assert!(b.text("body").contains("หน้า 2 จาก 2"));
                b.screenshot("monitor-queue-page-2");
            }
            b.click("header.bar form.user button");
            assert!(b.url().contains("/login"), "{name} logged out: {}", b.url());
        }
    })
    .await
    .unwrap();
    app.stop().await;
}
