//! Social media and broadcast transcripts end to end: a JSON API source with pagination and
//! an auth header (fixture server on 127.0.0.1), the push endpoint, transcripts from a watched
//! directory and from an HTTP listing (well-formed and malformed fixtures), engagement time
//! series, and real wisesight messages and ไทยคู่ฟ้า transcripts imported and found by search.
//! Every test but the real-data one runs on SQLite and on PostgreSQL.

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use praden_core::SourceKind;
use praden_ingest::{FetchConfig, Fetcher, IngestLimits, Ingester, PollError, PollReport};
use praden_store::Store;
use praden_tests::{encode, fixture, Db, FixtureServer, RunningApp, TestEnv};
use serde_json::Value;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use time::macros::datetime;
use time::OffsetDateTime;

praden_tests::on_both_databases!(
    a_json_api_source_pages_authenticates_and_records_engagement_over_time,
    the_push_endpoint_keeps_good_lines_rejects_bad_ones_and_is_idempotent,
    a_watched_directory_of_transcripts_is_read_once_with_clear_errors,
    an_http_listing_of_transcripts_is_read_with_sidecars,
);

async fn new_ingester(env: &TestEnv) -> (Store, Ingester, Vec<praden_ingest::Source>) {
    let config = env.config();
    let sources = praden::app::load_sources(&config).unwrap();
    let parts = praden::app::Parts::open(&config).await.unwrap();
    let fetcher = Fetcher::new(&FetchConfig {
        contact: "tests@praden.invalid".into(),
        timeout: Duration::from_secs(5),
        ..FetchConfig::default()
    })
    .unwrap();
    let ingester = Ingester::with_limits(
        parts.store.clone(),
        fetcher,
        Arc::new(Default::default()),
        IngestLimits {
            max_concurrent: 4,
            host_gap: Duration::from_millis(5),
            ..IngestLimits::default()
        },
    );
    (parts.store, ingester, sources)
}

fn source<'a>(sources: &'a [praden_ingest::Source], id: &str) -> &'a praden_ingest::Source {
    sources.iter().find(|s| s.id == id).unwrap()
}

fn ok(result: Result<PollReport, PollError>) -> PollReport {
    result.unwrap_or_else(|e| panic!("poll failed: {e}"))
}

async fn search(app: &RunningApp, params: &str) -> Value {
    let (status, body) = app.get_json(&format!("/api/v1/search?{params}")).await;
    assert_eq!(status, 200, "{params}: {body}");
    body
}

async fn document_id(store: &Store, item_key: &str) -> i64 {
    let ids = store
        .document_ids_by_item_key(&[item_key.to_string()])
        .await
        .unwrap();
    *ids.get(item_key)
        .unwrap_or_else(|| panic!("{item_key} is not stored"))
}

fn api_source(id: &str, url: &str, env_var: &str) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\nname = \"{id}\"\nkind = \"social\"\noutlet = \"social.example\"\n\
         url = \"{url}\"\nformat = \"json_api\"\ninterval = \"10m\"\nallow_private_network = true\n\
         [source.json_api]\nitems = \"data.items[*]\"\nid = \"id\"\ntext = \"text\"\n\
         author = \"user.name\"\ncreated_at = \"created_at\"\nurl = \"permalink\"\n\
         likes = \"metrics.likes\"\nshares = \"metrics.shares\"\ncomments = \"metrics.comments\"\n\
         views = \"metrics.views\"\nauth_header = \"X-Api-Key\"\nauth_env = \"{env_var}\"\n\
         next_url = \"links.next\"\nmax_pages = 3\n\n"
    )
}

async fn a_json_api_source_pages_authenticates_and_records_engagement_over_time(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let api = FixtureServer::start().await;
    let token = format!("tok-{db:?}-5f2b9c");
    let (good_var, wrong_var) = (
        format!("PRADEN_TEST_SOCIAL_TOKEN_{db:?}").to_uppercase(),
        format!("PRADEN_TEST_SOCIAL_WRONG_{db:?}").to_uppercase(),
    );
    std::env::set_var(&good_var, &token);
    std::env::set_var(&wrong_var, "not-the-token-93ab");
    let page1 = String::from_utf8(fixture("social/api-page1.json")).unwrap();
    let page2 = String::from_utf8(fixture("social/api-page2.json")).unwrap();
    let serve = |body: String, token: String| {
        move |headers: &axum::http::HeaderMap| {
            if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(token.as_str()) {
                return StatusCode::UNAUTHORIZED.into_response();
            }
            ([(header::CONTENT_TYPE, "application/json")], body.clone()).into_response()
        }
    };
    api.set_handler("api/v1/posts", serve(page1.clone(), token.clone()));
    api.set_handler("api/v1/posts-page-2", serve(page2, token.clone()));
    let url = api.url("api/v1/posts");
    env.write_sources_toml(&format!(
        "{}{}{}",
        api_source("vendor", &url, &good_var),
        api_source("wrong-token", &url, &wrong_var),
        api_source("no-token", &url, "PRADEN_TEST_SOCIAL_TOKEN_NEVER_SET"),
    ));
    let (store, ingester, sources) = new_ingester(&env).await;

    let first = ok(ingester.poll(source(&sources, "vendor")).await);
    assert_eq!(
        (first.found, first.new, first.skipped.len()),
        (5, 4, 1),
        "{first:?}"
    );
    assert_eq!(
        api.hits("api/v1/posts-page-2"),
        1,
        "the second page was followed"
    );
    let failures = store.item_failures("vendor", 10).await.unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].item, "1003");
    assert!(
        failures[0].reason.contains("no text at \"text\""),
        "{failures:?}"
    );

    let id = document_id(&store, "vendor#1001").await;
    let doc = store.document(id).await.unwrap().unwrap().doc;
    assert_eq!(doc.kind, SourceKind::Social);
    assert_eq!(doc.outlet, "social.example");
    assert_eq!(
        doc.title,
        "แม่ค้าออนไลน์: ค่าไฟแพงมากกกกก จ่ายไม่ไหวแล้ววว 😭😭 #ค่าไฟแพง"
    );
    assert_eq!(doc.url.as_deref(), Some("https://social.example/p/1001"));
    assert_eq!(doc.published_at, Some(datetime!(2024-03-05 01:15 UTC)));
    // Unix seconds and a Thai date are read too.
    let d2 = store
        .document(document_id(&store, "vendor#1002").await)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d2.doc.published_at, Some(datetime!(2024-03-05 01:45 UTC)));
    let d4 = store
        .document(document_id(&store, "vendor#1004").await)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d4.doc.published_at, Some(datetime!(2024-03-05 02:05 UTC)));

    let series = store.engagement_series(id).await.unwrap();
    assert_eq!(series.len(), 1);
    assert_eq!(
        (
            series[0].counts.likes,
            series[0].counts.shares,
            series[0].counts.views
        ),
        (Some(120), Some(40), Some(5000))
    );
    let d2_series = store.engagement_series(d2.id).await.unwrap();
    assert_eq!(
        d2_series[0].counts.likes,
        Some(2310),
        "\"2,310\" is a count"
    );
    assert_eq!(d2_series[0].counts.views, None, "views not reported");

    // The post goes viral: the next poll stores nothing new but a second observation.
    api.set_handler(
        "api/v1/posts",
        serve(
            page1.replace("\"likes\": 120", "\"likes\": 4120"),
            token.clone(),
        ),
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = ok(ingester.poll(source(&sources, "vendor")).await);
    assert_eq!((second.new, second.already_stored), (0, 4), "{second:?}");
    let series = store.engagement_series(id).await.unwrap();
    assert_eq!(series.len(), 2, "{series:?}");
    let growth = store
        .engagement_growth(id, series[0].observed_at, series[1].observed_at)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(growth.interactions(), 4000);
    let top = store
        .fastest_growing(series[0].observed_at, series[1].observed_at, 1)
        .await
        .unwrap();
    assert_eq!(top[0].document_id, id);

    // A wrong credential is refused by the API; a missing one is named. Neither value is
    // ever written to the source's state.
    let wrong = ingester
        .poll(source(&sources, "wrong-token"))
        .await
        .unwrap_err()
        .to_string();
    assert!(wrong.contains("HTTP 401"), "{wrong}");
    let missing = ingester
        .poll(source(&sources, "no-token"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("PRADEN_TEST_SOCIAL_TOKEN_NEVER_SET") && missing.contains("not set"),
        "{missing}"
    );
    for id in ["wrong-token", "no-token", "vendor"] {
        let state = format!("{:?}", store.source_state(id).await.unwrap().unwrap());
        assert!(
            !state.contains(&token) && !state.contains("not-the-token"),
            "{state}"
        );
    }
    let state = store.source_state("no-token").await.unwrap().unwrap();
    assert_eq!(state.last_error.as_deref(), Some(missing.as_str()));
    store.close().await;

    // The running service indexes the polled posts with their kind.
    let app = RunningApp::start(env.config()).await;
    let hits = app.wait_for_hits("รถไฟฟ้า", 1).await;
    assert_eq!(hits["hits"][0]["kind"], "social", "{hits}");
    let social = search(&app, &format!("q={}&kind=social", encode("ฝุ่น"))).await;
    assert_eq!(social["total"], 1, "{social}");
    app.stop().await;
    std::env::remove_var(&good_var);
    std::env::remove_var(&wrong_var);
}

async fn push(app: &RunningApp, token: Option<&str>, query: &str, body: Vec<u8>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/api/v1/ingest/social{query}", app.base))
        .header(header::CONTENT_TYPE.as_str(), "application/x-ndjson")
        .body(body);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION.as_str(), format!("Bearer {token}"));
    }
    let resp = request.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

async fn the_push_endpoint_keeps_good_lines_rejects_bad_ones_and_is_idempotent(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let app = RunningApp::start(env.config()).await;
    let vendor = app.create_token("vendor", praden_core::Role::Ingest).await;
    let editor = app.editor_token.clone();

    // Only ingest tokens (and admins) may push.
    let batch = fixture("social/push-batch.jsonl");
    let (status, body) = push(&app, None, "?source=vendor-push", batch.clone()).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = push(&app, Some(&editor), "?source=vendor-push", batch.clone()).await;
    assert_eq!(status, 403, "{body}");

    let (status, body) = push(&app, Some(&vendor), "?source=vendor-push", batch).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], 2, "{body}");
    assert_eq!(body["duplicates"], 1, "line 7 repeats line 1: {body}");
    assert_eq!(body["observations"], 2, "{body}");
    let rejected: Vec<(u64, String)> = body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let lines: Vec<u64> = rejected.iter().map(|r| r.0).collect();
    assert_eq!(lines, [3, 4, 5, 6], "{rejected:?}");
    assert!(rejected[0].1.contains("not a post object"), "{rejected:?}");
    assert!(rejected[1].1.contains("text is missing"), "{rejected:?}");
    assert!(rejected[2].1.contains("created_at"), "{rejected:?}");
    assert!(rejected[3].1.contains("likes is negative"), "{rejected:?}");

    // Pushed posts are searchable like polled ones.
    let hits = app.wait_for_hits("เงินดิจิทัล", 1).await;
    assert_eq!(hits["hits"][0]["kind"], "social", "{hits}");
    assert_eq!(hits["hits"][0]["outlet"], "x", "{hits}");
    let flood = app.wait_for_hits("น้ำท่วม", 1).await;
    assert_eq!(flood["hits"][0]["outlet"], "facebook", "{flood}");

    // The same post pushed again an hour later: no new document, one more observation.
    let later = br#"{"id": "fb-1", "text": "x", "platform": "facebook", "likes": 900, "shares": 300, "comments": 80, "observed_at": "2024-03-05T08:00:00+07:00"}"#;
    let (status, body) = push(&app, Some(&vendor), "?source=vendor-push", later.to_vec()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["accepted"].as_u64(), body["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(body["observations"], 1, "{body}");
    let (_, again) = push(&app, Some(&vendor), "?source=vendor-push", later.to_vec()).await;
    assert_eq!(
        again["observations"], 0,
        "the same observation is stored once: {again}"
    );

    // Another source may use the same id: (source, id) is the key.
    let (_, other) = push(&app, Some(&vendor), "?source=other-vendor", later.to_vec()).await;
    assert_eq!(other["accepted"], 1, "{other}");
    // A post long enough to fingerprint (30 words), then its copy on another platform from
    // another vendor: both stored, the copy linked to the first as a polled near-duplicate
    // is — pushed posts go through the pollers' sink.
    let text = "น้ำท่วมหนักมากที่อำเภอวารินชำราบ จังหวัดอุบลราชธานี ตอนนี้น้ำสูงถึงเอวแล้ว ไฟฟ้าก็ดับมาสองวัน ยังไม่มีเจ้าหน้าที่เข้ามาช่วยเหลือเลย ผู้สูงอายุกับเด็กเล็กติดอยู่ในบ้านหลายหลัง อาหารและน้ำดื่มเริ่มหมด ขอให้หน่วยงานที่เกี่ยวข้องรีบส่งเรือมาช่วยด่วนที่สุดด้วยครับ";
    let post = |id: &str, platform: &str| {
        serde_json::json!({"id": id, "text": text, "author": "ชาววาริน", "platform": platform})
            .to_string()
            .into_bytes()
    };
    let (_, first) = push(
        &app,
        Some(&vendor),
        "?source=flood-watch",
        post("fl-1", "facebook"),
    )
    .await;
    assert_eq!(first["accepted"], 1, "{first}");
    let (_, copied) = push(
        &app,
        Some(&vendor),
        "?source=other-vendor",
        post("fl-2", "tiktok"),
    )
    .await;
    assert_eq!(copied["accepted"], 1, "{copied}");

    // Requests that are wrong as a whole.
    let (status, body) = push(&app, Some(&vendor), "", later.to_vec()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_parameter")),
        "{body}"
    );
    let (status, _) = push(&app, Some(&vendor), "?source=Vendor%20X", later.to_vec()).await;
    assert_eq!(status, 400);
    let (status, body) = push(
        &app,
        Some(&vendor),
        "?source=vendor-push",
        b"\n \n".to_vec(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // One line more than the 10,000 a request may hold.
    let many = "{}\n".repeat(10_001).into_bytes();
    let (status, body) = push(&app, Some(&vendor), "?source=vendor-push", many).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("too_large")),
        "{body}"
    );
    app.stop().await;

    let store = Store::connect(&env.database_url).await.unwrap();
    let id = document_id(&store, "vendor-push#fb-1").await;
    let doc = store.document(id).await.unwrap().unwrap().doc;
    assert_eq!(doc.title, "ชาวอุบล: น้ำท่วมหนักมากกก ช่วยด้วยยย 🙏🙏 #น้ำท่วมอุบล");
    assert_eq!(
        doc.body, "น้ำท่วมหนักมากกก ช่วยด้วยยย 🙏🙏 #น้ำท่วมอุบล",
        "the first copy is kept"
    );
    let (first, copy) = (
        document_id(&store, "flood-watch#fl-1").await,
        document_id(&store, "other-vendor#fl-2").await,
    );
    let prints = store
        .recent_fingerprints(OffsetDateTime::now_utc() - time::Duration::hours(1), 1000)
        .await
        .unwrap();
    let print = |id: i64| prints.iter().find(|f| f.id == id);
    assert!(
        print(first).is_some(),
        "a pushed post is fingerprinted: {prints:?}"
    );
    assert_eq!(
        print(copy).map(|f| f.duplicate_of),
        Some(Some(first)),
        "{prints:?}"
    );
    let series = store.engagement_series(id).await.unwrap();
    assert_eq!(series.len(), 2, "{series:?}");
    let growth = store
        .engagement_growth(
            id,
            datetime!(2024-03-05 00:00 UTC),
            datetime!(2024-03-05 01:00 UTC),
        )
        .await
        .unwrap()
        .unwrap();
    // 300+120+44 at 07:00 → 900+300+80 at 08:00 (Bangkok).
    assert_eq!(growth.interactions(), 816);
    assert_eq!(growth.interactions_per_hour(), Some(816.0));
    store.close().await;
}

fn copy_fixtures(dir: &Path, names: &[&str]) {
    for name in names {
        std::fs::write(dir.join(name), fixture(&format!("broadcast/{name}"))).unwrap();
    }
}

const TRANSCRIPT_FIXTURES: [&str; 12] = [
    "morning-news.vtt",
    "morning-news.json",
    "malformed.vtt",
    "malformed.json",
    "thaikufah-ep1.srt",
    "thaikufah-ep1.json",
    "nbt-20240305-1800.txt",
    "no-sidecar.vtt",
    "not-webvtt.vtt",
    "not-webvtt.json",
    "bad-sidecar.vtt",
    "bad-sidecar.json",
];

async fn a_watched_directory_of_transcripts_is_read_once_with_clear_errors(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let watched = env.dir.path().join("incoming");
    std::fs::create_dir(&watched).unwrap();
    copy_fixtures(&watched, &TRANSCRIPT_FIXTURES);
    env.write_sources_toml(&format!(
        "[[source]]\nid = \"radio\"\nname = \"วิทยุ\"\nkind = \"broadcast\"\noutlet = \"NBT World\"\n\
         format = \"transcripts\"\ninterval = \"1m\"\n[source.transcripts]\ndir = \"{}\"\n",
        watched.display()
    ));
    let (store, ingester, sources) = new_ingester(&env).await;
    let radio = source(&sources, "radio");
    assert!(radio.url.as_str().starts_with("file://"), "{}", radio.url);

    let report = ok(ingester.poll(radio).await);
    // Documents: morning news (2 segments), malformed (1), SRT (1), plain text by its name (1).
    assert_eq!(report.new, 5, "{report:?}");
    let reasons: Vec<String> = report.skipped.iter().map(|e| e.to_string()).collect();
    assert_eq!(reasons.len(), 5, "{reasons:#?}");
    let expect = [
        (
            "bad-sidecar.vtt",
            "sidecar bad-sidecar.json: not a JSON object",
        ),
        ("malformed.vtt cue 3", "bad timestamp"),
        ("malformed.vtt cue 4", "ends before it starts"),
        (
            "no-sidecar.vtt",
            "no sidecar no-sidecar.json and no date-time",
        ),
        ("not-webvtt.vtt", "not WebVTT"),
    ];
    for (what, reason) in expect {
        assert!(
            reasons
                .iter()
                .any(|r| r.contains(what) && r.contains(reason)),
            "{what}: {reason} not in {reasons:#?}"
        );
    }
    let state = store.source_state("radio").await.unwrap().unwrap();
    assert_eq!(state.items_failed_last, 5);
    assert_eq!(store.item_failures("radio", 20).await.unwrap().len(), 5);

    let first = store
        .document(document_id(&store, "radio#morning-news.vtt@1000").await)
        .await
        .unwrap()
        .unwrap()
        .doc;
    assert_eq!(first.kind, SourceKind::Broadcast);
    assert_eq!(first.outlet, "NBT");
    assert_eq!(first.published_at, Some(datetime!(2024-03-05 00:00:01 UTC)));
    assert_eq!(first.title, "ข่าวเช้าหน้าหนึ่ง 5 มี.ค. 2567 07:00–07:00 น.");
    assert_eq!(
        first.body,
        "สวัสดีครับ ข่าวเช้าวันอังคาร\nคณะรัฐมนตรีอนุมัติงบประมาณแก้ปัญหาภัยแล้ง\nในพื้นที่ภาคตะวันออกเฉียงเหนือ & ภาคเหนือ"
    );
    let weather = store
        .document(document_id(&store, "radio#morning-news.vtt@150000").await)
        .await
        .unwrap()
        .unwrap()
        .doc;
    assert_eq!(
        weather.published_at,
        Some(datetime!(2024-03-05 00:02:30 UTC))
    );
    let malformed = store
        .document(document_id(&store, "radio#malformed.vtt@1000").await)
        .await
        .unwrap()
        .unwrap()
        .doc;
    assert_eq!(malformed.outlet, "สวท.");
    assert_eq!(
        malformed.published_at,
        Some(datetime!(2024-03-05 11:00:01 UTC))
    );
    assert_eq!(
        malformed.body,
        "นายกรัฐมนตรีลงพื้นที่ตรวจน้ำท่วม\nซ้อนทับ\nนายกรัฐมนตรีลงพื้นที่ตรวจน้ำท่วม ที่จังหวัดอุบลราชธานี"
    );
    let srt = store
        .document(document_id(&store, "radio#thaikufah-ep1.srt@0").await)
        .await
        .unwrap()
        .unwrap()
        .doc;
    assert_eq!(srt.outlet, "สถานีวิทยุกระจายเสียงแห่งประเทศไทย");
    assert!(
        srt.body.starts_with("ไทยคู่ฟ้า รายงานผลงานรัฐบาล\n"),
        "{}",
        srt.body
    );
    let plain = store
        .document(document_id(&store, "radio#nbt-20240305-1800.txt@0").await)
        .await
        .unwrap()
        .unwrap()
        .doc;
    assert_eq!(
        (plain.outlet.as_str(), plain.published_at),
        ("NBT World", Some(datetime!(2024-03-05 11:00 UTC)))
    );

    // Nothing changed: nothing is read again.
    let again = ok(ingester.poll(radio).await);
    assert_eq!(
        (again.found, again.new, again.skipped.len()),
        (0, 0, 0),
        "{again:?}"
    );
    // The missing sidecar arrives: that file is read now.
    std::fs::write(
        watched.join("no-sidecar.json"),
        r#"{"channel": "NBT", "programme": "ช่วงดึก", "air_start": "2024-03-05T23:00:00+07:00"}"#,
    )
    .unwrap();
    let late = ok(ingester.poll(radio).await);
    assert_eq!((late.new, late.skipped.len()), (1, 0), "{late:?}");
    store.close().await;

    // Nor after a restart: which files were read is in the store, not in the poller.
    let (store, restarted, sources) = new_ingester(&env).await;
    let report = ok(restarted.poll(source(&sources, "radio")).await);
    assert_eq!(
        (report.found, report.new, report.already_stored),
        (0, 0, 0),
        "{report:?}"
    );
    assert_eq!(store.count_documents().await.unwrap(), 6);

    // An unreadable directory fails the poll with a recorded error, never a crash.
    std::fs::remove_dir_all(&watched).unwrap();
    let err = restarted
        .poll(source(&sources, "radio"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot read the directory") && err.contains("incoming"),
        "{err}"
    );
    assert_eq!(
        store
            .source_state("radio")
            .await
            .unwrap()
            .unwrap()
            .last_error
            .as_deref(),
        Some(err.as_str())
    );
    store.close().await;

    // Broadcast segments are searchable with their kind and channel.
    let app = RunningApp::start(env.config()).await;
    let hits = app.wait_for_hits("ภัยแล้ง", 1).await;
    assert_eq!(hits["hits"][0]["kind"], "broadcast", "{hits}");
    assert_eq!(hits["hits"][0]["outlet"], "NBT", "{hits}");
    app.stop().await;
}

async fn an_http_listing_of_transcripts_is_read_with_sidecars(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let server = FixtureServer::start().await;
    for name in TRANSCRIPT_FIXTURES {
        let content_type = if name.ends_with(".json") {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        };
        server.set(
            &format!("radio/{name}"),
            content_type,
            fixture(&format!("broadcast/{name}")),
        );
    }
    // A JSON listing: plain URLs (sidecar at STEM.json), an explicit sidecar, inline fields.
    server.set(
        "radio/index.json",
        "application/json",
        r#"{"files": ["morning-news.vtt", {"url": "thaikufah-ep1.srt", "sidecar": "thaikufah-ep1.json"},
            {"url": "no-sidecar.vtt", "channel": "NBT", "programme": "ช่วงดึก", "air_start": "2024-03-05T23:00:00+07:00"},
            "nbt-20240305-1800.txt", "missing.vtt"]}"#,
    );
    // An HTML index page as web servers generate them.
    server.set(
        "radio/index.html",
        "text/html",
        r#"<html><body><h1>Index of /radio/</h1><a href="../">../</a>
           <a href="malformed.vtt">malformed.vtt</a> <a href="malformed.json">malformed.json</a>
           <a href="not-webvtt.vtt">not-webvtt.vtt</a> <a href="not-webvtt.json">not-webvtt.json</a></body></html>"#,
    );
    let entry = |id: &str, path: &str| {
        format!(
            "[[source]]\nid = \"{id}\"\nname = \"{id}\"\nkind = \"broadcast\"\noutlet = \"NBT World\"\n\
             url = \"{}\"\nformat = \"transcripts\"\ninterval = \"1m\"\nallow_private_network = true\n\n",
            server.url(path)
        )
    };
    env.write_sources_toml(&format!(
        "{}{}",
        entry("json-list", "radio/index.json"),
        entry("html-index", "radio/index.html")
    ));
    let (store, ingester, sources) = new_ingester(&env).await;

    let json = ok(ingester.poll(source(&sources, "json-list")).await);
    // morning news 2, SRT 1, inline-fields file 1, plain text by its name 1.
    assert_eq!(json.new, 5, "{json:?}");
    assert_eq!(json.skipped.len(), 1, "{json:?}");
    assert!(
        json.skipped[0]
            .to_string()
            .contains("missing.vtt answered HTTP 404"),
        "{:?}",
        json.skipped
    );
    let inline = store
        .document(document_id(&store, "json-list#no-sidecar.vtt@1000").await)
        .await
        .unwrap()
        .unwrap()
        .doc;
    assert_eq!(
        (inline.outlet.as_str(), inline.published_at),
        ("NBT", Some(datetime!(2024-03-05 16:00:01 UTC)))
    );
    assert_eq!(
        server.hits("radio/nbt-20240305-1800.json"),
        1,
        "the conventional sidecar was asked for"
    );

    let html = ok(ingester.poll(source(&sources, "html-index")).await);
    assert_eq!(html.new, 1, "{html:?}");
    let reasons: Vec<String> = html.skipped.iter().map(|e| e.to_string()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:#?}");
    assert!(
        reasons.iter().any(|r| r.contains("not WebVTT")),
        "{reasons:#?}"
    );

    // Files already read are not downloaded again; the one that failed is tried again.
    let before = server.hits("radio/morning-news.vtt");
    let again = ok(ingester.poll(source(&sources, "json-list")).await);
    assert_eq!(again.new, 0, "{again:?}");
    assert_eq!(server.hits("radio/morning-news.vtt"), before);
    assert_eq!(server.hits("radio/missing.vtt"), 2);

    // A listing that is neither JSON nor an index fails the poll with its reason.
    server.set("radio/index.json", "application/json", "{\"files\": 7}");
    let err = ingester
        .poll(source(&sources, "json-list"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("neither a JSON list nor an HTML index"),
        "{err}"
    );
    store.close().await;
}

/// Every tenth line of a gzip JSON-lines file from ../shared, or the first `first` lines.
fn sample(from: &str, to: &Path, every: usize, first: usize) -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(from);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file)).lines();
    let mut out = std::fs::File::create(to).unwrap();
    let mut n = 0;
    for line in lines.step_by(every).take(first) {
        writeln!(out, "{}", line.unwrap()).unwrap();
        n += 1;
    }
    n
}

/// Real Thai social media (slang, emoji, elongated letters) and real radio transcripts,
/// imported twice, found by search together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_wisesight_messages_and_radio_transcripts_are_imported_and_found() {
    let env = TestEnv::new(Db::Sqlite).await.unwrap();
    env.write_sources(&[]);
    let social = env.dir.path().join("wisesight-sample.jsonl");
    let radio = env.dir.path().join("thaikufah-sample.jsonl");
    let messages = sample(
        "social/wisesight-messages.jsonl.gz",
        &social,
        10,
        usize::MAX,
    );
    let transcripts = sample(
        "broadcast/thaikufah-radio-2020-2024h1.jsonl.gz",
        &radio,
        1,
        150,
    );
    assert_eq!(messages, 2674);

    let parts = praden::app::Parts::open(&env.config()).await.unwrap();
    let import = |path: &Path, source: &str, kind: SourceKind| {
        let options = praden::import::ImportOptions {
            source_id: source.into(),
            kind,
            outlet: None,
        };
        let (store, path) = (parts.store.clone(), path.to_path_buf());
        async move {
            praden::import::import_file(&store, &path, &options, Default::default())
                .await
                .unwrap()
        }
    };
    for round in 0..2 {
        let s = import(&social, "wisesight", SourceKind::Social).await;
        let b = import(&radio, "thaikufah", SourceKind::Broadcast).await;
        assert!(
            s.invalid.is_empty() && b.invalid.is_empty(),
            "{:?} {:?}",
            s.invalid,
            b.invalid
        );
        let expected = if round == 0 {
            (messages, transcripts)
        } else {
            (0, 0)
        };
        assert_eq!(
            (s.inserted, b.inserted),
            expected,
            "round {round}: re-importing adds nothing"
        );
    }
    let total = (messages + transcripts) as u64;
    assert_eq!(parts.store.count_documents().await.unwrap() as u64, total);
    parts.store.close().await;
    drop(parts);

    let app = RunningApp::start(env.config()).await;
    loop {
        let (_, health) = app.get_json("/healthz").await;
        if health["indexed"] == total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Elongated slang, an emoji run and a hashtag, each found in the message that has it.
    let store = Store::connect(&env.database_url).await.unwrap();
    for (query, id) in [
        ("ปิดแร้ววววว", "wisesight#neg-1220"),
        ("ชีสสสสส", "wisesight#neu-1727"),
        ("#เสียใจ", "wisesight#neg-4310"),
    ] {
        let body = search(&app, &format!("q={}&kind=social&limit=100", encode(query))).await;
        let doc_id = document_id(&store, id).await;
        let hit = body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["doc_id"].as_i64() == Some(doc_id))
            .unwrap_or_else(|| panic!("{query}: {id} not found in {body}"));
        assert_eq!(
            (hit["kind"].as_str(), hit["outlet"].as_str()),
            (Some("social"), Some("wisesight")),
            "{query}: {hit}"
        );
        assert!(
            hit["title"].as_str().unwrap().contains(query),
            "{query}: {hit}"
        );
    }
    store.close().await;
    let emoji = search(&app, &format!("q={}&kind=social", encode("😭"))).await;
    assert!(emoji["total"].as_u64().unwrap() >= 3, "{emoji}");

    // Both kinds in one search, with facets.
    let both = search(&app, &format!("q={}&facets=true&limit=5", encode("รัฐบาล"))).await;
    let kinds: Vec<&str> = both["facets"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["value"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"social") && kinds.contains(&"broadcast"),
        "{}",
        both["facets"]
    );
    let outlets = both["facets"]["outlets"].to_string();
    assert!(outlets.contains("รายการวิทยุไทยคู่ฟ้า"), "{outlets}");
    app.stop().await;
}
