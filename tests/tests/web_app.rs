//! The pages as a logged-in browser meets them: one navigation bar by role on every page,
//! every link in it answers, and errors are Thai pages with a way back — never the API's JSON
//! or a framework's English.

use praden_core::Role;
use praden_tests::files::{PDF, PNG};
use praden_tests::seed::seed_queue;
use praden_tests::{on_both_databases, Db, RunningApp, TestEnv};
use time::OffsetDateTime;

on_both_databases!(
    each_role_sees_the_pages_it_may_open_and_each_link_answers,
    a_browser_gets_thai_error_pages_and_an_api_client_json,
    the_queue_pages_filters_and_sorts_past_the_first_hundred,
    an_issue_is_approved_edited_and_withdrawn_through_the_forms,
    an_agency_sees_only_its_issues_and_answers_them,
    an_agency_reports_its_clarification_with_evidence,
    an_admin_keeps_the_agency_directory
);

/// The `href`s of the page's main navigation, in order.
fn nav_links(html: &str) -> Vec<String> {
    let start = html
        .find("<nav aria-label=\"เมนูหลัก\"")
        .unwrap_or_else(|| panic!("a main navigation: {html}"));
    let nav = &html[start..start + html[start..].find("</nav>").unwrap()];
    nav.split("href=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

async fn each_role_sees_the_pages_it_may_open_and_each_link_answers(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let app = RunningApp::start(env.config()).await;
    // (role, its start page, the links its bar must show)
    let cases: [(Role, &str, &[&str]); 3] = [
        (
            Role::Admin,
            "/queue",
            &[
                "/queue",
                "/issues",
                "/overdue",
                "/agency",
                "/agency/kpi",
                "/briefs",
                "/assignments",
                "/kpi",
                "/search",
                "/sources",
                "/audit",
                "/admin/accounts",
                "/admin/agencies",
            ],
        ),
        (
            Role::Monitor,
            "/queue",
            &[
                "/queue",
                "/issues",
                "/overdue",
                "/briefs",
                "/assignments",
                "/kpi",
                "/search",
                "/sources",
            ],
        ),
        (Role::Editor, "/search", &["/briefs", "/search"]),
    ];
    for (role, start, expected) in cases {
        let name = format!("u{}", role.as_str());
        app.add_user(&name, role, "a long enough password").await;
        let session = app.login(&name, "a long enough password").await;
        let get = |path: String| {
            let client = session.client.clone();
            let url = format!("{}{path}", app.base);
            async move {
                let r = client
                    .get(url)
                    .header("accept", "text/html")
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        let (status, html) = get(start.to_string()).await;
        assert_eq!(status, 200, "{role:?} {start}: {html}");
        let links = nav_links(&html);
        assert_eq!(links, expected, "{role:?}'s navigation on {start}");
        assert!(
            html.contains("ออกจากระบบ"),
            "{role:?} can log out from {start}"
        );
        for link in &links {
            let (status, html) = get(link.clone()).await;
            assert_eq!(status, 200, "{role:?} {link}: {html}");
            assert_eq!(
                nav_links(&html),
                expected,
                "{role:?}: the same bar on {link}"
            );
            assert!(
                html.contains("ออกจากระบบ"),
                "{role:?} can log out from {link}"
            );
        }
    }
    app.stop().await;
}

async fn a_browser_gets_thai_error_pages_and_an_api_client_json(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let app = RunningApp::start(env.config()).await;
    app.add_user("mon", Role::Monitor, "a long enough password")
        .await;
    let session = app.login("mon", "a long enough password").await;
    // (path, status): a path id that is no number, a day without a brief, a day that is no
    // date, a page that does not exist.
    for (path, status) in [
        ("/candidates/abc", 400),
        ("/candidates/999999", 404),
        ("/briefs/2026-12-05", 404),
        ("/briefs/yesterday-ish", 400),
        ("/no-such-page", 404),
    ] {
        let r = session
            .client
            .get(format!("{}{path}", app.base))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        let kind = r.headers()["content-type"].to_str().unwrap().to_string();
        let html = r.text().await.unwrap();
        assert!(kind.starts_with("text/html"), "{path}: {kind} {html}");
        assert!(html.contains("<html lang=\"th\""), "{path}: {html}");
        assert!(
            !html.contains("{\"error\"")
                && !html.contains("Invalid URL")
                && !html.contains("Cannot parse"),
            "{path}: no JSON or framework text: {html}"
        );
        assert!(html.contains("href=\"/\""), "{path}: a way back: {html}");
        assert!(
            html.contains("ออกจากระบบ"),
            "{path}: the bar is there: {html}"
        );

        // An API client (no HTML in Accept) still gets the envelope.
        let r = session
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["error"]["code"].is_string(), "{path}: {body}");
    }

    // Dates as Thai users type them: slashes, Thai month abbreviations, Thai digits.
    for (from, to, status) in [
        ("31/12/2566", "๓๑ ธ.ค. ๖๗", 200),
        ("1 ม.ค. 67", "2567-01-31", 200),
        ("31/13/2566", "", 400),
    ] {
        let r = session
            .client
            .get(format!("{}/api/v1/search", app.base))
            .query(&[("q", "ข่าว"), ("from", from), ("to", to)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "from {from} to {to}");
    }
    app.stop().await;
}

async fn the_queue_pages_filters_and_sorts_past_the_first_hundred(db: Db) {
    const N: usize = 120;
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let mut config = env.config();
    config.detect.enabled = false;
    let app = RunningApp::start(config).await;
    let store = app.store().clone();
    let now = OffsetDateTime::now_utc();
    seed_queue(&store, N, now).await;
    app.add_user("mon", Role::Monitor, "a long enough password")
        .await;
    let session = app.login("mon", "a long enough password").await;
    let page = |query: &str| {
        let request = session
            .client
            .get(format!("{}/queue{query}", app.base))
            .header("accept", "text/html");
        async move {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // The titles listed, in order.
    let titles = |html: &str| -> Vec<usize> {
        html.split("ประเด็นทดสอบที่ ")
            .skip(1)
            .map(|s| s[..s.find('<').unwrap()].parse().unwrap())
            .collect()
    };

    let (status, html) = page("").await;
    assert_eq!(status, 200);
    assert_eq!(
        titles(&html),
        (0..50).collect::<Vec<_>>(),
        "best score first"
    );
    assert!(html.contains("120 ประเด็น · หน้า 1 จาก 3"), "{html}");
    assert!(
        html.contains("href=\"/queue?page=2\" rel=\"next\""),
        "{html}"
    );
    let (_, html) = page("?page=3").await;
    assert_eq!(
        titles(&html),
        (100..120).collect::<Vec<_>>(),
        "past the first hundred"
    );
    assert!(html.contains("rel=\"prev\"") && !html.contains("rel=\"next\""));

    // Filters narrow, and the pager keeps them.
    let (_, html) = page("?kind=social&criterion=public_interest").await;
    assert!(html.contains("60 ประเด็น · หน้า 1 จาก 2"), "{html}");
    assert!(titles(&html).iter().all(|i| i.is_multiple_of(2)));
    assert!(
        html.contains("href=\"/queue?page=2&amp;criterion=public_interest&amp;kind=social\"")
            || html.contains("href=\"/queue?page=2&criterion=public_interest&kind=social\""),
        "{html}"
    );
    let (_, html) = page("?agency=%E0%B8%AA%E0%B8%98.").await; // สธ.
    assert!(html.contains("60 ประเด็น"), "{html}");
    assert!(titles(&html).iter().all(|i| !i.is_multiple_of(2)));
    let (_, html) = page("?age=24").await;
    assert_eq!(
        titles(&html),
        (0..24).collect::<Vec<_>>(),
        "first seen within a day"
    );

    // Sorting: the story waiting longest first.
    let (_, html) = page("?sort=oldest").await;
    assert_eq!(titles(&html)[..3], [119, 118, 117]);

    // A filter that is no criterion: a Thai page, not a silent empty queue.
    let (status, html) = page("?criterion=weather").await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("ข้อมูลไม่ครบหรือไม่ถูกต้อง"), "{html}");
    app.stop().await;
}

/// The approve confirmation, the list of issues and an issue's edit and withdraw forms, as a
/// monitor's browser uses them (forms with the version and the CSRF token).
async fn an_issue_is_approved_edited_and_withdrawn_through_the_forms(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let mut config = env.config();
    config.detect.enabled = false;
    let app = RunningApp::start(config).await;
    seed_queue(app.store(), 1, OffsetDateTime::now_utc()).await;
    app.add_user("mon", Role::Monitor, "a long enough password")
        .await;
    let session = app.login("mon", "a long enough password").await;
    let get = |path: String| {
        let request = session.client.get(format!("{}{path}", app.base));
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let request = session
            .client
            .post(format!("{}{path}", app.base))
            .form(&form);
        async move {
            let r = request.send().await.unwrap();
            let location = r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string());
            (r.status().as_u16(), location, r.text().await.unwrap())
        }
    };
    let csrf = session.csrf.clone();
    let (status, location, _) = post(
        "/candidates/1/approve".into(),
        vec![
            ("csrf", csrf.clone()),
            ("version", "1".into()),
            ("title", "ราคาไข่ไก่".into()),
            ("agency", "กระทรวงพาณิชย์".into()),
            ("deadline_days", "1".into()),
            ("source", "มติชน".into()),
        ],
    )
    .await;
    assert_eq!((status, location.as_deref()), (303, Some("/candidates/1")));
    let candidate = get("/candidates/1".into()).await;
    assert!(
        candidate.contains("href=\"/issues/1\"") && !candidate.contains("/api/v1/issues/"),
        "the confirmation links to the issue's page: {candidate}"
    );
    let list = get("/issues".into()).await;
    assert!(
        list.contains("<a href=\"/issues/1\">ราคาไข่ไก่</a>") && list.contains("อนุมัติแล้ว"),
        "{list}"
    );

    let (status, location, _) = post(
        "/issues/1/edit".into(),
        vec![
            ("csrf", csrf.clone()),
            ("version", "1".into()),
            ("title", "ราคาไข่ไก่แพงทั่วประเทศ".into()),
            ("agency", "กระทรวงพาณิชย์".into()),
            ("deadline_days", "3".into()),
            ("source", "มติชน, ไทยรัฐ".into()),
        ],
    )
    .await;
    assert_eq!((status, location.as_deref()), (303, Some("/issues/1")));
    let page = get("/issues/1".into()).await;
    assert!(
        page.contains("ราคาไข่ไก่แพงทั่วประเทศ") && page.contains("(3 วัน)"),
        "{page}"
    );

    // An edit made on the version before is refused with the way back, and changes nothing.
    let (status, _, refused) = post(
        "/issues/1/edit".into(),
        vec![
            ("csrf", csrf.clone()),
            ("version", "1".into()),
            ("title", "ชื่อเก่า".into()),
            ("agency", "กระทรวงพาณิชย์".into()),
            ("deadline_days", "1".into()),
            ("source", "มติชน".into()),
        ],
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused.contains("href=\"/issues/1\""), "{refused}");

    let (status, location, _) = post(
        "/issues/1/withdraw".into(),
        vec![
            ("csrf", csrf.clone()),
            ("version", "2".into()),
            ("reason", "ซ้ำกับประเด็นเมื่อวาน".into()),
        ],
    )
    .await;
    assert_eq!((status, location.as_deref()), (303, Some("/issues/1")));
    let page = get("/issues/1".into()).await;
    assert!(
        page.contains("ถอนแล้ว") && !page.contains("action=\"/issues/1/edit\""),
        "{page}"
    );
    let withdrawn = get("/issues?status=withdrawn".into()).await;
    assert!(withdrawn.contains("href=\"/issues/1\""), "{withdrawn}");
    let approved = get("/issues?status=approved".into()).await;
    assert!(!approved.contains("href=\"/issues/1\""), "{approved}");
    app.stop().await;
}

/// Agencies as users: each sees the issues assigned to it (a ministry's user, its
/// departments' too) and nothing of another's — by page or API, by id — and answers them;
/// the monitors and the feed see the answers, and a reassigned issue moves to its new agency.
async fn an_agency_sees_only_its_issues_and_answers_them(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let mut config = env.config();
    config.detect.enabled = false;
    let app = RunningApp::start(config).await;
    seed_queue(app.store(), 2, OffsetDateTime::now_utc()).await;
    let pw = "a long enough password";
    app.add_user("mon", Role::Monitor, pw).await;
    app.add_agency_user("commerce", "กระทรวงพาณิชย์", pw).await;
    app.add_agency_user("health", "กระทรวงสาธารณสุข", pw).await;
    let mon = app.login("mon", pw).await;
    let commerce = app.login("commerce", pw).await;
    let health = app.login("health", pw).await;
    let base = app.base.clone();
    let post_form = |s: &praden_tests::LoggedIn, path: &str, form: Vec<(&str, &str)>| {
        let mut form: Vec<(String, String)> = form
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        form.push(("csrf".into(), s.csrf.clone()));
        s.client.post(format!("{base}{path}")).form(&form).send()
    };
    let post_json = |s: &praden_tests::LoggedIn, path: &str, body: serde_json::Value| {
        s.client
            .post(format!("{base}{path}"))
            .header("x-csrf-token", s.csrf.as_str())
            .json(&body)
            .send()
    };
    let get = |s: &praden_tests::LoggedIn, path: &str| {
        s.client
            .get(format!("{base}{path}"))
            .header("accept", "text/html")
            .send()
    };
    // Issue 1 goes to a department of the Ministry of Commerce, issue 2 to Public Health.
    for (candidate, agency) in [(1, "กรมการค้าภายใน"), (2, "กระทรวงสาธารณสุข")]
    {
        let r = post_form(
            &mon,
            &format!("/candidates/{candidate}/approve"),
            vec![
                ("version", "1"),
                ("title", &format!("ประเด็นที่ {candidate}")),
                ("agency", agency),
                ("deadline_days", "1"),
                ("source", "มติชน"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    }

    // Each sees its own: the ministry its department's issue, and nothing else.
    let list = get(&commerce, "/agency")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("href=\"/agency/issues/1\"") && !list.contains("/agency/issues/2"),
        "{list}"
    );
    let api: serde_json::Value = commerce
        .client
        .get(format!("{base}/api/v1/agency/issues"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = api["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["issue"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1], "{api}");
    for (who, other) in [(&commerce, 2), (&health, 1)] {
        for path in [
            format!("/agency/issues/{other}"),
            format!("/issues/{other}"),
        ] {
            let r = get(who, &path).await.unwrap();
            let status = r.status().as_u16();
            let page = r.text().await.unwrap();
            assert!(status == 404 || status == 403, "{path}: {status}");
            assert!(
                !page.contains(&format!("ประเด็นที่ {other}")),
                "{path} shows the issue: {page}"
            );
        }
        for kind in ["acknowledge", "decline"] {
            let r = post_json(
                who,
                &format!("/api/v1/agency/issues/{other}/{kind}"),
                serde_json::json!({"person": "x", "position": "y", "reason": "z"}),
            )
            .await
            .unwrap();
            assert_eq!(r.status().as_u16(), 404, "{kind} another agency's issue");
        }
        let feed = who
            .client
            .get(format!("{base}/api/v1/issues/approved"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            feed.status().as_u16(),
            403,
            "an agency does not read the whole feed"
        );
    }

    // Commerce takes issue 1 on through the form; a second answer is refused.
    let r = post_form(
        &commerce,
        "/agency/issues/1/acknowledge",
        vec![
            ("person", "นางสาวพรทิพย์ ใจงาม"),
            ("position", "ผู้อำนวยการกองประชาสัมพันธ์"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let page = get(&commerce, "/agency/issues/1")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("รับทราบแล้ว") && !page.contains("action=\"/agency/issues/1/acknowledge\""),
        "{page}"
    );
    let again = post_form(
        &commerce,
        "/agency/issues/1/decline",
        vec![("person", "ก"), ("position", "ข"), ("reason", "ค")],
    )
    .await
    .unwrap();
    assert_eq!(
        again.status().as_u16(),
        409,
        "{}",
        again.text().await.unwrap()
    );

    // Public Health says issue 2 is not theirs; the monitors see it and reassign it.
    let r = post_json(
        &health,
        "/api/v1/agency/issues/2/decline",
        serde_json::json!({"person": "นายแพทย์สมชาย", "position": "โฆษกกระทรวง", "reason": "เป็นเรื่องราคาสินค้า ควรเป็นกระทรวงพาณิชย์"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let page = get(&mon, "/issues/2").await.unwrap().text().await.unwrap();
    assert!(
        page.contains("แจ้งว่าไม่ใช่ประเด็นของหน่วยงาน") && page.contains("ควรเป็นกระทรวงพาณิชย์"),
        "{page}"
    );
    let r = post_form(
        &mon,
        "/issues/2/edit",
        vec![
            ("version", "1"),
            ("title", "ประเด็นที่ 2"),
            ("agency", "กระทรวงพาณิชย์"),
            ("deadline_days", "1"),
            ("source", "มติชน"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        get(&health, "/agency/issues/2")
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    let r = post_json(
        &commerce,
        "/api/v1/agency/issues/2/acknowledge",
        serde_json::json!({"person": "นางสาวพรทิพย์ ใจงาม", "position": "ผู้อำนวยการกองประชาสัมพันธ์"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());

    // The feed carries each answer with who gave it.
    let feed: serde_json::Value = mon
        .client
        .get(format!("{base}/api/v1/issues/approved"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let steps: Vec<(i64, &str)> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["issue"]["id"].as_i64().unwrap(),
                e["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (1, "approved"),
            (2, "approved"),
            (1, "acknowledged"),
            (2, "declined"),
            (2, "edited"),
            (2, "acknowledged")
        ],
        "{feed}"
    );
    let declined = &feed["events"][3]["response"];
    assert_eq!(declined["agency"], "กระทรวงสาธารณสุข");
    assert_eq!(declined["by"], "health");
    assert_eq!(feed["events"][2]["response"]["person"], "นางสาวพรทิพย์ ใจงาม");
    assert!(
        feed["events"][0].get("response").is_none(),
        "monitors' steps carry no response"
    );
    app.stop().await;
}

/// The agency's clarification report: filed with a photo and a PDF through the page's form,
/// refused field by field with the entries kept, evidence judged by its bytes and its size,
/// downloads as attachments to the agency and the monitors only, corrections kept, the feed
/// told, and a report without evidence after two Bangkok days shown as incomplete — while
/// another agency's user meets 404 at every door.
async fn an_agency_reports_its_clarification_with_evidence(db: Db) {
    use reqwest::multipart::{Form, Part};
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let mut config = env.config();
    config.detect.enabled = false;
    config.evidence.max_file_mb = 1;
    let app = RunningApp::start(config).await;
    seed_queue(app.store(), 2, OffsetDateTime::now_utc()).await;
    let pw = "a long enough password";
    app.add_user("mon", Role::Monitor, pw).await;
    app.add_agency_user("commerce", "กระทรวงพาณิชย์", pw).await;
    app.add_agency_user("health", "กระทรวงสาธารณสุข", pw).await;
    let mon = app.login("mon", pw).await;
    let commerce = app.login("commerce", pw).await;
    let health = app.login("health", pw).await;
    let base = app.base.clone();
    for (candidate, agency) in [(1, "กรมการค้าภายใน"), (2, "กระทรวงสาธารณสุข")]
    {
        let r = mon
            .client
            .post(format!("{base}/candidates/{candidate}/approve"))
            .form(&[
                ("version", "1"),
                ("title", &format!("ประเด็นที่ {candidate}")),
                ("agency", agency),
                ("deadline_days", "1"),
                ("source", "มติชน"),
                ("csrf", &mon.csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
    }
    let get = |s: &praden_tests::LoggedIn, path: &str| {
        s.client
            .get(format!("{base}{path}"))
            .header("accept", "text/html")
            .send()
    };
    // The page's form: the CSRF field first, as the page writes it.
    let report_form = |s: &praden_tests::LoggedIn, fields: &[(&str, &str)]| {
        let mut form = Form::new().text("csrf", s.csrf.clone());
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        form
    };
    let file = |name: &str, bytes: &[u8], claimed: &str| {
        Part::bytes(bytes.to_vec())
            .file_name(name.to_string())
            .mime_str(claimed)
            .unwrap()
    };
    let fields = [
        ("reporter", "นางสาวพรทิพย์ ใจงาม"),
        ("date", "๑ ธ.ค. ๖๙"),
        ("time", "10.30 น."),
        ("speaker", "อธิบดีกรมการค้าภายใน"),
        ("content", "ยืนยันว่าราคาไข่ไก่ไม่ได้ปรับขึ้นตามที่เป็นข่าว"),
        ("channel", "press_conference"),
        ("link_website", "https://www.dit.go.th/news/1"),
    ];

    // A refused report names the field and keeps what was typed; nothing is stored.
    let mut no_speaker: Vec<(&str, &str)> = fields.to_vec();
    no_speaker.retain(|(k, _)| *k != "speaker");
    let r = commerce
        .client
        .post(format!("{base}/agency/issues/1/reports"))
        .header("accept", "text/html")
        .multipart(
            report_form(&commerce, &no_speaker).part("files", file("a.png", PNG, "image/png")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("กรุณากรอกผู้ให้ข่าวหรือผู้ชี้แจง")
            && page.contains("ยืนยันว่าราคาไข่ไก่ไม่ได้ปรับขึ้นตามที่เป็นข่าว")
            && page.contains("https://www.dit.go.th/news/1"),
        "{page}"
    );
    let mut bad_link: Vec<(&str, &str)> = fields.to_vec();
    bad_link.push(("link_facebook", "javascript:alert(1)"));
    let r = commerce
        .client
        .post(format!("{base}/agency/issues/1/reports"))
        .multipart(report_form(&commerce, &bad_link))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("ลิงก์ของช่องทาง Facebook") && page.contains("http"),
        "{page}"
    );
    assert!(app.store().issue_reports(1).await.unwrap().is_empty());

    // Filed with a photo and a PDF.
    let r = commerce
        .client
        .post(format!("{base}/agency/issues/1/reports"))
        .multipart(
            report_form(&commerce, &fields)
                .part("files", file("ภาพแถลงข่าว.png", PNG, "image/png"))
                .part("files", file("แถลงการณ์.pdf", PDF, "application/pdf")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let reports: serde_json::Value = commerce
        .client
        .get(format!("{base}/api/v1/agency/issues/1/reports"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = &reports["reports"][0];
    let report_id = first["report"]["id"].as_i64().unwrap();
    assert_eq!(first["report"]["speaker"], "อธิบดีกรมการค้าภายใน");
    // 1 December 2569 B.E., 10:30 Bangkok.
    assert_eq!(first["report"]["clarified_at"], "2026-12-01T03:30:00Z");
    assert_eq!(
        first["report"]["channels"].as_array().unwrap().len(),
        2,
        "{reports}"
    );
    let evidence = first["evidence"].as_array().unwrap();
    let types: Vec<&str> = evidence
        .iter()
        .map(|e| e["media_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["image/png", "application/pdf"], "{reports}");
    assert_eq!(first["evidence_incomplete"], false);
    let pdf_id = evidence[1]["id"].as_i64().unwrap();
    let page = get(&commerce, "/agency/issues/1")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("href=\"/evidence/{pdf_id}\"")) && page.contains("แถลงการณ์.pdf"),
        "{page}"
    );

    // Downloads: an attachment of the sniffed type, never sniffed again by the browser.
    for who in [&commerce, &mon] {
        let r = who
            .client
            .get(format!("{base}/evidence/{pdf_id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let h = r.headers();
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(h["x-content-type-options"], "nosniff");
        let disposition = h["content-disposition"].to_str().unwrap().to_string();
        assert!(
            disposition.starts_with(&format!("attachment; filename=\"evidence-{pdf_id}.pdf\"")),
            "{disposition}"
        );
        assert_eq!(&r.bytes().await.unwrap()[..], PDF);
    }
    let stored = std::fs::read_dir(env.config().data_dir.join("evidence"))
        .unwrap()
        .count();
    // Kept under their digests: a directory per first two hex digits, which two may share.
    assert!((1..=2).contains(&stored), "{stored}");

    // An HTML page named x.pdf is refused by its bytes, and so is a file over 1 MB; a link
    // in the same upload is kept.
    let html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>";
    let big: Vec<u8> = b"%PDF-1.4\n"
        .iter()
        .copied()
        .chain(std::iter::repeat_n(b' ', 1024 * 1024))
        .collect();
    let r = commerce
        .client
        .post(format!("{base}/api/v1/agency/reports/{report_id}/evidence"))
        .header("x-csrf-token", commerce.csrf.as_str())
        .multipart(
            Form::new()
                .part("files", file("x.pdf", html, "application/pdf"))
                .part("files", file("big.pdf", &big, "application/pdf"))
                .text("link", "https://www.dit.go.th/news/1"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let error: serde_json::Value = r.json().await.unwrap();
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("\"x.pdf\"")
            && message.contains("not a JPEG")
            && message.contains("\"big.pdf\"")
            && message.contains("over the limit"),
        "{error}"
    );
    let r = commerce
        .client
        .post(format!("{base}/agency/reports/{report_id}/evidence"))
        .header("accept", "text/html")
        .multipart(
            report_form(&commerce, &[]).part("files", file("x.pdf", html, "application/pdf")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("x.pdf") && page.contains("เนื้อไฟล์ไม่ใช่"),
        "{page}"
    );
    let items = app.store().issue_evidence(1).await.unwrap();
    assert_eq!(items.len(), 3, "the photo, the PDF and the link: {items:?}");

    // A correction by API: a bad date is named, a good report is kept beside the first.
    let body = serde_json::json!({
        "reporter": "นางสาวพรทิพย์ ใจงาม", "date": "31/02/2569", "time": "14:00",
        "speaker": "รัฐมนตรีว่าการกระทรวงพาณิชย์", "content": "แก้ไขตัวเลขราคา",
        "channels": [{"channel": "facebook", "link": "https://facebook.com/moc/posts/2"}]
    });
    let r = commerce
        .client
        .post(format!("{base}/api/v1/agency/issues/1/reports"))
        .header("x-csrf-token", commerce.csrf.as_str())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let error: serde_json::Value = r.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("date: "),
        "{error}"
    );
    let mut good = body.clone();
    good["date"] = "2569-12-02".into();
    let r = commerce
        .client
        .post(format!("{base}/api/v1/agency/issues/1/reports"))
        .header("x-csrf-token", commerce.csrf.as_str())
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let kept = app.store().issue_reports(1).await.unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(
        kept[0].speaker, "รัฐมนตรีว่าการกระทรวงพาณิชย์",
        "the latest first"
    );

    // The monitors see the reports and download the evidence from their issue page.
    let page = get(&mon, "/issues/1").await.unwrap().text().await.unwrap();
    assert!(
        page.contains("รายงานผลการชี้แจง")
            && page.contains("อธิบดีกรมการค้าภายใน")
            && page.contains(&format!("href=\"/evidence/{pdf_id}\"")),
        "{page}"
    );

    // Another agency: 404 at every door, as for what does not exist.
    let answers = [
        get(&health, "/agency/issues/1")
            .await
            .unwrap()
            .status()
            .as_u16(),
        get(&health, &format!("/evidence/{pdf_id}"))
            .await
            .unwrap()
            .status()
            .as_u16(),
        health
            .client
            .get(format!("{base}/api/v1/agency/issues/1/reports"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        health
            .client
            .post(format!("{base}/api/v1/agency/issues/1/reports"))
            .header("x-csrf-token", health.csrf.as_str())
            .json(&good)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        health
            .client
            .post(format!("{base}/agency/issues/1/reports"))
            .multipart(report_form(&health, &fields))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        health
            .client
            .post(format!("{base}/api/v1/agency/reports/{report_id}/evidence"))
            .header("x-csrf-token", health.csrf.as_str())
            .multipart(Form::new().part("files", file("a.png", PNG, "image/png")))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        health
            .client
            .post(format!("{base}/agency/reports/{report_id}/evidence"))
            .multipart(report_form(&health, &[]).part("files", file("a.png", PNG, "image/png")))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
    ];
    assert_eq!(answers, [404; 7]);
    assert_eq!(app.store().issue_evidence(1).await.unwrap().len(), 3);
    assert_eq!(app.store().issue_reports(1).await.unwrap().len(), 2);
    // A multipart form without its CSRF field first is refused before anything is read.
    let r = commerce
        .client
        .post(format!("{base}/agency/issues/1/reports"))
        .multipart(
            Form::new()
                .text("reporter", "x")
                .text("csrf", commerce.csrf.clone()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);

    // The feed tells of each report, carrying it.
    let feed: serde_json::Value = mon
        .client
        .get(format!("{base}/api/v1/issues/approved"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reported: Vec<&serde_json::Value> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "reported")
        .collect();
    assert_eq!(reported.len(), 2, "{feed}");
    assert_eq!(reported[0]["report"]["id"], report_id);

    // A report three days old without evidence is incomplete, for the agency and the monitors.
    let three_days_ago = OffsetDateTime::now_utc() - time::Duration::days(3);
    app.store()
        .add_report(
            2,
            "กระทรวงสาธารณสุข",
            &praden_core::report::NewReport {
                reporter: "นายแพทย์สมชาย".into(),
                clarified_at: three_days_ago,
                speaker: "โฆษกกระทรวงสาธารณสุข".into(),
                content: "ชี้แจงแล้ว".into(),
                channels: vec![praden_core::report::ChannelEntry {
                    channel: praden_core::report::Channel::Tv,
                    link: None,
                }],
            },
            &praden_store::DecisionContext {
                actor: "health".into(),
                request_id: None,
                now: three_days_ago,
            },
        )
        .await
        .unwrap();
    for (who, path) in [(&health, "/agency/issues/2"), (&mon, "/issues/2")] {
        let page = get(who, path).await.unwrap().text().await.unwrap();
        assert!(page.contains("ยังไม่ครบหลักฐาน"), "{path}: {page}");
    }
    let page = get(&commerce, "/agency/issues/1")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("ยังไม่ครบหลักฐาน"), "{page}");
    app.stop().await;
}

/// The agency directory: a CSV with a bad line saves nothing and names the line; a good one
/// adds, a second import updates; one contact is edited and removed through the forms.
async fn an_admin_keeps_the_agency_directory(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let app = RunningApp::start(env.config()).await;
    app.add_user("boss", Role::Admin, "a long enough password")
        .await;
    let admin = app.login("boss", "a long enough password").await;
    let post = |path: &str, form: Vec<(&str, &str)>| {
        let mut form: Vec<(String, String)> = form
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        form.push(("csrf".into(), admin.csrf.clone()));
        admin
            .client
            .post(format!("{}{path}", app.base))
            .form(&form)
            .send()
    };
    let page = || async {
        admin
            .client
            .get(format!("{}/admin/agencies", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let bad = "หน่วยงาน,ชื่อ,ตำแหน่ง,อีเมล,ไลน์\n\
               กรมการค้าภายใน,นางสาวพรทิพย์ ใจงาม,ผู้อำนวยการกองประชาสัมพันธ์,porntip@dit.go.th,\n\
               กรมที่ไม่มีจริง,ก,ข,,\n";
    let r = post("/admin/agencies/import", vec![("csv", bad)])
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("บรรทัด 3") && text.contains("กรมที่ไม่มีจริง"),
        "{text}"
    );
    assert!(
        app.store().agency_contacts(None).await.unwrap().is_empty(),
        "nothing saved"
    );

    let good = "agency,name,position,email,line_id\n\
                กรมการค้าภายใน,นางสาวพรทิพย์ ใจงาม,ผู้อำนวยการกองประชาสัมพันธ์,porntip@dit.go.th,\n\
                สธ.,นายแพทย์สมชาย,โฆษกกระทรวง,,somchai.moph\n";
    for expected in ["added=2&updated=0", "added=0&updated=2"] {
        let r = post("/admin/agencies/import", vec![("csv", good)])
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let location = r.headers()["location"].to_str().unwrap().to_string();
        assert!(location.ends_with(expected), "{location}");
    }
    let listed = page().await;
    assert!(
        listed.contains("กระทรวงสาธารณสุข")
            && listed.contains("somchai.moph")
            && listed.contains("porntip@dit.go.th"),
        "{listed}"
    );
    let r = post(
        "/admin/agencies/contacts",
        vec![
            ("agency", "กรมการค้าภายใน"),
            ("name", "นางสาวพรทิพย์ ใจงาม"),
            ("position", "รองอธิบดี"),
            ("email", "bad address"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 400, "a bad e-mail is refused");
    let r = post(
        "/admin/agencies/contacts",
        vec![
            ("agency", "กรมการค้าภายใน"),
            ("name", "นางสาวพรทิพย์ ใจงาม"),
            ("position", "รองอธิบดี"),
            ("email", ""),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let contacts = app
        .store()
        .agency_contacts(Some("กรมการค้าภายใน"))
        .await
        .unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(
        (contacts[0].position.as_str(), contacts[0].email.as_deref()),
        ("รองอธิบดี", None)
    );
    let r = post(
        &format!("/admin/agencies/contacts/{}/remove", contacts[0].id),
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(app.store().agency_contacts(None).await.unwrap().len(), 1);
    let audit = app
        .store()
        .audit_records(&praden_store::AuditFilter {
            entity: Some("agency".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 6, "4 imported, 1 edited, 1 removed: {audit:?}");
    app.stop().await;
}
