//! The foundation path end to end: a Thai news feed on a local fixture server → praden polls
//! it → the items are stored and indexed → they are found through the HTTP search API. Every
//! test runs on SQLite and on PostgreSQL.

use praden_core::SourceKind;
use praden_ingest::Ingester;
use praden_tests::{encode, fixture, Db, FixtureServer, RunningApp, TestEnv};
use std::sync::Arc;

praden_tests::on_both_databases!(
    thai_feed_items_become_searchable_over_http,
    a_failing_source_does_not_stop_the_others,
    polling_twice_stores_nothing_twice,
    after_a_crash_the_index_catches_up_with_the_store,
    import_loads_jsonl_once_and_reports_bad_lines,
);

async fn thai_feed_items_become_searchable_over_http(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    feeds.set(
        "matichon/feed",
        "application/rss+xml; charset=UTF-8",
        fixture("feeds/matichon-wordpress.xml"),
    );
    feeds.set(
        "thairath/rss",
        "application/rss+xml",
        fixture("feeds/thairath.xml"),
    );
    env.write_sources(&[
        ("matichon", "มติชน", &feeds.url("matichon/feed")),
        ("thairath", "ไทยรัฐ", &feeds.url("thairath/rss")),
    ]);
    let app = RunningApp::start(env.config()).await;

    // A word inside unsegmented Thai text, found through the API.
    let body = app.wait_for_hits("ค่าไฟฟ้า", 1).await;
    assert_eq!(body["total"], 1, "{body}");
    let hit = &body["hits"][0];
    assert_eq!(
        hit["title"],
        "ครม.เห็นชอบมาตรการลดค่าไฟฟ้างวดใหม่ ช่วยประชาชน 20 ล้านครัวเรือน"
    );
    assert_eq!(hit["outlet"], "มติชน");
    assert_eq!(hit["kind"], "news");
    assert_eq!(
        hit["url"],
        "https://www.matichon.co.th/politics/news_4461234?utm_source=rss&utm_medium=rss"
    );
    assert_eq!(hit["published_at"], "2024-03-05T02:45:00Z");
    assert!(
        hit["snippet_html"].as_str().unwrap().contains("<b>"),
        "{hit}"
    );

    // The &quot; entity of the Thairath-style feed is decoded; a Latin code is one token.
    let body = app.wait_for_hits("PM2.5", 1).await;
    assert_eq!(
        body["hits"][0]["title"],
        "นายกฯ สั่งการ \"กระทรวงสาธารณสุข\" รับมือฝุ่น PM2.5 เกินค่ามาตรฐาน"
    );
    // The script inside content:encoded is not text of the article.
    let (_, body) = app
        .get_json(&format!("/api/v1/search?q={}", encode("ไม่ใช่ข่าว")))
        .await;
    assert_eq!(body["total"], 0, "{body}");
    // Both outlets mention ประชาชน.
    let body = app.wait_for_hits("ประชาชน", 2).await;
    assert_eq!(body["total"], 2, "{body}");

    // The empty third item of the Matichon feed is skipped, the two others are stored.
    let (status, health) = app.get_json("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(health["documents"], 3, "{health}");

    // Bad requests get a clear message and a stable code, not a 500.
    let (status, err) = app.get_json("/api/v1/search").await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("bad_parameter")),
        "{err}"
    );
    let (status, err) = app.get_json("/api/v1/search?q=x&limit=5000").await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("bad_parameter")),
        "{err}"
    );
    let (status, err) = app
        .get_json(&format!("/api/v1/search?q={}", encode("nosuchfield:ข่าว")))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("bad_query")),
        "{err}"
    );

    app.stop().await;
    assert!(feeds.hits("matichon/feed") >= 1);
}

async fn a_failing_source_does_not_stop_the_others(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    feeds.set_status("down/feed", 500);
    feeds.set("html/feed", "text/html", fixture("feeds/not-a-feed.xml"));
    feeds.set(
        "prd/atom",
        "application/atom+xml",
        fixture("feeds/prd-atom.xml"),
    );
    env.write_sources(&[
        ("down", "ล่ม", &feeds.url("down/feed")),
        ("html", "ไม่ใช่ฟีด", &feeds.url("html/feed")),
        ("prd", "กรมประชาสัมพันธ์", &feeds.url("prd/atom")),
    ]);
    let app = RunningApp::start(env.config()).await;
    let body = app.wait_for_hits("ข่าวปลอม", 1).await;
    assert_eq!(body["hits"][0]["outlet"], "กรมประชาสัมพันธ์");
    assert_eq!(
        body["hits"][0]["url"],
        "https://thainews.prd.go.th/th/news/detail/TCATG240305110000001"
    );
    assert!(feeds.hits("down/feed") >= 1 && feeds.hits("html/feed") >= 1);
    app.stop().await;
}

async fn polling_twice_stores_nothing_twice(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    feeds.set(
        "matichon/feed",
        "application/rss+xml",
        fixture("feeds/matichon-wordpress.xml"),
    );
    feeds.set_status("down/feed", 503);
    env.write_sources(&[
        ("matichon", "มติชน", &feeds.url("matichon/feed")),
        ("down", "ล่ม", &feeds.url("down/feed")),
    ]);
    let config = env.config();
    let sources = praden::app::load_sources(&config).unwrap();
    let parts = praden::app::Parts::open(&config).await.unwrap();
    let ingester = Ingester::new(
        parts.store.clone(),
        praden::app::fetcher(&config).unwrap(),
        Arc::new(Default::default()),
    );

    let first = ingester.poll_all_once(&sources).await;
    let report = |results: &[(
        String,
        Result<praden_ingest::PollReport, praden_ingest::PollError>,
    )],
                  id: &str| {
        results
            .iter()
            .find(|(s, _)| s == id)
            .map(|(_, r)| {
                r.as_ref()
                    .map(|r| (r.found, r.new, r.already_stored, r.skipped.len()))
                    .map_err(|e| e.to_string())
            })
            .unwrap()
    };
    assert_eq!(report(&first, "matichon"), Ok((3, 2, 0, 1)));
    let down = report(&first, "down").unwrap_err();
    assert!(
        down.contains("503") && down.contains("/down/feed"),
        "{down}"
    );

    let second = ingester.poll_all_once(&sources).await;
    assert_eq!(report(&second, "matichon"), Ok((3, 0, 2, 1)));
    assert_eq!(parts.store.count_documents().await.unwrap(), 2);
    parts.store.close().await;
}

async fn after_a_crash_the_index_catches_up_with_the_store(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    // Documents reach the store but the process dies before the index commits them.
    let parts = praden::app::Parts::open(&env.config()).await.unwrap();
    let docs: Vec<_> = ["น้ำท่วมเชียงใหม่", "ไฟป่าลำปาง", "ภัยแล้งนครราชสีมา"]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            praden_core::NewDocument::new(praden_core::DocumentParts {
                source_id: "s",
                kind: SourceKind::News,
                outlet: "o",
                url: Some(&format!("https://o.th/{i}")),
                item_id: None,
                title: t,
                body: "ข่าวภัยพิบัติ",
                published_at: None,
                fetched_at: time::OffsetDateTime::now_utc(),
            })
            .unwrap()
        })
        .collect();
    parts.store.insert_documents(&docs).await.unwrap();
    assert_eq!(parts.index.num_docs(), 0);
    parts.store.close().await;
    drop(parts);

    let app = RunningApp::start(env.config()).await;
    let body = app.wait_for_hits("ภัยพิบัติ", 3).await;
    assert_eq!(body["total"], 3);
    app.stop().await;

    // The clean shutdown committed the mark: a restart has nothing to re-index.
    let parts = praden::app::Parts::open(&env.config()).await.unwrap();
    assert_eq!(parts.index.num_docs(), 3);
    assert_eq!(
        parts.index.high_water_mark().unwrap(),
        parts.store.last_document_place().await.unwrap()
    );
    parts.store.close().await;
}

async fn import_loads_jsonl_once_and_reports_bad_lines(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let lines = [
        r#"{"id": "1", "pub_date": "2024-03-05", "category": "ข่าวทำเนียบรัฐบาล", "title": "นายกรัฐมนตรีประชุมคณะรัฐมนตรี", "body": "ที่ทำเนียบรัฐบาล", "url": "https://www.thaigov.go.th/news/contents/details/1"}"#,
        r#"{"id": "2", "pub_date": "2024-03-06", "title": "โฆษกรัฐบาลแถลงผลการประชุม", "body": "มติคณะรัฐมนตรี", "url": "https://www.thaigov.go.th/news/contents/details/2"}"#,
        r#"{"id": "3", "pub_date": "not a date", "title": "x", "body": "y", "url": "https://www.thaigov.go.th/news/contents/details/3"}"#,
        r#"{"id": "4", "title": "#,
        r#"{"id": "5", "pub_date": "2567-03-07", "title": "ครม. อนุมัติงบประมาณ", "body": "", "url": "https://www.thaigov.go.th/news/contents/details/5"}"#,
    ];
    let path = env.dir.path().join("corpus.jsonl.gz");
    {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        writeln!(gz, "{}", lines.join("\n")).unwrap();
        gz.finish().unwrap();
    }
    let config = env.config();
    let parts = praden::app::Parts::open(&config).await.unwrap();
    let options = praden::import::ImportOptions {
        source_id: "thaigov".into(),
        kind: SourceKind::Official,
        outlet: None,
    };
    let first = praden::import::import_file(&parts.store, &path, &options, Default::default())
        .await
        .unwrap();
    assert_eq!(
        (first.lines, first.inserted, first.already_stored),
        (5, 3, 0)
    );
    assert_eq!(
        first.invalid.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        [3, 4]
    );
    assert!(
        first.invalid[0].1.contains("pub_date"),
        "{:?}",
        first.invalid
    );
    let again = praden::import::import_file(&parts.store, &path, &options, Default::default())
        .await
        .unwrap();
    assert_eq!((again.inserted, again.already_stored), (0, 3));
    let doc = parts.store.document(3).await.unwrap().map(|d| d.doc);
    // Ids are store ids; the third stored document is the B.E.-dated line 5.
    let doc = doc.unwrap();
    assert_eq!(doc.title, "ครม. อนุมัติงบประมาณ");
    assert_eq!(doc.outlet, "thaigov.go.th");
    assert_eq!(
        doc.published_at.unwrap().date(),
        time::macros::date!(2024 - 03 - 06),
        "midnight Bangkok is the day before in UTC"
    );
    parts.store.close().await;
    drop(parts);

    let app = RunningApp::start(config).await;
    let body = app.wait_for_hits("คณะรัฐมนตรี", 2).await;
    assert_eq!(body["total"], 2, "{body}");
    app.stop().await;
}
