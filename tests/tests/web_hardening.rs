//! Hostile and careless requests against the whole app (issue 23, parts 4 and 8): a value no
//! store can hold fails its line or parameter, never the request or its other lines; every
//! error, axum's own included (bodies, query strings, path segments, unknown routes), comes
//! in the documented `{"error":{"code","message"}}` envelope; every answer carries the
//! security and caching headers. On SQLite and PostgreSQL: the two stores fail on different
//! values (SQLite on years it cannot write as RFC 3339 text, PostgreSQL on NUL characters).

use praden_tests::{encode, on_both_databases, Db, RunningApp, TestEnv};
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;

on_both_databases!(
    a_pushed_line_with_an_impossible_date_is_rejected_alone,
    out_of_range_dates_are_bad_parameters,
    every_error_comes_in_the_envelope,
);

/// The status, the headers and the body as JSON (`Null` when it is not JSON).
async fn send(request: reqwest::RequestBuilder) -> (u16, HeaderMap, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// Asserts the envelope with `code` at `status`, and that the message mentions `names`.
#[track_caller]
fn assert_error(answer: &(u16, HeaderMap, Value), status: u16, code: &str, names: &str) {
    let (got, headers, body) = answer;
    assert_eq!(
        (*got, body["error"]["code"].as_str()),
        (status, Some(code)),
        "{body}"
    );
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(names), "{names:?} not in {message:?}");
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(1),
        "only the envelope: {body}"
    );
    assert!(
        headers[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{headers:?}"
    );
}

async fn a_pushed_line_with_an_impossible_date_is_rejected_alone(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let app = RunningApp::start(env.config()).await;
    let vendor = app.create_token("vendor", praden_core::Role::Ingest).await;
    // Line 2 is the year -1199 (read as milliseconds), line 4 the year 1, line 5 holds a
    // NUL: each failed the whole request with 503 and lost lines 1 and 3.
    let body = [
        r#"{"id": "ok-1", "text": "ชาวนาโคราชร้องราคาข้าวเปลือกตกต่ำ", "created_at": 1709612100}"#,
        r#"{"id": "bad-2", "text": "วันที่ผิด", "created_at": -99999999999999}"#,
        r#"{"id": "ok-3", "text": "ชาวนาสุรินทร์ร้องราคาข้าวเปลือกตกต่ำเช่นกัน", "created_at": "2024-03-05T11:15:00+07:00"}"#,
        r#"{"id": "bad-4", "text": "วันที่ผิด", "observed_at": "0001-01-01T00:00:00Z"}"#,
        r#"{"id": "bad-5", "text": "อักขระ\u0000ศูนย์"}"#,
        r#"{"id": "bad-6", "text": "ปีพุทธศักราชซ้อน", "created_at": "2567-03-05T10:00:00+07:00"}"#,
    ]
    .join("\n");
    let answer = send(
        reqwest::Client::new()
            .post(format!(
                "{}/api/v1/ingest/social?source=vendor-push",
                app.base
            ))
            .header(AUTHORIZATION, format!("Bearer {vendor}"))
            .header(CONTENT_TYPE, "application/x-ndjson")
            .body(body),
    )
    .await;
    let (status, _, report) = &answer;
    assert_eq!(*status, 200, "{report}");
    assert_eq!(report["accepted"], 2, "{report}");
    let rejected: Vec<(u64, &str)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rejected.iter().map(|r| r.0).collect::<Vec<_>>(),
        [2, 4, 5, 6],
        "{report}"
    );
    for (line, field) in [(0, "created_at"), (1, "observed_at"), (3, "created_at")] {
        let reason = rejected[line].1;
        assert!(
            reason.contains(field) && reason.contains("year out of range"),
            "{reason}"
        );
    }
    assert!(rejected[2].1.contains("NUL"), "{report}");
    // The good lines are stored and searchable.
    let hits = app.wait_for_hits("ข้าวเปลือก", 2).await;
    assert_eq!(hits["total"], 2, "{hits}");
    app.stop().await;
}

async fn out_of_range_dates_are_bad_parameters(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let app = RunningApp::start(env.config()).await;
    let admin = app.client();
    let get = |path: &str| send(admin.get(format!("{}{path}", app.base)));
    // Answered 503 store_unavailable on SQLite.
    let answer = get("/api/v1/assignments/0000-01-01/message").await;
    assert_error(&answer, 400, "bad_parameter", "year out of range");
    assert_error(&answer, 400, "bad_parameter", "date");
    for path in [
        "/api/v1/assignments/9999-12-31/message?format=json",
        "/api/v1/briefs/0000-01-01",
        "/api/v1/briefs/1899-12-31",
        "/briefs/2200-01-01",
    ] {
        assert_error(&get(path).await, 400, "bad_parameter", "year out of range");
    }
    for param in ["from", "to"] {
        let answer = get(&format!("/api/v1/search?q=x&{param}=0000-01-01")).await;
        assert_error(&answer, 400, "bad_parameter", param);
        let answer = get(&format!("/api/v1/search/export?q=x&{param}=9999-01-01")).await;
        assert_error(&answer, 400, "bad_parameter", "year out of range");
    }
    // The edges of the range are fine: nothing is there, and that is all.
    let (status, _, body) = get("/api/v1/search?q=x&from=1900-01-01&to=2742-12-31").await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = get("/api/v1/assignments/2199-12-31/message?format=json").await;
    assert_eq!((status, &body["count"]), (200, &Value::from(0)), "{body}");
    let answer = get("/api/v1/audit?before=yesterday").await;
    assert_error(&answer, 400, "bad_parameter", "before");
    app.stop().await;
}

async fn every_error_comes_in_the_envelope(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let app = RunningApp::start(env.config()).await;
    let admin = app.client();
    let url = |path: &str| format!("{}{path}", app.base);
    let approve = url("/api/v1/candidates/1/approve");

    // Bodies: not JSON (was 400 plain text), of the wrong shape (was 422), empty, without a
    // content type (was 415 plain text), too large (was 413 plain text), holding a NUL.
    let json = |body: &str| {
        admin
            .post(&approve)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string())
    };
    assert_error(&send(json("{not json")).await, 400, "bad_body", "not JSON");
    assert_error(
        &send(json(r#"{"version": "one"}"#)).await,
        400,
        "bad_body",
        "version",
    );
    assert_error(
        &send(json(r#"{"title": "x"}"#)).await,
        400,
        "bad_body",
        "version",
    );
    assert_error(
        &send(json(r#"{"version": 1, "version": 2}"#)).await,
        400,
        "bad_body",
        "duplicate field",
    );
    assert_error(&send(json("")).await, 400, "bad_body", "empty");
    assert_error(
        &send(admin.post(&approve).body(r#"{"version": 1}"#)).await,
        415,
        "unsupported_media_type",
        "application/json",
    );
    // Just over axum's 2 MiB: the server reads nearly all of it before refusing, so the client
    // finishes writing and reads the answer (with 9 MB the server could close the connection
    // while the client still wrote, and the test failed on a broken pipe now and then).
    assert_error(
        &send(json(&format!(
            r#"{{"version": 1, "title": "{}"}}"#,
            "ก".repeat(720_000)
        )))
        .await,
        413,
        "too_large",
        "too large",
    );
    assert_error(
        &send(json(r#"{"version": 1, "reason": "a\u0000b"}"#)).await,
        400,
        "bad_body",
        "NUL",
    );
    // A well-formed decision on a candidate that does not exist still reaches the store.
    assert_error(
        &send(
            admin
                .post(url("/api/v1/candidates/1/reject"))
                .header(CONTENT_TYPE, "application/json")
                .body(r#"{"version": 1, "reason": "ซ้ำ"}"#),
        )
        .await,
        404,
        "not_found",
        "1",
    );

    // Query strings: a parameter given twice (which one was meant?), one that does not parse
    // (was 400 plain text), a NUL (was 503 from PostgreSQL).
    let get = |path: &str| send(admin.get(url(path)));
    assert_error(
        &get("/api/v1/search?q=ข้าว&q=ฝุ่น").await,
        400,
        "bad_parameter",
        "parameter q is given more than once",
    );
    assert_error(
        &get("/api/v1/audit?limit=5&limit=6").await,
        400,
        "bad_parameter",
        "limit",
    );
    assert_error(
        &get("/api/v1/issues/approved?limit=many").await,
        400,
        "bad_parameter",
        "limit",
    );
    assert_error(
        &get(&format!("/api/v1/audit?actor={}", encode("a\0b"))).await,
        400,
        "bad_parameter",
        "NUL",
    );

    // Path segments that do not parse (was 400 plain text).
    assert_error(
        &get("/api/v1/candidates/abc").await,
        400,
        "bad_parameter",
        "path parameter id=“abc”",
    );
    assert_error(
        &get("/api/v1/issues/99999999999999999999").await,
        400,
        "bad_parameter",
        "a whole number",
    );
    assert_error(
        &get("/api/v1/candidates/999999").await,
        404,
        "not_found",
        "999999",
    );

    // Routes that do not exist, and methods a route does not take (were empty answers).
    assert_error(
        &get("/api/v1/nothing-here").await,
        404,
        "not_found",
        "/api/v1/nothing-here",
    );
    assert_error(
        &send(admin.delete(url("/api/v1/search"))).await,
        405,
        "method_not_allowed",
        "DELETE",
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_and_caching_headers() {
    let env = TestEnv::new(Db::Sqlite).await.unwrap();
    env.write_sources(&[]);
    let app = RunningApp::start(env.config()).await;
    let admin = app.client();
    let url = |path: &str| format!("{}{path}", app.base);
    let check = |what: &str, headers: &HeaderMap, cache: &str| {
        let h = |name: &str| {
            headers
                .get(name)
                .unwrap_or_else(|| panic!("{what}: no {name} in {headers:?}"))
                .to_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(h("x-frame-options"), "DENY", "{what}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
        let csp = h("content-security-policy");
        for directive in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(directive), "{what}: {csp}");
        }
        assert!(!csp.contains("script-src"), "no script may run: {csp}");
        assert_eq!(h("cache-control"), cache, "{what}");
        assert_eq!(h("referrer-policy"), "same-origin", "{what}");
    };
    for (path, kind) in [
        ("/search?q=x", "text/html"),
        ("/queue", "text/html"),
        ("/login", "text/html"),
        ("/api/v1/search?q=x", "application/json"),
        ("/api/v1/candidates", "application/json"),
        ("/healthz", "application/json"),
        ("/api/v1/candidates/abc", "application/json"),
        ("/api/v1/search/export?q=x", "text/csv"),
    ] {
        let (status, headers, _) = send(admin.get(url(path))).await;
        assert!(status == 200 || status == 400, "{path}: {status}");
        let content_type = headers[CONTENT_TYPE].to_str().unwrap();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        check(path, &headers, "no-store");
    }
    // Refusals and redirects too.
    let (status, headers, _) = send(reqwest::Client::new().get(url("/api/v1/search?q=x"))).await;
    assert_eq!(status, 401);
    check("401", &headers, "no-store");
    // The API description is the same for everyone: a cache may keep it a while.
    let (status, headers, _) = send(reqwest::Client::new().get(url("/api/v1/openapi.json"))).await;
    assert_eq!(status, 200);
    check("openapi.json", &headers, "public, max-age=300");
    app.stop().await;
}
