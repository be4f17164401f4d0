//! Throw-away databases for tests. PostgreSQL tests read `PRADEN_TEST_POSTGRES_URL` (a server
//! URL whose user may create databases); each test gets a database of its own, dropped when
//! the guard goes out of scope.

use crate::Store;
use sqlx::{Connection, PgConnection};
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

pub const POSTGRES_URL_VAR: &str = "PRADEN_TEST_POSTGRES_URL";

/// A fresh PostgreSQL database; dropped (connections forced off) on drop.
pub struct TestPostgres {
    admin_url: String,
    name: String,
    url: String,
}

impl TestPostgres {
    /// `None` when `PRADEN_TEST_POSTGRES_URL` is unset; panics when it is set but the server
    /// cannot be used, so a misconfigured CI fails instead of skipping.
    pub async fn create() -> Option<Self> {
        let admin_url = std::env::var(POSTGRES_URL_VAR).ok()?;
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "praden_test_{}_{}_{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let mut conn = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={admin_url}: cannot connect: {e}"));
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        conn.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("PRADEN_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Some(Self {
            admin_url,
            name,
            url: url.to_string(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        // Drop runs outside any async context we can rely on, so the clean-up gets a small
        // runtime of its own on a plain thread.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime for dropping the test database");
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    if let Err(e) = sqlx::query(&sql).execute(&mut conn).await {
                        eprintln!("warning: could not drop test database {name}: {e}");
                    }
                    conn.close().await.ok();
                }
            })
        });
        let _ = done.join();
    }
}

/// Runs `check` with the URL of a fresh SQLite database in a temporary directory.
pub async fn on_sqlite_url<F, Fut>(check: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("a temporary directory");
    check(format!("sqlite://{}/praden.db", dir.path().display())).await;
}

/// Runs `check` with the URL of a fresh PostgreSQL database; says so and returns when
/// `PRADEN_TEST_POSTGRES_URL` is unset.
pub async fn on_postgres_url<F, Fut>(check: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(db) = TestPostgres::create().await else {
        eprintln!("{POSTGRES_URL_VAR} is not set: PostgreSQL half skipped");
        return;
    };
    check(db.url().to_string()).await;
}

/// Runs `check` on a store over a fresh SQLite database, and closes it after.
pub async fn on_sqlite<F, Fut>(check: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    on_sqlite_url(|url| with_store(url, check)).await
}

/// Runs `check` on a store over a fresh PostgreSQL database, and closes it after.
pub async fn on_postgres<F, Fut>(check: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    on_postgres_url(|url| with_store(url, check)).await
}

async fn with_store<F, Fut>(url: String, check: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let store = Store::connect(&url).await.expect("the test store opens");
    check(store.clone()).await;
    store.close().await;
}

/// `both_backends!(check_a, check_b)`: modules `sqlite` and `postgres` with one test per
/// check (`async fn check_a(store: Store)`), so every check runs on both backends.
/// `both_backends!(url: check_a)` hands the checks the database URL instead, for tests that
/// open several stores on one database.
#[macro_export]
macro_rules! both_backends {
    (url: $($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { $crate::testing::on_sqlite_url(super::$name).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { $crate::testing::on_postgres_url(super::$name).await } )* }
    };
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { $crate::testing::on_sqlite(super::$name).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { $crate::testing::on_postgres(super::$name).await } )* }
    };
}

/// A ministry-level agency named `name`, as store tests assign issues to.
pub fn ministry(name: &str) -> praden_core::review::AgencyRef {
    praden_core::review::AgencyRef {
        name_th: name.into(),
        abbr: "พณ.".into(),
        ministry_abbr: "พณ.".into(),
        ministry_th: name.into(),
        name_en: "Ministry".into(),
    }
}

/// An issue approved at `now` by `ctx.actor`, assigned to the ministry `to` with 2 days to
/// clarify, from a one-article story of its own keyed `key`; returns its id.
pub async fn approved_issue(
    store: &Store,
    key: &str,
    to: &str,
    ctx: &crate::DecisionContext,
) -> i64 {
    use praden_core::review::{AgencyProposal, KindCounts, Proposal};
    let now = ctx.now;
    let doc = praden_core::NewDocument::new(praden_core::DocumentParts {
        source_id: "matichon",
        kind: praden_core::SourceKind::News,
        outlet: "มติชน",
        url: Some(&format!("https://matichon.test/{key}")),
        item_id: None,
        title: &format!("ข่าว {key}"),
        body: "ราคาไข่ไก่แพงขึ้นทั่วประเทศ ผู้บริโภคเดือดร้อน",
        published_at: Some(now - time::Duration::hours(3)),
        fetched_at: now,
    })
    .expect("a valid document");
    let ids = store
        .insert_documents(&[doc])
        .await
        .expect("the document is stored")
        .inserted;
    let proposal = Proposal {
        title: key.into(),
        summary: "ราคาไข่ไก่แพงขึ้น".into(),
        score: 0.6,
        criteria: vec![],
        misleading: None,
        agencies: vec![AgencyProposal {
            agency: ministry(to),
            score: 0.9,
            reasons: vec![],
        }],
        deadline_days: 1,
        deadline_rule: "default".into(),
        outlets: vec!["มติชน".into()],
        links: vec![],
        counts: KindCounts {
            news: 1,
            ..KindCounts::default()
        },
        articles: 1,
        first_seen: now - time::Duration::hours(3),
        last_seen: now,
        public_matter: None,
    };
    let c = store
        .upsert_proposal(&ids, &proposal, 2.0, now)
        .await
        .expect("the candidate is stored");
    let approval = crate::Approval {
        title: key.into(),
        agency: ministry(to),
        deadline_days: 2,
        source: "มติชนออนไลน์".into(),
    };
    store
        .approve_candidate(c.candidate_id, 1, &approval, ctx)
        .await
        .expect("the candidate is approved")
        .id
}

/// An assigned issue for KPI tests and benchmarks, with how its agency answered.
#[derive(Debug, Clone)]
pub struct KpiSeed {
    pub title: String,
    /// The agency it ends up with (a reassigned issue's last).
    pub agency: praden_core::review::AgencyRef,
    pub approved_at: time::OffsetDateTime,
    pub deadline_days: u32,
    pub withdrawn: bool,
    /// Its agency's first clarification: when, and on how many channels (1 or more).
    pub report: Option<(time::OffsetDateTime, usize)>,
}

/// Writes `seeds` straight into the review tables — a candidate, its approved (or withdrawn)
/// issue with its `approved` feed event, and its report each, as the monitors' and agencies'
/// steps would leave them, without the audit trail — in transactions of 1,000, for KPI tests
/// and benchmarks of many years. Returns the issues' ids in order.
pub async fn seed_kpi_issues(store: &Store, seeds: &[KpiSeed]) -> Vec<i64> {
    use crate::{on_pool, BeginWrite};
    use praden_core::report::{Channel, ChannelEntry};
    let channels = [
        Channel::PressConference,
        Channel::Facebook,
        Channel::Website,
        Channel::Line,
    ];
    let mut ids = Vec::with_capacity(seeds.len());
    for chunk in seeds.chunks(1000) {
        let written: Result<Vec<i64>, sqlx::Error> = on_pool!(store, p => async {
            let mut tx = p.begin_write().await?;
            let mut out = Vec::with_capacity(chunk.len());
            for s in chunk {
                let at = s.approved_at.to_offset(time::UtcOffset::UTC);
                let candidate: i64 = sqlx::query_scalar(
                    "INSERT INTO candidates (status, score, articles, last_seen, proposal, \
                     created_at, updated_at) VALUES ('approved', 0.5, 1, $1, '{}', $1, $1) \
                     RETURNING id",
                )
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO issues (candidate_id, status, title, agency, deadline_days, \
                     due_date, source, criteria, links, approved_by, approved_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'มติชนออนไลน์', '[]', '[]', 'seed', $7, $7) \
                     RETURNING id",
                )
                .bind(candidate)
                .bind(if s.withdrawn { "withdrawn" } else { "approved" })
                .bind(&s.title)
                .bind(serde_json::to_string(&s.agency).expect("an agency serialises"))
                .bind(i64::from(s.deadline_days))
                .bind(crate::review::due_date(at, s.deadline_days))
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
                let issue = praden_core::review::Issue {
                    id,
                    candidate_id: candidate,
                    version: 1,
                    status: if s.withdrawn {
                        praden_core::review::IssueStatus::Withdrawn
                    } else {
                        praden_core::review::IssueStatus::Approved
                    },
                    title: s.title.clone(),
                    agency: s.agency.clone(),
                    deadline_days: s.deadline_days,
                    due_date: crate::review::due_date(at, s.deadline_days),
                    source: "มติชนออนไลน์".into(),
                    criteria: Vec::new(),
                    links: Vec::new(),
                    approved_by: "seed".into(),
                    approved_at: at,
                    updated_at: at,
                };
                crate::review::events::append_event(
                    &mut *tx,
                    praden_core::review::IssueEventKind::Approved,
                    &issue,
                    None,
                    at,
                )
                .await?;
                if let Some((clarified, n)) = s.report {
                    let entries: Vec<ChannelEntry> = channels
                        .iter()
                        .cycle()
                        .take(n.max(1))
                        .map(|&channel| ChannelEntry {
                            channel,
                            link: None,
                        })
                        .collect();
                    let clarified = clarified.to_offset(time::UtcOffset::UTC);
                    sqlx::query(
                        "INSERT INTO issue_reports (issue_id, agency, reporter, clarified_at, \
                         speaker, content, channels, at, by_user) \
                         VALUES ($1, $2, 'ผู้รายงาน', $3, 'โฆษก', 'ชี้แจงข้อเท็จจริง', $4, $3, 'seed')",
                    )
                    .bind(id)
                    .bind(&s.agency.name_th)
                    .bind(clarified)
                    .bind(serde_json::to_string(&entries).expect("channels serialise"))
                    .execute(&mut *tx)
                    .await?;
                }
                out.push(id);
            }
            tx.commit().await?;
            Ok(out)
        }
        .await);
        ids.extend(written.expect("the KPI seeds are written"));
    }
    ids
}
