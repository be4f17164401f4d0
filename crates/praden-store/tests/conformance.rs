//! One suite, both backends: every check runs on SQLite and on PostgreSQL (when
//! PRADEN_TEST_POSTGRES_URL is set; .ci/run sets it).

use praden_core::{NewDocument, SourceKind};
use praden_store::testing::TestPostgres;
use praden_store::{Backend, Store};
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
    documents_round_trip_with_thai_text_and_utc_times,
    documents_after_pages_in_id_order,
);

fn doc(url: &str, title: &str) -> NewDocument {
    NewDocument::new(
        "thaigov",
        SourceKind::Official,
        "thaigov.go.th",
        Some(url),
        None,
        title,
        "นายกรัฐมนตรีประชุมคณะรัฐมนตรีที่ทำเนียบรัฐบาล",
        Some(datetime!(2024-03-05 09:30 +7)),
        datetime!(2024-03-05 03:00 UTC),
    )
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
