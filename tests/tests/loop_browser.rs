//! The loop closed, in headless Chromium, on both databases: a monitor approves a candidate →
//! at 10:30 (a hand-moved clock) the official message reaches the IA-Chat group through a
//! local LINE stub and the agency's contact through a local SMTP sink, with the link to the
//! issue → the agency's user follows it and acknowledges → thaigov.go.th publishes the
//! ministry's clarification (a real article, tests/data/clarification-articles.jsonl) and
//! praden finds it (พบการชี้แจง) → the agency confirms it as its report, prefilled, adding a
//! photo and a PDF → the monitor sees the found clarification and the issue's life, and
//! assesses the report. Another agency's user gets 404 on the issue, its report and its
//! files, and 403 on the monitors' pages. Screenshots go to target/screenshots/loop-*.png.

use praden::config::{Config, MailConfig, Secret, SmtpTls, WebhookConfig, WebhookKind};
use praden_core::review::{AgencyProposal, AgencyRef, KindCounts, Proposal};
use praden_core::thai_time::to_bangkok;
use praden_core::{NewDocument, Role, SourceKind};
use praden_jobs::schedule::ManualClock;
use praden_store::{DecisionContext, NewContact};
use praden_tests::files::{PDF, PNG};
use praden_tests::smtp::SmtpSink;
use praden_tests::{on_both_databases, Browser, Db, RunningApp, TestEnv, WebhookReceiver};
use time::{Duration, OffsetDateTime};

on_both_databases!(the_loop_closes_from_approval_to_assessment_in_chromium,);

fn commerce() -> AgencyRef {
    AgencyRef {
        name_th: "กระทรวงพาณิชย์".into(),
        abbr: "พณ.".into(),
        ministry_abbr: "พณ.".into(),
        ministry_th: "กระทรวงพาณิชย์".into(),
        name_en: String::new(),
    }
}

const ARTICLES: &str = include_str!("../data/clarification-articles.jsonl");

/// The ministry's real clarification (thaigov.go.th 63613, ชี้แจงประเด็นสำคัญ), as the
/// government's feed would deliver it at `published`.
fn clarification(published: OffsetDateTime) -> NewDocument {
    let a: serde_json::Value = ARTICLES
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|a| a["id"] == "63613")
        .expect("the article is in the test data");
    NewDocument::new(praden_core::DocumentParts {
        source_id: "thaigov",
        kind: SourceKind::Official,
        outlet: "thaigov.go.th",
        url: a["url"].as_str(),
        item_id: None,
        title: a["title"].as_str().unwrap(),
        body: a["body"].as_str().unwrap(),
        published_at: Some(published),
        fetched_at: published,
    })
    .unwrap()
}

fn configured(mut config: Config, receiver: &WebhookReceiver, sink: &SmtpSink) -> Config {
    config.detect.enabled = false;
    let a = &mut config.assignment;
    a.enabled = true;
    a.webhooks = vec![WebhookConfig {
        name: "iachat".into(),
        url: receiver.url("/v2/bot/message/push"),
        kind: WebhookKind::Line,
        to: Some("C-iachat-group".into()),
        token: Some(Secret::new("line-token")),
    }];
    a.mail = Some(MailConfig {
        host: "127.0.0.1".into(),
        port: sink.port(),
        tls: SmtpTls::None,
        from: "ศูนย์ประเด็น <issues@prd.test>".into(),
        credentials: None,
    });
    config
}

/// A story of two articles proposed to the queue for the Ministry of Commerce; returns the
/// candidate's id.
async fn propose(app: &RunningApp, at: OffsetDateTime) -> i64 {
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
                title: "ชาวสวนผักโอด ผักไทยราคาตก หลังจีนเปิดประเทศ",
                body: "ชาวสวนผักเรียกร้องให้รัฐควบคุมการนำเข้าผักจากจีน",
                published_at: Some(at - Duration::hours(2)),
                fetched_at: at,
            })
            .unwrap()
        })
        .collect::<Vec<_>>();
    let ids = app.store().insert_documents(&docs).await.unwrap().inserted;
    let proposal = Proposal {
        title: "ผักไทยราคาตก".into(),
        summary: "ชาวสวนผักโอด ผักไทยราคาตก หลังจีนเปิดประเทศ".into(),
        score: 0.7,
        criteria: Vec::new(),
        misleading: None,
        agencies: vec![AgencyProposal {
            agency: commerce(),
            score: 0.9,
            reasons: vec!["กล่าวถึง กระทรวงพาณิชย์".into()],
        }],
        deadline_days: 1,
        deadline_rule: "default".into(),
        outlets: vec!["มติชน".into(), "ไทยรัฐ".into()],
        links: Vec::new(),
        counts: KindCounts {
            news: 2,
            ..KindCounts::default()
        },
        articles: 2,
        first_seen: at - Duration::hours(2),
        last_seen: at,
        public_matter: None,
    };
    app.store()
        .upsert_proposal(&ids, &proposal, 2.0, at)
        .await
        .unwrap()
        .candidate_id
}

async fn the_loop_closes_from_approval_to_assessment_in_chromium(db: Db) {
    if praden_tests::browser::find_chromium().is_none() {
        assert!(Browser::launch_or_skip().is_none());
        return;
    }
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let receiver = WebhookReceiver::start().await;
    let sink = SmtpSink::start().await;
    let mut config = configured(env.config(), &receiver, &sink);
    // Links in the mail lead to this very server: its port is known once it listens, so the
    // test reads the link's path and opens it on the server it started.
    config.assignment.public_url = "https://praden.prd.test".into();
    // The pages decide on the wall clock, so the schedulers' clock starts from it too; the
    // next 10:30 is reached by moving it.
    let now = OffsetDateTime::now_utc();
    let clock = ManualClock::new(now);
    let app = RunningApp::start_with_clock(config.clone(), clock.clone()).await;
    let store = app.store().clone();
    app.add_user("somchai", Role::Monitor, "รหัสของสมชาย").await;
    app.add_agency_user("moc", "กระทรวงพาณิชย์", "รหัสของกระทรวง")
        .await;
    app.add_agency_user("pcd", "กรมควบคุมมลพิษ", "รหัสของกรมอื่น")
        .await;
    store
        .save_agency_contacts(
            &[NewContact {
                agency: "กระทรวงพาณิชย์".into(),
                name: "นางสาวพิมพ์ใจ รักงาน".into(),
                position: "ผู้อำนวยการกองประชาสัมพันธ์".into(),
                email: Some("pimjai@moc.test".into()),
                line_id: None,
            }],
            &DecisionContext {
                actor: "admin".into(),
                request_id: None,
                now,
            },
        )
        .await
        .unwrap();
    let candidate = propose(&app, now).await;
    let shots = match db {
        Db::Sqlite => "loop-sqlite",
        Db::Postgres => "loop-postgres",
    };

    // 1. The monitor approves the candidate through its page.
    let base = app.base.clone();
    let issue: i64 = tokio::task::spawn_blocking({
        let base = base.clone();
        move || {
            let mut b = Browser::launch_or_skip().expect("chromium");
            b.login(&base, "somchai", "รหัสของสมชาย");
            b.goto(&format!("{base}/candidates/{candidate}"));
            b.fill(
                "form[action$='/approve'] input[name=title]",
                "กรณีผักไทยราคาตก หลังจีนเปิดประเทศ",
            );
            b.click("form[action$='/approve'] button[type=submit]");
            assert!(b.text("body").contains("อนุมัติแล้ว"), "{}", b.text("body"));
            b.goto(&format!("{base}/issues"));
            b.click("a[href^='/issues/']");
            let url = b.url();
            url.rsplit('/').next().unwrap().parse().unwrap()
        }
    })
    .await
    .unwrap();

    // 2. At 10:30 the message goes to IA-Chat and to DIT's contact, with the link.
    let due = config.assignment.schedule.next_after(now).unwrap();
    let slot = to_bangkok(due).date();
    clock.set(due);
    let pushes = receiver.wait_for(1).await;
    let group = pushes[0].body["messages"][0]["text"].as_str().unwrap();
    assert!(group.contains("กรณีผักไทยราคาตก หลังจีนเปิดประเทศ / หน่วยงานที่ต้องชี้แจง กระทรวงพาณิชย์"));
    let (_, published) = app.get_json(&format!("/api/v1/assignments/{slot}")).await;
    let official = published["text"].as_str().unwrap();
    assert!(
        official.contains(&format!(
            "ประจำวันที่ {} จำนวน ๑ ประเด็น",
            praden_core::thai_time::format_thai_date_long(slot, true)
        )),
        "{official}"
    );
    let mail = sink.wait_for(1).await.remove(0);
    let text = mail.text();
    let link = format!("https://praden.prd.test/agency/issues/{issue}");
    assert!(text.contains(&link), "{text}");
    let path = link.trim_start_matches("https://praden.prd.test");

    // 3. The agency follows the link and acknowledges.
    tokio::task::spawn_blocking({
        let (base, path) = (base.clone(), path.to_string());
        move || {
            let mut b = Browser::launch_or_skip().expect("chromium");
            b.login(&base, "moc", "รหัสของกระทรวง");
            b.goto(&format!("{base}{path}"));
            assert!(b.text("h1").contains("ผักไทยราคาตก"), "{}", b.text("body"));
            b.fill(
                "form[action$='/acknowledge'] input[name=position]",
                "ผู้อำนวยการกองประชาสัมพันธ์",
            );
            b.click("form[action$='/acknowledge'] button[type=submit]");
            assert!(b.text("body").contains("ผู้อำนวยการกองประชาสัมพันธ์"));
        }
    })
    .await
    .unwrap();

    // 4. Then thaigov.go.th carries the ministry's clarification; praden finds it in the
    // coverage and attaches it to the issue.
    store
        .insert_documents(&[clarification(OffsetDateTime::now_utc())])
        .await
        .unwrap();
    let found = app
        .wait_json(&format!("/api/v1/issues/{issue}/clarifications"), |s, b| {
            s == 200
                && b["clarifications"]
                    .as_array()
                    .is_some_and(|c| !c.is_empty())
        })
        .await;
    assert!(found.to_string().contains("thaigov.go.th"), "{found}");

    // 5. The agency confirms it as its report — prefilled from the article — and adds a
    // photo and a PDF.
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("แถลงข่าว.png");
    let pdf = dir.path().join("ข่าวประชาสัมพันธ์.pdf");
    std::fs::write(&photo, PNG).unwrap();
    std::fs::write(&pdf, PDF).unwrap();
    let evidence: Vec<i64> = tokio::task::spawn_blocking({
        let (base, path, shots) = (base.clone(), path.to_string(), shots.to_string());
        move || {
            let mut b = Browser::launch_or_skip().expect("chromium");
            b.login(&base, "moc", "รหัสของกระทรวง");
            b.goto(&format!("{base}{path}"));
            assert!(b.text("body").contains("พบการชี้แจง"), "{}", b.text("body"));
            b.click("a[href*='?found=']");
            let speaker = b.eval("document.querySelector('input[name=speaker]').value");
            assert!(
                speaker.as_str().is_some_and(|s| !s.is_empty()),
                "the speaker is prefilled: {speaker}"
            );
            let content = b.eval("document.querySelector('textarea[name=content]').value");
            assert!(
                content.as_str().is_some_and(|c| c.contains("ผัก")),
                "the key content is prefilled: {content}"
            );
            b.eval(
                "document.querySelector(\"input[name=channel][value=press_conference]\").click()",
            );
            b.choose_files("input[name=files]", &[photo.as_path(), pdf.as_path()]);
            b.screenshot(&format!("{shots}-report-form"));
            b.click("form[action$='/reports'] button[type=submit]");
            let body = b.text("body");
            assert!(
                body.contains("แถลงข่าว") && body.contains("thaigov.go.th"),
                "{body}"
            );
            assert!(body.contains("ยืนยันเป็นรายงานแล้ว"), "{body}");
            b.screenshot(&format!("{shots}-agency"));
            let ids = b.eval(
                "[...document.querySelectorAll(\"a[href^='/evidence/']\")]\
                 .map(a => Number(a.getAttribute('href').split('/')[2]))",
            );
            ids.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect()
        }
    })
    .await
    .unwrap();
    assert_eq!(evidence.len(), 2, "the photo and the PDF");

    // 6. Another agency finds nothing of it; the monitors' pages are not for it.
    tokio::task::spawn_blocking({
        let (base, path) = (base.clone(), path.to_string());
        let evidence = evidence.clone();
        move || {
            let mut b = Browser::launch_or_skip().expect("chromium");
            b.login(&base, "pcd", "รหัสของกรมอื่น");
            b.goto(&format!("{base}/agency"));
            assert!(!b.text("body").contains("ผักไทย"), "{}", b.text("body"));
            for (url, words) in [
                (format!("{base}{path}"), "ไม่พบ"),
                (format!("{base}/evidence/{}", evidence[0]), "ไม่พบ"),
                (format!("{base}/evidence/{}", evidence[1]), "ไม่พบ"),
                (format!("{base}/issues/{issue}"), "ไม่มีสิทธิ์"),
                (format!("{base}/overdue"), "ไม่มีสิทธิ์"),
            ] {
                b.goto(&url);
                let body = b.text("body");
                assert!(body.contains(words), "{url}: {body}");
                assert!(!body.contains("ผักไทย"), "{url} shows the issue: {body}");
            }
        }
    })
    .await
    .unwrap();
    let pcd = app.login("pcd", "รหัสของกรมอื่น").await;
    for url in [
        format!("/api/v1/agency/issues/{issue}"),
        format!("/api/v1/agency/issues/{issue}/reports"),
        format!("/evidence/{}", evidence[0]),
    ] {
        let r = pcd.client.get(format!("{base}{url}")).send().await.unwrap();
        assert_eq!(r.status(), 404, "{url}");
    }

    // 7. The monitor sees what was found and the issue's life, and assesses the report.
    tokio::task::spawn_blocking({
        let (base, shots) = (base.clone(), shots.to_string());
        move || {
            let mut b = Browser::launch_or_skip().expect("chromium");
            b.login(&base, "somchai", "รหัสของสมชาย");
            b.goto(&format!("{base}/issues/{issue}"));
            assert!(b.text("body").contains("พบการชี้แจง"));
            let life = b.text("table.life");
            assert!(
                life.contains("ตอบรับ") && life.contains("ผู้อำนวยการกอง"),
                "{life}"
            );
            assert!(life.contains("2 รายการ"), "the two files: {life}");
            b.eval("document.querySelector(\"input[name=completeness][value=partly]\").click()");
            b.fill(
                "form[action$='/assess'] textarea[name=note]",
                "ไม่ได้ตอบเรื่องราคาขายปลีก",
            );
            b.click("form[action$='/assess'] button[type=submit]");
            let body = b.text("body");
            assert!(body.contains("ตอบบางส่วน: ไม่ได้ตอบเรื่องราคาขายปลีก"), "{body}");
            assert!(body.contains("ทันกำหนด: ใช่ · ช่องทาง: 2"), "{body}");
            b.screenshot(&format!("{shots}-issue"));
            b.goto(&format!("{base}/assignments/{slot}"));
            assert!(b.text("body").contains("mail:pimjai@moc.test"));
            b.screenshot(&format!("{shots}-assignment"));
        }
    })
    .await
    .unwrap();
    let (_, feed) = app.get_json("/api/v1/issues/approved?limit=100").await;
    let kinds: Vec<&str> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["approved", "acknowledged", "reported", "assessed"]);
    app.stop().await;
}
