//! Push delivery of the approved-issues feed to a receiver on 127.0.0.1, on SQLite and
//! PostgreSQL: signed, in order, retried through failures; an event that keeps failing becomes
//! a dead letter that admins see and replay.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use praden::config::FeedWebhook;
use praden_core::review::{AgencyProposal, AgencyRef, KindCounts, Proposal};
use praden_core::{NewDocument, Role, SourceKind};
use praden_store::{Approval, DecisionContext};
use praden_tests::{client_with_token, on_both_databases, Db, RunningApp, TestEnv};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

on_both_databases!(pushed_events_arrive_signed_in_order_and_dead_letters_replay);

const SECRET: &str = "ความลับของผู้รับ-42";

#[derive(Default)]
struct Receiver {
    /// (path, event id, seq) of each accepted delivery.
    accepted: Mutex<Vec<(String, String, i64)>>,
    /// Requests to /hook answered 500 before it starts accepting.
    hook_failures_left: AtomicUsize,
    hook_attempts: AtomicUsize,
    /// /down answers 503 until this is set.
    down_is_up: AtomicBool,
}

fn verify(headers: &HeaderMap, body: &str) -> Value {
    let timestamp = headers["x-praden-timestamp"].to_str().unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        headers["x-praden-signature"].to_str().unwrap(),
        format!("sha256={expected}"),
        "the delivery is signed with the shared secret"
    );
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        headers["x-praden-event-id"].to_str().unwrap(),
        event["event_id"]
    );
    event
}

async fn hook(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: String) -> StatusCode {
    r.hook_attempts.fetch_add(1, Ordering::SeqCst);
    let event = verify(&headers, &body);
    if r.hook_failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    r.accepted.lock().unwrap().push((
        "hook".into(),
        event["event_id"].as_str().unwrap().into(),
        event["seq"].as_i64().unwrap(),
    ));
    StatusCode::OK
}

async fn down(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: String) -> StatusCode {
    let event = verify(&headers, &body);
    if !r.down_is_up.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    r.accepted.lock().unwrap().push((
        "down".into(),
        event["event_id"].as_str().unwrap().into(),
        event["seq"].as_i64().unwrap(),
    ));
    StatusCode::NO_CONTENT
}

async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn approve_three(app: &RunningApp) {
    let now = OffsetDateTime::now_utc();
    let ctx = DecisionContext {
        actor: "somchai".into(),
        request_id: None,
        now,
    };
    let agency = AgencyRef {
        name_th: "กระทรวงพาณิชย์".into(),
        abbr: "พณ.".into(),
        ministry_abbr: "พณ.".into(),
        ministry_th: "กระทรวงพาณิชย์".into(),
        name_en: String::new(),
    };
    for i in 0..3 {
        let doc = NewDocument::new(praden_core::DocumentParts {
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
        .unwrap();
        let ids = app.store().insert_documents(&[doc]).await.unwrap().inserted;
        let proposal = Proposal {
            title: format!("ประเด็น {i}"),
            summary: String::new(),
            score: 0.5,
            criteria: Vec::new(),
            misleading: None,
            agencies: vec![AgencyProposal {
                agency: agency.clone(),
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
        };
        let c = app
            .store()
            .upsert_proposal(&ids, &proposal, 2.0, now)
            .await
            .unwrap();
        app.store()
            .approve_candidate(
                c.candidate_id,
                1,
                &Approval {
                    title: format!("ประเด็นที่ {i}"),
                    agency: agency.clone(),
                    deadline_days: 1,
                    source: "มติชน".into(),
                },
                &ctx,
            )
            .await
            .unwrap();
    }
}

async fn pushed_events_arrive_signed_in_order_and_dead_letters_replay(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let receiver = Arc::new(Receiver {
        hook_failures_left: AtomicUsize::new(2),
        ..Receiver::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let routes = axum::Router::new()
        .route("/hook", post(hook))
        .route("/down", post(down))
        .with_state(receiver.clone());
    let server = tokio::spawn(async move { axum::serve(listener, routes).await });

    let mut config = env.config();
    config.detect.enabled = false;
    config.feed.attempts = 3;
    config.feed.webhooks = ["hook", "down"]
        .iter()
        .map(|path| FeedWebhook {
            name: format!("{path}-system"),
            url: format!("http://{addr}/{path}"),
            secret: praden::config::Secret::new(SECRET),
        })
        .collect();
    let app = RunningApp::start(config).await;
    approve_three(&app).await;

    // /hook fails twice, then takes every event once, in order.
    let r = receiver.clone();
    wait_until("the three events reach /hook", move || {
        r.accepted
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.0 == "hook")
            .count()
            == 3
    })
    .await;
    let hooked: Vec<i64> = receiver
        .accepted
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a.0 == "hook")
        .map(|a| a.2)
        .collect();
    assert_eq!(hooked, [1, 2, 3]);
    assert_eq!(
        receiver.hook_attempts.load(Ordering::SeqCst),
        5,
        "two retries"
    );

    // /down never answers: after three attempts each event becomes a dead letter.
    let admin = app.client();
    let overview = |admin: reqwest::Client, base: String| async move {
        let v: Value = admin
            .get(format!("{base}/api/v1/webhooks"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let seen = loop {
        let v = overview(admin.clone(), app.base.clone()).await;
        if v["dead_letters"].as_array().unwrap().len() == 3 {
            break v;
        }
        assert!(tokio::time::Instant::now() < deadline, "{v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(seen["latest_seq"], 3);
    let dead = &seen["dead_letters"][0];
    assert_eq!(dead["subscriber"], "down-system");
    assert_eq!(dead["attempts"], 3);
    assert!(
        dead["last_error"].as_str().unwrap().contains("503"),
        "{dead}"
    );
    let hook_state = seen["subscribers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "hook-system")
        .unwrap();
    assert_eq!(hook_state["behind"], 0);
    assert!(hook_state.get("secret").is_none());

    // Monitors may not replay; an admin does, once the receiver is back.
    let monitor = client_with_token(&app.create_token("monitor", Role::Monitor).await);
    let refused = monitor
        .post(format!("{}/api/v1/webhooks/down-system/replay", app.base))
        .json(&json!({"from_seq": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    receiver.down_is_up.store(true, Ordering::SeqCst);
    let replayed = admin
        .post(format!("{}/api/v1/webhooks/down-system/replay", app.base))
        .json(&json!({"from_seq": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status().as_u16(), 200);
    let r = receiver.clone();
    wait_until("the replayed events reach /down", move || {
        r.accepted
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.0 == "down")
            .count()
            == 3
    })
    .await;
    let after = overview(admin.clone(), app.base.clone()).await;
    assert!(
        after["dead_letters"].as_array().unwrap().is_empty(),
        "{after}"
    );
    let (status, audit) = app.get_json("/api/v1/audit?entity=webhook").await;
    assert_eq!(status, 200);
    assert_eq!(audit["records"][0]["action"], "webhook.replay");

    app.stop().await;
    server.abort();
}
