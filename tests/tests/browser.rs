//! The editors' search page in headless Chromium (Debian package `chromium`), driven as a
//! person would: log in through the form, type a Thai word, press search, see it highlighted,
//! narrow by a month. .ci/run installs Chromium; elsewhere the test is skipped with a notice
//! when Chromium is missing, unless CI is set.

mod common;

use common::app_with_real_articles;
use praden_core::Role;
use praden_tests::Browser;

fn total(text: &str) -> u64 {
    let start = text.find("พบ ").expect("a result count") + "พบ ".len();
    text[start..].split(' ').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_logs_in_searches_a_thai_word_sees_it_highlighted_and_narrows_by_month() {
    if praden_tests::browser::find_chromium().is_none() {
        // Says why, or fails on CI.
        assert!(Browser::launch_or_skip().is_none());
        return;
    }
    let (_env, app) = app_with_real_articles().await;
    app.add_user("malee", Role::Editor, "รหัสผ่านของมาลี").await;
    let base = app.base.clone();

    let checked = tokio::task::spawn_blocking(move || {
        let mut b = Browser::launch_or_skip().expect("chromium");
        // Before logging in, the page sends the editor to the login form and back.
        b.goto(&format!("{base}/search"));
        assert!(b.url().contains("/login?next=%2Fsearch"), "{}", b.url());
        b.fill("input[name=username]", "malee");
        b.fill("input[name=password]", "รหัสผ่านของมาลี");
        b.click("form.login button[type=submit]");
        assert!(b.url().ends_with("/search"), "{}", b.url());

        b.fill("input[name=q]", "วัคซีน");
        b.click("form[role=search] button[type=submit]");
        let all = total(&b.text("#total"));
        assert!(all > 5, "{}", b.text("body"));
        let html = b.html();
        assert!(html.contains("<b>วัคซีน</b>"), "the word is highlighted");
        // The page's inline stylesheet still applies under its Content-Security-Policy
        // (`style-src 'unsafe-inline'`; no script source at all).
        assert_eq!(
            b.eval("getComputedStyle(document.body).maxWidth"),
            "1152px",
            "72rem from the page's <style>"
        );
        assert_eq!(
            b.eval("document.querySelector('input[name=q]').value"),
            "วัคซีน",
            "the form keeps the query"
        );

        // Follow the first month link of the facets, as an editor narrowing by date would.
        b.click("aside.facets h3:nth-of-type(3) + ul a");
        let narrowed = total(&b.text("#total"));
        assert!(narrowed >= 1 && narrowed < all, "{narrowed} of {all}");
        let url = b.url();
        let from = url
            .split("from=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_string();
        let (be_year, month) = (&from[..4], from[5..7].parse::<usize>().unwrap());
        let label = format!(
            "{} {be_year}",
            praden_core::thai_time::THAI_MONTHS_ABBR[month - 1]
        );
        // Every result shown lies in that month (dates are shown as e.g. 5 มี.ค. 2567).
        let shown = b.count(".hit .meta");
        assert_eq!(shown as u64, narrowed.min(20));
        let in_month = b.eval(&format!(
            "[...document.querySelectorAll('.hit .meta')].filter(m => m.innerText.includes({})).length",
            serde_json::to_string(&label).unwrap()
        ));
        assert_eq!(in_month.as_u64(), Some(shown as u64), "{label}");

        // The page says who is logged in; its logout button (a form with the CSRF token)
        // ends the session.
        assert!(b.text("form.user").contains("ผู้ทดสอบ malee"));
        b.click("form.user button");
        assert!(b.url().ends_with("/login?out=1"), "{}", b.url());
        assert!(b.text("body").contains("ออกจากระบบแล้ว"));
        b.goto(&format!("{}/search?q=x", url.split("/search").next().unwrap()));
        assert!(b.url().contains("/login?next="), "logged out: {}", b.url());
        (all, narrowed)
    })
    .await
    .unwrap();
    eprintln!("browser: {} results, {} in the month", checked.0, checked.1);
    app.stop().await;
}
