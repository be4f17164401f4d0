//! Briefs (and assignment messages, which share their code over their own tables) on both
//! backends: one per slot even with concurrent publishers on separate connections, immutable
//! revisions, deliveries claimed once with retries and leases.

use praden_core::review::{KindCounts, Proposal};
use praden_core::social::Engagement;
use praden_core::{NewDocument, SourceKind};
use praden_store::{
    AttemptResult, DeliveryStatus, EngagementObservation, NewPublication, PublicationTrigger, Store,
};
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};

praden_store::both_backends!(url:
    the_first_publish_wins_and_a_second_reads_it,
    concurrent_publishers_of_one_slot_create_one_brief_and_one_set_of_deliveries,
    regenerating_adds_revisions_and_keeps_the_first_unchanged,
    the_window_starts_at_the_previous_slots_first_revision,
    a_delivery_is_claimed_once_retried_when_due_and_finished,
    an_expired_lease_passes_the_attempt_to_another_process,
    figures_for_the_brief_count_pending_candidates_and_social_engagement,
    the_schedule_origin_is_the_first_start_recorded,
    assignment_messages_are_kept_apart_from_briefs_and_immutable_too,
);

const SLOT: Date = date!(2026 - 11 - 23);
/// 09:30 Bangkok.
const NINE_THIRTY: OffsetDateTime = datetime!(2026-11-23 02:30 UTC);

fn new_brief(slot: Date, text: &str, targets: &[&str]) -> NewPublication {
    NewPublication {
        slot,
        scheduled_for: NINE_THIRTY,
        generated_at: NINE_THIRTY + Duration::seconds(2),
        late: false,
        trigger: PublicationTrigger::Schedule,
        content: format!("{{\"text\":\"{text}\"}}"),
        messages: vec![format!("สรุปประเด็น {text}")],
        markdown: format!("# {text}"),
        targets: targets.iter().map(|t| t.to_string()).collect(),
    }
}

async fn the_schedule_origin_is_the_first_start_recorded(url: String) {
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(store.briefs().schedule_first_start().await.unwrap(), None);
    let first = datetime!(2026-11-23 03:15:42.5 UTC);
    assert_eq!(
        store.briefs().schedule_origin(first).await.unwrap(),
        datetime!(2026-11-23 03:15:42 UTC),
        "a fresh database records this start (whole seconds)"
    );
    // Later starts, and a clock set back, read the first start; they never move it.
    for later in [first + Duration::days(3), first - Duration::days(1)] {
        assert_eq!(
            store.briefs().schedule_origin(later).await.unwrap(),
            datetime!(2026-11-23 03:15:42 UTC)
        );
    }
    assert_eq!(
        store.briefs().schedule_first_start().await.unwrap(),
        Some(datetime!(2026-11-23 03:15:42 UTC))
    );
}

async fn the_first_publish_wins_and_a_second_reads_it(url: String) {
    let store = Store::connect(&url).await.unwrap();
    let first = store
        .briefs()
        .publish(&new_brief(SLOT, "แรก", &["line", "hook"]))
        .await
        .unwrap();
    assert!(first.created);
    assert_eq!(first.publication.revision, 1);
    assert_eq!(first.publication.slot, SLOT);
    assert_eq!(first.publication.messages, vec!["สรุปประเด็น แรก"]);
    assert_eq!(first.publication.trigger, PublicationTrigger::Schedule);

    let mut late = new_brief(SLOT, "ซ้ำ", &["line", "hook", "third"]);
    late.trigger = PublicationTrigger::CatchUp;
    late.late = true;
    let second = store.briefs().publish(&late).await.unwrap();
    assert!(!second.created, "the slot already had its brief");
    assert_eq!(
        second.publication, first.publication,
        "the winner's brief, unchanged"
    );

    let deliveries = store
        .briefs()
        .deliveries(first.publication.id)
        .await
        .unwrap();
    let targets: Vec<&str> = deliveries.iter().map(|d| d.target.as_str()).collect();
    assert_eq!(
        targets,
        vec!["hook", "line"],
        "the loser adds no deliveries"
    );
    assert!(deliveries
        .iter()
        .all(|d| d.status == DeliveryStatus::Pending && d.attempts == 0));
    assert!(store
        .briefs()
        .get(date!(2026 - 11 - 24), None)
        .await
        .unwrap()
        .is_none());
    store.close().await;
}

async fn concurrent_publishers_of_one_slot_create_one_brief_and_one_set_of_deliveries(url: String) {
    // Separate pools stand for separate praden processes.
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(Store::connect(&url).await.unwrap());
    }
    let mut tasks = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        for j in 0..3 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let b = new_brief(SLOT, &format!("process {i} run {j}"), &["line"]);
                store.briefs().publish(&b).await.unwrap()
            }));
        }
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    assert_eq!(outcomes.iter().filter(|o| o.created).count(), 1);
    let winner = outcomes
        .iter()
        .find(|o| o.created)
        .unwrap()
        .publication
        .clone();
    assert!(outcomes.iter().all(|o| o.publication == winner));
    let revisions = stores[0].briefs().revisions(SLOT).await.unwrap();
    assert_eq!(revisions.len(), 1);
    assert_eq!(
        stores[1]
            .briefs()
            .deliveries(winner.id)
            .await
            .unwrap()
            .len(),
        1
    );
    for s in stores {
        s.close().await;
    }
}

async fn regenerating_adds_revisions_and_keeps_the_first_unchanged(url: String) {
    let store = Store::connect(&url).await.unwrap();
    let first = store
        .briefs()
        .publish(&new_brief(SLOT, "ฉบับแรก", &["line"]))
        .await
        .unwrap()
        .publication;
    let mut again = new_brief(SLOT, "ฉบับแก้ไข", &["line"]);
    again.trigger = PublicationTrigger::Manual;
    again.generated_at = NINE_THIRTY + Duration::hours(2);
    let second = store.briefs().add_revision(&again).await.unwrap();
    assert_eq!(second.revision, 2);
    assert_ne!(second.id, first.id);
    assert_eq!(
        store.briefs().get(SLOT, Some(1)).await.unwrap().unwrap(),
        first
    );
    assert_eq!(
        store.briefs().get(SLOT, None).await.unwrap().unwrap(),
        second
    );
    assert_eq!(store.briefs().deliveries(second.id).await.unwrap().len(), 1);

    // Concurrent regenerations get distinct numbers.
    let other = Store::connect(&url).await.unwrap();
    let (a, b) = tokio::join!(
        store.briefs().add_revision(&again),
        other.briefs().add_revision(&again)
    );
    let mut numbers = vec![a.unwrap().revision, b.unwrap().revision];
    numbers.sort();
    assert_eq!(numbers, vec![3, 4]);
    let revisions = store.briefs().revisions(SLOT).await.unwrap();
    assert_eq!(
        revisions.iter().map(|r| r.revision).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(revisions[1].trigger, PublicationTrigger::Manual);

    // Published rows cannot be changed or removed, whatever the caller.
    let update = "UPDATE briefs SET content = 'x' WHERE revision = 1";
    let delete = "DELETE FROM briefs";
    let (u, d) = match &store {
        Store::Sqlite(s) => (
            sqlx::query(update).execute(&s.pool).await.is_err(),
            sqlx::query(delete).execute(&s.pool).await.is_err(),
        ),
        Store::Postgres(p) => (
            sqlx::query(update).execute(p).await.is_err(),
            sqlx::query(delete).execute(p).await.is_err(),
        ),
    };
    assert!(
        u && d,
        "briefs must be immutable (update refused: {u}, delete refused: {d})"
    );
    assert_eq!(
        store.briefs().get(SLOT, Some(1)).await.unwrap().unwrap(),
        first
    );
    other.close().await;
    store.close().await;
}

async fn the_window_starts_at_the_previous_slots_first_revision(url: String) {
    let store = Store::connect(&url).await.unwrap();
    assert!(store.briefs().before(SLOT).await.unwrap().is_none());
    let mut earlier = new_brief(date!(2026 - 11 - 20), "ศุกร์", &[]);
    earlier.generated_at = datetime!(2026-11-20 02:31 UTC);
    store.briefs().publish(&earlier).await.unwrap();
    let mut regen = earlier.clone();
    regen.generated_at = datetime!(2026-11-20 09:00 UTC);
    store.briefs().add_revision(&regen).await.unwrap();
    store
        .briefs()
        .publish(&new_brief(SLOT, "จันทร์", &[]))
        .await
        .unwrap();
    let before = store.briefs().before(SLOT).await.unwrap().unwrap();
    assert_eq!(before.slot, date!(2026 - 11 - 20));
    assert_eq!(before.revision, 1);
    assert_eq!(before.generated_at, datetime!(2026-11-20 02:31 UTC));

    // The list by day: newest first, each day once with its count of revisions, paged by day.
    let days = store.briefs().days(None, 10).await.unwrap();
    let seen: Vec<(Date, i64, OffsetDateTime)> = days
        .iter()
        .map(|d| (d.slot, d.revisions, d.generated_at))
        .collect();
    assert_eq!(
        seen,
        vec![
            (SLOT, 1, NINE_THIRTY + Duration::seconds(2)),
            (date!(2026 - 11 - 20), 2, datetime!(2026-11-20 02:31 UTC))
        ]
    );
    let older = store.briefs().days(Some(SLOT), 10).await.unwrap();
    assert_eq!(older.len(), 1);
    assert_eq!(older[0].slot, date!(2026 - 11 - 20));
    assert_eq!(store.briefs().days(None, 1).await.unwrap().len(), 1);
    store.close().await;
}

async fn a_delivery_is_claimed_once_retried_when_due_and_finished(url: String) {
    let store = Store::connect(&url).await.unwrap();
    let other = Store::connect(&url).await.unwrap();
    let b = new_brief(SLOT, "ส่ง", &["line"]);
    let brief = store.briefs().publish(&b).await.unwrap().publication;
    let t0 = b.generated_at;
    assert_eq!(store.briefs().next_delivery_due().await.unwrap(), Some(t0));
    assert!(store
        .briefs()
        .claim_due_delivery(t0 - Duration::seconds(1), t0 + Duration::minutes(2))
        .await
        .unwrap()
        .is_none());

    let lease = t0 + Duration::minutes(2);
    let (a, c) = tokio::join!(
        store.briefs().claim_due_delivery(t0, lease),
        other.briefs().claim_due_delivery(t0, lease)
    );
    let claims: Vec<_> = [a.unwrap(), c.unwrap()].into_iter().flatten().collect();
    assert_eq!(claims.len(), 1, "one process gets the attempt");
    let claimed = &claims[0];
    assert_eq!(claimed.attempts, 1);
    assert_eq!(claimed.status, DeliveryStatus::Sending);

    let retry_at = t0 + Duration::seconds(30);
    let result = AttemptResult::Retry {
        error: "HTTP 500 from the receiver".into(),
        at: retry_at,
    };
    assert!(store
        .briefs()
        .finish_delivery_attempt(claimed, &result, t0)
        .await
        .unwrap());
    assert!(store
        .briefs()
        .claim_due_delivery(t0 + Duration::seconds(10), lease)
        .await
        .unwrap()
        .is_none());
    let second = store
        .briefs()
        .claim_due_delivery(retry_at, retry_at + Duration::minutes(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.attempts, 2);
    assert_eq!(
        second.last_error.as_deref(),
        Some("HTTP 500 from the receiver")
    );
    assert!(store
        .briefs()
        .finish_delivery_attempt(&second, &AttemptResult::Delivered, retry_at)
        .await
        .unwrap());
    let d = &store.briefs().deliveries(brief.id).await.unwrap()[0];
    assert_eq!(d.status, DeliveryStatus::Delivered);
    assert_eq!(d.attempts, 2);
    assert_eq!(d.delivered_at, Some(retry_at));
    assert_eq!(store.briefs().next_delivery_due().await.unwrap(), None);

    // Giving up is final.
    let mut next = new_brief(date!(2026 - 11 - 24), "ล้มเหลว", &["hook"]);
    next.generated_at = t0;
    let failing = store.briefs().publish(&next).await.unwrap().publication;
    let claim = store
        .briefs()
        .claim_due_delivery(t0, lease)
        .await
        .unwrap()
        .unwrap();
    let gave_up = AttemptResult::GaveUp {
        error: "HTTP 401: bad token".into(),
    };
    assert!(store
        .briefs()
        .finish_delivery_attempt(&claim, &gave_up, t0)
        .await
        .unwrap());
    let d = &store.briefs().deliveries(failing.id).await.unwrap()[0];
    assert_eq!(d.status, DeliveryStatus::Failed);
    assert!(store
        .briefs()
        .claim_due_delivery(t0 + Duration::days(1), t0 + Duration::days(2))
        .await
        .unwrap()
        .is_none());
    other.close().await;
    store.close().await;
}

async fn an_expired_lease_passes_the_attempt_to_another_process(url: String) {
    let store = Store::connect(&url).await.unwrap();
    let other = Store::connect(&url).await.unwrap();
    let b = new_brief(SLOT, "ค้าง", &["line"]);
    store.briefs().publish(&b).await.unwrap();
    let t0 = b.generated_at;
    let stale = store
        .briefs()
        .claim_due_delivery(t0, t0 + Duration::minutes(2))
        .await
        .unwrap()
        .unwrap();
    // The first sender hangs; before its lease ends nobody else may send.
    assert!(other
        .briefs()
        .claim_due_delivery(t0 + Duration::minutes(1), t0 + Duration::minutes(3))
        .await
        .unwrap()
        .is_none());
    let taken = other
        .briefs()
        .claim_due_delivery(t0 + Duration::minutes(2), t0 + Duration::minutes(4))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.attempts, 2);
    // The hung sender comes back: its result is not recorded over the new attempt's.
    assert!(!store
        .briefs()
        .finish_delivery_attempt(&stale, &AttemptResult::Delivered, t0)
        .await
        .unwrap());
    assert!(other
        .briefs()
        .finish_delivery_attempt(&taken, &AttemptResult::Delivered, t0)
        .await
        .unwrap());
    other.close().await;
    store.close().await;
}

fn proposal(title: &str, social: i64) -> Proposal {
    Proposal {
        title: title.into(),
        summary: String::new(),
        score: 0.5,
        criteria: vec![],
        misleading: None,
        agencies: vec![],
        deadline_days: 1,
        deadline_rule: "default".into(),
        outlets: vec![],
        links: vec![],
        counts: KindCounts {
            social,
            ..KindCounts::default()
        },
        articles: social,
        first_seen: NINE_THIRTY - Duration::hours(5),
        last_seen: NINE_THIRTY,
        public_matter: None,
    }
}

async fn figures_for_the_brief_count_pending_candidates_and_social_engagement(url: String) {
    let store = Store::connect(&url).await.unwrap();
    let post = |i: usize| {
        NewDocument::new(praden_core::DocumentParts {
            source_id: "x",
            kind: SourceKind::Social,
            outlet: "X",
            url: Some(&format!("https://x.test/status/{i}")),
            item_id: None,
            title: &format!("โพสต์ {i}"),
            body: "ไข่แพง",
            published_at: Some(NINE_THIRTY - Duration::hours(3)),
            fetched_at: NINE_THIRTY,
        })
        .unwrap()
    };
    let ids = store
        .insert_documents(&[post(0), post(1), post(2)])
        .await
        .unwrap()
        .inserted;
    let eggs = store
        .upsert_proposal(&ids[..2], &proposal("ไข่แพง", 2), 2.0, NINE_THIRTY)
        .await
        .unwrap()
        .candidate_id;
    let quiet = store
        .upsert_proposal(&ids[2..], &proposal("เงียบ", 1), 2.0, NINE_THIRTY)
        .await
        .unwrap()
        .candidate_id;
    let observe = |doc: i64, hours: i64, likes: i64, shares: i64| EngagementObservation {
        document_id: doc,
        observed_at: NINE_THIRTY - Duration::hours(hours),
        counts: Engagement {
            likes: Some(likes),
            shares: Some(shares),
            comments: None,
            views: Some(100_000),
        },
    };
    store
        .insert_engagement(&[
            observe(ids[0], 2, 10, 1),
            // The latest observation counts, not the sum over time.
            observe(ids[0], 1, 100, 20),
            observe(ids[1], 1, 5, 0),
        ])
        .await
        .unwrap();
    let by_candidate = store
        .candidate_social_engagement(&[eggs, quiet])
        .await
        .unwrap();
    assert_eq!(by_candidate.get(&eggs), Some(&125));
    assert_eq!(by_candidate.get(&quiet), None);
    assert_eq!(store.pending_candidate_count(NINE_THIRTY).await.unwrap(), 2);

    // Coverage: the first documents of each candidate, oldest first, bodies cut short.
    let coverage = store
        .candidate_coverage(&[eggs, quiet], 1, 3)
        .await
        .unwrap();
    let first = &coverage[&eggs];
    assert_eq!(first.len(), 1, "one document per candidate was asked for");
    assert_eq!(first[0].document_id, ids[0]);
    assert_eq!(first[0].body_start, "ไข่", "three characters, not bytes");
    assert_eq!(first[0].kind, SourceKind::Social);
    assert_eq!(coverage[&quiet][0].document_id, ids[2]);
    let all = store.candidate_coverage(&[eggs], 10, 1000).await.unwrap();
    assert_eq!(all[&eggs].len(), 2);
    assert_eq!(all[&eggs][1].body_start, "ไข่แพง");
    store.close().await;
}

async fn assignment_messages_are_kept_apart_from_briefs_and_immutable_too(url: String) {
    let store = Store::connect(&url).await.unwrap();
    let brief = store
        .briefs()
        .publish(&new_brief(SLOT, "สรุป", &["idchat"]))
        .await
        .unwrap();
    let message = store
        .assignments()
        .publish(&new_brief(SLOT, "ส่งประเด็น", &["iachat", "mail:a@b.test"]))
        .await
        .unwrap();
    assert!(
        brief.created && message.created,
        "one of each for the same day"
    );
    assert_eq!(message.publication.content, "{\"text\":\"ส่งประเด็น\"}");
    assert_eq!(
        store
            .briefs()
            .get(SLOT, None)
            .await
            .unwrap()
            .unwrap()
            .content,
        "{\"text\":\"สรุป\"}"
    );
    let again = store
        .assignments()
        .publish(&new_brief(SLOT, "อีกครั้ง", &["iachat"]))
        .await
        .unwrap();
    assert!(!again.created);
    let targets: Vec<String> = store
        .assignments()
        .deliveries(message.publication.id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.target)
        .collect();
    assert_eq!(targets, ["iachat", "mail:a@b.test"]);
    // Each kind claims only its own deliveries.
    let lease = NINE_THIRTY + Duration::minutes(10);
    let claimed = store
        .assignments()
        .claim_due_delivery(NINE_THIRTY + Duration::minutes(1), lease)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.publication_id, message.publication.id);
    assert_eq!(
        store.assignments().schedule_first_start().await.unwrap(),
        None
    );
    store.briefs().schedule_origin(NINE_THIRTY).await.unwrap();
    assert_eq!(
        store.assignments().schedule_first_start().await.unwrap(),
        None,
        "each scheduler has its own first start"
    );

    let update = "UPDATE assignments SET content = 'x'";
    let delete = "DELETE FROM assignments";
    let (u, d) = match &store {
        Store::Sqlite(s) => (
            sqlx::query(update).execute(&s.pool).await.is_err(),
            sqlx::query(delete).execute(&s.pool).await.is_err(),
        ),
        Store::Postgres(p) => (
            sqlx::query(update).execute(p).await.is_err(),
            sqlx::query(delete).execute(p).await.is_err(),
        ),
    };
    assert!(u && d, "update refused: {u}, delete refused: {d}");
    store.close().await;
}
