//! Clarifications found in the coverage (พบการชี้แจง), end to end on SQLite and PostgreSQL,
//! with a real thaigov.go.th clarification (tests/data/clarification-articles.jsonl, from
//! ../shared): an issue about its topic, assigned to its ministry, gets it attached by the
//! clarifications job — and not an unrelated official article of the same day —; the
//! monitors' and the agency's issue pages list it, the agency's link opens the report form
//! prefilled from it (and the agency files it); another agency's user gets 404; the job run
//! again over the same documents after a restart attaches nothing twice. And in headless
//! Chromium: the agency follows the link, finds the form filled in, and files it; the monitor
//! sees the clarification on the issue's page. Screenshots go to
//! target/screenshots/clarification-*.png. With no open issue the job passes stored documents
//! over without reading them, and still finds the clarification of an issue approved later.

use praden_core::review::{
    AgencyProposal, AgencyRef, Criterion, CriterionRecord, KindCounts, Proposal,
};
use praden_core::{DocumentParts, NewDocument, Role, SourceKind};
use praden_store::{Approval, DecisionContext, Store};
use praden_tests::{on_both_databases, Browser, Db, LoggedIn, RunningApp, TestEnv};
use std::time::Duration as StdDuration;
use time::{Duration, OffsetDateTime};

on_both_databases!(
    a_real_clarification_is_found_shown_and_confirmed,
    with_no_open_issue_the_archive_is_passed_over_unread,
    the_agency_confirms_a_found_clarification_in_chromium,
);

const ARTICLES: &str = include_str!("../data/clarification-articles.jsonl");
const CLARIFICATION_ID: &str = "63613";
const UNRELATED_ID: &str = "63610";
const JOB: &str = "clarifications";

fn article(id: &str) -> serde_json::Value {
    ARTICLES
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("article {id} is in the test data"))
}

fn commerce() -> AgencyRef {
    AgencyRef {
        name_th: "กระทรวงพาณิชย์".into(),
        abbr: "พณ.".into(),
        ministry_abbr: "พณ.".into(),
        ministry_th: "กระทรวงพาณิชย์".into(),
        name_en: String::new(),
    }
}

/// The real article, as thaigov.go.th's feed would deliver it `published` (the content is
/// the 2023 article's; only its time is moved to the test's day).
fn official(a: &serde_json::Value, published: OffsetDateTime) -> NewDocument {
    NewDocument::new(DocumentParts {
        source_id: "thaigov",
        kind: SourceKind::Official,
        outlet: "thaigov.go.th",
        url: a["url"].as_str(),
        item_id: None,
        title: a["title"].as_str().unwrap(),
        body: a["body"].as_str().unwrap(),
        published_at: Some(published),
        fetched_at: published + Duration::minutes(5),
    })
    .unwrap()
}

/// Approves an issue about vegetable prices for the Ministry of Commerce at `at`.
async fn approved_issue(store: &Store, at: OffsetDateTime) -> i64 {
    let title = "กรณีผักไทยราคาตก หลังจีนเปิดประเทศ";
    let doc = NewDocument::new(DocumentParts {
        source_id: "news",
        kind: SourceKind::News,
        outlet: "ไทยรัฐ",
        url: Some("https://news.test/vegetables"),
        item_id: None,
        title: "ชาวสวนผักราชบุรีโอด ผักไทยราคาตก หลังจีนเปิดประเทศ",
        body: "ชาวสวนผักเรียกร้องให้รัฐควบคุมการนำเข้าผักจากจีน",
        published_at: Some(at - Duration::hours(3)),
        fetched_at: at - Duration::hours(3),
    })
    .unwrap();
    let ids = store.insert_documents(&[doc]).await.unwrap().inserted;
    let proposal = Proposal {
        title: title.into(),
        summary: title.into(),
        score: 0.8,
        criteria: vec![CriterionRecord {
            criterion: Criterion::WidePublicImpact,
            score: 0.8,
            evidence: vec![],
        }],
        misleading: None,
        agencies: vec![AgencyProposal {
            agency: commerce(),
            score: 0.9,
            reasons: vec![],
        }],
        deadline_days: 1,
        deadline_rule: "default".into(),
        outlets: vec!["ไทยรัฐ".into()],
        links: vec![],
        counts: KindCounts {
            news: 1,
            ..KindCounts::default()
        },
        articles: 1,
        first_seen: at - Duration::hours(3),
        last_seen: at - Duration::hours(3),
        public_matter: None,
    };
    let candidate = store
        .upsert_proposal(&ids, &proposal, 2.0, at)
        .await
        .unwrap()
        .candidate_id;
    store
        .approve_candidate(
            candidate,
            1,
            &Approval {
                title: title.into(),
                agency: commerce(),
                deadline_days: 2,
                source: "ไทยรัฐออนไลน์".into(),
            },
            &DecisionContext {
                actor: "somchai".into(),
                request_id: None,
                now: at,
            },
        )
        .await
        .unwrap()
        .id
}

/// Waits until the job has read every document (its mark at the last id), or panics.
async fn job_done(store: &Store, last: i64) {
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(60);
    while store.job_mark(JOB).await.unwrap() < last {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the clarifications job never read document {last}"
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

async fn with_no_open_issue_the_archive_is_passed_over_unread(db: Db) {
    use praden_jobs::clarifications::{catch_up, PassReport};
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    let store = Store::connect(&env.database_url).await.unwrap();
    let matcher = praden_detect::clarification::ClarificationMatcher::shared_default().unwrap();
    let config = praden_jobs::settings::ClarificationsConfig {
        enabled: true,
        window_days: 14,
    };
    let now = OffsetDateTime::now_utc() - Duration::hours(3);
    // Stored while no issue is open: the clarification article itself, published earlier.
    store
        .insert_documents(&[official(
            &article(CLARIFICATION_ID),
            now - Duration::hours(1),
        )])
        .await
        .unwrap();
    let report = catch_up(&store, matcher, &config, || now).await.unwrap();
    assert_eq!(
        report,
        PassReport::default(),
        "nothing read, nothing attached"
    );
    let last = store.last_document_place().await.unwrap();
    assert_eq!(store.job_mark(JOB).await.unwrap(), last);

    // An issue approved afterwards gets the same clarification published after its approval.
    let issue = approved_issue(&store, now + Duration::minutes(10)).await;
    let mut republished = article(CLARIFICATION_ID);
    republished["url"] = "https://www.thaigov.go.th/news/contents/details/republished".into();
    store
        .insert_documents(&[official(&republished, now + Duration::hours(1))])
        .await
        .unwrap();
    let later = now + Duration::hours(2);
    let report = catch_up(&store, matcher, &config, || later).await.unwrap();
    // The issue's own news article and the republished clarification.
    assert_eq!(report.documents, 2, "{report:?}");
    assert_eq!(report.attached, 1, "{report:?}");
    assert_eq!(store.issue_clarifications(issue).await.unwrap().len(), 1);
}

/// The `value` of the form input named `name` in `page`.
fn input_value(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("the form has {name}"));
    let rest = &page[at + name.len() + 15..];
    html_unescape(&rest[..rest.find('"').unwrap()])
}

fn textarea(page: &str, name: &str) -> String {
    let at = page.find(&format!("<textarea name=\"{name}\"")).unwrap();
    let rest = &page[at..];
    let start = rest.find('>').unwrap() + 1;
    html_unescape(&rest[start..rest.find("</textarea>").unwrap()])
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn page(s: &LoggedIn, base: &str, path: &str) -> (u16, String) {
    let r = s
        .client
        .get(format!("{base}{path}"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn a_real_clarification_is_found_shown_and_confirmed(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let mut config = env.config();
    config.detect.enabled = false;
    config.clarifications.enabled = true;

    let store = Store::connect(&env.database_url).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let approved = now - Duration::hours(2);
    let issue = approved_issue(&store, approved).await;
    let clarification = article(CLARIFICATION_ID);
    let unrelated = article(UNRELATED_ID);
    let published = now - Duration::minutes(40);
    let ids = store
        .insert_documents(&[
            official(&clarification, published),
            official(&unrelated, published + Duration::minutes(3)),
        ])
        .await
        .unwrap()
        .inserted;
    assert_eq!(ids.len(), 2);
    let (clarification_doc, last) = (ids[0], ids[1]);

    let app = RunningApp::start(config.clone()).await;
    job_done(app.store(), last).await;
    let base = app.base.clone();

    // The API: the clarification, and only it.
    let (status, body) = app
        .get_json(&format!("/api/v1/issues/{issue}/clarifications"))
        .await;
    assert_eq!(status, 200, "{body}");
    let found = body["clarifications"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{body}");
    let c = &found[0];
    assert_eq!(c["document_id"], clarification_doc, "{body}");
    assert_eq!(c["url"], clarification["url"]);
    assert_eq!(c["kind"], "official");
    assert!(c["score"].as_f64().unwrap() >= 0.75, "{body}");
    let found_id = c["id"].as_i64().unwrap();
    let excerpt = c["excerpt"].as_str().unwrap().to_string();
    assert!(!excerpt.is_empty());
    // The speaker and the key sentence, as the article writes them ("… ชี้แจงว่า กรณี …").
    let speaker = c["speaker"].as_str().unwrap().to_string();
    assert!(speaker.starts_with("นายวัฒนศักย์ เสือเอี่ยม"), "{body}");
    assert!(excerpt.starts_with("กรณีเกษตรกรชาวสวนผัก"), "{body}");

    let pw = "a long enough password";
    app.add_user("mon", Role::Monitor, pw).await;
    app.add_agency_user("commerce", "กระทรวงพาณิชย์", pw).await;
    app.add_agency_user("health", "กระทรวงสาธารณสุข", pw).await;
    let mon = app.login("mon", pw).await;
    let commerce_user = app.login("commerce", pw).await;
    let health = app.login("health", pw).await;
    let title = clarification["title"].as_str().unwrap();
    let url = clarification["url"].as_str().unwrap();

    // The monitors' page lists it, without the agency's confirmation link.
    let (status, monitors) = page(&mon, &base, &format!("/issues/{issue}")).await;
    assert_eq!(status, 200);
    assert!(
        monitors.contains("พบการชี้แจง") && monitors.contains(title) && monitors.contains(url),
        "{monitors}"
    );
    assert!(!monitors.contains(unrelated["title"].as_str().unwrap()));
    assert!(
        !monitors.contains("?found="),
        "no confirmation link for monitors"
    );

    // The agency's page lists it with the link to the prefilled form.
    let (status, agency) = page(&commerce_user, &base, &format!("/agency/issues/{issue}")).await;
    assert_eq!(status, 200);
    let link = format!("/agency/issues/{issue}?found={found_id}#report");
    assert!(
        agency.contains("พบการชี้แจง")
            && agency.contains(title)
            && agency.contains("ยืนยันเป็นรายงานการชี้แจง")
            && agency.contains(&link),
        "{agency}"
    );
    let (status, form) = page(
        &commerce_user,
        &base,
        &format!("/agency/issues/{issue}?found={found_id}"),
    )
    .await;
    assert_eq!(status, 200, "{form}");
    let bangkok = published.to_offset(time::macros::offset!(+7));
    let date = format!(
        "{:02}/{:02}/{}",
        bangkok.day(),
        u8::from(bangkok.month()),
        bangkok.year() + 543
    );
    let clock = format!("{:02}:{:02}", bangkok.hour(), bangkok.minute());
    assert_eq!(input_value(&form, "date"), date);
    assert_eq!(input_value(&form, "time"), clock);
    assert_eq!(input_value(&form, "speaker"), speaker);
    assert_eq!(textarea(&form, "content"), excerpt);
    assert!(form.contains("name=\"channel\" value=\"website\" checked"));
    assert_eq!(input_value(&form, "link_website"), url);

    // The agency files it as its report.
    let fields = reqwest::multipart::Form::new()
        .text("csrf", commerce_user.csrf.clone())
        .text("reporter", "นางสาวพรทิพย์ ใจงาม")
        .text("date", date)
        .text("time", clock)
        .text("speaker", speaker.clone())
        .text("content", excerpt)
        .text("channel", "website")
        .text("link_website", url.to_string());
    let r = commerce_user
        .client
        .post(format!("{base}/agency/issues/{issue}/reports"))
        .multipart(fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let reports = app.store().issue_reports(issue).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].speaker, speaker);
    assert_eq!(reports[0].channels[0].link.as_deref(), Some(url));
    // Confirmed: the page says so, and invites no second report from it.
    let (_, agency) = page(&commerce_user, &base, &format!("/agency/issues/{issue}")).await;
    assert!(agency.contains("ยืนยันเป็นรายงานแล้ว"), "{agency}");
    assert!(!agency.contains(&link), "{agency}");
    assert_eq!(
        reports[0].clarified_at.unix_timestamp() / 60,
        published.unix_timestamp() / 60
    );

    // The agency's API, and another agency's user at every door.
    let r = commerce_user
        .client
        .get(format!(
            "{base}/api/v1/agency/issues/{issue}/clarifications"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let mine: serde_json::Value = r.json().await.unwrap();
    assert_eq!(mine["clarifications"][0]["id"], found_id);
    for path in [
        format!("/api/v1/agency/issues/{issue}/clarifications"),
        format!("/agency/issues/{issue}"),
        format!("/agency/issues/{issue}?found={found_id}"),
    ] {
        let (status, _) = page(&health, &base, &path).await;
        assert_eq!(status, 404, "{path}");
    }
    // A clarification of another issue (or none) is not found on this one.
    let (status, _) = page(
        &commerce_user,
        &base,
        &format!("/agency/issues/{issue}?found={}", found_id + 1000),
    )
    .await;
    assert_eq!(status, 404);
    app.stop().await;

    // As if the job had stopped before its mark moved: after a restart it reads the same
    // documents again and attaches nothing twice.
    store.set_job_mark(JOB, 0).await.unwrap();
    let app = RunningApp::start(config).await;
    job_done(app.store(), last).await;
    let again = app.store().issue_clarifications(issue).await.unwrap();
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].id, found_id);
    app.stop().await;
    store.close().await;
}

async fn the_agency_confirms_a_found_clarification_in_chromium(db: Db) {
    if praden_tests::browser::find_chromium().is_none() {
        assert!(Browser::launch_or_skip().is_none());
        return;
    }
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let mut config = env.config();
    config.detect.enabled = false;
    let store = Store::connect(&env.database_url).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let issue = approved_issue(&store, now - Duration::hours(2)).await;
    let clarification = article(CLARIFICATION_ID);
    let published = now - Duration::minutes(40);
    let ids = store
        .insert_documents(&[
            official(&clarification, published),
            official(&article(UNRELATED_ID), published),
        ])
        .await
        .unwrap()
        .inserted;
    let app = RunningApp::start(config).await;
    job_done(app.store(), ids[1]).await;
    app.add_user("somchai", Role::Monitor, "รหัสของสมชาย").await;
    app.add_agency_user("moc", "กระทรวงพาณิชย์", "รหัสของกระทรวง")
        .await;
    let base = app.base.clone();
    let shots = match db {
        Db::Sqlite => "clarification-sqlite",
        Db::Postgres => "clarification-postgres",
    };
    let title = clarification["title"].as_str().unwrap().to_string();
    let url = clarification["url"].as_str().unwrap().to_string();
    tokio::task::spawn_blocking({
        let (base, title, url) = (base.clone(), title.clone(), url.clone());
        move || {
            let mut b = Browser::launch_or_skip().expect("chromium");
            b.login(&base, "moc", "รหัสของกระทรวง");
            b.goto(&format!("{base}/agency/issues/{issue}"));
            let body = b.text("body");
            assert!(
                body.contains("พบการชี้แจง") && body.contains(&title),
                "{body}"
            );
            b.screenshot(&format!("{shots}-agency-found"));
            b.click("a[href*='?found=']");
            let value = |b: &mut Browser, sel: &str| {
                b.eval(&format!(
                    "document.querySelector({}).value",
                    serde_json::to_string(sel).unwrap()
                ))
                .as_str()
                .unwrap_or_default()
                .to_string()
            };
            assert!(value(&mut b, "input[name=speaker]").starts_with("นายวัฒนศักย์ เสือเอี่ยม"));
            assert!(value(&mut b, "textarea[name=content]").starts_with("กรณีเกษตรกรชาวสวนผัก"));
            assert_eq!(value(&mut b, "input[name=link_website]"), url);
            assert_eq!(
                b.eval("document.querySelector(\"input[name=channel][value=website]\").checked"),
                serde_json::json!(true)
            );
            b.screenshot(&format!("{shots}-prefilled-form"));
            b.click("form[action$='/reports'] button[type=submit]");
            let body = b.text("body");
            assert!(
                body.contains("รายงานฉบับที่") && body.contains("นายวัฒนศักย์ เสือเอี่ยม"),
                "{body}"
            );
            assert!(body.contains("เว็บไซต์"), "{body}");

            let mut b = Browser::launch_or_skip().expect("chromium");
            b.login(&base, "somchai", "รหัสของสมชาย");
            b.goto(&format!("{base}/issues/{issue}"));
            let body = b.text("body");
            assert!(
                body.contains("พบการชี้แจง") && body.contains(&title),
                "{body}"
            );
            assert!(
                b.count(&format!("a[href='{url}']")) >= 2,
                "the document, and the report's channel"
            );
            b.screenshot(&format!("{shots}-monitor"));
        }
    })
    .await
    .unwrap();
    let reports = app.store().issue_reports(issue).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].channels[0].link.as_deref(), Some(url.as_str()));
    app.stop().await;
    store.close().await;
}
