//! Logging in and out, sessions, CSRF, the login rate limit and API tokens, end to end on
//! SQLite and PostgreSQL.

use praden_core::Role;
use praden_store::{AuditFilter, DecisionContext};
use praden_tests::{client_with_token, on_both_databases, Db, RunningApp, TestEnv};
use std::time::Duration;

const PASSWORD: &str = "รหัสผ่านยาวพอสมควร";

async fn app(db: Db, ttl: Option<Duration>) -> Option<(TestEnv, RunningApp)> {
    let env = TestEnv::new(db).await?;
    env.write_sources(&[]);
    let mut config = env.config();
    if let Some(ttl) = ttl {
        config.auth.session_ttl = ttl;
    }
    let app = RunningApp::start(config).await;
    Some((env, app))
}

fn cli_context() -> DecisionContext {
    DecisionContext {
        actor: "tests-admin".into(),
        request_id: None,
        now: time::OffsetDateTime::now_utc(),
    }
}

async fn status_of(client: &reqwest::Client, url: String) -> (u16, String) {
    let r = client.get(url).send().await.unwrap();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status().as_u16(), location)
}

async fn a_password_logs_in_and_a_wrong_one_does_not(db: Db) {
    let Some((_env, app)) = app(db, None).await else {
        return;
    };
    app.add_user("malee", Role::Editor, PASSWORD).await;

    let (_, _, wrong) = app.try_login("malee", "ผิด").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    let page = wrong.text().await.unwrap();
    assert!(page.contains("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"), "{page}");
    let (_, _, nobody) = app.try_login("nobody", PASSWORD).await;
    assert_eq!(nobody.status(), 401, "an unknown user reads the same");

    let (client, _, ok) = app.try_login("malee", PASSWORD).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(
        ok.headers()["location"],
        "/search",
        "an editor starts at search"
    );
    let cookie = ok.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("praden_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "not configured: plain HTTP on 127.0.0.1"
    );
    let (status, _) = status_of(&client, format!("{}/search?q=x", app.base)).await;
    assert_eq!(status, 200);
    let (status, _) = status_of(&client, format!("{}/api/v1/search?q=x", app.base)).await;
    assert_eq!(status, 200, "the session works for the JSON API too");
    let (status, _) = status_of(&client, format!("{}/api/v1/sources", app.base)).await;
    assert_eq!(status, 403, "an editor may only search");

    // Without a session, a page sends the browser to the login form and back.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (status, location) = status_of(&anonymous, format!("{}/search?q=ไข่", app.base)).await;
    assert_eq!(status, 303);
    // `next` is the path as requested (percent-encoded), encoded once more as a parameter.
    assert_eq!(
        location,
        "/login?next=%2Fsearch%3Fq%3D%25E0%25B9%2584%25E0%25B8%2582%25E0%25B9%2588"
    );
    // The login form brings them there afterwards; a foreign `next` is ignored.
    let r = client
        .post(format!("{}/login", app.base))
        .form(&[
            ("username", "malee"),
            ("password", PASSWORD),
            ("next", "/search?q=x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/search?q=x");
    let r = client
        .post(format!("{}/login", app.base))
        .form(&[
            ("username", "malee"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/search");

    let logins = app
        .store()
        .audit_records(&AuditFilter {
            entity: Some("user".into()),
            entity_id: Some("malee".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(logins.iter().any(|r| r.entry.action == "user.login"));
    app.stop().await;
}

async fn a_disabled_user_is_out_at_once_and_cannot_log_in(db: Db) {
    let Some((_env, app)) = app(db, None).await else {
        return;
    };
    app.add_user("somchai", Role::Monitor, PASSWORD).await;
    let session = app.login("somchai", PASSWORD).await;
    let url = format!("{}/api/v1/sources", app.base);
    assert_eq!(status_of(&session.client, url.clone()).await.0, 200);

    app.store()
        .set_user_disabled("somchai", true, &cli_context())
        .await
        .unwrap();
    assert_eq!(status_of(&session.client, url.clone()).await.0, 401);
    let (_, _, r) = app.try_login("somchai", PASSWORD).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("ถูกระงับ"));
    let (_, _, r) = app.try_login("somchai", "ผิดด้วย").await;
    assert_eq!(
        r.status(),
        401,
        "a wrong password says nothing about the account"
    );

    app.store()
        .set_user_disabled("somchai", false, &cli_context())
        .await
        .unwrap();
    let again = app.login("somchai", PASSWORD).await;
    assert_eq!(status_of(&again.client, url).await.0, 200);
    app.stop().await;
}

async fn sessions_slide_expire_and_end_at_logout(db: Db) {
    let ttl = Duration::from_secs(3);
    let Some((_env, app)) = app(db, Some(ttl)).await else {
        return;
    };
    app.add_user("malee", Role::Editor, PASSWORD).await;
    let url = format!("{}/api/v1/search?q=x", app.base);

    // Each use moves the expiry on: alive well past the first expiry while in use…
    let session = app.login("malee", PASSWORD).await;
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(status_of(&session.client, url.clone()).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(
        status_of(&session.client, url.clone()).await.0,
        200,
        "3.6 s after login, 1.8 s after the last use"
    );
    // …and ended after `ttl` without one.
    tokio::time::sleep(ttl + Duration::from_millis(500)).await;
    let r = session.client.get(url.clone()).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );

    // Logout needs the CSRF token like any other form, ends the session and the cookie.
    let session = app.login("malee", PASSWORD).await;
    let r = session
        .client
        .post(format!("{}/logout", app.base))
        .form(&[("csrf", "not-the-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(status_of(&session.client, url.clone()).await.0, 200);
    let r = session
        .client
        .post(format!("{}/logout", app.base))
        .form(&[("csrf", session.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?out=1");
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(status_of(&session.client, url).await.0, 401);
    app.stop().await;
}

async fn cookie_requests_that_change_things_need_the_csrf_token(db: Db) {
    let Some((_env, app)) = app(db, None).await else {
        return;
    };
    app.add_user("somchai", Role::Monitor, PASSWORD).await;
    let session = app.login("somchai", PASSWORD).await;
    let url = format!("{}/api/v1/candidates/999999/reject", app.base);
    let post = |csrf: Option<&str>| {
        let mut r = session
            .client
            .post(url.clone())
            .header("content-type", "application/json")
            .body(r#"{"version":1,"reason":"ไม่ใช่ประเด็น"}"#);
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        r.send()
    };
    for csrf in [None, Some("0".repeat(64).as_str())] {
        let r = post(csrf).await.unwrap();
        assert_eq!(r.status(), 403, "{csrf:?}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "csrf_failed", "{body}");
    }
    let r = post(Some(&session.csrf)).await.unwrap();
    assert_eq!(
        r.status(),
        404,
        "with the token the request reaches the handler"
    );

    // A form without the field is refused before its handler runs; a cross-site page cannot
    // know the token.
    let r = session
        .client
        .post(format!("{}/candidates/999999/reject", app.base))
        .form(&[("version", "1"), ("reason", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // A token-authenticated client needs no CSRF token: no browser sends it on its own.
    let monitor = client_with_token(&app.create_token("monitor-tool", Role::Monitor).await);
    let r = monitor
        .post(url.clone())
        .header("content-type", "application/json")
        .body(r#"{"version":1,"reason":"ไม่ใช่ประเด็น"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    app.stop().await;
}

async fn repeated_failures_are_refused_with_429_and_retry_after(db: Db) {
    let Some((_env, app)) = app(db, None).await else {
        return;
    };
    app.add_user("malee", Role::Editor, PASSWORD).await;
    app.add_user("somchai", Role::Monitor, PASSWORD).await;
    for _ in 0..5 {
        let (_, _, r) = app.try_login("malee", "เดาผิด").await;
        assert_eq!(r.status(), 401);
    }
    // Now even the right password waits: guessing cannot go on.
    let (_, _, r) = app.try_login("malee", PASSWORD).await;
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    assert!(r.text().await.unwrap().contains("นาที"));
    let (_, _, r) = app.try_login("MALEE", PASSWORD).await;
    assert_eq!(r.status(), 429, "the name is counted case-insensitively");
    // Another user from the same address is not locked out by malee's failures.
    let (_, _, r) = app.try_login("somchai", PASSWORD).await;
    assert_eq!(r.status(), 303);
    app.stop().await;
}

async fn tokens_work_until_revoked_and_record_their_last_use(db: Db) {
    let Some((_env, app)) = app(db, None).await else {
        return;
    };
    let token = app.create_token("assign-system", Role::Consumer).await;
    let consumer = client_with_token(&token);
    let feed = format!("{}/api/v1/issues/approved", app.base);
    let before = time::OffsetDateTime::now_utc();
    assert_eq!(status_of(&consumer, feed.clone()).await.0, 200);
    let listed = app.store().tokens().await.unwrap();
    let t = listed
        .iter()
        .find(|t| t.name.starts_with("assign-system"))
        .unwrap();
    assert!(t.last_used_at.unwrap() >= before - time::Duration::seconds(1));
    assert_eq!(t.created_by, "tests");
    // A consumer reads the feed, nothing else.
    let r = consumer
        .get(format!("{}/api/v1/search?q=x", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("consumer"));

    app.store()
        .revoke_token(&t.name, &cli_context())
        .await
        .unwrap();
    let r = consumer.get(feed.clone()).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );
    let made_up = client_with_token("praden_0000");
    assert_eq!(status_of(&made_up, feed).await.0, 401);

    // The audit trail has the token's life.
    let records = app
        .store()
        .audit_records(&AuditFilter {
            entity: Some("token".into()),
            entity_id: Some(t.name.clone()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = records.iter().map(|r| r.entry.action.as_str()).collect();
    assert_eq!(actions, ["token.revoke", "token.create"]);
    app.stop().await;
}

async fn the_first_start_creates_an_admin_whose_password_is_in_a_file(db: Db) {
    let Some((env, app)) = app(db, None).await else {
        return;
    };
    let path = env.dir.path().join("initial-admin-password");
    let password = std::fs::read_to_string(&path).unwrap();
    let admin = app.login("admin", password.trim_end()).await;
    let (status, _) = status_of(&admin.client, format!("{}/api/v1/audit", app.base)).await;
    assert_eq!(status, 200);
    app.stop().await;
    // A restart keeps the admin and does not make another password.
    let again = RunningApp::start(env.config()).await;
    assert_eq!(std::fs::read_to_string(&path).unwrap(), password);
    assert_eq!(again.store().count_users().await.unwrap(), 1);
    again.stop().await;
}

async fn admins_manage_users_and_tokens_on_their_page(db: Db) {
    let Some((env, app)) = app(db, None).await else {
        return;
    };
    let password = std::fs::read_to_string(env.dir.path().join("initial-admin-password")).unwrap();
    let admin = app.login("admin", password.trim_end()).await;
    let page = |path: &str| format!("{}{path}", app.base);
    let r = admin
        .client
        .get(page("/admin/accounts"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("บัญชีผู้ใช้และโทเค็น") && html.contains(">admin<"),
        "{html}"
    );

    // A token is shown once, on the page that answers the form, and works at once.
    let r = admin
        .client
        .post(page("/admin/tokens"))
        .form(&[
            ("csrf", admin.csrf.as_str()),
            ("name", "assign-system"),
            ("role", "consumer"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let html = r.text().await.unwrap();
    let token = html
        .split("<pre id=\"new-token\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .expect("the new token on the page")
        .to_string();
    let consumer = client_with_token(&token);
    let feed = page("/api/v1/issues/approved");
    assert_eq!(status_of(&consumer, feed.clone()).await.0, 200);
    let listing = admin
        .client
        .get(page("/admin/accounts"))
        .send()
        .await
        .unwrap();
    let listing = listing.text().await.unwrap();
    assert!(listing.contains("assign-system") && !listing.contains(&token));
    let r = admin
        .client
        .post(page("/admin/tokens"))
        .form(&[
            ("csrf", admin.csrf.as_str()),
            ("name", "assign-system"),
            ("role", "consumer"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "the name is taken");
    let r = admin
        .client
        .post(page("/admin/tokens/assign-system/revoke"))
        .form(&[("csrf", admin.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(status_of(&consumer, feed).await.0, 401);

    // A user added here logs in; disabled here, they are out.
    let add = |password: &'static str| {
        admin
            .client
            .post(page("/admin/users"))
            .form(&[
                ("csrf", admin.csrf.as_str()),
                ("username", "somchai"),
                ("display_name", "สมชาย ใจดี"),
                ("role", "monitor"),
                ("password", password),
            ])
            .send()
    };
    assert_eq!(add("สั้น").await.unwrap().status(), 400);
    assert_eq!(add(PASSWORD).await.unwrap().status(), 303);
    let somchai = app.login("somchai", PASSWORD).await;
    let r = admin
        .client
        .post(page("/admin/users/somchai/disable"))
        .form(&[("csrf", admin.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        status_of(&somchai.client, page("/api/v1/sources")).await.0,
        401
    );
    let r = admin
        .client
        .post(page("/admin/users/admin/disable"))
        .form(&[("csrf", admin.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "an admin cannot lock themselves out");

    let records = app
        .store()
        .audit_records(&AuditFilter {
            actor: Some("admin".into()),
            limit: 20,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = records.iter().map(|r| r.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.disable",
            "user.add",
            "token.revoke",
            "token.create",
            "user.login"
        ]
    );
    assert!(
        records[0].entry.request_id.is_some(),
        "the request id is recorded"
    );
    app.stop().await;
}

on_both_databases!(
    admins_manage_users_and_tokens_on_their_page,
    a_password_logs_in_and_a_wrong_one_does_not,
    a_disabled_user_is_out_at_once_and_cannot_log_in,
    sessions_slide_expire_and_end_at_logout,
    cookie_requests_that_change_things_need_the_csrf_token,
    repeated_failures_are_refused_with_429_and_retry_after,
    tokens_work_until_revoked_and_record_their_last_use,
    the_first_start_creates_an_admin_whose_password_is_in_a_file,
);
