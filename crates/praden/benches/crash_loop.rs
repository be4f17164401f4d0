//! The long crash run: `praden import` and `praden serve` (pushes in flight) killed with
//! SIGKILL at random points, 100 times by default, then store and index compared. Prints the
//! figures; exits non-zero if anything was lost or duplicated.
//!
//!     cargo bench -p praden --bench crash_loop                    # SQLite, 100 kills
//!     PRADEN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!         cargo bench -p praden --bench crash_loop -- --postgres  # PostgreSQL too
//!     cargo bench -p praden --bench crash_loop -- --kills 200 --articles 20000

#[path = "../tests/crash_support/mod.rs"]
mod crash_support;

use crash_support::{run_crash_rounds, CrashPlan, Db};
use std::time::Duration;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str, default: usize| -> usize {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let kills = value("--kills", 100);
    let plan = CrashPlan {
        articles: value("--articles", 10_000),
        import_kills: kills * 2 / 5,
        serve_kills: kills - kills * 2 / 5,
        pushers: 4,
        max_life: Duration::from_millis(value("--max-life-ms", 4_000) as u64),
        commit_docs: 500,
    };
    let mut dbs = vec![Db::Sqlite];
    if args.iter().any(|a| a == "--postgres") {
        dbs.push(Db::Postgres);
    }
    let mut failed = false;
    for db in dbs {
        match run_crash_rounds(db, &plan)? {
            Some(report) => {
                report.print();
                failed |= std::panic::catch_unwind(|| report.assert_consistent()).is_err();
            }
            None => println!("{db:?}: PRADEN_TEST_POSTGRES_URL is not set; skipped"),
        }
    }
    anyhow::ensure!(!failed, "the crash run lost or duplicated documents");
    Ok(())
}
