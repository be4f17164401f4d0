//! The ingestion workers end to end: every kind of misbehaving source gets a clear error
//! recorded in its state while the others go on; conditional GET, Retry-After, the sources
//! API, and a restart that resumes the stored schedule. Every test runs on SQLite and on
//! PostgreSQL. No test asserts timings: polls are called directly or awaited by state.

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use praden_ingest::{FetchConfig, Fetcher, IngestLimits, Ingester, PollError, PollReport};
use praden_store::{SourceStatus, Store};
use praden_tests::{fixture, Db, FixtureServer, RunningApp, TestEnv};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

praden_tests::on_both_databases!(
    every_bad_source_gets_a_clear_recorded_error_and_the_others_go_on,
    unchanged_feeds_cost_a_304_and_store_nothing,
    rate_limited_and_failing_sources_back_off_and_are_never_dropped,
    the_sources_api_joins_the_config_with_the_state,
    a_restart_resumes_the_stored_schedule,
    legacy_thai_encodings_and_wrong_declarations_are_decoded,
    html_sources_read_listing_and_article_pages_politely,
    copies_of_a_story_across_outlets_are_linked_not_dropped,
    summary_only_feed_items_get_the_text_of_their_page,
    hostile_pages_fail_their_own_poll_and_slow_nothing_else,
    teaser_feeds_are_read_over_several_polls_storing_each_item_as_it_comes,
    redirects_may_leave_a_private_origin_only_for_public_addresses,
);

/// One sources.toml entry; `private` sets allow_private_network. Item pages are not fetched
/// (`fetch_article = "never"`): the fixture feeds link to the outlets' real pages.
fn entry(id: &str, url: &str, private: bool) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\nname = \"{id}\"\nkind = \"news\"\noutlet = \"{id}\"\n\
         url = \"{url}\"\nformat = \"rss\"\ninterval = \"10m\"\nallow_private_network = {private}\n\
         fetch_article = \"never\"\n\n"
    )
}

/// An ingester with short limits, so the slow and the huge sources fail fast.
async fn ingester(env: &TestEnv) -> (Store, Ingester, Vec<praden_ingest::Source>) {
    let config = env.config();
    let sources = praden::app::load_sources(&config).unwrap();
    let parts = praden::app::Parts::open(&config).await.unwrap();
    let fetcher = Fetcher::new(&FetchConfig {
        contact: "tests@praden.invalid".into(),
        timeout: Duration::from_secs(2),
        max_body_bytes: 4 << 20,
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

fn result<'a>(
    results: &'a [(String, Result<PollReport, PollError>)],
    id: &str,
) -> &'a Result<PollReport, PollError> {
    &results.iter().find(|(s, _)| s == id).unwrap().1
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

async fn every_bad_source_gets_a_clear_recorded_error_and_the_others_go_on(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    let matichon = fixture("feeds/matichon-wordpress.xml");
    feeds.set("good/feed", "application/rss+xml", matichon.clone());
    feeds.set(
        "atom/feed",
        "application/atom+xml",
        fixture("feeds/prd-atom.xml"),
    );
    feeds.set_status("down/feed", 500);
    feeds.set(
        "html/feed",
        "text/html; charset=utf-8",
        "<!doctype html><html><body><p>ไม่ใช่ฟีด</p></body></html>",
    );
    feeds.set(
        "truncated/feed",
        "application/rss+xml",
        matichon[..matichon.len() / 3].to_vec(),
    );
    // 50 MB of feed-looking text: cut off at the cap, never held whole.
    let mut huge = b"<?xml version=\"1.0\"?><rss><channel><title>x</title>".to_vec();
    huge.resize(50 << 20, b' ');
    feeds.set("huge/feed", "application/rss+xml", huge);
    // 64 MB of zeros in about 64 KB of gzip: the cap counts decompressed bytes.
    let bomb = axum::body::Bytes::from(gzip(&vec![0u8; 64 << 20]));
    assert!(bomb.len() < 1 << 20);
    feeds.set_handler("bomb/feed", move |_| {
        (
            [
                (header::CONTENT_TYPE, "application/rss+xml"),
                (header::CONTENT_ENCODING, "gzip"),
            ],
            bomb.clone(),
        )
            .into_response()
    });
    // A server that sends a byte every 100 ms for ever: only the total time limit ends it.
    feeds.set_handler("trickle/feed", |_| {
        let stream = futures_util::stream::unfold(0u64, |n| async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Some((Ok::<_, std::io::Error>(vec![b' ']), n + 1))
        });
        (
            [(header::CONTENT_TYPE, "application/rss+xml")],
            Body::from_stream(stream),
        )
            .into_response()
    });
    feeds.set_redirect("loop/a", &feeds.url("loop/b"));
    feeds.set_redirect("loop/b", &feeds.url("loop/a"));
    // Redirects into private networks are refused before any connection is attempted (no
    // traffic ever leaves 127.0.0.1 in this test).
    feeds.set_redirect("private/feed", "http://10.0.0.1/feed");
    feeds.set_redirect("metadata/feed", "http://169.254.169.254/latest/meta-data/");
    feeds.set(
        "strict/feed",
        "application/rss+xml",
        fixture("feeds/thairath.xml"),
    );

    let mut toml = String::new();
    for id in [
        "good",
        "atom",
        "down",
        "html",
        "truncated",
        "huge",
        "bomb",
        "trickle",
        "private",
        "metadata",
    ] {
        toml.push_str(&entry(id, &feeds.url(&format!("{id}/feed")), true));
    }
    toml.push_str(&entry("loop", &feeds.url("loop/a"), true));
    // The fixture server is on 127.0.0.1: without allow_private_network it is out of reach.
    toml.push_str(&entry("strict", &feeds.url("strict/feed"), false));
    env.write_sources_toml(&toml);
    let (store, ingester, sources) = ingester(&env).await;

    let results = ingester.poll_all_once(&sources).await;
    let good = result(&results, "good").as_ref().unwrap();
    assert_eq!((good.found, good.new, good.skipped.len()), (3, 2, 1));
    assert_eq!(result(&results, "atom").as_ref().unwrap().new, 1);
    assert_eq!(store.count_documents().await.unwrap(), 3);

    let expectations = [
        ("down", "HTTP 500"),
        ("html", "could not be parsed"),
        ("truncated", "could not be parsed"),
        ("huge", "more than 4194304 bytes"),
        ("bomb", "more than 4194304 bytes"),
        ("trickle", "did not finish within 2s"),
        ("loop", "more than 5 redirects"),
        ("private", "10.0.0.1 is a private or reserved address"),
        (
            "metadata",
            "169.254.169.254 is a private or reserved address",
        ),
        ("strict", "127.0.0.1 is a private or reserved address"),
    ];
    for (id, expected) in expectations {
        let err = match result(&results, id) {
            Ok(r) => panic!("{id} should have failed: {r:?}"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(expected), "{id}: {err}");
        let state = store.source_state(id).await.unwrap().unwrap();
        assert_eq!(state.last_error.as_deref(), Some(err.as_str()), "{id}");
        assert_eq!(state.consecutive_failures, 1, "{id}");
        assert_eq!(
            state.status,
            SourceStatus::Failing,
            "{id}: a source that never delivered fails from its first failure"
        );
        assert!(state.last_success_at.is_none(), "{id}");
    }
    assert_eq!(feeds.hits("strict/feed"), 0, "refused before connecting");
    assert!(feeds.hits("loop/a") >= 3);

    // The malformed item of the good feed is recorded with its reason, the others stored.
    let good = store.source_state("good").await.unwrap().unwrap();
    assert_eq!(
        (
            good.items_found_last,
            good.items_failed_last,
            good.consecutive_failures
        ),
        (3, 1, 0)
    );
    assert!(
        good.last_error
            .as_deref()
            .unwrap()
            .contains("neither a title nor any text"),
        "{good:?}"
    );
    let failures = store.item_failures("good", 10).await.unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].reason.contains("neither a title nor any text"));
    store.close().await;
}

async fn unchanged_feeds_cost_a_304_and_store_nothing(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let body = fixture("feeds/thairath.xml");
    {
        let seen = seen.clone();
        feeds.set_handler("etag/feed", move |h: &HeaderMap| {
            let inm = h
                .get(header::IF_NONE_MATCH)
                .map(|v| v.to_str().unwrap().to_string());
            let ims = h
                .get(header::IF_MODIFIED_SINCE)
                .map(|v| v.to_str().unwrap().to_string());
            seen.lock().unwrap().push((inm.clone(), ims));
            if inm.as_deref() == Some("\"v1\"") {
                return StatusCode::NOT_MODIFIED.into_response();
            }
            (
                [
                    (header::CONTENT_TYPE, "application/rss+xml"),
                    (header::ETAG, "\"v1\""),
                    (header::LAST_MODIFIED, "Tue, 05 Mar 2024 02:00:00 GMT"),
                ],
                body.clone(),
            )
                .into_response()
        });
    }
    env.write_sources_toml(&entry("etag", &feeds.url("etag/feed"), true));
    let (store, ingester, sources) = ingester(&env).await;

    let first = ingester.poll(&sources[0]).await.unwrap();
    assert!(!first.not_modified && first.new > 0);
    let state = store.source_state("etag").await.unwrap().unwrap();
    assert_eq!(state.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        state.last_modified.as_deref(),
        Some("Tue, 05 Mar 2024 02:00:00 GMT")
    );
    let documents = store.count_documents().await.unwrap();

    let second = ingester.poll(&sources[0]).await.unwrap();
    assert!(second.not_modified);
    assert_eq!((second.found, second.new), (0, 0));
    assert_eq!(store.count_documents().await.unwrap(), documents);
    let after = store.source_state("etag").await.unwrap().unwrap();
    assert_eq!(after.consecutive_failures, 0);
    assert_eq!(after.etag, state.etag, "a 304 keeps the validators");
    // One empty poll no longer stretches the interval (issue 4: a source publishing every
    // few polls drifted to its maximum); it lowers the estimated publishing rate, which sets
    // the interval once the source has been quiet for a while.
    assert_eq!(after.interval_ms, state.interval_ms);
    let (before_rate, after_rate) = (state.rate_per_hour.unwrap(), after.rate_per_hour.unwrap());
    assert!(
        after_rate < before_rate,
        "nothing new: a lower rate ({before_rate} → {after_rate})"
    );
    assert_eq!(after.items_found_total, state.items_found_total);

    // The rate is kept in the store, so a restart goes on from it: a stored busy rate (1234
    // items an hour, 205 per 10-minute poll) puts the next interval at the minimum (5m).
    let mut busy = after.clone();
    busy.rate_per_hour = Some(1234.0);
    store.save_source_state(&busy).await.unwrap();
    store.close().await;
    let (store, ingester, sources) = self::ingester(&env).await;
    assert!(ingester.poll(&sources[0]).await.unwrap().not_modified);
    let restarted = store.source_state("etag").await.unwrap().unwrap();
    assert_eq!(restarted.interval_ms, 300_000, "{restarted:?}");
    assert!(restarted.rate_per_hour.unwrap() > 1200.0, "{restarted:?}");

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0], (None, None));
    assert_eq!(
        seen[1],
        (
            Some("\"v1\"".to_string()),
            Some("Tue, 05 Mar 2024 02:00:00 GMT".to_string())
        )
    );
    store.close().await;
}

async fn rate_limited_and_failing_sources_back_off_and_are_never_dropped(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    feeds.set_handler("busy/feed", |_| {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "7200")],
            "slow down",
        )
            .into_response()
    });
    feeds.set_status("down/feed", 503);
    env.write_sources_toml(&format!(
        "{}{}",
        entry("busy", &feeds.url("busy/feed"), true),
        entry("down", &feeds.url("down/feed"), true)
    ));
    let (store, ingester, sources) = ingester(&env).await;

    let before = OffsetDateTime::now_utc();
    let err = ingester.poll(&sources[0]).await.unwrap_err().to_string();
    assert!(err.contains("HTTP 429"), "{err}");
    let busy = store.source_state("busy").await.unwrap().unwrap();
    // Retry-After: 7200 pushes the next poll about two hours out (less at most the jitter).
    let wait = busy.next_poll_at.unwrap() - before;
    assert!(wait >= time::Duration::minutes(107), "{wait}");

    let mut waits = Vec::new();
    for _ in 0..4 {
        let at = OffsetDateTime::now_utc();
        assert!(ingester.poll(&sources[1]).await.is_err());
        let down = store.source_state("down").await.unwrap().unwrap();
        waits.push((down.next_poll_at.unwrap() - at).whole_seconds());
    }
    let down = store.source_state("down").await.unwrap().unwrap();
    assert_eq!(down.consecutive_failures, 4);
    assert_eq!(down.status, SourceStatus::Failing);
    assert!(
        down.next_poll_at.is_some(),
        "a failing source is still scheduled"
    );
    assert!(
        waits.windows(2).all(|w| w[1] > w[0]),
        "each failure waits longer: {waits:?}"
    );

    // One success clears the failure.
    feeds.set(
        "down/feed",
        "application/rss+xml",
        fixture("feeds/thairath.xml"),
    );
    ingester.poll(&sources[1]).await.unwrap();
    let down = store.source_state("down").await.unwrap().unwrap();
    assert_eq!(
        (down.status, down.consecutive_failures),
        (SourceStatus::Ok, 0)
    );
    assert!(down.last_error.is_none());
    store.close().await;
}

async fn the_sources_api_joins_the_config_with_the_state(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    feeds.set(
        "matichon/feed",
        "application/rss+xml",
        fixture("feeds/matichon-wordpress.xml"),
    );
    feeds.set_status("down/feed", 500);
    env.write_sources_toml(&format!(
        "{}{}{}",
        entry("matichon", &feeds.url("matichon/feed"), true),
        entry("down", &feeds.url("down/feed"), true),
        entry("off", &feeds.url("off/feed"), true).replace("\n\n", "\nenabled = false\n\n"),
    ));
    let app = RunningApp::start(env.config()).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let sources = loop {
        let (status, body) = app.get_json("/api/v1/sources").await;
        assert_eq!(status, 200, "{body}");
        let sources = body["sources"].as_array().unwrap().clone();
        if sources[..2].iter().all(|s| s["last_poll_at"].is_string()) {
            break sources;
        }
        assert!(tokio::time::Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let ids: Vec<_> = sources.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["matichon", "down", "off"], "in sources.toml order");

    let m = &sources[0];
    assert_eq!(m["status"], "ok");
    assert_eq!(m["outlet"], "matichon");
    assert_eq!(m["kind"], "news");
    assert_eq!(m["url"], feeds.url("matichon/feed"));
    assert_eq!(m["enabled"], true);
    assert_eq!(m["items_found_last_poll"], 3);
    assert_eq!(m["items_failed_last_poll"], 1);
    assert!(m["last_success_at"].is_string() && m["next_poll_at"].is_string());
    assert!(m["interval_seconds"].as_f64().unwrap() > 0.0);

    let d = &sources[1];
    assert_eq!(
        d["status"], "failing",
        "a source that never delivered fails from its first failure"
    );
    assert!(d["consecutive_failures"].as_i64().unwrap() >= 1);
    assert!(
        d["last_error"].as_str().unwrap().contains("HTTP 500"),
        "{d}"
    );
    assert!(d["last_success_at"].is_null());

    let off = &sources[2];
    assert_eq!(
        (&off["status"], &off["enabled"]),
        (&"pending".into(), &false.into())
    );
    assert!(off["last_poll_at"].is_null());
    assert_eq!(feeds.hits("off/feed"), 0);

    // /healthz counts the enabled sources that fail (the disabled one is not polled).
    let (status, health) = app.get_json("/healthz").await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["sources_failing"], 1, "{health}");

    // The health page puts what is broken first, with its error, and the rest after.
    let page = app
        .client()
        .get(format!("{}/sources", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = |needle: &str| {
        page.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {page}"))
    };
    assert!(page.contains("3 แหล่ง · ขัดข้อง 1"), "{page}");
    assert!(at(">down ·") < at(">matichon ·") && at(">matichon ·") < at(">off ·"));
    assert!(
        at("HTTP 500") < at(">matichon ·"),
        "the error beside its source"
    );
    assert!(page.contains("ขัดข้อง</span>") && page.contains("ปิดใช้งาน</span>"));
    app.stop().await;
}

async fn a_restart_resumes_the_stored_schedule(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    feeds.set(
        "old/feed",
        "application/rss+xml",
        fixture("feeds/thairath.xml"),
    );
    feeds.set(
        "new/feed",
        "application/rss+xml",
        fixture("feeds/matichon-wordpress.xml"),
    );
    env.write_sources_toml(&entry("old", &feeds.url("old/feed"), true));
    {
        let (store, ingester, sources) = ingester(&env).await;
        ingester.poll(&sources[0]).await.unwrap();
        store.close().await;
    }
    assert_eq!(feeds.hits("old/feed"), 1);

    // After the restart the new source is polled at once; the old one waits for its stored
    // next poll (minutes away), instead of everything being polled at start.
    env.write_sources_toml(&format!(
        "{}{}",
        entry("old", &feeds.url("old/feed"), true),
        entry("new", &feeds.url("new/feed"), true)
    ));
    let app = RunningApp::start(env.config()).await;
    app.wait_for_hits("ค่าไฟฟ้า", 1).await;
    let (_, body) = app.get_json("/api/v1/sources").await;
    assert!(body["sources"][1]["last_poll_at"].is_string(), "{body}");
    assert_eq!(feeds.hits("old/feed"), 1, "not re-polled at start");
    app.stop().await;
}

async fn legacy_thai_encodings_and_wrong_declarations_are_decoded(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    let utf8 = String::from_utf8(fixture("feeds/thairath.xml")).unwrap();
    let tis620 = |text: &str| encoding_rs::WINDOWS_874.encode(text).0.into_owned();
    // A legacy feed that says what it is in its prolog.
    let declared = utf8.replace("encoding=\"UTF-8\"", "encoding=\"TIS-620\"");
    feeds.set("declared/feed", "text/xml", tis620(&declared));
    // TIS-620 bytes under a UTF-8 header and prolog: the body overrules the declaration.
    let wrong = utf8.replace("2770001", "2770002");
    feeds.set(
        "wrong/feed",
        "application/rss+xml; charset=utf-8",
        tis620(&wrong),
    );
    env.write_sources_toml(&format!(
        "{}{}",
        entry("declared", &feeds.url("declared/feed"), true),
        entry("wrong", &feeds.url("wrong/feed"), true)
    ));
    let (store, ingester, sources) = ingester(&env).await;
    let results = ingester.poll_all_once(&sources).await;
    for id in ["declared", "wrong"] {
        let report = result(&results, id).as_ref().unwrap();
        assert_eq!((report.found, report.new), (1, 1), "{id}");
    }
    for doc in store.documents_after(0, 10).await.unwrap() {
        assert_eq!(
            doc.doc.title,
            "นายกฯ สั่งการ \"กระทรวงสาธารณสุข\" รับมือฝุ่น PM2.5 เกินค่ามาตรฐาน"
        );
        assert!(doc.doc.body.contains("หน้ากากอนามัย"), "{}", doc.doc.body);
    }
    store.close().await;
}

async fn html_sources_read_listing_and_article_pages_politely(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    let tis620 = |text: &str| encoding_rs::WINDOWS_874.encode(text).0.into_owned();
    // A legacy government site: windows-874 pages, declared only in the meta tag.
    feeds.set(
        "gov/news",
        "text/html",
        tis620(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-874\"></head>\
             <body><div class=\"list\"><a href=\"/gov/a/1\">ข่าว 1</a><a href=\"/gov/a/2\">ข่าว 2</a>\
             <a href=\"/gov/a/3\">ข่าว 3</a><a href=\"/gov/private/4\">ข่าว 4</a></div></body></html>",
        ),
    );
    let article = |title: &str, date: &str| {
        tis620(&format!(
            "<html><head><meta charset=\"windows-874\"><title>{title} - กระทรวง</title></head><body>\
             <div class=\"menu\"><p>หน้าแรก</p></div><div class=\"detail\"><h1>{title}</h1>\
             <span class=\"date\">{date}</span><p>กระทรวงเกษตรและสหกรณ์เตรียมมาตรการรับมือภัยแล้ง</p>\
             <p>ช่วยเหลือเกษตรกรทั่วประเทศ</p></div></body></html>"
        ))
    };
    feeds.set(
        "gov/a/1",
        "text/html",
        article("รับมือภัยแล้ง", "5 มี.ค. 2567 10:15 น."),
    );
    feeds.set(
        "gov/a/2",
        "text/html",
        article("แจกเมล็ดพันธุ์", "๖ มีนาคม ๒๕๖๗"),
    );
    feeds.set_status("gov/a/3", 500);
    feeds.set("gov/private/4", "text/html", article("ลับ", "6 มี.ค. 2567"));
    feeds.set(
        "robots.txt",
        "text/plain",
        "User-agent: *\nDisallow: /gov/private/\n",
    );
    env.write_sources_toml(&format!(
        "{}[source.html]\nitem_link = \"div.list a\"\ndate = \"span.date\"\n\n",
        entry("gov", &feeds.url("gov/news"), true)
            .replace("format = \"rss\"", "format = \"html\"")
            .replace("fetch_article = \"never\"\n", "")
    ));
    let (store, ingester, sources) = ingester(&env).await;

    let first = ingester.poll(&sources[0]).await.unwrap();
    assert_eq!((first.found, first.new), (4, 2), "{first:?}");
    let reasons: Vec<_> = first.skipped.iter().map(|e| e.to_string()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("/gov/a/3") && r.contains("HTTP 500")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("/gov/private/4") && r.contains("robots.txt")),
        "{reasons:?}"
    );
    assert_eq!(feeds.hits("gov/private/4"), 0);
    assert_eq!(store.item_failures("gov", 10).await.unwrap().len(), 2);

    let docs = store.documents_after(0, 10).await.unwrap();
    let first_doc = docs.iter().find(|d| d.doc.title == "รับมือภัยแล้ง").unwrap();
    assert_eq!(
        first_doc.doc.published_at,
        Some(time::macros::datetime!(2024-03-05 03:15 UTC))
    );
    assert_eq!(
        first_doc.doc.body,
        "กระทรวงเกษตรและสหกรณ์เตรียมมาตรการรับมือภัยแล้ง\nช่วยเหลือเกษตรกรทั่วประเทศ"
    );
    assert!(docs.iter().any(|d| d.doc.title == "แจกเมล็ดพันธุ์"));

    // The next poll fetches only the pages it does not have.
    let second = ingester.poll(&sources[0]).await.unwrap();
    assert_eq!((second.new, second.already_stored), (0, 2));
    assert_eq!(feeds.hits("gov/a/1"), 1);
    assert_eq!(feeds.hits("gov/a/3"), 2, "a failed page is tried again");
    store.close().await;
}

fn rss(link: &str, title: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>\
         <item><title>{title}</title><link>{link}</link><description>{body}</description>\
         <pubDate>Tue, 05 Mar 2024 10:15:00 +0700</pubDate></item></channel></rss>"
    )
}

async fn copies_of_a_story_across_outlets_are_linked_not_dropped(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    let release = "นายกรัฐมนตรีเป็นประธานการประชุมคณะรัฐมนตรีที่ทำเนียบรัฐบาล \
        ที่ประชุมมีมติเห็นชอบมาตรการลดค่าครองชีพให้แก่ประชาชน โดยลดค่าไฟฟ้าและค่าน้ำประปา \
        เป็นเวลาสามเดือน ตั้งแต่เดือนเมษายนถึงเดือนมิถุนายน กระทรวงพลังงานจะเป็นผู้ดำเนินการ \
        ร่วมกับการไฟฟ้านครหลวงและการไฟฟ้าส่วนภูมิภาค คาดว่าจะช่วยเหลือครัวเรือนได้กว่ายี่สิบล้านครัวเรือน \
        โฆษกประจำสำนักนายกรัฐมนตรีกล่าวว่ารัฐบาลติดตามสถานการณ์อย่างใกล้ชิด";
    let title = "ครม. เห็นชอบลดค่าไฟฟ้าสามเดือน";
    feeds.set(
        "gov/rss",
        "application/rss+xml",
        rss("https://gov.th/1", title, release),
    );
    // The same text word for word, and a lightly edited copy.
    feeds.set(
        "wire/rss",
        "application/rss+xml",
        rss("https://wire.th/9", title, release),
    );
    let edited = format!(
        "(ข่าวสด) {} ติดตามข่าวสารได้ที่เว็บไซต์",
        release.replace("สามเดือน", "3 เดือน")
    );
    feeds.set(
        "khaosod/rss",
        "application/rss+xml",
        rss("https://khaosod.th/5", "ครม.ไฟเขียวลดค่าไฟ 3 เดือน", &edited),
    );
    feeds.set(
        "weather/rss",
        "application/rss+xml",
        rss(
            "https://weather.th/2",
            "เตือนพายุฤดูร้อน",
            "กรมอุตุนิยมวิทยาประกาศเตือนพายุฤดูร้อนบริเวณภาคเหนือและภาคตะวันออกเฉียงเหนือ \
             ประชาชนควรระวังอันตรายจากลมกระโชกแรงและลูกเห็บตก เกษตรกรควรเตรียมการป้องกันความเสียหาย \
             ที่จะเกิดกับผลผลิตทางการเกษตร ส่วนกรุงเทพมหานครและปริมณฑลมีฝนฟ้าคะนองร้อยละสามสิบของพื้นที่",
        ),
    );
    let ids = ["gov", "wire", "khaosod", "weather"];
    let toml: String = ids
        .iter()
        .map(|id| entry(id, &feeds.url(&format!("{id}/rss")), true))
        .collect();
    env.write_sources_toml(&toml);
    let (store, ingester, sources) = ingester(&env).await;
    // One at a time, so the store ids follow the order the outlets published in.
    for source in &sources {
        assert_eq!(ingester.poll(source).await.unwrap().new, 1, "{}", source.id);
    }
    assert_eq!(store.count_documents().await.unwrap(), 4, "copies are kept");
    let copies = store.copies_of(3).await.unwrap();
    let outlets: Vec<_> = copies.iter().map(|c| c.outlet.as_str()).collect();
    assert_eq!(outlets, ["gov", "wire", "khaosod"]);
    assert_eq!(store.copies_of(4).await.unwrap().len(), 1, "another story");
    store.close().await;
}

/// A feed of teasers: each new item's page is fetched for the story (robots.txt and the
/// fetch limits apply); an item whose page fails keeps its summary and the failure is
/// recorded; stored items are not fetched again. The feed's Thai dates are read too.
async fn summary_only_feed_items_get_the_text_of_their_page(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    let item = |n: u32, title: &str, teaser: &str, date: &str| {
        format!(
            "<item><title>{title}</title><link>{}</link><description>{teaser}</description>\
             <pubDate>{date}</pubDate></item>",
            feeds.url(&format!("news/{n}"))
        )
    };
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>ข่าว</title>{}{}{}{}</channel></rss>",
        item(1, "ครม. อนุมัติงบภัยแล้ง", "ครม. อนุมัติงบ...", "5 มี.ค. 2567 10:15 น."),
        item(2, "น้ำท่วมเชียงใหม่", "ฝนตกหนัก...", "๕ มีนาคม ๒๕๖๗"),
        item(3, "ข่าวสมาชิก", "เฉพาะสมาชิก...", "Tue, 05 Mar 2024 10:15:00 +0700"),
        item(4, "ข่าวที่หายไป", "หน้านี้หายไป...", "Tue, 05 Mar 2024 11:00:00 +0700"),
    );
    feeds.set("news/feed", "application/rss+xml", feed);
    let page = |story: &str| {
        format!(
            "<html><body><nav><p>หน้าแรก</p></nav><div class=\"entry\"><h1>หัวข้อ</h1>\
             <p>{story}</p><p>รายละเอียดเพิ่มเติมของข่าว</p></div><aside><p>ข่าวอื่น</p></aside></body></html>"
        )
    };
    feeds.set(
        "news/1",
        "text/html; charset=utf-8",
        page("คณะรัฐมนตรีอนุมัติงบกลางช่วยเหลือเกษตรกรที่ได้รับผลกระทบจากภัยแล้ง"),
    );
    feeds.set(
        "news/2",
        "text/html; charset=utf-8",
        page("ฝนตกหนักต่อเนื่องทำให้น้ำท่วมหลายอำเภอในจังหวัดเชียงใหม่"),
    );
    feeds.set("news/3", "text/html", page("ไม่ควรถูกอ่าน"));
    feeds.set_status("news/4", 404);
    feeds.set(
        "robots.txt",
        "text/plain",
        "User-agent: *\nDisallow: /news/3\n",
    );
    env.write_sources_toml(&format!(
        "{}[source.html]\nbody = \"div.entry p\"\n\n",
        entry("teasers", &feeds.url("news/feed"), true).replace("\"never\"", "\"auto\"")
    ));
    let (store, ingester, sources) = ingester(&env).await;

    let first = ingester.poll(&sources[0]).await.unwrap();
    assert_eq!(
        (first.found, first.new),
        (4, 4),
        "nothing is lost: {first:?}"
    );
    assert_eq!(first.articles_fetched, 2, "{first:?}");
    let failures: Vec<_> = first
        .article_failures
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(
        failures
            .iter()
            .any(|r| r.contains("/news/3") && r.contains("robots.txt")),
        "{failures:?}"
    );
    assert!(
        failures
            .iter()
            .any(|r| r.contains("/news/4") && r.contains("HTTP 404")),
        "{failures:?}"
    );
    assert_eq!(feeds.hits("news/3"), 0);
    let recorded = store.item_failures("teasers", 10).await.unwrap();
    assert_eq!(recorded.len(), 2, "{recorded:?}");

    let docs = store.documents_after(0, 10).await.unwrap();
    let body = |title: &str| {
        docs.iter()
            .find(|d| d.doc.title == title)
            .map(|d| (d.doc.body.clone(), d.doc.published_at))
            .unwrap()
    };
    assert_eq!(
        body("ครม. อนุมัติงบภัยแล้ง"),
        (
            "คณะรัฐมนตรีอนุมัติงบกลางช่วยเหลือเกษตรกรที่ได้รับผลกระทบจากภัยแล้ง\nรายละเอียดเพิ่มเติมของข่าว"
                .to_string(),
            Some(time::macros::datetime!(2024-03-05 03:15 UTC))
        )
    );
    assert_eq!(
        body("น้ำท่วมเชียงใหม่").1,
        Some(time::macros::datetime!(2024-03-04 17:00 UTC)),
        "Thai digits and month, midnight in Bangkok"
    );
    assert_eq!(body("ข่าวสมาชิก").0, "เฉพาะสมาชิก...");
    assert_eq!(body("ข่าวที่หายไป").0, "หน้านี้หายไป...");

    // Stored items, even those kept with their summary, are not fetched again.
    let second = ingester.poll(&sources[0]).await.unwrap();
    assert_eq!((second.new, second.already_stored), (0, 4), "{second:?}");
    assert_eq!(second.articles_fetched, 0);
    assert_eq!(feeds.hits("news/1"), 1);
    assert_eq!(feeds.hits("news/4"), 1);
    store.close().await;
}

/// Issue 23 part 2: a listing of 750,000 nested `<div>`s once kept html5ever busy with no
/// limit, and two such sources blocked both async worker threads (no `/healthz` for 7
/// minutes). Now parsing runs on the parse pool and the nesting pre-scan refuses the page
/// before html5ever sees it: the hostile polls fail with a recorded reason naming the budget,
/// while the server answers and the good source is stored and searchable.
async fn hostile_pages_fail_their_own_poll_and_slow_nothing_else(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    let hostile = format!(
        "<html><body><div class=\"list\">{}<a href=\"/a/1\">x</a></div></body></html>",
        "<div>".repeat(750_000)
    );
    feeds.set("deep1/news", "text/html", hostile.clone());
    feeds.set("deep2/news", "text/html", hostile);
    feeds.set(
        "good/feed",
        "application/rss+xml",
        fixture("feeds/matichon-wordpress.xml"),
    );
    let html = |id: &str| {
        format!(
            "{}[source.html]\nitem_link = \"div.list a\"\n\n",
            entry(id, &feeds.url(&format!("{id}/news")), true)
                .replace("format = \"rss\"", "format = \"html\"")
                .replace("fetch_article = \"never\"\n", "")
        )
    };
    env.write_sources_toml(&format!(
        "{}{}{}",
        html("deep1"),
        html("deep2"),
        entry("good", &feeds.url("good/feed"), true)
    ));
    let app = RunningApp::start(env.config()).await;
    // The server answers all along; the bound only keeps a broken build from hanging.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let mut answered = 0;
    let errors = loop {
        let (status, health) = app.get_json("/healthz").await;
        assert_eq!(status, 200, "{health}");
        answered += 1;
        let (_, body) = app.get_json("/api/v1/sources").await;
        let errors: Vec<String> = body["sources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["id"] != "good")
            .filter_map(|s| s["last_error"].as_str().map(str::to_string))
            .collect();
        if errors.len() == 2 {
            break errors;
        }
        assert!(tokio::time::Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for (id, error) in ["deep1", "deep2"].iter().zip(&errors) {
        assert!(
            error.contains(&format!("the listing page of source \"{id}\""))
                && error.contains("nests elements deeper than the parse budget of 1024 levels"),
            "{error}"
        );
    }
    assert!(answered >= 1);
    app.wait_for_hits("ค่าไฟฟ้า", 1).await;
    let deep = app.store().source_state("deep1").await.unwrap().unwrap();
    assert_eq!(deep.consecutive_failures, 1, "{deep:?}");
    assert_eq!(
        feeds.hits("a/1"),
        0,
        "no link of the refused page was followed"
    );
    app.stop().await;
}

/// Issue 23 part 6: a teaser feed with more new items than `max_article_fetches` is read over
/// several polls. Each item is stored as soon as its page is in; the rest wait, unstored, for
/// the next poll, which comes at the source's shortest interval and re-reads the feed (its
/// validators are kept back while items wait). Each page is fetched once.
async fn teaser_feeds_are_read_over_several_polls_storing_each_item_as_it_comes(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let feeds = FixtureServer::start().await;
    let items: String = (1..=7)
        .map(|n| {
            format!(
                "<item><title>ข่าวที่ {n}</title><link>{}</link><description>ย่อ {n}...</description>\
                 <pubDate>Tue, 05 Mar 2024 10:{n:02}:00 +0700</pubDate></item>",
                feeds.url(&format!("news/{n}"))
            )
        })
        .collect();
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>ข่าว</title>{items}</channel></rss>"
    );
    feeds.set_handler("news/feed", move |h: &HeaderMap| {
        if h.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"v1\"") {
            return StatusCode::NOT_MODIFIED.into_response();
        }
        (
            [
                (header::CONTENT_TYPE, "application/rss+xml"),
                (header::ETAG, "\"v1\""),
            ],
            feed.clone(),
        )
            .into_response()
    });
    let page = |n: u32| {
        format!(
            "<html><body><div class=\"entry\"><p>เนื้อหาข่าวฉบับเต็มที่ {n} ยาวกว่าข้อความย่อในฟีด</p></div></body></html>"
        )
    };
    for n in 1..=7 {
        feeds.set(&format!("news/{n}"), "text/html; charset=utf-8", page(n));
    }
    env.write_sources_toml(&format!(
        "{}\nmax_article_fetches = 3\n\n",
        entry("teasers", &feeds.url("news/feed"), true)
            .replace("\"never\"", "\"auto\"")
            .trim_end()
    ));
    let (store, ingester, sources) = ingester(&env).await;
    // When page 2 is asked for, page 1's item is already in the store.
    let stored_before_page_2 = Arc::new(Mutex::new(None));
    {
        let (store, seen, body) = (store.clone(), stored_before_page_2.clone(), page(2));
        feeds.set_handler("news/2", move |_| {
            let count = tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(store.count_documents())
            });
            *seen.lock().unwrap() = Some(count.unwrap());
            (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                body.clone(),
            )
                .into_response()
        });
    }

    let before = OffsetDateTime::now_utc();
    let first = ingester.poll(&sources[0]).await.unwrap();
    assert_eq!(
        (
            first.found,
            first.new,
            first.articles_fetched,
            first.deferred
        ),
        (7, 3, 3, 4),
        "{first:?}"
    );
    assert_eq!(*stored_before_page_2.lock().unwrap(), Some(1));
    assert_eq!(store.count_documents().await.unwrap(), 3);
    let state = store.source_state("teasers").await.unwrap().unwrap();
    assert_eq!(state.etag, None, "validators kept back while items wait");
    assert!(
        state.next_poll_at.unwrap()
            <= before + sources[0].min_interval + time::Duration::minutes(1),
        "items waiting: the next poll comes at the shortest interval: {state:?}"
    );
    assert!(state.last_error.is_none(), "{state:?}");

    let second = ingester.poll(&sources[0]).await.unwrap();
    assert_eq!(
        (second.new, second.already_stored, second.deferred),
        (3, 3, 1),
        "{second:?}"
    );
    let third = ingester.poll(&sources[0]).await.unwrap();
    assert_eq!(
        (third.new, third.already_stored, third.deferred),
        (1, 6, 0),
        "{third:?}"
    );
    let state = store.source_state("teasers").await.unwrap().unwrap();
    assert_eq!(
        state.etag.as_deref(),
        Some("\"v1\""),
        "all read: validators saved"
    );
    assert!(ingester.poll(&sources[0]).await.unwrap().not_modified);
    for n in 1..=7 {
        assert_eq!(feeds.hits(&format!("news/{n}")), 1, "page {n}");
    }
    let docs = store.documents_after(0, 10).await.unwrap();
    assert_eq!(docs.len(), 7);
    assert!(
        docs.iter()
            .all(|d| d.doc.body.starts_with("เนื้อหาข่าวฉบับเต็ม")),
        "{docs:?}"
    );
    store.close().await;
}

/// Issue 23 part 7: `allow_private_network` admits the source's own origin (scheme, host,
/// port). A redirect keeping all three is followed; one to another port of the same host, or
/// to `localhost` (a name resolving privately), is checked as a new request and refused before
/// connecting; an item page on another private origin is refused too.
async fn redirects_may_leave_a_private_origin_only_for_public_addresses(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let home = FixtureServer::start().await;
    let other = FixtureServer::start().await;
    let thairath = fixture("feeds/thairath.xml");
    home.set("real/feed", "application/rss+xml", thairath.clone());
    other.set("feed", "application/rss+xml", thairath);
    home.set_redirect("same/feed", &home.url("real/feed"));
    home.set_redirect("port/feed", &other.url("feed"));
    let port = home
        .url("")
        .split(':')
        .nth(2)
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    home.set_redirect("name/feed", &format!("http://localhost:{port}/real/feed"));
    // A teaser feed whose items' pages live on its own origin and on another port.
    let teaser = |link: String, n: u32| {
        format!(
            "<item><title>ข่าว {n}</title><link>{link}</link><description>ย่อ...</description></item>"
        )
    };
    home.set(
        "pages/feed",
        "application/rss+xml",
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>{}{}</channel></rss>",
            teaser(home.url("page/1"), 1),
            teaser(other.url("page/2"), 2)
        ),
    );
    let body = "<html><body><div><p>เนื้อหาข่าวฉบับเต็มยาวกว่าข้อความย่อ</p></div></body></html>";
    home.set("page/1", "text/html; charset=utf-8", body);
    other.set("page/2", "text/html; charset=utf-8", body);
    let mut toml = String::new();
    for id in ["same", "port", "name"] {
        toml.push_str(&entry(id, &home.url(&format!("{id}/feed")), true));
    }
    toml.push_str(&entry("pages", &home.url("pages/feed"), true).replace("\"never\"", "\"auto\""));
    env.write_sources_toml(&toml);
    let (store, ingester, sources) = ingester(&env).await;
    let results = ingester.poll_all_once(&sources).await;

    assert!(result(&results, "same").as_ref().unwrap().new > 0);
    for (id, expected) in [
        ("port", "127.0.0.1 is a private or reserved address"),
        ("name", "localhost is a private or reserved address"),
    ] {
        let err = match result(&results, id) {
            Ok(r) => panic!("{id} should have been refused: {r:?}"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(expected), "{id}: {err}");
        let state = store.source_state(id).await.unwrap().unwrap();
        assert_eq!(state.last_error.as_deref(), Some(err.as_str()));
    }
    assert_eq!(other.hits("feed"), 0, "refused before connecting");
    assert_eq!(
        home.hits("real/feed"),
        1,
        "only the same-origin redirect arrived"
    );

    let pages = result(&results, "pages").as_ref().unwrap();
    assert_eq!((pages.new, pages.articles_fetched), (2, 1), "{pages:?}");
    let failures: Vec<_> = pages
        .article_failures
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert!(
        failures.len() == 1
            && failures[0].contains("/page/2")
            && failures[0].contains("127.0.0.1 is a private or reserved address"),
        "{failures:?}"
    );
    assert_eq!(other.hits("page/2"), 0);
    assert_eq!(other.hits("robots.txt"), 0);
    store.close().await;
}
