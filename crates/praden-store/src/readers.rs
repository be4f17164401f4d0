//! SQLite connections for the reads every API request makes (who the caller is, which story
//! each search hit belongs to), kept outside sqlx's pool.
//!
//! sqlx's pool pings a connection whenever it is given back, and a SQLite connection's ping
//! is a round trip to the thread that owns it: a second cross-thread hand-off for every
//! query. On a search server at 1M documents those two hand-offs per query were about a
//! tenth of its CPU. Here a connection is simply locked and unlocked.
//!
//! Nothing is lost by skipping the ping. A SQLite connection's commands run in order on its
//! thread, so a query abandoned half-way (its request cancelled) is finished or reset before
//! the next one starts; these reads are single statements outside any transaction, so none
//! is left open. A connection whose thread failed is dropped and opened again on next use.

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::Connection;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Mutex, MutexGuard};

pub(crate) struct Readers {
    options: SqliteConnectOptions,
    slots: Vec<Mutex<Option<SqliteConnection>>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers")
            .field("connections", &self.slots.len())
            .finish()
    }
}

/// A locked reader connection.
pub(crate) struct Reader<'a>(MutexGuard<'a, Option<SqliteConnection>>);

impl Readers {
    /// `count` connections, opened when first used.
    pub fn new(options: SqliteConnectOptions, count: usize) -> Self {
        Self {
            options,
            slots: (0..count.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// A free connection if there is one, else the next in turn once it is free.
    pub async fn get(&self) -> Result<Reader<'_>, sqlx::Error> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.slots.len();
        let free = (0..n).find_map(|i| self.slots[(start + i) % n].try_lock().ok());
        let mut slot = match free {
            Some(slot) => slot,
            None => self.slots[start % n].lock().await,
        };
        if slot.is_none() {
            *slot = Some(SqliteConnection::connect_with(&self.options).await?);
        }
        Ok(Reader(slot))
    }

    /// Closes the open connections; a later read opens them again.
    pub async fn close(&self) {
        for slot in &self.slots {
            if let Some(conn) = slot.lock().await.take() {
                if let Err(e) = conn.close().await {
                    tracing::warn!(error = %e, "closing a reader connection");
                }
            }
        }
    }
}

impl Reader<'_> {
    pub fn conn(&mut self) -> &mut SqliteConnection {
        self.0
            .as_mut()
            .expect("a reader holds a connection once got")
    }

    /// Runs after a query: a connection whose thread or I/O failed is not used again.
    pub fn check<T>(&mut self, result: &Result<T, sqlx::Error>) {
        if let Err(
            sqlx::Error::Io(_)
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolClosed,
        ) = result
        {
            *self.0 = None;
        }
    }
}

/// Runs one read on a reader connection where the store has them (a SQLite file), else on
/// the pool, as [`on_pool!`](crate::on_pool) does. The body's `?` gives sqlx errors.
macro_rules! on_reader {
    ($store:expr, $conn:ident => $body:expr) => {
        match $store {
            $crate::Store::Sqlite(s) => match &s.readers {
                Some(readers) => {
                    let mut reader = readers.get().await?;
                    let result: Result<_, sqlx::Error> = async {
                        let $conn = reader.conn();
                        Ok($body)
                    }
                    .await;
                    reader.check(&result);
                    result?
                }
                None => {
                    let $conn = &s.pool;
                    $body
                }
            },
            $crate::Store::Postgres($conn) => $body,
        }
    };
}
pub(crate) use on_reader;
