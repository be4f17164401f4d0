//! Users, sessions and API tokens on both backends (PostgreSQL when PRADEN_TEST_POSTGRES_URL
//! is set; .ci/run sets it).

use praden_core::Role;
use praden_store::{
    AccountError, AuditFilter, DecisionContext, NewToken, NewUser, Session, Store,
    TOKEN_USE_RESOLUTION,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

praden_store::both_backends!(
    users_round_trip_and_names_are_unique,
    a_new_password_or_disabling_ends_the_sessions,
    sessions_expire_slide_and_end,
    tokens_are_found_by_hash_until_revoked_and_record_their_use,
    reads_abandoned_half_way_leave_later_reads_right,
);

// Bangkok time on purpose: the store must compare it correctly with UTC times.
const NOW: OffsetDateTime = datetime!(2024-03-05 09:30:00.25 +7);

fn ctx(actor: &str, now: OffsetDateTime) -> DecisionContext {
    DecisionContext {
        actor: actor.into(),
        request_id: Some(format!("req-{actor}")),
        now,
    }
}

fn new_user(name: &str, role: Role) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: format!("คุณ {name}"),
        role,
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt-of-{name}$hash"),
        agency: (role == Role::Agency).then(|| "กระทรวงพาณิชย์".into()),
    }
}

fn session(id: &str, user_id: i64, now: OffsetDateTime, ttl: Duration) -> Session {
    Session {
        id: id.into(),
        user_id,
        csrf_token: format!("csrf-{id}"),
        created_at: now,
        expires_at: now + ttl,
        last_seen: now,
    }
}

async fn audit_of(store: &Store, entity: &str, id: &str) -> Vec<praden_store::AuditRecord> {
    store
        .audit_records(&AuditFilter {
            entity: Some(entity.into()),
            entity_id: Some(id.into()),
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .unwrap()
}

async fn users_round_trip_and_names_are_unique(store: Store) {
    assert_eq!(store.count_users().await.unwrap(), 0);
    let somchai = store
        .add_user(&new_user("somchai", Role::Monitor), &ctx("admin", NOW))
        .await
        .unwrap();
    assert_eq!(somchai.role, Role::Monitor);
    assert!(!somchai.disabled);
    let read = store.user("somchai").await.unwrap().unwrap();
    assert_eq!(read.id, somchai.id);
    assert_eq!(read.display_name, "คุณ somchai");
    assert_eq!(
        read.password_hash,
        new_user("somchai", Role::Monitor).password_hash
    );
    assert_eq!(read.created_at, NOW);
    assert!(store.user("nobody").await.unwrap().is_none());

    let again = store
        .add_user(&new_user("somchai", Role::Editor), &ctx("admin", NOW))
        .await;
    assert!(
        matches!(again, Err(AccountError::Exists { entity: "user", ref name }) if name == "somchai"),
        "{again:?}"
    );
    store
        .add_user(&new_user("malee", Role::Editor), &ctx("admin", NOW))
        .await
        .unwrap();
    let names: Vec<String> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["malee", "somchai"]);
    assert_eq!(store.count_users().await.unwrap(), 2);

    // The audit trail records who added whom, and never the password hash.
    let records = audit_of(&store, "user", "somchai").await;
    assert_eq!(records.len(), 1, "the refused duplicate left no record");
    let r = &records[0].entry;
    assert_eq!((r.actor.as_str(), r.action.as_str()), ("admin", "user.add"));
    assert_eq!(r.request_id.as_deref(), Some("req-admin"));
    let after = r.after.as_ref().unwrap();
    assert_eq!(after["role"], "monitor");
    assert!(!after.to_string().contains("argon2"), "{after}");

    let role = store
        .set_user_role("malee", Role::Monitor, &ctx("admin", NOW))
        .await
        .unwrap();
    assert_eq!(role.role, Role::Monitor);
    assert_eq!(
        store.user("malee").await.unwrap().unwrap().role,
        Role::Monitor
    );
}

async fn a_new_password_or_disabling_ends_the_sessions(store: Store) {
    let user = store
        .add_user(&new_user("somchai", Role::Monitor), &ctx("admin", NOW))
        .await
        .unwrap();
    let ttl = Duration::hours(8);
    store
        .create_session(&session("s1", user.id, NOW, ttl), &ctx("somchai", NOW))
        .await
        .unwrap();
    let (s, u) = store.active_session("s1", NOW).await.unwrap().unwrap();
    assert_eq!((s.user_id, s.csrf_token.as_str()), (user.id, "csrf-s1"));
    assert_eq!(u.username, "somchai");

    let later = NOW + Duration::minutes(5);
    let changed = store
        .set_password("somchai", "$argon2id$new", &ctx("admin", later))
        .await
        .unwrap();
    assert_eq!(changed.password_hash, "$argon2id$new");
    assert_eq!(changed.updated_at, later);
    assert!(store.active_session("s1", later).await.unwrap().is_none());
    let passwd = audit_of(&store, "user", "somchai").await;
    assert_eq!(passwd[0].entry.action, "user.passwd");
    assert_eq!(passwd[0].entry.after.as_ref().unwrap()["sessions_ended"], 1);
    assert!(!passwd[0]
        .entry
        .after
        .as_ref()
        .unwrap()
        .to_string()
        .contains("argon2"));

    store
        .create_session(&session("s2", user.id, later, ttl), &ctx("somchai", later))
        .await
        .unwrap();
    let disabled = store
        .set_user_disabled("somchai", true, &ctx("admin", later))
        .await
        .unwrap();
    assert!(disabled.disabled);
    assert!(store.active_session("s2", later).await.unwrap().is_none());
    // A session created for a disabled user (a race with the disabling) does not let them in.
    store
        .create_session(&session("s3", user.id, later, ttl), &ctx("somchai", later))
        .await
        .unwrap();
    assert!(store.active_session("s3", later).await.unwrap().is_none());
    let enabled = store
        .set_user_disabled("somchai", false, &ctx("admin", later))
        .await
        .unwrap();
    assert!(!enabled.disabled);

    let actions: Vec<String> = audit_of(&store, "user", "somchai")
        .await
        .into_iter()
        .map(|r| r.entry.action)
        .collect();
    assert_eq!(
        actions,
        [
            "user.enable",
            "user.login",
            "user.disable",
            "user.login",
            "user.passwd",
            "user.login",
            "user.add"
        ]
    );
    let missing = store
        .set_user_disabled("nobody", true, &ctx("admin", later))
        .await;
    assert!(
        matches!(missing, Err(AccountError::NotFound { entity: "user", .. })),
        "{missing:?}"
    );
}

async fn sessions_expire_slide_and_end(store: Store) {
    let user = store
        .add_user(&new_user("malee", Role::Editor), &ctx("admin", NOW))
        .await
        .unwrap();
    let ttl = Duration::hours(1);
    store
        .create_session(&session("s1", user.id, NOW, ttl), &ctx("malee", NOW))
        .await
        .unwrap();
    assert_eq!(
        store.user("malee").await.unwrap().unwrap().last_seen_at,
        Some(NOW),
        "the login is a use"
    );
    let almost = NOW + ttl - Duration::milliseconds(1);
    assert!(store.active_session("s1", almost).await.unwrap().is_some());
    assert!(store
        .active_session("s1", NOW + ttl)
        .await
        .unwrap()
        .is_none());

    // A use slides the expiry on.
    store
        .touch_session("s1", almost, almost + ttl)
        .await
        .unwrap();
    let (s, _) = store
        .active_session("s1", NOW + ttl)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((s.last_seen, s.expires_at), (almost, almost + ttl));
    // The user keeps the last use after the session is gone.
    assert_eq!(
        store.user("malee").await.unwrap().unwrap().last_seen_at,
        Some(almost)
    );

    store
        .create_session(&session("s2", user.id, NOW, ttl), &ctx("malee", NOW))
        .await
        .unwrap();
    assert_eq!(store.end_expired_sessions(NOW + ttl).await.unwrap(), 1);
    assert!(store
        .active_session("s1", NOW + ttl)
        .await
        .unwrap()
        .is_some());

    assert!(store
        .end_session("s1", &ctx("malee", NOW + ttl))
        .await
        .unwrap());
    assert!(!store
        .end_session("s1", &ctx("malee", NOW + ttl))
        .await
        .unwrap());
    assert!(store
        .active_session("s1", NOW + ttl)
        .await
        .unwrap()
        .is_none());
    let logouts = audit_of(&store, "user", "malee")
        .await
        .into_iter()
        .filter(|r| r.entry.action == "user.logout")
        .count();
    assert_eq!(logouts, 1, "ending a session that is gone records nothing");
}

async fn tokens_are_found_by_hash_until_revoked_and_record_their_use(store: Store) {
    let new = NewToken {
        name: "assign-system".into(),
        role: Role::Consumer,
        token_hash: "a1".repeat(32),
    };
    let token = store.create_token(&new, &ctx("admin", NOW)).await.unwrap();
    assert_eq!(token.created_by, "admin");
    assert_eq!(token.last_used_at, None);
    let again = store
        .create_token(
            &NewToken {
                token_hash: "b2".repeat(32),
                ..new.clone()
            },
            &ctx("admin", NOW),
        )
        .await;
    assert!(
        matches!(
            again,
            Err(AccountError::Exists {
                entity: "token",
                ..
            })
        ),
        "{again:?}"
    );
    assert!(store
        .active_token(&"ff".repeat(32))
        .await
        .unwrap()
        .is_none());
    let found = store.active_token(&new.token_hash).await.unwrap().unwrap();
    assert_eq!((found.id, found.role), (token.id, Role::Consumer));

    // Uses are recorded at most once per TOKEN_USE_RESOLUTION.
    store.token_used(token.id, NOW).await.unwrap();
    let seen = |store: Store| async move { store.tokens().await.unwrap()[0].last_used_at.unwrap() };
    assert_eq!(seen(store.clone()).await, NOW);
    let soon = NOW + TOKEN_USE_RESOLUTION - Duration::seconds(1);
    store.token_used(token.id, soon).await.unwrap();
    assert_eq!(seen(store.clone()).await, NOW);
    let later = NOW + TOKEN_USE_RESOLUTION + Duration::seconds(1);
    store.token_used(token.id, later).await.unwrap();
    assert_eq!(seen(store.clone()).await, later);

    let revoked = store
        .revoke_token("assign-system", &ctx("admin", later))
        .await
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(later));
    assert!(store.active_token(&new.token_hash).await.unwrap().is_none());
    let twice = store
        .revoke_token("assign-system", &ctx("admin", later))
        .await;
    assert!(
        matches!(twice, Err(AccountError::AlreadyRevoked { .. })),
        "{twice:?}"
    );
    let missing = store.revoke_token("nobody", &ctx("admin", later)).await;
    assert!(
        matches!(
            missing,
            Err(AccountError::NotFound {
                entity: "token",
                ..
            })
        ),
        "{missing:?}"
    );
    let listed = store.tokens().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].revoked_at, Some(later));

    let actions: Vec<(String, String)> = audit_of(&store, "token", "assign-system")
        .await
        .into_iter()
        .map(|r| (r.entry.actor, r.entry.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("admin".to_string(), "token.revoke".to_string()),
            ("admin".to_string(), "token.create".to_string())
        ]
    );
}

/// The reads of every request (on SQLite, on connections of their own outside the pool)
/// stay right when requests are cancelled in the middle of them, and see a revocation at once.
async fn reads_abandoned_half_way_leave_later_reads_right(store: Store) {
    let mut hashes = Vec::new();
    for n in 0..4 {
        let hash = format!("{n:02}").repeat(32);
        let new = NewToken {
            name: format!("system-{n}"),
            role: Role::Consumer,
            token_hash: hash.clone(),
        };
        let token = store.create_token(&new, &ctx("admin", NOW)).await.unwrap();
        hashes.push((hash, token.id));
    }
    let mut tasks = Vec::new();
    for t in 0..6u64 {
        let store = store.clone();
        let hashes = hashes.clone();
        tasks.push(tokio::spawn(async move {
            let mut abandoned = 0;
            for k in 0..150u64 {
                let (hash, id) = &hashes[((t + k) % 4) as usize];
                // Give up after 0 to 60 µs: some reads are dropped before they are sent,
                // some while their worker runs them, some not at all.
                let wait = std::time::Duration::from_micros((k * 7 + t) % 61);
                if tokio::time::timeout(wait, store.active_token(hash))
                    .await
                    .is_err()
                {
                    abandoned += 1;
                }
                let found = store.active_token(hash).await.unwrap().unwrap();
                assert_eq!(found.id, *id);
                assert!(store
                    .active_token(&"ff".repeat(32))
                    .await
                    .unwrap()
                    .is_none());
            }
            abandoned
        }));
    }
    let mut abandoned = 0;
    for t in tasks {
        abandoned += t.await.unwrap();
    }
    assert!(
        abandoned > 0,
        "no read was abandoned: the test tests nothing"
    );

    store
        .revoke_token("system-0", &ctx("admin", NOW))
        .await
        .unwrap();
    for _ in 0..8 {
        assert!(store.active_token(&hashes[0].0).await.unwrap().is_none());
        assert!(store.active_token(&hashes[1].0).await.unwrap().is_some());
    }
}
