//! This process among the praden processes that share one database: its name in the leases
//! it holds (see praden-store's `leases`), and how long a lease lasts without renewal — the
//! longest a crashed process's work waits before another takes it over.

use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Unique among the processes on one database (two processes with one name would each
    /// think they hold the other's leases).
    pub id: Arc<str>,
    pub lease_ttl: Duration,
}

impl Node {
    /// The default lease: a standby takes over at most this long after a crash, plus one
    /// retry (`retry_every`), so within 30 s.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(20);

    pub fn new(id: impl Into<Arc<str>>, lease_ttl: Duration) -> Self {
        Self {
            id: id.into(),
            lease_ttl,
        }
    }

    /// How often a holder renews its leases: four times a lease, so a slow renewal or two
    /// does not lose it.
    pub fn renew_every(&self) -> Duration {
        self.lease_ttl / 4
    }

    /// How often a standby asks again for a lease someone else holds.
    pub fn retry_every(&self) -> Duration {
        self.lease_ttl / 4
    }
}
