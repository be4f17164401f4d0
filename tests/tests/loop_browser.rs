//! The loop closed, in headless Chromium, on both databases: a monitor approves a candidate →
//! at 10:30 (a hand-moved clock) the official message reaches the IA-Chat group through a
//! local LINE stub and the agency's contact through a local SMTP sink, with the link to the
//! issue → the agency's user follows it, acknowledges, and reports its clarification with a
//! photo and a PDF → the monitor sees the issue's life and assesses the report. Another
//! agency's user gets 404 on the issue, its report and its files, and 403 on the monitors'
//! pages. Screenshots go to target/screenshots/loop-*.png.

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

fn dit() -> AgencyRef {
    AgencyRef {
        name_th: "กรมการค้าภายใน".into(),
        abbr: "คน.".into(),
        ministry_abbr: "พณ.".into(),
        ministry_th: "กระทรวงพาณิชย์".into(),
        name_en: String::new(),
    }
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

/// A story of two articles proposed to the queue for DIT; returns the candidate's id.
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
                title: "ราคาไข่ไก่ขึ้นแผงละ 10 บาท ผู้บริโภคเดือดร้อนทั่วประเทศ",
                body: "กรมการค้าภายในเตรียมตรวจสอบราคาไข่ไก่",
                published_at: Some(at - Duration::hours(2)),
                fetched_at: at,
            })
            .unwrap()
        })
        .collect::<Vec<_>>();
    let ids = app.store().insert_documents(&docs).await.unwrap().inserted;
    let proposal = Proposal {
        title: "ราคาไข่ไก่ขึ้นแผงละ 10 บาท".into(),
        summary: "ราคาไข่ไก่ขึ้นแผงละ 10 บาท ผู้บริโภคเดือดร้อนทั่วประเทศ".into(),
        score: 0.7,
        criteria: Vec::new(),
        misleading: None,
        agencies: vec![AgencyProposal {
            agency: dit(),
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
    app.add_agency_user("dit", "กรมการค้าภายใน", "รหัสของกรม")
        .await;
    app.add_agency_user("pcd", "กรมควบคุมมลพิษ", "รหัสของกรมอื่น")
        .await;
    store
        .save_agency_contacts(
            &[NewContact {
                agency: "กรมการค้าภายใน".into(),
                name: "นางสาวพิมพ์ใจ รักงาน".into(),
                position: "ผู้อำนวยการกองส่งเสริมการค้า".into(),
                email: Some("pimjai@dit.test".into()),
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
                "ราคาไข่ไก่แพง กระทบค่าครองชีพ",
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
    assert!(group.contains("ราคาไข่ไก่แพง กระทบค่าครองชีพ / หน่วยงานที่ต้องชี้แจง กรมการค้าภายใน"));
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

    // 3. The agency follows the link, acknowledges, and reports with a photo and a PDF.
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("แถลงข่าว.png");
    let pdf = dir.path().join("ข่าวประชาสัมพันธ์.pdf");
    std::fs::write(&photo, PNG).unwrap();
    std::fs::write(&pdf, PDF).unwrap();
    // The clarification was made half an hour ago (Bangkok), written as Thai users write it:
    // 5/12/2569, 10.30 น.
    let made = to_bangkok(OffsetDateTime::now_utc() - Duration::minutes(30));
    let clarified = format!(
        "{}/{}/{}",
        made.day(),
        u8::from(made.month()),
        made.year() + 543
    );
    let at = format!("{:02}.{:02} น.", made.hour(), made.minute());
    let evidence: Vec<i64> = tokio::task::spawn_blocking({
        let (base, path, shots) = (base.clone(), path.to_string(), shots.to_string());
        move || {
            let mut b = Browser::launch_or_skip().expect("chromium");
            b.login(&base, "dit", "รหัสของกรม");
            b.goto(&format!("{base}{path}"));
            assert!(b.text("h1").contains("ราคาไข่ไก่แพง"), "{}", b.text("body"));
            b.fill(
                "form[action$='/acknowledge'] input[name=position]",
                "ผู้อำนวยการกอง",
            );
            b.click("form[action$='/acknowledge'] button[type=submit]");
            assert!(
                b.text("body").contains("ผู้อำนวยการกอง"),
                "{}",
                b.text("body")
            );
            b.fill("input[name=date]", &clarified);
            b.fill("input[name=time]", &at);
            b.fill("input[name=speaker]", "อธิบดีกรมการค้าภายใน");
            b.fill(
                "textarea[name=content]",
                "ราคาไข่ไก่ปรับขึ้นตามต้นทุนอาหารสัตว์ กรมฯ ขอความร่วมมือตรึงราคาหน้าฟาร์ม",
            );
            b.eval(
                "document.querySelector(\"input[name=channel][value=press_conference]\").click()",
            );
            b.eval("document.querySelector(\"input[name=channel][value=website]\").click()");
            b.fill("input[name=link_website]", "https://www.dit.go.th/news/1");
            b.choose_files("input[name=files]", &[photo.as_path(), pdf.as_path()]);
            b.screenshot(&format!("{shots}-report-form"));
            b.click("form[action$='/reports'] button[type=submit]");
            let body = b.text("body");
            assert!(body.contains("อธิบดีกรมการค้าภายใน"), "{body}");
            assert!(
                body.contains("แถลงข่าว") && body.contains("เว็บไซต์"),
                "{body}"
            );
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

    // 4. Another agency finds nothing of it; the monitors' pages are not for it.
    tokio::task::spawn_blocking({
        let (base, path) = (base.clone(), path.to_string());
        let evidence = evidence.clone();
        move || {
            let mut b = Browser::launch_or_skip().expect("chromium");
            b.login(&base, "pcd", "รหัสของกรมอื่น");
            b.goto(&format!("{base}/agency"));
            assert!(!b.text("body").contains("ราคาไข่ไก่"), "{}", b.text("body"));
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
                assert!(!body.contains("ราคาไข่ไก่"), "{url} shows the issue: {body}");
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

    // 5. The monitor sees the issue's life and assesses the report.
    tokio::task::spawn_blocking({
        let (base, shots) = (base.clone(), shots.to_string());
        move || {
            let mut b = Browser::launch_or_skip().expect("chromium");
            b.login(&base, "somchai", "รหัสของสมชาย");
            b.goto(&format!("{base}/issues/{issue}"));
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
            assert!(b.text("body").contains("mail:pimjai@dit.test"));
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
