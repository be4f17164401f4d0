//! The 10:30 assignment message end to end, on SQLite and PostgreSQL, with a hand-moved clock:
//! issues approved in the morning are published at 10:30 in the official shape, sent to the
//! IA-Chat group through a local LINE stub, and to each agency contact with only its own
//! issues and the links to answer them — by e-mail through a local SMTP sink (which refuses
//! the first attempt, so the retry is exercised) and by LINE. A ministry's contact gets its
//! departments' issues too; an agency with no issue gets nothing, and a day without issues
//! sends nothing. The 09:00 reminders follow the issues to their due date and past it, and
//! the monitors' overdue list shows who is late at which step, through the agency's report
//! and evidence to the monitors' assessment (with the feed's events and the issue's life). The page and the API show what was sent and every delivery; a restart
//! publishes nothing twice.

use praden::config::{Config, LinePush, MailConfig, Secret, SmtpTls, WebhookConfig, WebhookKind};
use praden_core::report::{Channel, ChannelEntry, EvidenceKind, NewEvidence, NewReport};
use praden_core::review::{
    AgencyProposal, AgencyRef, Criterion, CriterionRecord, IssueResponse, KindCounts, Proposal,
    ResponseKind,
};
use praden_core::{NewDocument, SourceKind};
use praden_jobs::schedule::ManualClock;
use praden_store::{Approval, DecisionContext, DeliveryStatus, NewContact, Store};
use praden_tests::smtp::SmtpSink;
use praden_tests::{on_both_databases, Db, RunningApp, TestEnv, WebhookReceiver};
use std::time::Duration as StdDuration;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

on_both_databases!(
    the_1030_message_reaches_ia_chat_and_each_agency_by_mail_and_line,
    a_reassigned_issue_goes_to_its_new_agency_in_the_next_message,
);

const LINE_TOKEN: &str = "test-channel-access-token";

fn agency(name: &str, ministry: &str) -> AgencyRef {
    AgencyRef {
        name_th: name.into(),
        abbr: String::new(),
        ministry_abbr: String::new(),
        ministry_th: ministry.into(),
        name_en: String::new(),
    }
}

fn ctx(at: OffsetDateTime) -> DecisionContext {
    DecisionContext {
        actor: "somchai".into(),
        request_id: None,
        now: at,
    }
}

/// Proposes a one-article story and approves it for `agency`; returns the issue's id.
async fn approved_issue(
    store: &Store,
    key: &str,
    title: &str,
    agency: AgencyRef,
    at: OffsetDateTime,
) -> i64 {
    let doc = NewDocument::new(praden_core::DocumentParts {
        source_id: "news",
        kind: SourceKind::News,
        outlet: "มติชน",
        url: Some(&format!("https://news.test/{key}")),
        item_id: None,
        title,
        body: &format!("{title} ประชาชนเรียกร้องให้หน่วยงานรัฐชี้แจงโดยเร็ว"),
        published_at: Some(at - Duration::hours(2)),
        fetched_at: at,
    })
    .unwrap();
    let ids = store.insert_documents(&[doc]).await.unwrap().inserted;
    let proposal = Proposal {
        title: title.into(),
        summary: title.into(),
        score: 0.8,
        criteria: vec![CriterionRecord {
            criterion: Criterion::WidePublicImpact,
            score: 0.8,
            evidence: vec![],
        }],
        misleading: None,
        agencies: vec![AgencyProposal {
            agency: agency.clone(),
            score: 0.9,
            reasons: vec![],
        }],
        deadline_days: 1,
        deadline_rule: "default".into(),
        outlets: vec!["มติชน".into()],
        links: vec![],
        counts: KindCounts {
            news: 1,
            ..KindCounts::default()
        },
        articles: 1,
        first_seen: at - Duration::hours(2),
        last_seen: at,
        public_matter: None,
    };
    let candidate = store
        .upsert_proposal(&ids, &proposal, 2.0, at)
        .await
        .unwrap()
        .candidate_id;
    store
        .approve_candidate(
            candidate,
            1,
            &Approval {
                title: title.into(),
                agency,
                deadline_days: 2,
                source: "มติชนออนไลน์".into(),
            },
            &ctx(at),
        )
        .await
        .unwrap()
        .id
}

fn contact(agency: &str, name: &str, email: Option<&str>, line: Option<&str>) -> NewContact {
    NewContact {
        agency: agency.into(),
        name: name.into(),
        position: "ผู้อำนวยการ".into(),
        email: email.map(Into::into),
        line_id: line.map(Into::into),
    }
}

fn with_assignment(mut config: Config, receiver: &WebhookReceiver, sink: &SmtpSink) -> Config {
    config.detect.enabled = false;
    let a = &mut config.assignment;
    a.enabled = true;
    a.webhooks = vec![WebhookConfig {
        name: "iachat".into(),
        url: receiver.url("/v2/bot/message/push"),
        kind: WebhookKind::Line,
        to: Some("C-iachat-group".into()),
        token: Some(Secret::new(LINE_TOKEN)),
    }];
    a.mail = Some(MailConfig {
        host: "127.0.0.1".into(),
        port: sink.port(),
        tls: SmtpTls::None,
        from: "ศูนย์ประเด็น <issues@prd.test>".into(),
        credentials: None,
    });
    a.line = Some(LinePush {
        url: receiver.url("/v2/bot/message/push"),
        token: Secret::new(LINE_TOKEN),
    });
    a.public_url = "https://praden.prd.test".into();
    a.message.sender_name = "นายสมชาย ใจดี".into();
    a.message.on_behalf_name = "นายวิรัช ประเสริฐ".into();
    a.message.thai_digits = false;
    config.reminders.enabled = true;
    config
}

async fn the_1030_message_reaches_ia_chat_and_each_agency_by_mail_and_line(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let receiver = WebhookReceiver::start().await;
    let sink = SmtpSink::start().await;
    // The first e-mail is refused for now: it must be sent again after the backoff.
    sink.refuse_next(1);
    let config = with_assignment(env.config(), &receiver, &sink);

    let store = Store::connect(&env.database_url).await.unwrap();
    let morning = datetime!(2026-11-23 09:40 +7);
    let eggs = approved_issue(
        &store,
        "eggs",
        "ราคาไข่ไก่แพงทั่วประเทศ",
        agency("กรมการค้าภายใน", "กระทรวงพาณิชย์"),
        morning,
    )
    .await;
    let smog = approved_issue(
        &store,
        "smog",
        "ฝุ่น PM2.5 เกินมาตรฐานในกรุงเทพฯ",
        agency("กรมควบคุมมลพิษ", "กระทรวงทรัพยากรธรรมชาติและสิ่งแวดล้อม"),
        morning + Duration::minutes(5),
    )
    .await;
    store
        .save_agency_contacts(
            &[
                // The department: e-mail and LINE.
                contact(
                    "กรมการค้าภายใน",
                    "นางสาวพิมพ์ใจ รักงาน",
                    Some("Pimjai@DIT.test"),
                    Some("U-pimjai"),
                ),
                // Its ministry: e-mail only; it also gets its department's issue.
                contact("กระทรวงพาณิชย์", "นายมานะ ตั้งใจ", Some("mana@moc.test"), None),
                // PCD: LINE only.
                contact("กรมควบคุมมลพิษ", "นายสะอาด ฟ้าใส", None, Some("U-saard")),
                // No issue today: nothing is sent.
                contact(
                    "กรมประมง",
                    "นายปลา ทะเล",
                    Some("pla@fisheries.test"),
                    Some("U-pla"),
                ),
            ],
            &ctx(morning),
        )
        .await
        .unwrap();
    // praden first ran here at 08:00 today: yesterday's 10:30 was never missed.
    store
        .assignments()
        .schedule_origin(datetime!(2026-11-23 08:00 +7))
        .await
        .unwrap();

    let clock = ManualClock::new(datetime!(2026-11-23 10:00 +7));
    let app = RunningApp::start_with_clock(config.clone(), clock.clone()).await;
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    for day in ["2026-11-22", "2026-11-23"] {
        let (status, _) = app.get_json(&format!("/api/v1/assignments/{day}")).await;
        assert_eq!(status, 404, "nothing for {day} before 10:30");
    }

    clock.set(datetime!(2026-11-23 10:30 +7));
    let monday = app
        .wait_json("/api/v1/assignments/2026-11-23", |s, _| s == 200)
        .await;
    assert_eq!(monday["trigger"], "schedule");
    assert_eq!(monday["late"], false);
    let text = monday["text"].as_str().unwrap();
    assert_eq!(
        text,
        "ข้าพเจ้า นายสมชาย ใจดี ผู้อำนวยการสำนักข่าว\n\
         ขอส่งประเด็นในนาม นายวิรัช ประเสริฐ โฆษกประจำสำนักนายกรัฐมนตรี และอธิบดีกรมประชาสัมพันธ์\n\
         ประจำวันที่ 23 พ.ย. 2569 จำนวน 2 ประเด็น ดังนี้\n\
         1. ชื่อประเด็น ราคาไข่ไก่แพงทั่วประเทศ / หน่วยงานที่ต้องชี้แจง กรมการค้าภายใน / ภายใน 2 วัน / ที่มา มติชนออนไลน์ /\n\
         2. ชื่อประเด็น ฝุ่น PM2.5 เกินมาตรฐานในกรุงเทพฯ / หน่วยงานที่ต้องชี้แจง กรมควบคุมมลพิษ / ภายใน 2 วัน / ที่มา มติชนออนไลน์ /\n\
         จบการส่งประเด็น"
    );
    let targets: Vec<&str> = monday["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "iachat",
            "line:U-pimjai",
            "line:U-saard",
            "mail:mana@moc.test",
            "mail:pimjai@dit.test"
        ],
        "the group, and the contacts of agencies with issues today"
    );

    // The group gets the whole message; each LINE contact its agency's issue and link.
    let pushes = receiver.wait_for(3).await;
    let group: Vec<_> = pushes
        .iter()
        .filter(|p| p.body["to"] == "C-iachat-group")
        .collect();
    assert_eq!(group.len(), 1);
    assert_eq!(group[0].body["messages"][0]["text"], text);
    let to = |id: &str| {
        pushes
            .iter()
            .find(|p| p.body["to"] == id)
            .unwrap_or_else(|| panic!("nothing was pushed to {id}"))
            .body["messages"][0]["text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for p in &pushes {
        assert_eq!(
            p.headers["authorization"].to_str().unwrap(),
            format!("Bearer {LINE_TOKEN}")
        );
    }
    let pimjai = to("U-pimjai");
    assert!(pimjai.contains("จำนวน 1 ประเด็น"), "{pimjai}");
    assert!(pimjai.contains("ราคาไข่ไก่แพงทั่วประเทศ"), "{pimjai}");
    assert!(!pimjai.contains("PM2.5"), "{pimjai}");
    assert!(
        pimjai.contains(&format!("https://praden.prd.test/agency/issues/{eggs}")),
        "{pimjai}"
    );
    let saard = to("U-saard");
    assert!(
        saard.contains("PM2.5") && !saard.contains("ไข่ไก่"),
        "{saard}"
    );
    assert!(saard.contains(&format!("/agency/issues/{smog}")), "{saard}");

    // E-mail: the first attempt was refused (451), so one is pending with the error...
    let refused = app
        .wait_json("/api/v1/assignments/2026-11-23", |_, b| {
            b["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["status"] == "pending" && d["attempts"] == 1)
        })
        .await;
    let pending = refused["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["status"] == "pending")
        .unwrap()
        .clone();
    assert!(
        pending["last_error"].as_str().unwrap().contains("451"),
        "{pending}"
    );
    sink.wait_for(1).await;
    // ...and sent once its backoff has passed.
    clock.advance(Duration::seconds(30));
    let mails = sink.wait_for(2).await;
    assert_eq!(mails.len(), 2);
    let mail_to = |addr: &str| {
        mails
            .iter()
            .find(|m| m.to.iter().any(|t| t.contains(addr)))
            .unwrap_or_else(|| panic!("no mail to {addr}: {mails:?}"))
    };
    let dept = mail_to("pimjai@dit.test");
    assert_eq!(
        dept.subject(),
        "ประเด็นที่ต้องชี้แจง ประจำวันที่ 23 พ.ย. 2569 (1 ประเด็น) ถึง กรมการค้าภายใน"
    );
    assert!(
        dept.to_header().contains("นางสาวพิมพ์ใจ รักงาน"),
        "{}",
        dept.to_header()
    );
    assert!(dept.from.contains("issues@prd.test"), "{}", dept.from);
    let body = dept.text();
    assert!(
        body.contains("ราคาไข่ไก่แพงทั่วประเทศ") && !body.contains("PM2.5"),
        "{body}"
    );
    assert!(
        body.contains(&format!("https://praden.prd.test/agency/issues/{eggs}")),
        "{body}"
    );
    let ministry = mail_to("mana@moc.test");
    assert!(
        ministry.text().contains("ราคาไข่ไก่แพงทั่วประเทศ"),
        "the ministry gets its department's issue"
    );
    assert!(mails
        .iter()
        .all(|m| !m.to.iter().any(|t| t.contains("fisheries"))));

    let delivered = app
        .wait_json("/api/v1/assignments/2026-11-23", |_, b| {
            b["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["status"] == "delivered")
        })
        .await;
    assert_eq!(delivered["recipients"].as_object().unwrap().len(), 4);

    // The monitors' page shows the message, its issues and every delivery in Thai.
    let page = app
        .client()
        .get(format!("{}/assignments/2026-11-23", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for needle in [
        "ข้อความส่งประเด็น",
        "ราคาไข่ไก่แพงทั่วประเทศ",
        "mail:pimjai@dit.test",
        "ส่งแล้ว",
        "ตามกำหนด",
        &format!("<a href=\"/issues/{eggs}\">"),
    ] {
        assert!(html.contains(needle), "the page lacks {needle}");
    }
    let list = app
        .client()
        .get(format!("{}/assignments", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("href=\"/assignments/2026-11-23\""), "{list}");

    // A day without approved issues is recorded but sends nothing.
    clock.set(datetime!(2026-11-24 10:30 +7));
    let tuesday = app
        .wait_json("/api/v1/assignments/2026-11-24", |s, _| s == 200)
        .await;
    assert!(tuesday["text"].as_str().unwrap().contains("จำนวน 0 ประเด็น"));
    assert_eq!(tuesday["deliveries"].as_array().unwrap().len(), 0);

    // Reminders at 09:00: the issues are due on Wednesday 25th (approved Monday, 2 days).
    // Tuesday's round was sent when the clock passed 09:00 on the way to 10:30.
    let round = |day: time::Date| {
        let store = &store;
        async move {
            let deadline = tokio::time::Instant::now() + StdDuration::from_secs(20);
            loop {
                if let Some(p) = store.reminders().get(day, Some(1)).await.unwrap() {
                    let d = store.reminders().deliveries(p.id).await.unwrap();
                    if d.iter().all(|d| d.status == DeliveryStatus::Delivered) {
                        return (
                            serde_json::from_str::<serde_json::Value>(&p.content).unwrap(),
                            d,
                        );
                    }
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "no reminders for {day}"
                );
                tokio::time::sleep(StdDuration::from_millis(25)).await;
            }
        }
    };
    let (tuesday, sent) = round(date!(2026 - 11 - 24)).await;
    assert_eq!(tuesday["issues"].as_array().unwrap().len(), 2);
    assert_eq!(
        sent.len(),
        4,
        "every contact of an agency with an open issue"
    );
    let mail = &tuesday["recipients"]["mail:pimjai@dit.test"];
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("ราคาไข่ไก่แพงทั่วประเทศ") && !text.contains("PM2.5"),
        "{text}"
    );
    assert!(text.contains("(ครบกำหนดพรุ่งนี้)"), "{text}");
    assert!(text.contains(&format!("/agency/issues/{eggs}")), "{text}");
    let mails = sink.wait_for(4).await;
    assert!(mails[2..].iter().all(|m| m
        .subject()
        .starts_with("แจ้งเตือนประเด็นที่ต้องชี้แจง 24 พ.ย. 2569")));
    clock.set(datetime!(2026-11-25 09:00 +7));
    let (wednesday, _) = round(date!(2026 - 11 - 25)).await;
    let saard = wednesday["recipients"]["line:U-saard"]["text"]
        .as_str()
        .unwrap();
    assert!(saard.contains("(ครบกำหนดวันนี้)"), "{saard}");
    clock.set(datetime!(2026-11-26 09:00 +7));
    let (thursday, _) = round(date!(2026 - 11 - 26)).await;
    let overdue = thursday["recipients"]["mail:mana@moc.test"]["text"]
        .as_str()
        .unwrap();
    assert!(overdue.contains("เลยกำหนดชี้แจงแล้ว 1 ประเด็น"), "{overdue}");
    assert!(overdue.contains("(เลยกำหนดมา 1 วัน)"), "{overdue}");
    assert_eq!(sink.wait_for(8).await.len(), 8);

    // The monitors' list of what is late (as of the real clock, after all these days):
    // both issues unacknowledged and unreported; once DIT acknowledges, only unreported.
    let (status, late) = app.get_json("/api/v1/issues/overdue").await;
    assert_eq!(status, 200, "{late}");
    let kinds = |body: &serde_json::Value, id: i64| -> Vec<String> {
        body["issues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .map(|i| {
                i["late"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["kind"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(kinds(&late, eggs), ["not_acknowledged", "not_reported"]);
    assert_eq!(kinds(&late, smog), ["not_acknowledged", "not_reported"]);
    store
        .respond_to_issue(
            eggs,
            &IssueResponse {
                kind: ResponseKind::Acknowledged,
                agency: "กรมการค้าภายใน".into(),
                person: "นางสาวพิมพ์ใจ รักงาน".into(),
                position: "ผู้อำนวยการกองส่งเสริมการค้า".into(),
                reason: None,
                at: datetime!(2026-11-23 11:00 +7),
                by: "dit".into(),
            },
            &ctx(datetime!(2026-11-23 11:00 +7)),
        )
        .await
        .unwrap();
    let (_, late) = app.get_json("/api/v1/issues/overdue").await;
    assert_eq!(kinds(&late, eggs), ["not_reported"]);
    let html = app
        .client()
        .get(format!("{}/overdue", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("ยังไม่ตอบรับ") && html.contains("ยังไม่รายงานผลการชี้แจง"),
        "{html}"
    );

    // DIT reports on Wednesday, on two channels, and sends a link as evidence; a monitor
    // assesses it: praden measured in time, 2 channels, evidence on time; the monitor says
    // "partly", with a note. The feed and the overdue list follow.
    let wednesday_noon = datetime!(2026-11-25 12:00 +7);
    let report = store
        .add_report(
            eggs,
            "กรมการค้าภายใน",
            &NewReport {
                reporter: "นางสาวพิมพ์ใจ รักงาน".into(),
                clarified_at: datetime!(2026-11-25 10:00 +7),
                speaker: "อธิบดีกรมการค้าภายใน".into(),
                content: "ราคาไข่ไก่ปรับขึ้นตามต้นทุนอาหารสัตว์ กรมฯ ตรึงราคาหน้าฟาร์ม".into(),
                channels: vec![
                    ChannelEntry {
                        channel: Channel::PressConference,
                        link: None,
                    },
                    ChannelEntry {
                        channel: Channel::Website,
                        link: Some("https://www.dit.go.th/news/1".into()),
                    },
                ],
            },
            &ctx(wednesday_noon),
        )
        .await
        .unwrap();
    store
        .add_evidence(
            &NewEvidence {
                issue_id: eggs,
                report_id: Some(report.id),
                kind: EvidenceKind::Link,
                file_name: None,
                media_type: None,
                size: 0,
                sha256: None,
                link: Some("https://www.dit.go.th/news/1".into()),
            },
            1 << 20,
            &ctx(wednesday_noon + Duration::hours(1)),
        )
        .await
        .unwrap();
    let (_, late) = app.get_json("/api/v1/issues/overdue").await;
    assert_eq!(kinds(&late, eggs), ["not_assessed"], "{late}");
    let assessed = app
        .client()
        .post(format!(
            "{}/api/v1/issues/{eggs}/reports/{}/assessment",
            app.base, report.id
        ))
        .json(&serde_json::json!({"completeness": "partly"}))
        .send()
        .await
        .unwrap();
    assert_eq!(assessed.status(), 400, "partly needs a note");
    let assessed: serde_json::Value = app
        .client()
        .post(format!(
            "{}/api/v1/issues/{eggs}/reports/{}/assessment",
            app.base, report.id
        ))
        .json(&serde_json::json!({
            "completeness": "partly",
            "note": "ไม่ได้ตอบเรื่องราคาขายปลีก",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        assessed["in_time"], true,
        "clarified on its due day, the 25th"
    );
    assert_eq!(assessed["channels"], 2);
    assert_eq!(assessed["evidence_on_time"], true);
    assert_eq!(assessed["completeness"], "partly");
    let (_, late) = app.get_json("/api/v1/issues/overdue").await;
    assert!(kinds(&late, eggs).is_empty(), "{late}");
    let (_, feed) = app.get_json("/api/v1/issues/approved?limit=100").await;
    let steps: Vec<&str> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["issue"]["id"] == eggs)
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["approved", "acknowledged", "reported", "assessed"]);
    let page = app
        .client()
        .get(format!("{}/issues/{eggs}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "ขั้นตอนของประเด็น",
        "ส่งให้หน่วยงาน (IA)",
        "นางสาวพิมพ์ใจ รักงาน",
        "ตอบบางส่วน",
        "ไม่ได้ตอบเรื่องราคาขายปลีก",
        "ทันกำหนด: ใช่ · ช่องทาง: 2",
    ] {
        assert!(page.contains(needle), "the issue page lacks {needle}");
    }

    // The KPI of the quarter (FY 2570 Q1, as of the real clock, past both due days): DIT
    // clarified in time, on two channels with evidence on time, judged only partly complete;
    // PCD never clarified.
    let (status, kpi) = app.get_json("/api/v1/kpi?period=2570Q1&by=agency").await;
    assert_eq!(status, 200, "{kpi}");
    assert_eq!(
        kpi["label_th"],
        "ไตรมาส 1 ปีงบประมาณ 2570 (1 ต.ค. 2569 – 31 ธ.ค. 2569)"
    );
    let row = |name: &str| {
        kpi["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no row {name}: {kpi}"))
            .clone()
    };
    let dit = row("กรมการค้าภายใน");
    assert_eq!(
        (
            &dit["in_time"],
            &dit["multi_channel"],
            &dit["complete"],
            &dit["evidence_on_time"]
        ),
        (
            &serde_json::json!(1),
            &serde_json::json!(1),
            &serde_json::json!(0),
            &serde_json::json!(1)
        )
    );
    assert_eq!(row("กรมควบคุมมลพิษ")["not_clarified"], 1);
    assert_eq!(kpi["total"]["percent_in_time"], 50.0);
    let (_, by_ministry) = app.get_json("/api/v1/kpi?period=2570Q1").await;
    assert_eq!(by_ministry["by"], "ministry");
    assert_eq!(
        by_ministry["rows"][0]["name"],
        "กระทรวงทรัพยากรธรรมชาติและสิ่งแวดล้อม"
    );
    let (status, bad) = app.get_json("/api/v1/kpi?period=2026Q1").await;
    assert_eq!(status, 400, "{bad}");

    // A restart (or a second process on this database) publishes no second message.
    let before = receiver.received().len();
    app.stop().await;
    let again = RunningApp::start_with_clock(config.clone(), clock.clone()).await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    for day in ["2026-11-23", "2026-11-24", "2026-11-25"] {
        let (_, same) = again.get_json(&format!("/api/v1/assignments/{day}")).await;
        assert_eq!(same["revisions"].as_array().unwrap().len(), 1, "{day}");
    }
    assert_eq!(receiver.received().len(), before, "nothing is sent twice");
    assert_eq!(sink.mails().len(), 8, "no mail twice");
    again.stop().await;
    store.close().await;
}

async fn a_reassigned_issue_goes_to_its_new_agency_in_the_next_message(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let receiver = WebhookReceiver::start().await;
    let sink = SmtpSink::start().await;
    let mut config = with_assignment(env.config(), &receiver, &sink);
    config.reminders.enabled = false;
    let store = Store::connect(&env.database_url).await.unwrap();
    let monday = datetime!(2026-11-23 09:40 +7);
    let smog = approved_issue(
        &store,
        "smog",
        "ฝุ่น PM2.5 เกินมาตรฐานในกรุงเทพฯ",
        agency("กรมควบคุมมลพิษ", "กระทรวงทรัพยากรธรรมชาติและสิ่งแวดล้อม"),
        monday,
    )
    .await;
    store
        .save_agency_contacts(
            &[
                contact(
                    "กรมควบคุมมลพิษ",
                    "นายสะอาด ฟ้าใส",
                    Some("saard@pcd.test"),
                    None,
                ),
                contact(
                    "กรมอนามัย",
                    "แพทย์หญิงใจดี สุขภาพ",
                    Some("jaidee@anamai.test"),
                    None,
                ),
            ],
            &ctx(monday),
        )
        .await
        .unwrap();
    store
        .assignments()
        .schedule_origin(datetime!(2026-11-23 08:00 +7))
        .await
        .unwrap();
    let clock = ManualClock::new(datetime!(2026-11-23 10:30 +7));
    let app = RunningApp::start_with_clock(config, clock.clone()).await;
    sink.wait_for(1).await;
    assert!(sink.mails()[0]
        .to
        .iter()
        .any(|t| t.contains("saard@pcd.test")));

    // PCD answers "not ours"; a monitor gives the issue to the Department of Health.
    let declined_at = datetime!(2026-11-23 11:00 +7);
    store
        .respond_to_issue(
            smog,
            &IssueResponse {
                kind: ResponseKind::Declined,
                agency: "กรมควบคุมมลพิษ".into(),
                person: "นายสะอาด ฟ้าใส".into(),
                position: "ผู้อำนวยการ".into(),
                reason: Some("ผลกระทบต่อสุขภาพเป็นเรื่องของกรมอนามัย".into()),
                at: declined_at,
                by: "pcd".into(),
            },
            &ctx(declined_at),
        )
        .await
        .unwrap();
    let issue = store.issue(smog).await.unwrap().unwrap();
    store
        .edit_issue(
            smog,
            issue.version,
            &Approval {
                title: issue.title.clone(),
                agency: agency("กรมอนามัย", "กระทรวงสาธารณสุข"),
                deadline_days: 2,
                source: issue.source.clone(),
            },
            &ctx(declined_at + Duration::minutes(30)),
        )
        .await
        .unwrap();

    // The next 10:30 sends it to its new agency, and to no one else.
    clock.set(datetime!(2026-11-24 10:30 +7));
    let tuesday = app
        .wait_json("/api/v1/assignments/2026-11-24", |s, _| s == 200)
        .await;
    let issues = tuesday["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 1, "{tuesday}");
    assert_eq!(issues[0]["issue_id"], smog);
    assert_eq!(issues[0]["agency"], "กรมอนามัย");
    let mails = sink.wait_for(2).await;
    assert!(mails[1].to.iter().any(|t| t.contains("jaidee@anamai.test")));
    assert!(mails[1].text().contains(&format!("/agency/issues/{smog}")));
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    assert_eq!(sink.mails().len(), 2, "PCD is not sent it again");
    app.stop().await;
    store.close().await;
}
