//! The editors' search API on real Thai government news (the first articles of
//! ../shared/data/corpus): every query form and filter, checked through HTTP against each
//! other and against the articles' own text.

mod common;

use common::app_with_real_articles;
use praden_tests::{encode, RunningApp};
use serde_json::Value;
use std::collections::HashSet;

async fn search(app: &RunningApp, params: &str) -> Value {
    let (status, body) = app.get_json(&format!("/api/v1/search?{params}")).await;
    assert_eq!(status, 200, "{params}: {body}");
    body
}

fn q(query: &str) -> String {
    format!("q={}", encode(query))
}

fn ids(body: &Value) -> HashSet<u64> {
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["doc_id"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_form_and_filter_on_real_articles() {
    let (_env, app) = app_with_real_articles().await;

    // A single word: every hit shows it, highlighted as a whole word.
    let one = search(&app, &format!("{}&limit=100", q("วัคซีน"))).await;
    let total_one = one["total"].as_u64().unwrap();
    assert!(total_one > 5, "{one}");
    for hit in one["hits"].as_array().unwrap() {
        let text = format!("{} {}", hit["title"], hit["snippet_html"]);
        assert!(text.contains("วัคซีน"), "{hit}");
    }
    assert!(
        one["hits"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<b>วัคซีน</b>"),
        "{}",
        one["hits"][0]
    );

    // Two words: both required, so no more than either alone.
    let two = search(&app, &q("วัคซีน โควิด")).await;
    let total_two = two["total"].as_u64().unwrap();
    assert!(total_two > 0 && total_two <= total_one, "{two}");
    // A phrase: no more than the same words anywhere.
    let phrase = search(&app, &q("\"วัคซีนโควิด\"")).await;
    assert!(phrase["total"].as_u64().unwrap() <= total_two, "{phrase}");
    // Exclusion and OR partition the results.
    let without = search(&app, &q("วัคซีน -โควิด")).await["total"]
        .as_u64()
        .unwrap();
    assert_eq!(
        without + total_two,
        total_one,
        "วัคซีน = (วัคซีน โควิด) + (วัคซีน -โควิด)"
    );
    let either = search(&app, &q("วัคซีน OR โควิด")).await["total"]
        .as_u64()
        .unwrap();
    let other = search(&app, &q("โควิด")).await["total"].as_u64().unwrap();
    assert_eq!(either, total_one + other - total_two, "inclusion–exclusion");

    // Kind filter: all imported articles are official.
    let all = search(&app, &q("รัฐบาล")).await["total"].as_u64().unwrap();
    assert_eq!(
        search(&app, &format!("{}&kind=official", q("รัฐบาล"))).await["total"]
            .as_u64()
            .unwrap(),
        all
    );
    assert_eq!(
        search(&app, &format!("{}&kind=news,social", q("รัฐบาล"))).await["total"],
        0
    );
    assert_eq!(
        search(&app, &format!("{}&outlet=thaigov.go.th", q("รัฐบาล"))).await["total"]
            .as_u64()
            .unwrap(),
        all
    );

    // Facets by month, then a date range in B.E. equals that month's facet count.
    let faceted = search(&app, &format!("{}&facets=true&limit=1", q("รัฐบาล"))).await;
    let months = faceted["facets"]["months"].as_array().unwrap();
    let month = &months[months.len() / 2];
    let (y, m) = month["value"].as_str().unwrap().split_once('-').unwrap();
    let (y, m): (i32, u8) = (y.parse().unwrap(), m.parse().unwrap());
    let last_day = time::util::days_in_month(time::Month::try_from(m).unwrap(), y);
    let range = format!(
        "from={}-{m:02}-01&to={}-{m:02}-{last_day}",
        y + 543,
        y + 543
    );
    let in_month = search(&app, &format!("{}&{range}&limit=100", q("รัฐบาล"))).await;
    assert_eq!(in_month["total"], month["count"], "{range}");
    for hit in in_month["hits"].as_array().unwrap() {
        let t = time::OffsetDateTime::parse(
            hit["published_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let local = t.to_offset(time::macros::offset!(+7));
        assert_eq!((local.year(), local.month() as u8), (y, m), "{hit}");
    }
    // The same range in C.E. gives the same answer.
    let ce = format!("from={y}-{m:02}-01&to={y}-{m:02}-{last_day}");
    assert_eq!(
        search(&app, &format!("{}&{ce}", q("รัฐบาล"))).await["total"],
        month["count"]
    );

    // Newest first, paged by cursor: every article once, dates never increase.
    let mut seen = HashSet::new();
    let mut last_date = String::from("9999");
    let mut params = format!("{}&sort=newest&limit=37", q("รัฐบาล"));
    loop {
        let page = search(&app, &params).await;
        for hit in page["hits"].as_array().unwrap() {
            assert!(
                seen.insert(hit["doc_id"].as_u64().unwrap()),
                "repeated {hit}"
            );
            let date = hit["published_at"].as_str().unwrap_or("").to_string();
            assert!(date <= last_date, "{date} after {last_date}");
            last_date = date;
        }
        match page["next_cursor"].as_str() {
            Some(c) => params = format!("{}&sort=newest&limit=37&after={c}", q("รัฐบาล")),
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, all);
    assert!(ids(&search(&app, &format!("{}&limit=5", q("รัฐบาล"))).await).len() == 5);

    // Export: the whole result set, streamed; CSV opens in spreadsheets (BOM), JSON lines.
    let csv = app
        .client()
        .get(format!(
            "{}/api/v1/search/export?{}&sort=newest",
            app.base,
            q("รัฐบาล")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.bytes().await.unwrap();
    assert!(
        csv.starts_with("\u{feff}doc_id,published_at_bangkok,title,outlet,kind,url\r\n".as_bytes())
    );
    let text = std::str::from_utf8(&csv).unwrap();
    let rows: Vec<&str> = text
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .collect();
    assert!(
        rows.iter()
            .all(|r| r.contains(",official,https://www.thaigov.go.th/")),
        "{rows:?}"
    );
    let row_ids: HashSet<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    assert_eq!(row_ids.len() as u64, all, "one row per matching article");
    let jsonl = app
        .client()
        .get(format!(
            "{}/api/v1/search/export?{}&format=jsonl&kind=official",
            app.base,
            q("วัคซีน")
        ))
        .send()
        .await
        .unwrap();
    let jsonl = jsonl.text().await.unwrap();
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, total_one);
    let (status, body) = app
        .get_json(&format!("/api/v1/search/export?{}&format=xml", q("ข่าว")))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_parameter"))
    );
    let (status, body) = app
        .get_json(&format!("/api/v1/search/export?{}", q("\"ข่าว")))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_query"))
    );

    // The editors' page: the same results, the word highlighted, narrowed by a month link.
    // As an editor: the page is theirs.
    let editor = praden_tests::client_with_token(&app.editor_token);
    let html = |path: String| {
        let url = format!("{}{path}", app.base);
        let editor = editor.clone();
        async move {
            let resp = editor.get(url).send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let (status, page) = html(format!("/search?{}", q("วัคซีน"))).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("พบ {total_one} รายการ")), "{page}");
    assert!(page.contains("<b>วัคซีน</b>"));
    let month_link = format!(
        "from={}-{m:02}-01&amp;to={}-{m:02}-{last_day:02}",
        y + 543,
        y + 543
    );
    let (_, page) = html(format!("/search?{}", q("รัฐบาล"))).await;
    assert!(
        page.contains(&month_link),
        "the month facet links to its date range: {month_link}"
    );
    let (_, narrowed) = html(format!("/search?{}&{range}", q("รัฐบาล"))).await;
    assert!(
        narrowed.contains(&format!("พบ {} รายการ", month["count"])),
        "{narrowed}"
    );
    let (status, page) = html(format!("/search?{}", q("<script>alert(1)</script> \""))).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("ค้นหาไม่สำเร็จ") && !page.contains("<script>alert"),
        "{page}"
    );

    // Bad requests get a clear message, never a 500.
    for (params, code, says) in [
        (q("\"วัคซีน"), "bad_query", "invalid query"),
        (q("nosuchfield:วัคซีน"), "bad_query", "nosuchfield"),
        (
            format!("{}&from=2567-02-30", q("ข่าว")),
            "bad_parameter",
            "from=",
        ),
        (
            format!("{}&from=2567-03-01&to=2567-02-01", q("ข่าว")),
            "bad_parameter",
            "from must not be after to",
        ),
        (format!("{}&kind=tv", q("ข่าว")), "bad_parameter", "kind="),
        (format!("{}&sort=best", q("ข่าว")), "bad_parameter", "sort="),
        (format!("{}&after=garbage", q("ข่าว")), "bad_query", "cursor"),
    ] {
        let (status, body) = app.get_json(&format!("/api/v1/search?{params}")).await;
        assert_eq!(status, 400, "{params}: {body}");
        assert_eq!(body["error"]["code"], code, "{params}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(says),
            "{params}: {body}"
        );
    }
    app.stop().await;
}
