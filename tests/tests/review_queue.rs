//! The review queue end to end over HTTP, on SQLite and PostgreSQL: real Thai coverage goes
//! into the store, the detector proposes a candidate, monitors decide, and the assignment
//! system follows the approved-issues feed without missing or repeating anything.

use praden_core::review::{AgencyRef, KindCounts, Proposal};
use praden_core::{NewDocument, Role, SourceKind};
use praden_tests::{client_with_token, on_both_databases, Db, RunningApp, TestEnv};
use serde_json::{json, Value};
use std::io::BufRead;
use std::time::Duration;
use time::OffsetDateTime;

on_both_databases!(
    coverage_becomes_a_candidate_that_monitors_approve_into_the_feed,
    concurrent_approvals_over_http_reach_a_following_consumer_once_each_without_gaps,
);

const CORPUS: &str = "../../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz";
/// A real article: the cabinet approves rubber price-gap payments to 1.3 million farmers.
const ARTICLE_LINE: usize = 2641;

fn real_article() -> (String, String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let line = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file))
        .lines()
        .nth(ARTICLE_LINE)
        .unwrap()
        .unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    (
        v["title"].as_str().unwrap().trim().to_string(),
        v["body"].as_str().unwrap().to_string(),
    )
}

/// The article as the government published it and as three newspapers carried it, all in
/// the last hours (the detector looks at the last 72).
fn coverage(now: OffsetDateTime, copies: &[(&str, &str)]) -> Vec<NewDocument> {
    let (title, body) = real_article();
    copies
        .iter()
        .enumerate()
        .map(|(i, (outlet, prefix))| {
            let kind = if *outlet == "thaigov.go.th" {
                SourceKind::Official
            } else {
                SourceKind::News
            };
            NewDocument::new(praden_core::DocumentParts {
                source_id: outlet,
                kind,
                outlet,
                url: Some(&format!("https://{outlet}/news/{i}-rubber")),
                item_id: None,
                title: &format!("{prefix}{title}"),
                body: &body,
                published_at: Some(now - time::Duration::minutes(90 - 10 * i as i64)),
                fetched_at: now,
            })
            .unwrap()
        })
        .collect()
}

/// A client with a new API token of `role`.
async fn client(app: &RunningApp, role: Role) -> reqwest::Client {
    client_with_token(&app.create_token(role.as_str(), role).await)
}

async fn get(c: &reqwest::Client, app: &RunningApp, path: &str) -> (u16, Value) {
    let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn post(c: &reqwest::Client, app: &RunningApp, path: &str, body: Value) -> (u16, Value) {
    let r = c
        .post(format!("{}{path}", app.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Polls the queue until `check` accepts it, or panics after 60 s.
async fn wait_for_queue(
    c: &reqwest::Client,
    app: &RunningApp,
    check: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = get(c, app, "/api/v1/candidates").await;
        assert_eq!(status, 200, "{body}");
        let list = body["candidates"].as_array().unwrap().clone();
        if check(&list) {
            return list;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the queue never got there: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn coverage_becomes_a_candidate_that_monitors_approve_into_the_feed(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let app = RunningApp::start(env.config()).await;
    let store = app.store().clone();
    let monitor = client(&app, Role::Monitor).await;
    let other_monitor = client(&app, Role::Monitor).await;
    let consumer = client(&app, Role::Consumer).await;
    let admin = client(&app, Role::Admin).await;

    let now = OffsetDateTime::now_utc();
    let first = coverage(
        now,
        &[
            ("thaigov.go.th", ""),
            ("matichon.co.th", "มติชน - "),
            ("khaosod.co.th", "ข่าวสด: "),
        ],
    );
    store.insert_documents(&first).await.unwrap();

    let queue = wait_for_queue(&monitor, &app, |l| !l.is_empty()).await;
    assert_eq!(queue.len(), 1, "one story, one candidate: {queue:?}");
    let c = &queue[0];
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["status"], "pending");
    assert_eq!(c["articles"], 1, "copies of one text count once");
    assert_eq!(c["outlets"].as_array().unwrap().len(), 3);
    let fired: Vec<&str> = c["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["score"].as_f64().unwrap() > 0.0)
        .map(|r| r["criterion"].as_str().unwrap())
        .collect();
    assert!(fired.contains(&"cabinet_resolution"), "{fired:?}");
    assert!(
        !c["agencies"].as_array().unwrap().is_empty(),
        "an agency is suggested"
    );

    // More coverage of the same story updates the candidate; it never becomes a second one.
    let more = coverage(
        now,
        &[("thairath.co.th", "ไทยรัฐ | "), ("prachachat.net", "")],
    );
    store.insert_documents(&more).await.unwrap();
    let queue = wait_for_queue(&monitor, &app, |l| {
        l.first()
            .is_some_and(|c| c["outlets"].as_array().unwrap().len() == 5)
    })
    .await;
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0]["id"].as_i64(), Some(id));
    let version = queue[0]["version"].as_i64().unwrap();

    let (status, detail) = get(&monitor, &app, &format!("/api/v1/candidates/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["documents"].as_array().unwrap().len(), 5);

    // Editors reach the story from a search hit: each hit names its candidate, and the
    // candidate filter lists the story's whole coverage.
    let editor = client(&app, Role::Editor).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let hits = loop {
        let (status, body) = get(
            &editor,
            &app,
            "/api/v1/search?q=%E0%B8%A2%E0%B8%B2%E0%B8%87%E0%B8%9E%E0%B8%B2%E0%B8%A3%E0%B8%B2",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        if body["total"].as_u64() == Some(5) {
            break body["hits"].as_array().unwrap().clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        hits.iter().all(|h| h["candidate_id"].as_i64() == Some(id)),
        "{hits:?}"
    );
    let (status, story) = get(&editor, &app, &format!("/api/v1/search?candidate={id}")).await;
    assert_eq!(status, 200, "{story}");
    assert_eq!(story["total"], 5);
    // Narrowed to documents naming an agency: the commerce minister speaks in this story.
    let by_agency = |agency: &str| {
        format!(
            "/api/v1/search?q=%E0%B8%A2%E0%B8%B2%E0%B8%87%E0%B8%9E%E0%B8%B2%E0%B8%A3%E0%B8%B2&agency={}",
            praden_tests::encode(agency)
        )
    };
    let (_, commerce) = get(&editor, &app, &by_agency("กระทรวงพาณิชย์")).await;
    assert_eq!(commerce["total"], 5, "{commerce}");
    let (_, health) = get(&editor, &app, &by_agency("กระทรวงสาธารณสุข")).await;
    assert_eq!(health["total"], 0, "{health}");
    let (status, unknown) = get(&editor, &app, &by_agency("กรมที่ไม่มี")).await;
    assert_eq!(status, 400, "{unknown}");
    let (status, missing) = get(&editor, &app, "/api/v1/search?candidate=9999").await;
    assert_eq!(status, 404, "{missing}");
    let page = editor
        .get(format!(
            "{}/search?q=%E0%B8%A2%E0%B8%B2%E0%B8%87%E0%B8%9E%E0%B8%B2%E0%B8%A3%E0%B8%B2",
            app.base
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("candidate={id}")),
        "a link to the story"
    );

    // The HTML queue and candidate page show it.
    let html = monitor
        .get(format!("{}/queue", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/candidates/{id}")), "{html}");
    assert!(html.contains("<svg class=\"spark\""));
    assert!(html.contains("มติคณะรัฐมนตรี"), "the cabinet badge");

    // A consumer may not decide.
    let (status, _) = post(
        &consumer,
        &app,
        &format!("/api/v1/candidates/{id}/approve"),
        json!({"version": version}),
    )
    .await;
    assert_eq!(status, 403);

    // Approve, naming the agency by its Thai name.
    let resp = monitor
        .post(format!("{}/api/v1/candidates/{id}/approve", app.base))
        .json(&json!({
            "version": version,
            "title": "โอนเงินส่วนต่างราคายางพาราให้เกษตรกร 1.3 ล้านราย",
            "agency": "กระทรวงเกษตรและสหกรณ์",
            "deadline_days": 2,
            "source": "มติชน, ข่าวสด, ไทยรัฐ"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    let issue: Value = resp.json().await.unwrap();
    assert_eq!(issue["agency"]["ministry_abbr"], "กษ.");
    assert_eq!(issue["deadline_days"], 2);
    let issue_id = issue["id"].as_i64().unwrap();

    // The second monitor, looking at the same version, is told and overwrites nothing.
    let (status, body) = post(
        &other_monitor,
        &app,
        &format!("/api/v1/candidates/{id}/approve"),
        json!({"version": version, "title": "อย่างอื่น"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("token:monitor-"),
        "names who decided: {message}"
    );
    let (_, kept) = get(&monitor, &app, &format!("/api/v1/issues/{issue_id}")).await;
    assert_eq!(kept["title"], "โอนเงินส่วนต่างราคายางพาราให้เกษตรกร 1.3 ล้านราย");

    // An unknown agency is a clear 400.
    let (status, body) = post(
        &monitor,
        &app,
        &format!("/api/v1/issues/{issue_id}/edit"),
        json!({"version": 1, "agency": "กระทรวงที่ไม่มีจริง"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("กระทรวงที่ไม่มีจริง"),
        "{body}"
    );

    // The consumer follows the feed: approved, then the edit, each once.
    let (status, page) = get(&consumer, &app, "/api/v1/issues/approved").await;
    assert_eq!(status, 200, "{page}");
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["kind"], "approved");
    assert_eq!(events[0]["event_id"], "issue-event-1");
    assert_eq!(
        events[0]["issue"]["agency"]["name_th"],
        "กระทรวงเกษตรและสหกรณ์"
    );
    assert!(events[0]["issue"]["due_date"].as_str().unwrap().len() == 10);
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let (_, empty) = get(
        &consumer,
        &app,
        &format!("/api/v1/issues/approved?after={cursor}"),
    )
    .await;
    assert!(empty["events"].as_array().unwrap().is_empty());
    assert_eq!(empty["next_cursor"], cursor.as_str());
    let (status, _) = post(
        &monitor,
        &app,
        &format!("/api/v1/issues/{issue_id}/edit"),
        json!({"version": 1, "deadline_days": 3}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, next) = get(
        &consumer,
        &app,
        &format!("/api/v1/issues/approved?after={cursor}"),
    )
    .await;
    let events = next["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["kind"], "edited");
    assert_eq!(events[0]["issue"]["deadline_days"], 3);
    let (status, bad) = get(&consumer, &app, "/api/v1/issues/approved?after=banana").await;
    assert_eq!(status, 400, "{bad}");

    // The audit trail has the decision with the request that made it.
    let (status, audit) = get(&admin, &app, "/api/v1/audit?entity=candidate").await;
    assert_eq!(status, 200, "{audit}");
    let approve = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "candidate.approve")
        .expect("the approval is audited");
    assert_eq!(approve["request_id"], request_id.as_str());
    assert!(approve["actor"]
        .as_str()
        .unwrap()
        .starts_with("token:monitor-"));
    let (status, _) = get(&monitor, &app, "/api/v1/audit").await;
    assert_eq!(status, 403, "monitors do not read the audit trail");

    app.stop().await;
}

fn proposal(title: &str, now: OffsetDateTime) -> Proposal {
    let agency = AgencyRef {
        name_th: "กระทรวงพาณิชย์".into(),
        abbr: "พณ.".into(),
        ministry_abbr: "พณ.".into(),
        ministry_th: "กระทรวงพาณิชย์".into(),
        name_en: String::new(),
    };
    Proposal {
        title: title.into(),
        summary: title.into(),
        score: 0.5,
        criteria: Vec::new(),
        misleading: None,
        agencies: vec![praden_core::review::AgencyProposal {
            agency,
            score: 1.0,
            reasons: Vec::new(),
        }],
        deadline_days: 1,
        deadline_rule: "default".into(),
        outlets: vec!["มติชน".into()],
        links: Vec::new(),
        counts: KindCounts::default(),
        articles: 1,
        first_seen: now,
        last_seen: now,
        public_matter: None,
    }
}

/// Many monitors approve at once while the assignment system follows the feed: it receives
/// every approval, none twice under one event id, and never an event after a gap.
async fn concurrent_approvals_over_http_reach_a_following_consumer_once_each_without_gaps(db: Db) {
    const N: usize = 40;
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let mut config = env.config();
    config.detect.enabled = false;
    let app = RunningApp::start(config).await;
    let store = app.store().clone();
    let monitor = client(&app, Role::Monitor).await;
    let consumer = client(&app, Role::Consumer).await;
    let now = OffsetDateTime::now_utc();
    let mut ids = Vec::new();
    for i in 0..N {
        let docs = vec![NewDocument::new(praden_core::DocumentParts {
            source_id: "t",
            kind: SourceKind::News,
            outlet: "มติชน",
            url: Some(&format!("https://matichon.test/{i}")),
            item_id: None,
            title: &format!("ข่าวที่ {i}"),
            body: "เนื้อข่าว",
            published_at: Some(now),
            fetched_at: now,
        })
        .unwrap()];
        let doc_ids = store.insert_documents(&docs).await.unwrap().inserted;
        let out = store
            .upsert_proposal(&doc_ids, &proposal(&format!("ประเด็น {i}"), now), 2.0, now)
            .await
            .unwrap();
        ids.push(out.candidate_id);
    }

    let follower = {
        let (consumer, base) = (consumer.clone(), app.base.clone());
        tokio::spawn(async move {
            let mut cursor: Option<String> = None;
            let mut last_seq = 0;
            let mut seen = Vec::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            while seen.len() < N {
                assert!(tokio::time::Instant::now() < deadline, "saw only {seen:?}");
                let url = match &cursor {
                    Some(c) => format!("{base}/api/v1/issues/approved?limit=7&after={c}"),
                    None => format!("{base}/api/v1/issues/approved?limit=7"),
                };
                let page: Value = consumer
                    .get(url)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                for e in page["events"].as_array().unwrap() {
                    let seq = e["seq"].as_i64().unwrap();
                    assert_eq!(seq, last_seq + 1, "a gap or a repeat after {last_seq}");
                    last_seq = seq;
                    assert_eq!(e["event_id"], format!("issue-event-{seq}"));
                    seen.push(e["issue"]["candidate_id"].as_i64().unwrap());
                }
                cursor = Some(page["next_cursor"].as_str().unwrap().to_string());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            seen
        })
    };
    let approvals: Vec<_> = ids
        .iter()
        .map(|id| {
            let (monitor, base, id) = (monitor.clone(), app.base.clone(), *id);
            tokio::spawn(async move {
                let r = monitor
                    .post(format!("{base}/api/v1/candidates/{id}/approve"))
                    .json(&json!({"version": 1}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
            })
        })
        .collect();
    for a in approvals {
        a.await.unwrap();
    }
    let mut seen = follower.await.unwrap();
    seen.sort();
    assert_eq!(seen, ids, "every approval once");
    app.stop().await;
}
