//! The login rate limit: at most [`LoginLimits::per_user`] failed logins per user name and
//! [`LoginLimits::per_ip`] per client address within [`LoginLimits::window`]. Kept in memory:
//! a restart forgets the failures, and several praden processes behind one address each count
//! their own.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_user: usize,
    /// Higher than per user: an office's monitors may all reach praden from one NAT address.
    pub per_ip: usize,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_user: 5,
            per_ip: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Ip(IpAddr),
}

/// Failure times per key, oldest first.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    limits: LoginLimits,
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

/// How many keys are kept before expired ones are swept: bounds memory under a spray of
/// made-up user names.
const SWEEP_ABOVE: usize = 10_000;

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            failures: Mutex::default(),
        }
    }

    /// `Some(wait)` when a login for `username` from `ip` must be refused now: the time until
    /// the oldest counted failure leaves the window.
    pub fn blocked(&self, username: &str, ip: Option<IpAddr>, now: Instant) -> Option<Duration> {
        let mut failures = self.failures.lock().expect("the limiter lock");
        let mut wait: Option<Duration> = None;
        for (key, limit) in self.limited_keys(username, ip) {
            if let Some(times) = failures.get_mut(&key) {
                prune(times, now, self.limits.window);
                if times.len() >= limit {
                    // The failure that must expire before one more attempt is allowed.
                    let oldest = times[times.len() - limit];
                    let w = (oldest + self.limits.window).saturating_duration_since(now);
                    wait = Some(wait.map_or(w, |x| x.max(w)));
                }
            }
        }
        wait
    }

    /// Counts a failed login against the user name and the address.
    pub fn failed(&self, username: &str, ip: Option<IpAddr>, now: Instant) {
        let mut failures = self.failures.lock().expect("the limiter lock");
        if failures.len() > SWEEP_ABOVE {
            let window = self.limits.window;
            failures.retain(|_, times| {
                prune(times, now, window);
                !times.is_empty()
            });
        }
        for (key, limit) in self.limited_keys(username, ip) {
            let times = failures.entry(key).or_default();
            times.push_back(now);
            // Only the newest `limit` failures decide anything.
            while times.len() > limit {
                times.pop_front();
            }
        }
    }

    /// A successful login clears the user name's failures (not the address's).
    pub fn succeeded(&self, username: &str) {
        let mut failures = self.failures.lock().expect("the limiter lock");
        failures.remove(&Key::User(normalise(username)));
    }

    fn limited_keys(&self, username: &str, ip: Option<IpAddr>) -> Vec<(Key, usize)> {
        let mut keys = vec![(Key::User(normalise(username)), self.limits.per_user)];
        if let Some(ip) = ip {
            keys.push((Key::Ip(ip), self.limits.per_ip));
        }
        keys
    }
}

fn normalise(username: &str) -> String {
    username.trim().to_lowercase()
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= window)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: LoginLimits = LoginLimits {
        per_user: 3,
        per_ip: 5,
        window: Duration::from_secs(60),
    };

    #[test]
    fn a_user_name_is_blocked_after_its_failures_until_the_oldest_leaves_the_window() {
        let l = LoginLimiter::new(LIMITS);
        let t0 = Instant::now();
        let ip: Option<IpAddr> = Some("10.0.0.1".parse().unwrap());
        for i in 0..3 {
            assert_eq!(l.blocked("Somchai", ip, t0), None);
            l.failed("somchai", ip, t0 + Duration::from_secs(i * 10));
        }
        let now = t0 + Duration::from_secs(25);
        assert_eq!(
            l.blocked("SOMCHAI ", ip, now),
            Some(Duration::from_secs(35))
        );
        // Another user from the same address is not blocked (yet).
        assert_eq!(l.blocked("malee", ip, now), None);
        // The oldest failure leaves the window at t0+60s.
        assert_eq!(l.blocked("somchai", ip, t0 + Duration::from_secs(60)), None);
    }

    #[test]
    fn an_address_is_blocked_after_failures_for_many_names_and_success_clears_the_name() {
        let l = LoginLimiter::new(LIMITS);
        let t0 = Instant::now();
        let ip: Option<IpAddr> = Some("192.0.2.7".parse().unwrap());
        for name in ["a", "b", "c", "d", "e"] {
            l.failed(name, ip, t0);
        }
        assert!(l.blocked("f", ip, t0).is_some(), "the address is blocked");
        assert!(l
            .blocked("f", Some("192.0.2.8".parse().unwrap()), t0)
            .is_none());
        assert!(l.blocked("f", None, t0).is_none());

        l.failed("somchai", None, t0);
        l.failed("somchai", None, t0);
        l.succeeded("somchai");
        l.failed("somchai", None, t0);
        assert!(
            l.blocked("somchai", None, t0).is_none(),
            "one failure since the success"
        );
    }
}
