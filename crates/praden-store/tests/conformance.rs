//! One suite, both backends: every check runs on SQLite and on PostgreSQL (when
//! PRADEN_TEST_POSTGRES_URL is set; .ci/run sets it).

use praden_core::{NewDocument, SourceKind};
use praden_store::testing::TestPostgres;
use praden_store::{Backend, SourceState, SourceStatus, Store};
use std::future::Future;
use time::macros::datetime;

async fn on_sqlite<F, Fut>(check: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/praden.db", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    check(store.clone()).await;
    reopen_keeps_everything(store, &url).await;
}

/// Opening an existing database again runs no migration twice and keeps every row.
async fn reopen_keeps_everything(store: Store, url: &str) {
    let before = store.count_documents().await.unwrap();
    store.close().await;
    let again = Store::connect(url).await.unwrap();
    assert_eq!(again.count_documents().await.unwrap(), before);
    again.ping().await.unwrap();
    again.close().await;
}

async fn on_postgres<F, Fut>(check: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(db) = TestPostgres::create().await else {
        eprintln!("PRADEN_TEST_POSTGRES_URL is not set: PostgreSQL half skipped");
        return;
    };
    let store = Store::connect(db.url()).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    check(store.clone()).await;
    reopen_keeps_everything(store, db.url()).await;
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::on_sqlite(super::$name).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::on_postgres(super::$name).await } )* }
    };
}

conformance!(
    reingesting_the_same_item_is_a_no_op,
    nul_characters_are_dropped_not_fatal,
    backfilled_documents_say_so,
    documents_stored_with_a_players_fallback_text_are_read_without_it,
    reingesting_burns_no_ids,
    documents_round_trip_with_thai_text_and_utc_times,
    documents_after_pages_in_id_order,
    source_state_round_trips_and_updates,
    item_failures_are_recorded_once_per_item,
    read_transcript_files_are_remembered_per_source,
    the_same_text_from_other_outlets_is_linked_to_the_first_copy,
);

fn doc(url: &str, title: &str) -> NewDocument {
    NewDocument::new(praden_core::DocumentParts {
        source_id: "thaigov",
        kind: SourceKind::Official,
        outlet: "thaigov.go.th",
        url: Some(url),
        item_id: None,
        title,
        body: "นายกรัฐมนตรีประชุมคณะรัฐมนตรีที่ทำเนียบรัฐบาล",
        published_at: Some(datetime!(2024-03-05 09:30 +7)),
        fetched_at: datetime!(2024-03-05 03:00 UTC),
    })
    .unwrap()
}

async fn reingesting_the_same_item_is_a_no_op(store: Store) {
    let first = store
        .insert_documents(&[doc("https://a.th/1", "หนึ่ง"), doc("https://a.th/2", "สอง")])
        .await
        .unwrap();
    assert_eq!(first.inserted.len(), 2);
    assert_eq!(first.existing, 0);
    // The same URL with tracking parameters is the same item.
    let again = store
        .insert_documents(&[
            doc("https://a.th/1?utm_source=line", "หนึ่ง (แก้)"),
            doc("https://a.th/3", "สาม"),
        ])
        .await
        .unwrap();
    assert_eq!(again.inserted.len(), 1);
    assert_eq!(again.existing, 1);
    assert_eq!(store.count_documents().await.unwrap(), 3);
    let kept = store.document(first.inserted[0]).await.unwrap().unwrap();
    assert_eq!(kept.doc.title, "หนึ่ง", "the first copy is kept untouched");
    let existing = store
        .existing_item_keys(&["https://a.th/1".into(), "https://a.th/9".into()])
        .await
        .unwrap();
    assert_eq!(existing.into_iter().collect::<Vec<_>>(), ["https://a.th/1"]);
}

/// PostgreSQL cannot store NUL in text; a document carrying one is stored without it
/// (both backends alike) and the rest of its batch with it.
async fn nul_characters_are_dropped_not_fatal(store: Store) {
    let bad = doc("https://a.th/nul", "ข่าว\0ด่วน");
    let out = store
        .insert_documents(&[bad, doc("https://a.th/ok", "ปกติ")])
        .await
        .unwrap();
    assert_eq!(out.inserted.len(), 2);
    let stored = store.document(out.inserted[0]).await.unwrap().unwrap();
    assert_eq!(stored.doc.title, "ข่าวด่วน");
}

/// A document loaded from an archive keeps that mark, which detection reads its time by.
async fn backfilled_documents_say_so(store: Store) {
    let mut archived = doc("https://a.th/archive", "เก่า");
    archived.backfill = true;
    let out = store
        .insert_documents(&[archived, doc("https://a.th/live", "ใหม่")])
        .await
        .unwrap();
    let read = |id| store.document(id);
    assert!(read(out.inserted[0]).await.unwrap().unwrap().doc.backfill);
    assert!(!read(out.inserted[1]).await.unwrap().unwrap().doc.backfill);
}

/// Documents stored before players' fallback text was left out keep it in the database;
/// every reader (pages, detection, the index follower) gets the body without it.
async fn documents_stored_with_a_players_fallback_text_are_read_without_it(store: Store) {
    let mut old = doc("https://a.th/radio", "รายการวิทยุ");
    // As an older praden stored it: `NewDocument::new` leaves the line out today.
    old.body = "ต่อจากนี้ไป ขอเชิญรับฟัง\nYour browser does not support the audio element.\nจบ".into();
    let out = store.insert_documents(&[old]).await.unwrap();
    let read = store.document(out.inserted[0]).await.unwrap().unwrap();
    assert_eq!(read.doc.body, "ต่อจากนี้ไป ขอเชิญรับฟัง\nจบ");
}

/// Offering stored items again takes no id: ids stay dense however often a corpus is
/// re-imported (both AUTOINCREMENT and identity columns draw an id before a conflict).
async fn reingesting_burns_no_ids(store: Store) {
    let batch: Vec<NewDocument> = (0..50)
        .map(|i| doc(&format!("https://a.th/{i}"), "ข่าว"))
        .collect();
    let first = store.insert_documents(&batch).await.unwrap();
    assert_eq!(first.inserted.len(), 50);
    for _ in 0..5 {
        let again = store.insert_documents(&batch).await.unwrap();
        assert_eq!((again.inserted.len(), again.existing), (0, 50));
    }
    let next = store
        .insert_documents(&[doc("https://a.th/new", "ข่าว")])
        .await
        .unwrap();
    assert_eq!(next.inserted, [first.inserted[49] + 1]);
    // The first copy of the same text is still found on insert.
    let copy = store.document(next.inserted[0]).await.unwrap().unwrap();
    assert_eq!(copy.doc.content_hash, batch[0].content_hash);
    let copies = store.copies_of(next.inserted[0]).await.unwrap();
    assert_eq!(copies.first().map(|c| c.id), Some(first.inserted[0]));
}

async fn documents_round_trip_with_thai_text_and_utc_times(store: Store) {
    let d = doc("https://a.th/x", "ครม. เห็นชอบมาตรการลดค่าครองชีพ ๒๕๖๗");
    let out = store
        .insert_documents(std::slice::from_ref(&d))
        .await
        .unwrap();
    let got = store.document(out.inserted[0]).await.unwrap().unwrap();
    assert_eq!(got.doc, d);
    assert_eq!(
        got.doc.published_at.unwrap(),
        datetime!(2024-03-05 02:30 UTC)
    );
    assert!(store.document(999_999).await.unwrap().is_none());
}

async fn documents_after_pages_in_id_order(store: Store) {
    let docs: Vec<_> = (0..25)
        .map(|i| doc(&format!("https://a.th/{i}"), &format!("ข่าว {i}")))
        .collect();
    store.insert_documents(&docs).await.unwrap();
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = store.documents_after(after, 10).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        seen.extend(page.into_iter().map(|d| d.doc.title));
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(seen[0], "ข่าว 0");
    assert_eq!(seen[24], "ข่าว 24");
    assert_eq!(store.max_document_id().await.unwrap(), after);
}

async fn source_state_round_trips_and_updates(store: Store) {
    assert!(store.source_states().await.unwrap().is_empty());
    assert!(store.source_state("matichon").await.unwrap().is_none());
    let mut s = SourceState::new("matichon", 600_000);
    store.save_source_state(&s).await.unwrap();
    assert_eq!(store.source_state("matichon").await.unwrap().unwrap(), s);

    s.status = SourceStatus::Failing;
    s.last_poll_at = Some(datetime!(2024-03-05 09:30:15.250 +7));
    s.last_success_at = Some(datetime!(2024-03-05 01:00 UTC));
    s.consecutive_failures = 4;
    s.last_error = Some("http://x/feed answered HTTP 503".into());
    s.items_found_total = 120;
    s.items_found_last = 0;
    s.items_failed_total = 2;
    s.items_failed_last = 1;
    s.next_poll_at = Some(datetime!(2024-03-05 03:30 UTC));
    s.interval_ms = 3_600_000;
    s.etag = Some("W/\"abc\"".into());
    s.last_modified = Some("Tue, 05 Mar 2024 02:00:00 GMT".into());
    // Not a round number in binary, so a REAL column that lost precision would show.
    s.rate_per_hour = Some(29.7315);
    store.save_source_state(&s).await.unwrap();
    store
        .save_source_state(&SourceState::new("a-first", 60_000))
        .await
        .unwrap();

    let got = store.source_state("matichon").await.unwrap().unwrap();
    assert_eq!(got, s);
    assert_eq!(
        got.last_poll_at.unwrap(),
        datetime!(2024-03-05 02:30:15.250 UTC)
    );
    let all = store.source_states().await.unwrap();
    assert_eq!(
        all.iter().map(|s| s.source_id.as_str()).collect::<Vec<_>>(),
        ["a-first", "matichon"]
    );
}

async fn read_transcript_files_are_remembered_per_source(store: Store) {
    assert!(store.read_files("radio").await.unwrap().is_empty());
    let files = [
        ("ข่าวเช้า.vtt".to_string(), "len=10".to_string()),
        ("https://r.th/2.srt".to_string(), "url".to_string()),
    ];
    store.remember_read_files("radio", &files).await.unwrap();
    store.remember_read_files("radio", &[]).await.unwrap();
    // Read again after it changed: the new stamp replaces the old.
    store
        .remember_read_files("radio", &[("ข่าวเช้า.vtt".into(), "len=12".into())])
        .await
        .unwrap();
    let read = store.read_files("radio").await.unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(read["ข่าวเช้า.vtt"], "len=12");
    assert_eq!(read["https://r.th/2.srt"], "url");
    assert!(store.read_files("tv").await.unwrap().is_empty());
}

async fn item_failures_are_recorded_once_per_item(store: Store) {
    let t1 = datetime!(2024-03-05 02:00 UTC);
    let t2 = datetime!(2024-03-05 02:10 UTC);
    let failures = vec![
        ("https://a.th/bad".to_string(), "no title".to_string()),
        ("item 3".to_string(), "no link".to_string()),
    ];
    store
        .record_item_failures("matichon", &failures, t1)
        .await
        .unwrap();
    store
        .record_item_failures(
            "matichon",
            &[("https://a.th/bad".to_string(), "ไม่มีหัวข้อ".to_string())],
            t2,
        )
        .await
        .unwrap();
    store.record_item_failures("other", &[], t2).await.unwrap();
    let got = store.item_failures("matichon", 10).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].item, "https://a.th/bad");
    assert_eq!(got[0].reason, "ไม่มีหัวข้อ");
    assert_eq!((got[0].first_seen_at, got[0].last_seen_at), (t1, t2));
    assert_eq!(got[0].times, 2);
    assert_eq!((got[1].item.as_str(), got[1].times), ("item 3", 1));
    assert!(store.item_failures("other", 10).await.unwrap().is_empty());
}

async fn the_same_text_from_other_outlets_is_linked_to_the_first_copy(store: Store) {
    let copy = |source: &str, url: &str| {
        NewDocument::new(praden_core::DocumentParts {
            source_id: source,
            kind: SourceKind::News,
            outlet: source,
            url: Some(url),
            item_id: None,
            title: "ครม. เห็นชอบมาตรการลดค่าไฟฟ้า",
            body: "ข่าวจากสำนักข่าวไทย",
            published_at: None,
            fetched_at: datetime!(2024-03-05 03:00 UTC),
        })
        .unwrap()
    };
    let first = store
        .insert_documents(&[
            copy("tna", "https://tna.th/1"),
            doc("https://a.th/other", "อื่น"),
        ])
        .await
        .unwrap();
    let later = store
        .insert_documents(&[
            copy("matichon", "https://m.th/9"),
            copy("khaosod", "https://k.th/3"),
        ])
        .await
        .unwrap();
    assert_eq!(store.count_documents().await.unwrap(), 4, "copies are kept");
    for id in [first.inserted[0], later.inserted[1]] {
        let copies = store.copies_of(id).await.unwrap();
        let outlets: Vec<_> = copies.iter().map(|c| c.outlet.as_str()).collect();
        assert_eq!(outlets, ["tna", "matichon", "khaosod"]);
    }
    // A near-duplicate found by the ingester is linked the same way; an exact link stays.
    let since = datetime!(2024-03-05 00:00 UTC);
    assert!(store
        .recent_fingerprints(since, 10)
        .await
        .unwrap()
        .is_empty());
    store.set_fingerprints(&[]).await.unwrap();
    store
        .set_fingerprints(&[
            (first.inserted[0], -5, None),
            (later.inserted[0], 7, Some(first.inserted[1])),
            (first.inserted[1], 1 << 62, None),
        ])
        .await
        .unwrap();
    let fps = store.recent_fingerprints(since, 10).await.unwrap();
    assert_eq!(fps.len(), 3);
    assert_eq!((fps[0].simhash, fps[0].duplicate_of), (-5, None));
    assert_eq!(
        fps[2].duplicate_of,
        Some(first.inserted[0]),
        "exact link kept"
    );
    assert!(store
        .recent_fingerprints(datetime!(2024-03-06 00:00 UTC), 10)
        .await
        .unwrap()
        .is_empty());
    let alone = store.copies_of(first.inserted[1]).await.unwrap();
    assert_eq!(alone.len(), 1);
    assert!(store.copies_of(999_999).await.unwrap().is_empty());

    // Another outlet's copy under its own key is linked to the first copy of the story, and
    // linking again (a re-poll) changes nothing.
    let keys = ["https://a.th/other".to_string(), "https://none.th/".into()];
    let holders = store.item_key_holders(&keys).await.unwrap();
    assert_eq!(holders.len(), 1);
    let holder = &holders["https://a.th/other"];
    assert_eq!((holder.id, holder.duplicate_of), (first.inserted[1], None));
    let mut aggregated = doc("https://a.th/other", "อื่น");
    aggregated.outlet = "aggregator".into();
    aggregated.item_key = praden_core::outlet_item_key(&aggregated.item_key, "aggregator");
    aggregated.body = "สรุปสั้น".into();
    let copy_id = store
        .insert_documents(&[aggregated.clone()])
        .await
        .unwrap()
        .inserted[0];
    for _ in 0..2 {
        store
            .link_duplicate(&aggregated.item_key, holder.id)
            .await
            .unwrap();
    }
    let outlets: Vec<_> = store
        .copies_of(copy_id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.outlet))
        .collect();
    assert_eq!(outlets[1], (copy_id, "aggregator".to_string()));
    assert_eq!(outlets.len(), 2);
    // The first copy is never linked to itself.
    store
        .link_duplicate("https://a.th/other", holder.id)
        .await
        .unwrap();
    assert_eq!(
        store.item_key_holders(&keys).await.unwrap()["https://a.th/other"].duplicate_of,
        None
    );
}
