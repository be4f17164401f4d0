//! The editors' search page in headless Chromium (Debian package `chromium`): search a Thai
//! word, see it highlighted, narrow by a month. .ci/run installs Chromium; elsewhere the test
//! is skipped with a notice when Chromium is missing, unless CI is set.

mod common;

use common::app_with_real_articles;
use std::process::Command;

fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(|name| {
            let out = Command::new("which").arg(name).output().ok()?;
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        })
}

/// The DOM after Chromium has loaded and rendered the page.
fn rendered_dom(browser: &str, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
            url,
        ])
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn total(dom: &str) -> u64 {
    let start = dom.find("พบ ").expect("a result count") + "พบ ".len();
    dom[start..].split(' ').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_a_thai_word_see_it_highlighted_and_narrow_by_month() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Chromium (.ci/run installs it)"
        );
        eprintln!("chromium is not installed: browser test skipped");
        return;
    };
    let (_env, app) = app_with_real_articles().await;
    let base = app.base.clone();

    let url = format!("{base}/search?q={}", praden_tests::encode("วัคซีน"));
    let dom = tokio::task::spawn_blocking({
        let browser = browser.clone();
        move || rendered_dom(&browser, &url)
    })
    .await
    .unwrap();
    let all = total(&dom);
    assert!(all > 5, "{dom}");
    assert!(dom.contains("<b>วัคซีน</b>"), "the word is highlighted");
    assert!(dom.contains("value=\"วัคซีน\""), "the form keeps the query");

    // Follow the first month link of the facets, as an editor narrowing by date would.
    let facets = &dom[dom.find("<h3>เดือน</h3>").expect("month facets")..];
    let href = facets
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    assert!(href.contains("from=") && href.contains("to="), "{href}");
    let narrowed_url = format!("{base}{href}");
    let narrowed = tokio::task::spawn_blocking(move || rendered_dom(&browser, &narrowed_url))
        .await
        .unwrap();
    let narrowed_total = total(&narrowed);
    assert!(
        narrowed_total >= 1 && narrowed_total < all,
        "{narrowed_total} of {all}"
    );
    // Every result shown lies in that month (dates are shown as e.g. 5 มี.ค. 2567).
    let from = href
        .split("from=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let (be_year, month) = (&from[..4], from[5..7].parse::<usize>().unwrap());
    let label = format!(
        "{} {be_year}",
        praden_core::thai_time::THAI_MONTHS_ABBR[month - 1]
    );
    let shown = narrowed.matches("class=\"meta\"").count();
    assert_eq!(shown as u64, narrowed_total.min(20));
    assert_eq!(
        narrowed.matches(&label).count() as u64 >= shown as u64,
        true,
        "{label}"
    );
    app.stop().await;
}
