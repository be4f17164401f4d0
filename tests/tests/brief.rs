//! The 09:30 brief end to end, on SQLite and PostgreSQL, with a hand-moved clock (nothing
//! sleeps until 09:30): the missed slot produced late at start, the next slot on time,
//! delivery to a LINE-style webhook that fails twice before it accepts, the page and the
//! API, regeneration keeping the first revision, the assignment message, and two processes
//! on one database publishing and sending each brief once; a fresh install publishing nothing
//! before its first slot.

use praden::config::{Config, Secret, WebhookConfig, WebhookKind};
use praden_core::review::{
    AgencyProposal, AgencyRef, Criterion, CriterionRecord, KindCounts, Proposal,
};
use praden_core::{NewDocument, Role, SourceKind};
use praden_jobs::brief_schedule::on_demand;
use praden_jobs::schedule::ManualClock;
use praden_store::{Approval, DecisionContext, Store};
use praden_tests::{
    client_with_token, on_both_databases, Db, RunningApp, TestEnv, WebhookReceiver,
};
use std::sync::Arc;
use std::time::Duration as StdDuration;
use time::format_description::well_known::Rfc3339;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

on_both_databases!(
    a_missed_slot_is_published_late_the_next_on_time_and_both_are_delivered_with_retries,
    two_processes_on_one_database_publish_each_brief_once_and_send_it_once,
    the_command_line_publishes_a_missed_day_late_then_adds_revisions,
    a_fresh_install_publishes_nothing_before_its_first_slot,
);

const LINE_TOKEN: &str = "test-channel-access-token";

fn with_brief(mut config: Config, receiver: &WebhookReceiver) -> Config {
    // The detector would re-cluster the seeded documents; this test writes the queue itself.
    config.detect.enabled = false;
    config.brief.enabled = true;
    config.brief.top_candidates = 5;
    config.brief.webhooks = vec![WebhookConfig {
        name: "idchat".into(),
        url: receiver.url("/v2/bot/message/push"),
        kind: WebhookKind::Line,
        to: Some("C-idchat-group".into()),
        token: Some(Secret::new(LINE_TOKEN)),
    }];
    config.brief.delivery_backoff = Duration::seconds(30);
    config.assignment.message.sender_name = "นายสมชาย ใจดี".into();
    config.assignment.message.on_behalf_name = "นายวิรัช ประเสริฐ".into();
    config
}

fn agency() -> AgencyRef {
    AgencyRef {
        name_th: "กระทรวงพาณิชย์".into(),
        abbr: "พณ.".into(),
        ministry_abbr: "พณ.".into(),
        ministry_th: "กระทรวงพาณิชย์".into(),
        name_en: String::new(),
    }
}

/// A story of `n` articles from several outlets, proposed to the queue; returns the
/// candidate's id.
async fn propose(store: &Store, key: &str, title: &str, score: f64, at: OffsetDateTime) -> i64 {
    let outlets = ["มติชน", "ไทยรัฐ", "ข่าวสด"];
    let docs: Vec<NewDocument> = outlets
        .iter()
        .enumerate()
        .map(|(i, outlet)| {
            NewDocument::new(praden_core::DocumentParts { source_id: "news", kind: SourceKind::News, outlet, url: Some(&format!("https://news{i}.test/{key}")), item_id: None, title: &format!("{title} ({outlet})"), body: &format!(
                    "{title} รายงานข่าวจาก{outlet}ระบุว่าประชาชนจำนวนมากได้รับผลกระทบและเรียกร้องให้หน่วยงานรัฐชี้แจงโดยเร็ว \
                     เจ้าหน้าที่เตรียมลงพื้นที่ตรวจสอบข้อเท็จจริงภายในสัปดาห์นี้"
                ), published_at: Some(at - Duration::hours(3)), fetched_at: at })
            .unwrap()
        })
        .collect();
    let ids = store.insert_documents(&docs).await.unwrap().inserted;
    let proposal = Proposal {
        title: title.into(),
        summary: format!(
            "{title} ประชาชนในหลายจังหวัดร้องเรียนผ่านสื่อสังคมออนไลน์และสื่อมวลชนต่อเนื่องตลอดสัปดาห์"
        ),
        score,
        criteria: vec![CriterionRecord {
            criterion: Criterion::WidePublicImpact,
            score: 0.8,
            evidence: vec![],
        }],
        misleading: None,
        agencies: vec![AgencyProposal {
            agency: agency(),
            score: 0.9,
            reasons: vec![],
        }],
        deadline_days: 1,
        deadline_rule: "default".into(),
        outlets: outlets.iter().map(|o| o.to_string()).collect(),
        links: vec![],
        counts: KindCounts {
            news: 3,
            ..KindCounts::default()
        },
        articles: 3,
        first_seen: at - Duration::hours(3),
        last_seen: at,
        public_matter: None,
    };
    store
        .upsert_proposal(&ids, &proposal, 2.0, at)
        .await
        .unwrap()
        .candidate_id
}

async fn approve(store: &Store, candidate: i64, title: &str, at: OffsetDateTime) {
    store
        .approve_candidate(
            candidate,
            1,
            &Approval {
                title: title.into(),
                agency: agency(),
                deadline_days: 2,
                source: "มติชนออนไลน์".into(),
            },
            &DecisionContext {
                actor: "somchai".into(),
                request_id: None,
                now: at,
            },
        )
        .await
        .unwrap();
}

fn delivery(body: &serde_json::Value) -> &serde_json::Value {
    &body["deliveries"][0]
}

fn time_of(v: &serde_json::Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap()
}

async fn a_missed_slot_is_published_late_the_next_on_time_and_both_are_delivered_with_retries(
    db: Db,
) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let receiver = WebhookReceiver::start().await;
    receiver.answer_next(&[500, 503]);
    let config = with_brief(env.config(), &receiver);

    // The queue as the server finds it at 10:15 on Monday 23 November 2026 (Bangkok), having
    // been down at 09:30: an issue approved on Sunday evening, two stories pending.
    let store = Store::connect(&env.database_url).await.unwrap();
    let sunday_evening = datetime!(2026-11-22 20:00 +7);
    let eggs = propose(&store, "eggs", "ราคาไข่ไก่แพง", 0.8, sunday_evening).await;
    approve(&store, eggs, "ราคาไข่ไก่แพงทั่วประเทศ", sunday_evening).await;
    propose(&store, "flood", "น้ำท่วมเชียงราย", 0.7, sunday_evening).await;
    let pm25 = propose(&store, "pm25", "ฝุ่น PM2.5 เกินมาตรฐาน", 0.5, sunday_evening).await;
    // praden has run on this database since last Friday (its first start is recorded).
    store
        .briefs()
        .schedule_origin(datetime!(2026-11-20 14:00 +7))
        .await
        .unwrap();

    let clock = ManualClock::new(datetime!(2026-11-23 10:15 +7));
    let app = RunningApp::start_with_clock(config.clone(), clock.clone()).await;

    // The missed slot is published at start, late.
    let monday = app
        .wait_json("/api/v1/briefs/2026-11-23", |s, _| s == 200)
        .await;
    assert_eq!(monday["revision"], 1);
    assert_eq!(monday["late"], true);
    assert_eq!(monday["trigger"], "catch_up");
    assert_eq!(
        time_of(&monday["scheduled_for"]),
        datetime!(2026-11-23 09:30 +7)
    );
    let brief = &monday["brief"];
    assert_eq!(brief["counts"]["approved"], 1);
    assert_eq!(brief["counts"]["pending_total"], 2);
    assert_eq!(brief["approved"][0]["title"], "ราคาไข่ไก่แพงทั่วประเทศ");
    assert_eq!(brief["approved"][0]["due_date"], "2026-11-24");
    assert_eq!(brief["approved"][0]["figures"]["outlets"], 3);
    assert_eq!(brief["pending"][0]["title"], "น้ำท่วมเชียงราย");
    assert_eq!(brief["pending"][1]["candidate_id"], pm25);
    let text = monday["messages"][0].as_str().unwrap();
    assert!(
        text.contains("วันจันทร์ที่ 23 พฤศจิกายน 2569 เวลา 09:30 น."),
        "{text}"
    );
    assert!(text.contains("ส่งล่าช้า"), "{text}");

    // Delivery: LINE's push format with the bearer token; 500, then 503, then accepted.
    let first = receiver.wait_for(1).await;
    let push = &first[0];
    assert_eq!(push.path, "v2/bot/message/push");
    assert_eq!(
        push.headers["authorization"].to_str().unwrap(),
        format!("Bearer {LINE_TOKEN}")
    );
    assert_eq!(push.body["to"], "C-idchat-group");
    assert_eq!(push.body["messages"][0]["type"], "text");
    assert_eq!(push.body["messages"][0]["text"], monday["messages"][0]);
    let retry_key = push.headers["x-line-retry-key"].clone();

    let mut expected_attempts = 1;
    for expected_error in ["HTTP 500", "HTTP 503"] {
        let pending = app
            .wait_json("/api/v1/briefs/2026-11-23", |_, b| {
                delivery(b)["status"] == "pending" && delivery(b)["attempts"] == expected_attempts
            })
            .await;
        let d = delivery(&pending);
        assert!(
            d["last_error"]
                .as_str()
                .unwrap()
                .starts_with(expected_error),
            "{d}"
        );
        // Nothing is sent again before the backoff has passed...
        let due = time_of(&d["next_attempt_at"]);
        assert_eq!(
            due - clock_now(&clock),
            Duration::seconds(30 * expected_attempts),
            "the wait doubles"
        );
        clock.set(due - Duration::seconds(1));
        tokio::time::sleep(StdDuration::from_millis(200)).await;
        assert_eq!(receiver.received().len() as i64, expected_attempts);
        // ...and is once it has.
        clock.set(due);
        expected_attempts += 1;
        receiver.wait_for(expected_attempts as usize).await;
    }
    let delivered = app
        .wait_json("/api/v1/briefs/2026-11-23", |_, b| {
            delivery(b)["status"] == "delivered"
        })
        .await;
    assert_eq!(delivery(&delivered)["attempts"], 3);
    let pushes = receiver.received();
    assert_eq!(pushes.len(), 3);
    assert!(
        pushes
            .iter()
            .all(|p| p.headers["x-line-retry-key"] == retry_key),
        "a retried request keeps its retry key"
    );

    // The page shows the brief and its delivery, in Thai.
    let page = app
        .client()
        .get(format!("{}/briefs/2026-11-23", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for needle in [
        "ราคาไข่ไก่แพงทั่วประเทศ",
        "ส่งล่าช้า",
        "idchat",
        "ส่งแล้ว",
        "จัดทำย้อนหลัง",
    ] {
        assert!(html.contains(needle), "the page lacks {needle}");
    }
    // Each item opens where a monitor acts on it: the issue, or the candidate in the queue.
    let issue = brief["approved"][0]["issue_id"].as_i64().unwrap();
    assert!(
        html.contains(&format!(
            "<a href=\"/issues/{issue}\">ราคาไข่ไก่แพงทั่วประเทศ</a>"
        )),
        "{html}"
    );
    assert!(
        html.contains(&format!("<a href=\"/candidates/{pm25}\">")),
        "{html}"
    );

    // Monday noon: another approval. Tuesday 09:30: the scheduled brief, on time, with only
    // what was approved since Monday's brief.
    clock.set(datetime!(2026-11-23 12:00 +7));
    let flood = store
        .candidates(&Default::default(), datetime!(2026-11-23 12:00 +7))
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.proposal.title == "น้ำท่วมเชียงราย")
        .unwrap();
    approve(
        &store,
        flood.id,
        "น้ำท่วมเชียงราย ประชาชนต้องอพยพ",
        datetime!(2026-11-23 12:00 +7),
    )
    .await;
    clock.set(datetime!(2026-11-24 09:30 +7));
    let tuesday = app
        .wait_json("/api/v1/briefs/2026-11-24", |s, _| s == 200)
        .await;
    assert_eq!(tuesday["late"], false);
    assert_eq!(tuesday["trigger"], "schedule");
    assert_eq!(tuesday["brief"]["counts"]["approved"], 1);
    assert_eq!(
        tuesday["brief"]["approved"][0]["title"],
        "น้ำท่วมเชียงราย ประชาชนต้องอพยพ"
    );
    assert_eq!(
        time_of(&tuesday["brief"]["covers_from"]),
        time_of(&monday["generated_at"])
    );
    let pushes = receiver.wait_for(4).await;
    assert!(pushes[3].body["messages"][0]["text"]
        .as_str()
        .unwrap()
        .contains("วันอังคารที่ 24 พฤศจิกายน 2569"));
    app.wait_json("/api/v1/briefs/2026-11-24", |_, b| {
        delivery(b)["status"] == "delivered" && delivery(b)["attempts"] == 1
    })
    .await;

    // Regenerating Monday's brief adds revision 2 and keeps the first as it was.
    let (_, stored) = on_demand(
        &store,
        &config.brief,
        clock.as_ref(),
        date!(2026 - 11 - 23),
        false,
    )
    .await
    .unwrap();
    assert_eq!(stored.unwrap().revision, 2);
    let latest = app
        .wait_json("/api/v1/briefs/2026-11-23", |s, _| s == 200)
        .await;
    assert_eq!(latest["revision"], 2);
    assert_eq!(latest["trigger"], "manual");
    assert_eq!(latest["revisions"].as_array().unwrap().len(), 2);
    let (_, kept) = app.get_json("/api/v1/briefs/2026-11-23?revision=1").await;
    assert_eq!(kept["brief"], monday["brief"]);
    assert_eq!(kept["messages"], monday["messages"]);
    // A slot whose time has not come cannot be published early.
    let early = on_demand(
        &store,
        &config.brief,
        clock.as_ref(),
        date!(2026 - 11 - 25),
        false,
    )
    .await
    .unwrap_err();
    assert!(early.to_string().contains("--dry-run"), "{early}");
    let (status, _) = app.get_json("/api/v1/briefs/2026-11-25").await;
    assert_eq!(status, 404);

    // The assignment message of Monday lists Monday's approval only (Sunday's was Sunday's).
    let consumer = client_with_token(&app.create_token("assign", Role::Consumer).await);
    let response = consumer
        .get(format!(
            "{}/api/v1/assignments/2569-11-23/message",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let message = response.text().await.unwrap();
    assert_eq!(
        message,
        "ข้าพเจ้า นายสมชาย ใจดี ผู้อำนวยการสำนักข่าว\n\
         ขอส่งประเด็นในนาม นายวิรัช ประเสริฐ โฆษกประจำสำนักนายกรัฐมนตรี และอธิบดีกรมประชาสัมพันธ์\n\
         ประจำวันที่ ๒๓ พฤศจิกายน ๒๕๖๙ จำนวน ๑ ประเด็น ดังนี้\n\
         ๑. ชื่อประเด็น น้ำท่วมเชียงราย ประชาชนต้องอพยพ / หน่วยงานที่ต้องชี้แจง กระทรวงพาณิชย์ / ภายใน ๒ วัน / ที่มา มติชนออนไลน์ /\n\
         จบการส่งประเด็น"
    );
    let json: serde_json::Value = consumer
        .get(format!(
            "{}/api/v1/assignments/2026-11-22/message",
            app.base
        ))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["count"], 1);
    assert_eq!(json["issues"][0]["title"], "ราคาไข่ไก่แพงทั่วประเทศ");
    // Briefs are for monitors and editors; the assignment system may not read them.
    let (editor, consumer_brief) = (
        client_with_token(&app.editor_token)
            .get(format!("{}/api/v1/briefs/2026-11-23", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        consumer
            .get(format!("{}/api/v1/briefs/2026-11-23", app.base))
            .send()
            .await
            .unwrap()
            .status(),
    );
    assert_eq!((editor.as_u16(), consumer_brief.as_u16()), (200, 403));

    store.close().await;
    app.stop().await;
}

fn clock_now(clock: &Arc<ManualClock>) -> OffsetDateTime {
    use praden_jobs::schedule::Clock;
    clock.now()
}

async fn two_processes_on_one_database_publish_each_brief_once_and_send_it_once(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let receiver = WebhookReceiver::start().await;
    let store = Store::connect(&env.database_url).await.unwrap();
    let at = datetime!(2026-11-22 20:00 +7);
    let eggs = propose(&store, "eggs", "ราคาไข่ไก่แพง", 0.8, at).await;
    approve(&store, eggs, "ราคาไข่ไก่แพงทั่วประเทศ", at).await;
    // praden has run on this database since last Friday (its first start is recorded).
    store
        .briefs()
        .schedule_origin(datetime!(2026-11-20 14:00 +7))
        .await
        .unwrap();

    // Two servers on one database (each with its own index directory), on one clock: at
    // 09:00 both find Sunday's 09:30 brief missing and race to catch it up.
    let clock = ManualClock::new(datetime!(2026-11-23 09:00 +7));
    let first = with_brief(env.config(), &receiver);
    let second_dir = tempfile::tempdir().unwrap();
    let mut second = first.clone();
    second.data_dir = second_dir.path().to_path_buf();
    let (a, b) = tokio::join!(
        RunningApp::start_with_clock(first, clock.clone()),
        RunningApp::start_with_clock(second, clock.clone()),
    );
    let sunday = a
        .wait_json("/api/v1/briefs/2026-11-22", |_, b| {
            delivery(b)["status"] == "delivered"
        })
        .await;
    assert_eq!(sunday["revisions"].as_array().unwrap().len(), 1);

    // Monday 09:30: both schedulers fire.
    clock.set(datetime!(2026-11-23 09:30 +7));
    let monday = b
        .wait_json("/api/v1/briefs/2026-11-23", |s, b| {
            s == 200 && delivery(b)["status"] == "delivered"
        })
        .await;
    assert_eq!(monday["revisions"].as_array().unwrap().len(), 1);
    assert_eq!(monday["late"], false);
    let (_, seen_by_a) = a.get_json("/api/v1/briefs/2026-11-23").await;
    assert_eq!(seen_by_a["generated_at"], monday["generated_at"]);

    // Later retries or re-checks send nothing again.
    clock.set(datetime!(2026-11-23 11:00 +7));
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    let pushes = receiver.received();
    assert_eq!(pushes.len(), 2, "one push per brief: {pushes:#?}");
    let days: Vec<&str> = pushes
        .iter()
        .map(|p| p.body["messages"][0]["text"].as_str().unwrap())
        .collect();
    assert!(days[0].contains("22 พฤศจิกายน 2569") && days[1].contains("23 พฤศจิกายน 2569"));

    store.close().await;
    a.stop().await;
    b.stop().await;
}

async fn a_fresh_install_publishes_nothing_before_its_first_slot(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let receiver = WebhookReceiver::start().await;
    let store = Store::connect(&env.database_url).await.unwrap();
    // Approved on Monday afternoon: Tuesday's brief covers it.
    let at = datetime!(2026-11-23 14:00 +7);
    let eggs = propose(&store, "eggs", "ราคาไข่ไก่แพง", 0.8, at).await;
    approve(&store, eggs, "ราคาไข่ไก่แพงทั่วประเทศ", at).await;

    // The first start ever on this database, at 10:15 on Monday: Monday's 09:30 was never
    // missed, since no praden ran then.
    let clock = ManualClock::new(datetime!(2026-11-23 10:15 +7));
    let app =
        RunningApp::start_with_clock(with_brief(env.config(), &receiver), clock.clone()).await;

    // Once the scheduler has recorded its first start (and decided on the catch-up by it),
    // the first slot comes: published on time, and nothing before it.
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(20);
    while store
        .briefs()
        .schedule_first_start()
        .await
        .unwrap()
        .is_none()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the scheduler never started"
        );
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    assert_eq!(
        store.briefs().schedule_first_start().await.unwrap(),
        Some(datetime!(2026-11-23 10:15 +7))
    );
    clock.set(datetime!(2026-11-24 09:30 +7));
    let tuesday = app
        .wait_json("/api/v1/briefs/2026-11-24", |s, b| {
            s == 200 && delivery(b)["status"] == "delivered"
        })
        .await;
    assert_eq!(tuesday["trigger"], "schedule");
    assert_eq!(tuesday["late"], false);
    assert_eq!(tuesday["brief"]["counts"]["approved"], 1);
    let (status, monday) = app.get_json("/api/v1/briefs/2026-11-23").await;
    assert_eq!(
        status, 404,
        "no brief for the day of the first start: {monday}"
    );
    let pushes = receiver.received();
    assert_eq!(
        pushes.len(),
        1,
        "only the first slot's brief was sent: {pushes:#?}"
    );
    assert!(pushes[0].body["messages"][0]["text"]
        .as_str()
        .unwrap()
        .contains("24 พฤศจิกายน 2569"));

    // Restarted after Wednesday's 09:30, having run before: the missed slot is caught up.
    app.stop().await;
    clock.set(datetime!(2026-11-25 11:00 +7));
    let app =
        RunningApp::start_with_clock(with_brief(env.config(), &receiver), clock.clone()).await;
    let wednesday = app
        .wait_json("/api/v1/briefs/2026-11-25", |s, _| s == 200)
        .await;
    assert_eq!(wednesday["trigger"], "catch_up");
    assert_eq!(wednesday["late"], true);

    store.close().await;
    app.stop().await;
}

async fn the_command_line_publishes_a_missed_day_late_then_adds_revisions(db: Db) {
    use clap::Parser;
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let store = Store::connect(&env.database_url).await.unwrap();
    let at = datetime!(2026-11-19 20:00 +7);
    let eggs = propose(&store, "eggs", "ราคาไข่ไก่แพง", 0.8, at).await;
    approve(&store, eggs, "ราคาไข่ไก่แพงทั่วประเทศ", at).await;
    let config = env.dir.path().join("praden.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\ndatabase_url = {:?}\n[assignment]\nthai_digits = false\n",
            env.dir.path().display().to_string(),
            env.database_url
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut argv = vec!["praden", "--config", config.to_str().unwrap()];
        argv.extend_from_slice(args);
        praden::cli::run(praden::cli::Cli::parse_from(argv))
    };
    // 20 November 2026 is long past: nobody published its brief, so this one is late.
    run(&["brief", "--date", "2569-11-20", "--format", "line"])
        .await
        .unwrap();
    let first = store
        .briefs()
        .get(date!(2026 - 11 - 20), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.revision, first.late), (1, true));
    assert_eq!(first.trigger, praden_store::PublicationTrigger::Manual);
    assert!(first.content.contains("ราคาไข่ไก่แพงทั่วประเทศ"));
    // A preview stores nothing; a second run adds a revision and keeps the first.
    run(&["brief", "--date", "2026-11-20", "--dry-run"])
        .await
        .unwrap();
    run(&[
        "brief",
        "--date",
        "2026-11-20",
        "--format",
        "json",
        "--no-deliver",
    ])
    .await
    .unwrap();
    let revisions = store
        .briefs()
        .revisions(date!(2026 - 11 - 20))
        .await
        .unwrap();
    assert_eq!(revisions.len(), 2);
    assert_eq!(
        store
            .briefs()
            .get(date!(2026 - 11 - 20), Some(1))
            .await
            .unwrap()
            .unwrap(),
        first
    );
    // A day far in the future cannot be published yet; a bad date names itself.
    let early = run(&["brief", "--date", "2100-01-01"]).await.unwrap_err();
    assert!(format!("{early:#}").contains("--dry-run"), "{early:#}");
    let bad = run(&["assignment-message", "--date", "2026-02-30"])
        .await
        .unwrap_err();
    assert!(format!("{bad:#}").contains("2026-02-30"), "{bad:#}");
    run(&["assignment-message", "--date", "2026-11-19", "--json"])
        .await
        .unwrap();
    store.close().await;
}
