//! Leases: how several praden processes on one database share work. A lease names one piece
//! of work that must have one worker at a time — a job (`job:detector`), a source's poll
//! (`poll:SOURCE`), a host being fetched from (`host:HOST`) — and says who holds it until
//! when. A lease is free once `until` has passed (its holder crashed, or released it with a
//! time after which others may take it: a host's politeness gap). The holder renews it while
//! it works. Times come from the processes' clocks, which must agree (NTP), as schedules
//! already need.

use crate::{on_pool, Store, StoreError};
use time::OffsetDateTime;

/// A lease as recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Lease {
    pub name: String,
    /// Empty once released.
    pub holder: String,
    pub until: OffsetDateTime,
    /// When its holder took it.
    pub since: OffsetDateTime,
}

/// What asking for a lease gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// It is the asker's until `now + ttl`.
    Granted,
    /// Someone holds it, or it was released with a gap, until then (`holder` empty).
    Busy {
        holder: String,
        until: OffsetDateTime,
    },
}

/// Takes the lease when it is free or already the asker's; `since` keeps the time the holder
/// first took it. PostgreSQL re-checks the condition on the row's newest version under its
/// row lock, so of two processes asking at once exactly one gets it.
const TAKE: &str = "INSERT INTO leases (name, holder, until, since) VALUES ($1, $2, $3, $4) \
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until, \
    since = CASE WHEN leases.holder = excluded.holder THEN leases.since ELSE excluded.since END \
    WHERE leases.until <= $4 OR leases.holder = $2 \
    RETURNING name";

impl Store {
    /// Asks for lease `name` for `holder` from `now` for `ttl`.
    pub async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: OffsetDateTime,
        ttl: std::time::Duration,
    ) -> Result<Taken, StoreError> {
        let until = now + ttl;
        let got: Option<String> = on_pool!(self, pool => {
            sqlx::query_scalar(TAKE)
                .bind(name)
                .bind(holder)
                .bind(until)
                .bind(now)
                .fetch_optional(pool)
                .await?
        });
        if got.is_some() {
            return Ok(Taken::Granted);
        }
        let row: Option<(String, OffsetDateTime)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT holder, until FROM leases WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
        });
        Ok(match row {
            Some((holder, until)) => Taken::Busy { holder, until },
            // Released and taken again meanwhile is `Busy`; a row cannot vanish.
            None => Taken::Busy {
                holder: String::new(),
                until: now,
            },
        })
    }

    /// Extends `holder`'s lease to `now + ttl`; false when it is no longer theirs (it ran
    /// out and another process took it).
    pub async fn renew_lease(
        &self,
        name: &str,
        holder: &str,
        now: OffsetDateTime,
        ttl: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query("UPDATE leases SET until = $3 WHERE name = $1 AND holder = $2")
                .bind(name)
                .bind(holder)
                .bind(now + ttl)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    /// Gives `holder`'s lease up; nobody may take it before `free_at` (now, or the end of a
    /// politeness gap). False when it was no longer theirs.
    pub async fn release_lease(
        &self,
        name: &str,
        holder: &str,
        free_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query("UPDATE leases SET holder = '', until = $3 WHERE name = $1 AND holder = $2")
                .bind(name)
                .bind(holder)
                .bind(free_at)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    /// The leases held at `now` (by anyone, or by `holder`), by name.
    pub async fn leases_held(
        &self,
        holder: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Vec<Lease>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT name, holder, until, since FROM leases \
                 WHERE until > $1 AND holder <> '' AND ($2 IS NULL OR holder = $2) ORDER BY name",
            )
            .bind(now)
            .bind(holder)
            .fetch_all(pool)
            .await?
        }))
    }
}
