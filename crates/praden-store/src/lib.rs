//! The SQL store. Only this crate speaks SQL (see ARCHITECTURE.md).
//!
//! One `Store` type over two backends: SQLite, the embedded default, and PostgreSQL. The SQL
//! text is shared where the dialects agree (`$1` placeholders, `ON CONFLICT`, `RETURNING`);
//! each query is compiled once per backend by the `on_pool!` macro, and one conformance suite
//! (tests/conformance.rs) runs against both.

mod accounts;
mod audit;
mod briefs;
mod contacts;
mod documents;
mod engagement;
mod leases;
mod publications;
mod readers;
pub mod review;
mod source_state;
#[cfg(feature = "test-support")]
pub mod testing;
mod webhooks;

pub use accounts::{
    AccountError, ApiToken, NewToken, NewUser, Session, User, TOKEN_USE_RESOLUTION,
};
pub use audit::{AuditEntry, AuditFilter, AuditRecord};
pub use briefs::CoverageDocument;
pub use contacts::{AgencyContact, ContactsSaved, NewContact};
pub use documents::{CommittedPage, DocumentCopy, Fingerprint, InsertOutcome, KeyHolder};
pub use engagement::{EngagementGrowth, EngagementObservation};
pub use leases::{Lease, Taken};
pub use publications::{
    AttemptResult, Delivery, DeliveryStatus, NewPublication, PublicationDay, PublicationKind,
    PublicationRevision, PublicationTrigger, Publications, Published, StoredPublication,
};
pub use review::{
    Approval, CandidateFilter, ClosedQuarterRecord, DecisionContext, DecisionError,
    FoundClarification, KpiIssues, KpiVersion, NewClarification, ProposalChange, ProposalOutcome,
};
pub use source_state::{ItemFailure, SourceState, SourceStatus};
pub use webhooks::{DeadLetter, WebhookCursor};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: expected sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create the directory {path} for the SQLite database: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("corrupt row in {table} (id {id}): {reason}")]
    CorruptRow {
        table: &'static str,
        id: i64,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(Sqlite),
    Postgres(PgPool),
}

/// A SQLite database: its pool, and for a file the connections of the per-request reads
/// (`readers.rs`).
#[derive(Clone, Debug)]
pub struct Sqlite {
    pub pool: SqlitePool,
    readers: Option<std::sync::Arc<readers::Readers>>,
}

/// Runs the same sqlx code on whichever pool the store holds. The body is compiled once per
/// backend, so it may use any sqlx call that both drivers support.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::Store::Sqlite(s) => {
                let $pool = &s.pool;
                $body
            }
            $crate::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
/// taken up front, so a transaction that reads before it writes waits its turn (busy_timeout)
/// instead of failing with SQLITE_BUSY when another writer committed in between.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
           + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
           + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
           + Send {
        self.begin()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `url` and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let store = if let Some(rest) = url.strip_prefix("sqlite:") {
            Self::Sqlite(open_sqlite(url, rest).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(|source| StoreError::Connect {
                url: redact(url),
                source,
            })?;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(|source| StoreError::Connect {
                    url: redact(url),
                    source,
                })?;
            Self::Postgres(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(s) => sqlx::migrate!("./migrations/sqlite").run(&s.pool).await?,
            Self::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// Waits for open queries to finish and closes every connection.
    pub async fn close(&self) {
        if let Self::Sqlite(Sqlite {
            readers: Some(readers),
            ..
        }) = self
        {
            readers.close().await;
        }
        on_pool!(self, p => p.close().await)
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }
}

async fn open_sqlite(url: &str, rest: &str) -> Result<Sqlite, StoreError> {
    let path = rest.trim_start_matches("//");
    if path != ":memory:" {
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
    }
    let connect_err = |source| StoreError::Connect {
        url: url.to_string(),
        source,
    };
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(connect_err)?
        .create_if_missing(true)
        // WAL lets the web server read while ingestion writes; NORMAL is durable across a
        // process crash (only an OS crash can lose the last transactions).
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    // Separate connections to an in-memory database would be separate databases.
    let readers = (path != ":memory:")
        .then(|| std::sync::Arc::new(readers::Readers::new(opts.clone(), READERS)));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        // A connection to a local file does not go stale as a network one can; pinging it
        // before every query was a round trip to its worker thread per query (2% of a
        // loaded search server's CPU).
        .test_before_acquire(false)
        .connect_with(opts)
        .await
        .map_err(connect_err)?;
    Ok(Sqlite { pool, readers })
}

/// Reader connections (`readers.rs`): the per-request reads take tens of microseconds, so
/// two keep up with many more concurrent requests than this machine's two cores serve.
const READERS: usize = 2;

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://data/p.db"), "sqlite://data/p.db");
    }
}
