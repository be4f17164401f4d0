//! How long the KPI page takes over five years of issues.
//!
//!     cargo bench -p praden-tests --bench kpi_page -- [ISSUES]
//!
//! Starts the whole app (SQLite in a temporary directory; also PostgreSQL when
//! PRADEN_TEST_POSTGRES_URL is set) and writes ISSUES (default 100,000) assigned issues over
//! the five fiscal years before the current quarter — titles and proposing ministries of real
//! cabinet resolutions from ../shared, agencies from praden's registry, answered in time, late
//! or never (tests/src/kpi.rs) — then asks over HTTP, as a logged-in browser does, for `/kpi`
//! of the last quarter (the page with its three charts and a trend of four quarters), a
//! ministry's drill-down, the year, the printable report and the XLSX export; first with every
//! quarter open, then with every past quarter closed. Prints the first request of each and
//! the median and the worst of the 20 after it (the server keeps the quarters it read until
//! the store's data version says they changed); `/kpi` of an old quarter at once after a
//! restart (while the server reads its quarters ahead) and of another 5 s later; and `/kpi`
//! with a new report stored before each request, so that its quarter is read again every
//! time. The target is `/kpi` for a quarter
//! under 200 ms.

use praden_core::kpi::{quarters_within, Period, PeriodKind};
use praden_core::thai_time::to_bangkok;
use praden_core::Role;
use praden_store::DecisionContext;
use praden_tests::kpi::{cabinet_issues, registry_agencies};
use praden_tests::{client_with_token, encode, Db, RunningApp, TestEnv};
use std::time::Instant;
use time::{Duration, OffsetDateTime};

const RUNS: usize = 21;

/// Times `path` RUNS times: the first request alone (nothing of it read yet), then the
/// median and the worst of the rest. `change` runs before each request but the first.
async fn time_path<F, Fut>(
    client: &reqwest::Client,
    app: &RunningApp,
    db: Db,
    label: &str,
    path: &str,
    mut change: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::with_capacity(RUNS);
    let mut bytes = 0;
    for run in 0..RUNS {
        if run > 0 {
            change().await;
        }
        let t = Instant::now();
        let r = client
            .get(format!("{}{path}", app.base))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        bytes = r.bytes().await.unwrap().len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let first = times[0];
    let mut rest = times[1..].to_vec();
    rest.sort_by(f64::total_cmp);
    println!(
        "{db:?} [{label}] {path}: first {first:.1} ms; then median {:.1} ms, worst {:.1} ms ({} KB)",
        rest[rest.len() / 2],
        rest[rest.len() - 1],
        bytes / 1024
    );
}

async fn run(db: Db, n: usize) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let mut config = env.config();
    config.detect.enabled = false;
    config.clarifications.enabled = false;
    let app = RunningApp::start(config.clone()).await;
    let today = to_bangkok(OffsetDateTime::now_utc()).date();
    let current = Period::quarter_of(today);
    let last = Period::quarter_of(current.first - Duration::days(1));
    let year = match last.kind {
        PeriodKind::Quarter { year, .. } => year,
        _ => unreachable!(),
    };
    let first = Period::fiscal_year(year - 4).first;
    let t = Instant::now();
    let seeds = cabinet_issues(n, first, last.last, 2570, &registry_agencies());
    praden_store::testing::seed_kpi_issues(app.store(), &seeds).await;
    println!(
        "{db:?}: {n} issues from {first} to {} written in {:.1} s",
        last.last,
        t.elapsed().as_secs_f64()
    );
    let client = client_with_token(&app.create_token("bench-monitor", Role::Monitor).await);
    // Read beside the server (not through it), so that its first request finds nothing read.
    let g = praden_web::kpi::gather_from(
        app.store(),
        &praden_web::KpiSettings::default(),
        None,
        last,
        &praden_web::kpi::Scope::default(),
    )
    .await
    .unwrap();
    let busiest = g
        .kpi
        .by_ministry
        .iter()
        .max_by_key(|r| r.figures.assigned)
        .map(|r| r.name.clone())
        .unwrap();
    println!(
        "{db:?}: {}: {} issues in {} rows, {:?}% in time; the busiest ministry {busiest}",
        last.code(),
        g.kpi.total.assigned,
        g.kpi.by_ministry.len(),
        g.kpi.total.percent_in_time
    );
    // A restarted server reads five years of quarters ahead, in the background: a view at
    // once may wait for them, one a few seconds later finds them read.
    let app = app.restart(config).await;
    let quarter_path = |days: i64| {
        format!(
            "/kpi?period={}",
            Period::quarter_of(first + Duration::days(days)).code()
        )
    };
    let at_once = quarter_path(400);
    time_path(
        &client,
        &app,
        db,
        "open, at once after a restart",
        &at_once,
        || async {},
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let later = quarter_path(200);
    time_path(
        &client,
        &app,
        db,
        "open, 5 s after a restart",
        &later,
        || async {},
    )
    .await;
    let paths = [
        format!("/kpi?period={}", last.code()),
        format!("/kpi?period={}&ministry={}", last.code(), encode(&busiest)),
        format!("/kpi?period={year}"),
        format!("/kpi/report?period={}", last.code()),
        format!("/kpi/export.xlsx?period={}", last.code()),
    ];
    for path in &paths {
        time_path(&client, &app, db, "open", path, || async {}).await;
    }
    // A report arrives before each view: the quarter it belongs to is read again.
    let waiting: Vec<(i64, String)> = g
        .kpi
        .issues
        .iter()
        .filter(|i| i.outcome == praden_core::kpi::Outcome::NotClarified)
        .map(|i| (i.issue_id, i.agency.clone()))
        .collect();
    let next = std::cell::Cell::new(0);
    time_path(
        &client,
        &app,
        db,
        "open, a report before each",
        &paths[0],
        || {
            let (id, agency) = waiting[next.get()].clone();
            next.set(next.get() + 1);
            let store = app.store().clone();
            async move {
                let now = OffsetDateTime::now_utc();
                store
                    .add_report(
                        id,
                        &agency,
                        &praden_core::report::NewReport {
                            reporter: "ผู้รายงาน".into(),
                            clarified_at: now - Duration::hours(1),
                            speaker: "โฆษก".into(),
                            content: "ชี้แจงภายหลัง".into(),
                            channels: vec![praden_core::report::ChannelEntry {
                                channel: praden_core::report::Channel::Website,
                                link: None,
                            }],
                        },
                        &DecisionContext {
                            actor: "bench".into(),
                            request_id: None,
                            now,
                        },
                    )
                    .await
                    .unwrap();
            }
        },
    )
    .await;
    // Every past quarter closed, as after each quarterly report.
    let t = Instant::now();
    let admin = DecisionContext {
        actor: "bench".into(),
        request_id: None,
        now: OffsetDateTime::now_utc(),
    };
    let days = praden_core::kpi::DeadlineDays::Calendar;
    let span = Period {
        kind: PeriodKind::Range,
        first,
        last: last.last,
    };
    for q in quarters_within(&span) {
        let found = app.store().kpi_issues(&q, &days, today).await.unwrap();
        app.store()
            .close_kpi_quarter(&q, "นับวันตามปฏิทิน", &found.issues, &admin)
            .await
            .unwrap();
    }
    println!(
        "{db:?}: {} quarters closed in {:.1} s",
        quarters_within(&span).len(),
        t.elapsed().as_secs_f64()
    );
    for path in &paths {
        time_path(&client, &app, db, "closed", path, || async {}).await;
    }
    app.stop().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map_or(100_000, |a| {
            a.replace('_', "").parse().expect("a whole number")
        });
    run(Db::Sqlite, n).await;
    run(Db::Postgres, n).await;
}
