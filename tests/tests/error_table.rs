//! One error table for the API and the pages: the same failure answers the same status, with
//! the JSON envelope's code on the API and the table's Thai words on a page, and the store's
//! own words stay in the log.

use praden_tests::{client_with_token, on_both_databases, Db, RunningApp, TestEnv};

on_both_databases!(a_failing_store_is_a_503_on_the_api_and_on_the_search_page);

/// Breaks a table behind the running app's back, so its next query there fails as in an
/// outage while logins (other tables) still work.
async fn drop_table(url: &str, table: &str) {
    if url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(&format!("DROP TABLE {table}"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(&format!("DROP TABLE {table} CASCADE"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
}

async fn a_failing_store_is_a_503_on_the_api_and_on_the_search_page(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let app = RunningApp::start(env.config()).await;
    // A search narrowed to a candidate first looks the candidate up.
    drop_table(&env.database_url, "candidates").await;

    let (status, body) = app.get_json("/api/v1/search?q=ข่าว&candidate=1").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("store_unavailable")),
        "{body}"
    );
    // The search page said 400 for this before.
    let page = client_with_token(&app.editor_token)
        .get(format!("{}/search?q=ข่าว&candidate=1", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 503);
    let html = page.text().await.unwrap();
    assert!(html.contains("ฐานข้อมูลไม่พร้อมใช้งาน"), "{html}");
    assert!(
        !html.contains("no such table") && !html.contains("relation"),
        "the store's words stay in the log: {html}"
    );
    app.stop().await;
}
