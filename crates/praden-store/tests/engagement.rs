//! Engagement time series on both backends (PostgreSQL when PRADEN_TEST_POSTGRES_URL is set),
//! following tests/conformance.rs.

use praden_core::social::{Engagement, SocialPost};
use praden_store::{EngagementObservation, Store};
use time::macros::datetime;
use time::OffsetDateTime;

praden_store::both_backends!(
    observations_round_trip_and_the_same_time_is_stored_once,
    growth_is_measured_from_the_last_observation_before_the_window,
    fastest_growing_ranks_posts_by_interactions_gained,
);

/// Stores `n` social posts and returns their ids.
async fn posts(store: &Store, n: usize) -> Vec<i64> {
    let docs: Vec<_> = (0..n)
        .map(|i| {
            SocialPost {
                id: format!("p{i}"),
                text: format!("โพสต์ที่ {i} ค่าไฟแพงมากกก 😡"),
                author: None,
                created_at: None,
                url: None,
                engagement: Engagement::default(),
            }
            .to_document("vendor", "x", datetime!(2024-03-05 00:00 UTC))
            .unwrap()
        })
        .collect();
    let out = store.insert_documents(&docs).await.unwrap();
    assert_eq!(out.inserted.len(), n);
    out.inserted
}

fn obs(
    document_id: i64,
    at: OffsetDateTime,
    likes: i64,
    views: Option<i64>,
) -> EngagementObservation {
    EngagementObservation {
        document_id,
        observed_at: at,
        counts: Engagement {
            likes: Some(likes),
            shares: Some(likes / 10),
            comments: None,
            views,
        },
    }
}

async fn observations_round_trip_and_the_same_time_is_stored_once(store: Store) {
    let ids = posts(&store, 2).await;
    let t1 = datetime!(2024-03-05 10:00:00.400 +7);
    let t2 = datetime!(2024-03-05 11:00 +7);
    let added = store
        .insert_engagement(&[
            obs(ids[0], t2, 50, None),
            obs(ids[0], t1, 10, Some(1000)),
            EngagementObservation {
                document_id: ids[1],
                observed_at: t1,
                counts: Engagement::default(),
            },
        ])
        .await
        .unwrap();
    assert_eq!(added, 2, "an observation without any count is not stored");
    // Delivered again, and once with a different sub-second part: the same observations.
    let again = store
        .insert_engagement(&[
            obs(ids[0], datetime!(2024-03-05 10:00:00.900 +7), 99, None),
            obs(ids[0], t2, 50, None),
        ])
        .await
        .unwrap();
    assert_eq!(again, 0);
    let series = store.engagement_series(ids[0]).await.unwrap();
    assert_eq!(series.len(), 2);
    assert_eq!(series[0].observed_at, datetime!(2024-03-05 03:00 UTC));
    assert_eq!(
        series[0].counts.likes,
        Some(10),
        "the first delivery is kept"
    );
    assert_eq!(series[0].counts.views, Some(1000));
    assert_eq!(series[0].counts.comments, None);
    assert_eq!(series[1].counts.likes, Some(50));
    assert!(store.engagement_series(ids[1]).await.unwrap().is_empty());
    // Item keys lead to the posts' documents.
    let found = store
        .document_ids_by_item_key(&["vendor#p1".into(), "vendor#nope".into()])
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found["vendor#p1"], ids[1]);
}

async fn growth_is_measured_from_the_last_observation_before_the_window(store: Store) {
    let ids = posts(&store, 2).await;
    let h = |hour: u8| datetime!(2024-03-05 00:00 UTC) + time::Duration::hours(hour.into());
    store
        .insert_engagement(&[
            obs(ids[0], h(1), 10, Some(100)),
            obs(ids[0], h(2), 20, Some(300)),
            obs(ids[0], h(4), 100, Some(900)),
            obs(ids[0], h(6), 130, Some(1000)),
            obs(ids[0], h(9), 500, None),
            // First seen inside the window.
            obs(ids[1], h(5), 40, None),
            obs(ids[1], h(7), 60, None),
        ])
        .await
        .unwrap();
    let g = store
        .engagement_growth(ids[0], h(2), h(6))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((g.from_at, g.to_at), (h(2), h(6)));
    // likes 20 → 130, shares 2 → 13.
    assert_eq!(g.interactions(), 121);
    assert_eq!(g.views(), Some(700));
    assert_eq!(g.interactions_per_hour(), Some(121.0 / 4.0));

    let g = store
        .engagement_growth(ids[1], h(2), h(6))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((g.from_at, g.to_at), (h(5), h(5)));
    assert_eq!(g.interactions(), 0);
    assert_eq!(g.interactions_per_hour(), None);
    assert!(store
        .engagement_growth(ids[1], h(7), h(8))
        .await
        .unwrap()
        .is_none());
}

async fn fastest_growing_ranks_posts_by_interactions_gained(store: Store) {
    let ids = posts(&store, 3).await;
    let h = |hour: u8| datetime!(2024-03-05 00:00 UTC) + time::Duration::hours(hour.into());
    store
        .insert_engagement(&[
            // Big but flat.
            obs(ids[0], h(0), 10_000, None),
            obs(ids[0], h(3), 10_010, None),
            // Small but fast.
            obs(ids[1], h(0), 10, None),
            obs(ids[1], h(3), 2_000, None),
            // Growing only after the window.
            obs(ids[2], h(0), 0, None),
            obs(ids[2], h(2), 100, None),
            obs(ids[2], h(5), 90_000, None),
        ])
        .await
        .unwrap();
    let top = store.fastest_growing(h(0), h(4), 10).await.unwrap();
    let order: Vec<_> = top
        .iter()
        .map(|g| (g.document_id, g.interactions()))
        .collect();
    assert_eq!(order, [(ids[1], 2_189), (ids[2], 110), (ids[0], 11)]);
    let one = store.fastest_growing(h(0), h(4), 1).await.unwrap();
    assert_eq!(one.len(), 1);
    assert!(store
        .fastest_growing(h(6), h(8), 10)
        .await
        .unwrap()
        .is_empty());
}
