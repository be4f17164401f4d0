//! Clarifications found in the coverage on both backends: attached once per issue and
//! document (a batch read again attaches nothing twice) in the transaction that moves the
//! job's mark, listed best first with their document, and only open issues of the window are
//! looked for.

use praden_core::{NewDocument, SourceKind};
use praden_store::{DecisionContext, NewClarification, Store};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

praden_store::both_backends!(clarifications_attach_once_with_the_jobs_mark,);

const NOW: OffsetDateTime = datetime!(2026-12-01 03:00 UTC);
const COMMERCE: &str = "กระทรวงพาณิชย์";

fn ctx(actor: &str) -> DecisionContext {
    DecisionContext {
        actor: actor.into(),
        request_id: Some(format!("req-{actor}")),
        now: NOW,
    }
}

/// An approved issue assigned to `to`, from a story of its own.
async fn issue(store: &Store, key: &str, to: &str) -> i64 {
    praden_store::testing::approved_issue(store, key, to, &ctx("mon")).await
}

async fn official(store: &Store, key: &str, published: OffsetDateTime) -> i64 {
    let doc = NewDocument::new(praden_core::DocumentParts {
        source_id: "thaigov",
        kind: SourceKind::Official,
        outlet: "thaigov.go.th",
        url: Some(&format!(
            "https://www.thaigov.go.th/news/contents/details/{key}"
        )),
        item_id: None,
        title: &format!("พณ. ชี้แจง {key}"),
        body: "กรมการค้าภายใน ชี้แจงว่า ราคาไข่ไก่ไม่ได้ขึ้น",
        published_at: Some(published),
        fetched_at: published + Duration::minutes(5),
    })
    .unwrap();
    store.insert_documents(&[doc]).await.unwrap().inserted[0]
}

fn found(issue_id: i64, document_id: i64, score: f64) -> NewClarification {
    NewClarification {
        issue_id,
        document_id,
        score,
        speaker: Some("นายวัฒนศักย์ เสือเอี่ยม".into()),
        excerpt: Some("ราคาไข่ไก่ไม่ได้ขึ้น".into()),
    }
}

async fn clarifications_attach_once_with_the_jobs_mark(store: Store) {
    let eggs = issue(&store, "eggs", COMMERCE).await;
    let other = issue(&store, "rice", COMMERCE).await;
    let a = official(&store, "1", NOW + Duration::hours(1)).await;
    let b = official(&store, "2", NOW + Duration::hours(2)).await;
    let batch = [
        found(eggs, a, 0.8),
        found(eggs, b, 0.9),
        found(other, b, 0.77),
    ];
    let added = store
        .attach_clarifications(&batch, "clarifications", b, NOW + Duration::hours(3))
        .await
        .unwrap();
    assert_eq!(added, 3);
    assert_eq!(store.job_mark("clarifications").await.unwrap(), b);
    // The same batch again (a restart before the mark moved): nothing new.
    let again = store
        .attach_clarifications(&batch, "clarifications", b, NOW + Duration::hours(4))
        .await
        .unwrap();
    assert_eq!(again, 0);

    let listed = store.issue_clarifications(eggs).await.unwrap();
    let docs: Vec<i64> = listed.iter().map(|c| c.document_id).collect();
    assert_eq!(docs, [b, a], "best first");
    let best = &listed[0];
    assert_eq!(best.kind, SourceKind::Official);
    assert_eq!(best.outlet, "thaigov.go.th");
    assert_eq!(best.title, "พณ. ชี้แจง 2");
    assert_eq!(best.published_at, NOW + Duration::hours(2));
    assert_eq!(
        best.found_at,
        NOW + Duration::hours(3),
        "the first finding is kept"
    );
    assert_eq!(best.speaker.as_deref(), Some("นายวัฒนศักย์ เสือเอี่ยม"));
    assert_eq!(
        store.issue_clarification(eggs, best.id).await.unwrap(),
        Some(best.clone())
    );
    assert_eq!(
        store.issue_clarification(other, best.id).await.unwrap(),
        None,
        "a clarification is found only under its own issue"
    );

    // The window: approved since, and not withdrawn.
    let open = store
        .open_issues_approved_since(NOW - Duration::days(1))
        .await
        .unwrap();
    assert_eq!(open.len(), 2);
    assert!(store
        .open_issues_approved_since(NOW + Duration::minutes(1))
        .await
        .unwrap()
        .is_empty());
    let issue = store.issue(other).await.unwrap().unwrap();
    store
        .withdraw_issue(other, issue.version, "ซ้ำ", &ctx("mon"))
        .await
        .unwrap();
    let open: Vec<i64> = store
        .open_issues_approved_since(NOW - Duration::days(1))
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(open, [eggs]);
}
