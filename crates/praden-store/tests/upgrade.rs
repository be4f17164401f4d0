//! A database made by an older praden upgrades in place: the migrations that rebuild tables
//! (SQLite cannot change a CHECK constraint) keep every row, id and login session.

use praden_store::Store;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Row};
use std::str::FromStr;

/// The first migration that rebuilds `users`, `sessions` and `issue_events`.
const AGENCY_USERS: i64 = 20261208000002;

#[tokio::test]
async fn a_sqlite_database_from_before_agency_users_keeps_its_users_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("praden.db");
    let url = format!("sqlite://{}", path.display());
    // The database as the release before made it.
    let mut conn = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    let mut before = sqlx::migrate!("./migrations/sqlite");
    before.migrations = std::borrow::Cow::Owned(
        before
            .migrations
            .iter()
            .filter(|m| m.version < AGENCY_USERS)
            .cloned()
            .collect(),
    );
    before.run(&mut conn).await.unwrap();
    for sql in [
        "INSERT INTO users (id, username, display_name, role, password_hash, created_at, \
         updated_at, last_seen_at) VALUES (7, 'somchai', 'สมชาย', 'monitor', 'h', \
         '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z', '2026-12-02T00:00:00Z')",
        "INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at, last_seen) \
         VALUES ('s1', 7, 'c', '2026-12-01T00:00:00Z', '2099-01-01T00:00:00Z', \
         '2026-12-02T00:00:00Z')",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    drop(conn);

    let store = Store::connect(&url).await.unwrap();
    let user = store
        .user("somchai")
        .await
        .unwrap()
        .expect("the user is kept");
    assert_eq!(
        (user.id, user.display_name.as_str(), user.agency),
        (7, "สมชาย", None)
    );
    let now = time::macros::datetime!(2026-12-03 00:00 UTC);
    let (session, _) = store
        .active_session("s1", now)
        .await
        .unwrap()
        .expect("the session is kept: nobody is logged out by the upgrade");
    assert_eq!(session.user_id, 7);
    store.close().await;

    // The rebuilt sessions table refers to the rebuilt users table.
    let mut conn = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let fk: Vec<String> = sqlx::query("PRAGMA foreign_key_list(sessions)")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("table"))
        .collect();
    assert_eq!(fk, ["users"]);
}
