//! The timeliness KPI through the running app, on both databases, over issues made from real
//! cabinet resolutions (tests/src/kpi.rs) in the last three fiscal quarters:
//! - `/kpi`, its drill-down (ministry → its agencies → the issues behind a figure) and the
//!   API agree with each other;
//! - the evaluator reads the page, the printable report and the exports, and no issue page;
//! - an agency sees its own figures and issues only;
//! - the CSV (UTF-8 with a BOM) and the XLSX;
//! - an admin closes the last quarter (the current one is refused), a late report then
//!   changes nothing until the quarter is re-opened;
//! - in headless Chromium, the page and the printable report (screenshots under
//!   target/screenshots/kpi-*.png, and the report printed to A4 PDF).

use praden_core::kpi::{Period, PeriodKind};
use praden_core::report::{Channel, ChannelEntry, NewReport};
use praden_core::thai_time::to_bangkok;
use praden_core::Role;
use praden_store::testing::seed_kpi_issues;
use praden_store::DecisionContext;
use praden_tests::kpi::{cabinet_issues, registry_agencies};
use praden_tests::{encode, on_both_databases, Browser, Db, RunningApp, TestEnv};
use time::{Duration, OffsetDateTime};

on_both_databases!(the_kpi_is_counted_drilled_exported_and_closed,);

const PASSWORD: &str = "รหัสผ่านสำหรับทดสอบ";

async fn page(client: &reqwest::Client, app: &RunningApp, path: &str) -> (u16, String) {
    let r = client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn the_kpi_is_counted_drilled_exported_and_closed(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let mut config = env.config();
    config.detect.enabled = false;
    let app = RunningApp::start(config).await;
    let now = OffsetDateTime::now_utc();
    let today = to_bangkok(now).date();
    let this_quarter = Period::quarter_of(today);
    let last_quarter = Period::quarter_of(this_quarter.first - Duration::days(1));
    let before_that = Period::quarter_of(last_quarter.first - Duration::days(1));
    // Three quarters of issues, the current one up to a week ago.
    let agencies = registry_agencies();
    let mut seeds = cabinet_issues(90, before_that.first, last_quarter.last, 7, &agencies);
    let recent_end = (today - Duration::days(7)).max(this_quarter.first);
    seeds.extend(cabinet_issues(
        30,
        this_quarter.first,
        recent_end,
        8,
        &agencies,
    ));
    seed_kpi_issues(app.store(), &seeds).await;

    app.add_user("mon", Role::Monitor, PASSWORD).await;
    app.add_user("opdc", Role::Evaluator, PASSWORD).await;
    let monitor = app.login("mon", PASSWORD).await;
    let evaluator = app.login("opdc", PASSWORD).await;
    let q = last_quarter.code();

    // The API: rows add up to the total, and the issues listed are the ones counted.
    let (status, kpi) = app.get_json(&format!("/api/v1/kpi?period={q}")).await;
    assert_eq!(status, 200, "{kpi}");
    let rows = kpi["rows"].as_array().unwrap();
    let sum = |key: &str| rows.iter().map(|r| r[key].as_u64().unwrap()).sum::<u64>();
    for key in ["assigned", "in_time", "late", "not_clarified", "pending"] {
        assert_eq!(sum(key), kpi["total"][key].as_u64().unwrap(), "{key}");
    }
    let total = &kpi["total"];
    assert_eq!(
        total["assigned"].as_u64().unwrap() as usize,
        kpi["issues"].as_array().unwrap().len()
    );
    let withdrawn = seeds
        .iter()
        .filter(|s| last_quarter.contains(to_bangkok(s.approved_at).date()) && s.withdrawn)
        .count();
    let seeded = seeds
        .iter()
        .filter(|s| last_quarter.contains(to_bangkok(s.approved_at).date()))
        .count();
    assert_eq!(
        total["assigned"].as_u64().unwrap() as usize,
        seeded - withdrawn,
        "every issue of the quarter but the withdrawn"
    );
    assert!(total["late"].as_u64().unwrap() > 0 && total["not_clarified"].as_u64().unwrap() > 0);
    assert_eq!(total["pending"], 0, "the last quarter is decided");

    // The page by ministry shows each row; a ministry drills down to its agencies, whose
    // figures are the API's by agency.
    let (status, html) = page(&monitor.client, &app, &format!("/kpi?period={q}")).await;
    assert_eq!(status, 200);
    let busiest = rows
        .iter()
        .max_by_key(|r| r["assigned"].as_u64().unwrap())
        .unwrap();
    let ministry = busiest["name"].as_str().unwrap();
    assert!(html.contains(ministry), "{ministry} on the page");
    assert_eq!(html.matches("<svg").count(), 3, "three charts");
    let percent = format!("{:.1}%", total["percent_in_time"].as_f64().unwrap());
    assert!(html.contains(&percent), "{percent}");
    let (_, drill) = page(
        &monitor.client,
        &app,
        &format!("/kpi?period={q}&ministry={}", encode(ministry)),
    )
    .await;
    let (_, by_agency) = app
        .get_json(&format!(
            "/api/v1/kpi?period={q}&by=agency&ministry={}",
            encode(ministry)
        ))
        .await;
    for r in by_agency["rows"].as_array().unwrap() {
        assert_eq!(r["ministry"], ministry);
        assert!(drill.contains(r["name"].as_str().unwrap()));
    }
    let other = rows.iter().find(|r| r["name"] != ministry).unwrap()["name"]
        .as_str()
        .unwrap();
    assert!(!drill.contains(&format!(">{other}<")), "only its agencies");
    // The late ones behind the ministry's figure, each linking to its issue.
    let (_, late) = page(
        &monitor.client,
        &app,
        &format!("/kpi?period={q}&ministry={}&outcome=late", encode(ministry)),
    )
    .await;
    let late_n = busiest["late"].as_u64().unwrap() as usize;
    assert!(
        late.contains(&format!("ล่าช้า ({late_n} เรื่อง)")),
        "{late_n} late"
    );
    assert_eq!(late.matches("href=\"/issues/").count(), late_n);

    // The evaluator: page, report and exports; no issue pages, and no links to them.
    let (status, html) = page(
        &evaluator.client,
        &app,
        &format!("/kpi?period={q}&outcome=late"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(!html.contains("href=\"/issues/"));
    assert_eq!(page(&evaluator.client, &app, "/issues").await.0, 403);
    let (status, report) = page(&evaluator.client, &app, &format!("/kpi/report?period={q}")).await;
    assert_eq!(status, 200);
    for part in ["วิธีนับ", "ที่มาของข้อมูล", "จัดทำเมื่อ", "@page{size:A4", ministry]
    {
        assert!(report.contains(part), "the report has {part}");
    }
    let csv = evaluator
        .client
        .get(format!(
            "{}/kpi/export.csv?period={q}&level=ministry",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let csv = csv.bytes().await.unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert_eq!(text.lines().count(), rows.len() + 2, "header, rows, total");
    assert!(text.contains(ministry));
    let xlsx = evaluator
        .client
        .get(format!("{}/kpi/export.xlsx?period={q}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"), "a zip");
    let (status, _) = page(&evaluator.client, &app, "/kpi?period=2026Q1").await;
    assert_eq!(status, 400, "a C.E. year is refused");

    // An agency: its own figures and issues, whatever it asks for.
    app.add_agency_user("ministry", ministry, PASSWORD).await;
    let agency = app.login("ministry", PASSWORD).await;
    let (status, own) = page(
        &agency.client,
        &app,
        &format!("/agency/kpi?period={q}&agency={}", encode(other)),
    )
    .await;
    assert_eq!(status, 200);
    assert!(own.contains(ministry));
    assert!(!own.contains(other), "nothing of {other}");
    assert!(own.contains(&format!(
        "ประเด็นที่นับ ({} เรื่อง)",
        busiest["assigned"].as_u64().unwrap()
    )));
    assert_eq!(page(&agency.client, &app, "/kpi").await.0, 403);

    // Closing: the current quarter is refused; the last one closes and keeps its figures.
    app.add_user("root", Role::Admin, PASSWORD).await;
    let admin = app.login("root", PASSWORD).await;
    let post = |path: &'static str, quarter: String| {
        let client = admin.client.clone();
        let csrf = admin.csrf.clone();
        let url = format!("{}{path}", app.base);
        async move {
            let r = client
                .post(url)
                .form(&[("csrf", csrf.as_str()), ("quarter", quarter.as_str())])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, refused) = post("/kpi/close", this_quarter.code()).await;
    assert_eq!(status, 409, "{refused}");
    let (status, _) = post("/kpi/close", q.clone()).await;
    assert_eq!(status, 303);
    let (_, closed) = page(&admin.client, &app, &format!("/kpi?period={q}")).await;
    assert!(closed.contains("ปิดรอบแล้วเมื่อ"));
    let (status, _) = post("/kpi/close", q.clone()).await;
    assert_eq!(status, 409, "closed once");

    // A never-clarified issue of the closed quarter is reported now: nothing moves.
    let never = kpi["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["outcome"] == "not_clarified")
        .unwrap();
    let (id, agency_name) = (
        never["issue_id"].as_i64().unwrap(),
        never["agency"].as_str().unwrap(),
    );
    app.store()
        .add_report(
            id,
            agency_name,
            &NewReport {
                reporter: "ผู้รายงาน".into(),
                clarified_at: now - Duration::hours(1),
                speaker: "โฆษกกระทรวง".into(),
                content: "ชี้แจงภายหลัง".into(),
                channels: vec![ChannelEntry {
                    channel: Channel::Website,
                    link: Some("https://www.thaigov.go.th/news/contents/details/1".into()),
                }],
            },
            &DecisionContext {
                actor: "agency".into(),
                request_id: None,
                now,
            },
        )
        .await
        .unwrap();
    let (_, kept) = app.get_json(&format!("/api/v1/kpi?period={q}")).await;
    assert_eq!(
        kept["total"], kpi["total"],
        "a closed quarter does not move"
    );
    assert_eq!(kept["closed"][0]["quarter"], q);
    let (status, _) = post("/kpi/reopen", q.clone()).await;
    assert_eq!(status, 303);
    let (_, reopened) = app.get_json(&format!("/api/v1/kpi?period={q}")).await;
    assert_eq!(
        reopened["total"]["late"].as_u64().unwrap(),
        kpi["total"]["late"].as_u64().unwrap() + 1,
        "re-opened, the late report counts"
    );
    let (_, audit) = app.get_json("/api/v1/audit?entity=kpi_quarter").await;
    let actions: Vec<&str> = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["kpi.reopen", "kpi.close"]);

    // In Chromium: the evaluator's page with its charts, and the report printed on A4.
    if praden_tests::browser::find_chromium().is_none() {
        assert!(Browser::launch_or_skip().is_none());
    } else {
        let shots = match db {
            Db::Sqlite => "kpi-sqlite",
            Db::Postgres => "kpi-postgres",
        };
        let base = app.base.clone();
        let year = match this_quarter.kind {
            PeriodKind::Quarter { year, .. } => year,
            _ => unreachable!(),
        };
        let ministry = ministry.to_string();
        tokio::task::spawn_blocking(move || {
            let mut b = Browser::launch_or_skip().expect("chromium");
            b.login(&base, "opdc", PASSWORD);
            assert!(
                b.url().ends_with("/kpi"),
                "evaluators start at the KPI: {}",
                b.url()
            );
            b.goto(&format!("{base}/kpi?period={q}"));
            assert_eq!(b.count("svg[role=img]"), 3);
            // The bars are drawn: each ministry's has a width.
            let bars = b.eval("document.querySelectorAll('svg rect').length");
            assert!(bars.as_u64().unwrap() > 3, "{bars}");
            b.screenshot(&format!("{shots}-page"));
            b.click(&format!("a[href*='ministry={}']", encode(&ministry)));
            assert!(b.text("h1").contains("ทันต่อสถานการณ์"));
            assert!(b.text("body").contains(&ministry));
            b.screenshot(&format!("{shots}-ministry"));
            b.goto(&format!("{base}/kpi?period={year}"));
            assert!(b.text("body").contains(&format!("ปีงบประมาณ {year}")));
            b.goto(&format!("{base}/kpi/report?period={q}"));
            b.screenshot(&format!("{shots}-report"));
            // In print the bar and the controls are gone.
            b.emulate_print();
            let bar = b.eval("getComputedStyle(document.querySelector('header.bar')).display");
            assert_eq!(bar, "none");
            let pdf = b.print_pdf_a4(&format!("{shots}-report"));
            assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
        })
        .await
        .unwrap();
    }
    app.stop().await;
}
