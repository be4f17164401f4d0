//! How long the monitors' queue page takes with a full queue.
//!
//!     cargo bench -p praden-tests --bench queue_page -- [CANDIDATES]
//!
//! Starts the whole app (SQLite in a temporary directory; also PostgreSQL when
//! PRADEN_TEST_POSTGRES_URL is set), writes CANDIDATES (default 1,000) pending candidates as
//! detection would — each covering two real Thai articles from ../shared's thaigov corpus, with
//! the article's title, criteria and agencies varying from one to the next — and then asks for
//! `/queue` over HTTP as a logged-in monitor's browser does: the first page, a page deep in
//! the queue, a filtered page and the oldest-first order. Prints the median and the worst of
//! 21 requests each. The target is 200 ms.

use praden_core::review::{
    AgencyProposal, AgencyRef, Criterion, CriterionRecord, KindCounts, Proposal,
};
use praden_core::{DocumentParts, NewDocument, Role, SourceKind};
use praden_tests::{client_with_token, Db, RunningApp, TestEnv};
use std::io::BufRead;
use std::path::Path;
use std::time::Instant;
use time::{Duration, OffsetDateTime};

const CORPUS: &str = "../../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz";
const RUNS: usize = 21;

fn titles_and_bodies(n: usize) -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file))
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(&l.unwrap()).unwrap())
        .map(|v| {
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (text("title"), text("body"))
        })
        .filter(|(t, b)| !t.is_empty() && !b.is_empty())
        .take(n)
        .collect()
}

fn agency(name: &str, abbr: &str) -> AgencyProposal {
    AgencyProposal {
        agency: AgencyRef {
            name_th: name.into(),
            abbr: abbr.into(),
            ministry_abbr: abbr.into(),
            ministry_th: name.into(),
            name_en: String::new(),
        },
        score: 0.8,
        reasons: vec!["กล่าวถึงหน่วยงานในหัวข่าว".into()],
    }
}

async fn seed(app: &RunningApp, n: usize) {
    let articles = titles_and_bodies(2 * n);
    let agencies = [
        ("กระทรวงพาณิชย์", "พณ."),
        ("กระทรวงสาธารณสุข", "สธ."),
        ("กระทรวงมหาดไทย", "มท."),
        ("กระทรวงการคลัง", "กค."),
    ];
    let now = OffsetDateTime::now_utc();
    for i in 0..n {
        let docs: Vec<NewDocument> = (0..2)
            .map(|j| {
                let (title, body) = &articles[(2 * i + j) % articles.len()];
                NewDocument::new(DocumentParts {
                    source_id: "bench",
                    kind: if j == 0 {
                        SourceKind::News
                    } else {
                        SourceKind::Social
                    },
                    outlet: if j == 0 {
                        "มติชน"
                    } else {
                        "facebook"
                    },
                    url: Some(&format!("https://bench.test/{i}/{j}")),
                    item_id: None,
                    title,
                    body,
                    published_at: Some(now - Duration::minutes(i as i64)),
                    fetched_at: now,
                })
                .unwrap()
            })
            .collect();
        let ids = app.store().insert_documents(&docs).await.unwrap().inserted;
        let seen = now - Duration::minutes((i * 7) as i64);
        let (name, abbr) = agencies[i % agencies.len()];
        let proposal = Proposal {
            title: articles[(2 * i) % articles.len()].0.clone(),
            summary: articles[(2 * i) % articles.len()]
                .1
                .chars()
                .take(300)
                .collect(),
            score: 0.3 + (i % 70) as f64 / 100.0,
            criteria: Criterion::ALL
                .iter()
                .enumerate()
                .map(|(k, c)| CriterionRecord {
                    criterion: *c,
                    score: if (i + k) % 3 == 0 { 0.8 } else { 0.2 },
                    evidence: vec![format!("พบในข่าว #{}", ids.first().copied().unwrap_or(0))],
                })
                .collect(),
            misleading: None,
            agencies: vec![agency(name, abbr)],
            deadline_days: 1,
            deadline_rule: "default".into(),
            outlets: vec!["มติชน".into(), "facebook".into()],
            links: Vec::new(),
            counts: KindCounts {
                news: 1,
                social: 1,
                ..KindCounts::default()
            },
            articles: 2,
            first_seen: seen,
            last_seen: seen + Duration::minutes(30),
            public_matter: None,
        };
        app.store()
            .upsert_proposal(&ids, &proposal, 2.0, now)
            .await
            .unwrap();
    }
}

async fn run(db: Db, n: usize) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let mut config = env.config();
    config.detect.enabled = false;
    let app = RunningApp::start(config).await;
    let t = Instant::now();
    seed(&app, n).await;
    println!(
        "{db:?}: {n} pending candidates written in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let monitor = client_with_token(&app.create_token("bench-monitor", Role::Monitor).await);
    let pages = n.div_ceil(50);
    for query in [
        String::new(),
        format!("?page={}", pages / 2),
        "?criterion=cabinet_resolution&kind=social&agency=%E0%B8%9E%E0%B8%93.".to_string(),
        "?sort=oldest".to_string(),
    ] {
        let mut times = Vec::with_capacity(RUNS);
        let mut bytes = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let r = monitor
                .get(format!("{}/queue{query}", app.base))
                .header("accept", "text/html")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "/queue{query}");
            bytes = r.bytes().await.unwrap().len();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{db:?}: /queue{query}: median {:.1} ms, worst {:.1} ms ({} KB)",
            times[RUNS / 2],
            times[RUNS - 1],
            bytes / 1024
        );
    }
    app.stop().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map_or(1_000, |a| {
            a.replace('_', "").parse().expect("a whole number")
        });
    run(Db::Sqlite, n).await;
    run(Db::Postgres, n).await;
}
