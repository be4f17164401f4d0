//! When to poll a source next. Pure functions of the source's bounds, its state, what the
//! last poll got and the time, so the policy is tested without clocks or servers; the poll
//! loop only adds randomness (the jitter) and sleeps.

use std::time::Duration;
use time::OffsetDateTime;

/// After this many failed polls in a row a source shows as failing. It is still polled.
pub const FAILING_AFTER: i64 = 3;
/// Retry-After is honoured up to this; a server asking for more is asked again after a day.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);
/// The jitter spreads each delay by up to this fraction either way, so sources configured
/// alike do not stay in lock-step (and hit a shared host together).
pub const JITTER_FRACTION: f64 = 0.1;
/// Sources overdue at start (the service was down) are spread over at most this long instead
/// of all being polled in the same second.
pub const STARTUP_SPREAD: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub min_interval: Duration,
    pub max_interval: Duration,
    /// Failed polls back off exponentially up to this (or to `max_interval`, if longer).
    pub backoff_cap: Duration,
}

impl Policy {
    pub fn for_source(source: &crate::Source) -> Self {
        Self {
            min_interval: source.min_interval,
            max_interval: source.max_interval,
            backoff_cap: Duration::from_secs(3600),
        }
    }
}

/// What a poll got, as far as scheduling cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The feed was read; this many of its items were new to the store.
    Fetched { new_items: usize },
    /// 304: nothing changed since the validators we sent.
    NotModified,
    /// 429 or 503, with the server's Retry-After if it sent one.
    RateLimited { retry_after: Option<Duration> },
    /// Anything else that failed: network, 5xx, 4xx, an unparseable feed.
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub next_poll_at: OffsetDateTime,
    /// The adapted interval, kept for the next successful poll.
    pub interval: Duration,
}

/// The next poll after `outcome`. `interval` is the current adapted interval and
/// `consecutive_failures` counts this poll if it failed. `jitter` is in -1.0..=1.0 (0 in
/// tests).
pub fn next_poll(
    policy: &Policy,
    interval: Duration,
    consecutive_failures: i64,
    outcome: Outcome,
    now: OffsetDateTime,
    jitter: f64,
) -> Decision {
    let clamp = |d: Duration| d.clamp(policy.min_interval, policy.max_interval);
    let interval = clamp(interval);
    let (interval, delay) = match outcome {
        // New items: the source is busier than we poll, so come back sooner. Multiplicative
        // steps both ways settle on the rate at which the outlet publishes.
        Outcome::Fetched { new_items } if new_items > 0 => {
            let shorter = clamp(interval.mul_f64(0.75));
            (shorter, shorter)
        }
        Outcome::Fetched { .. } | Outcome::NotModified => {
            let longer = clamp(interval.mul_f64(1.25));
            (longer, longer)
        }
        Outcome::RateLimited { retry_after } => {
            let backoff = backoff(policy, interval, consecutive_failures);
            let asked = retry_after.unwrap_or_default().min(MAX_RETRY_AFTER);
            (interval, backoff.max(asked))
        }
        Outcome::Failed => (interval, backoff(policy, interval, consecutive_failures)),
    };
    let jittered = delay.mul_f64(1.0 + JITTER_FRACTION * jitter.clamp(-1.0, 1.0));
    Decision {
        next_poll_at: now + jittered,
        interval,
    }
}

/// The interval doubled per failure after the first, up to the cap: a source that keeps
/// failing is retried slowly, never dropped.
fn backoff(policy: &Policy, interval: Duration, consecutive_failures: i64) -> Duration {
    let cap = policy.backoff_cap.max(policy.max_interval);
    let doublings = consecutive_failures.saturating_sub(1).clamp(0, 16) as u32;
    interval.saturating_mul(1 << doublings).min(cap)
}

/// When to poll first after a start: a source never polled is due now; one scheduled in the
/// future keeps its time (a restart does not re-poll everything); one that became due while
/// the service was down is polled within the startup spread. `spread` is in 0.0..=1.0.
pub fn resume_at(
    stored_next: Option<OffsetDateTime>,
    interval: Duration,
    now: OffsetDateTime,
    spread: f64,
) -> OffsetDateTime {
    match stored_next {
        None => now,
        Some(t) if t > now => t,
        Some(_) => now + STARTUP_SPREAD.min(interval).mul_f64(spread.clamp(0.0, 1.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2024-03-05 02:00 UTC);
    const MIN: u64 = 60;

    fn policy() -> Policy {
        Policy {
            min_interval: Duration::from_secs(5 * MIN),
            max_interval: Duration::from_secs(40 * MIN),
            backoff_cap: Duration::from_secs(60 * MIN),
        }
    }

    fn mins(m: u64) -> Duration {
        Duration::from_secs(m * MIN)
    }

    #[test]
    fn new_items_shorten_the_interval_down_to_the_minimum() {
        let d = next_poll(
            &policy(),
            mins(10),
            0,
            Outcome::Fetched { new_items: 3 },
            NOW,
            0.0,
        );
        assert_eq!(d.interval, mins(10).mul_f64(0.75));
        assert_eq!(d.next_poll_at, NOW + mins(10).mul_f64(0.75));
        let mut interval = mins(10);
        for _ in 0..20 {
            interval = next_poll(
                &policy(),
                interval,
                0,
                Outcome::Fetched { new_items: 1 },
                NOW,
                0.0,
            )
            .interval;
        }
        assert_eq!(interval, mins(5));
    }

    #[test]
    fn quiet_sources_and_304s_lengthen_it_up_to_the_maximum() {
        let d = next_poll(&policy(), mins(10), 0, Outcome::NotModified, NOW, 0.0);
        assert_eq!(d.interval, mins(10).mul_f64(1.25));
        let mut interval = mins(10);
        for _ in 0..20 {
            interval = next_poll(
                &policy(),
                interval,
                0,
                Outcome::Fetched { new_items: 0 },
                NOW,
                0.0,
            )
            .interval;
        }
        assert_eq!(interval, mins(40));
    }

    #[test]
    fn failures_back_off_exponentially_to_the_cap_and_keep_the_interval() {
        let delays: Vec<_> = (1..=6)
            .map(|n| {
                let d = next_poll(&policy(), mins(10), n, Outcome::Failed, NOW, 0.0);
                assert_eq!(d.interval, mins(10));
                (d.next_poll_at - NOW).whole_minutes()
            })
            .collect();
        assert_eq!(delays, [10, 20, 40, 60, 60, 60]);
        // Absurd failure counts neither overflow nor stop the retries.
        let d = next_poll(&policy(), mins(10), i64::MAX, Outcome::Failed, NOW, 0.0);
        assert_eq!(d.next_poll_at, NOW + mins(60));
    }

    #[test]
    fn retry_after_is_honoured_but_not_beyond_a_day() {
        let asked = |s| Outcome::RateLimited {
            retry_after: Some(Duration::from_secs(s)),
        };
        let d = next_poll(&policy(), mins(10), 1, asked(7200), NOW, 0.0);
        assert_eq!(d.next_poll_at, NOW + mins(120));
        // A short Retry-After does not undercut the backoff.
        let d = next_poll(&policy(), mins(10), 2, asked(5), NOW, 0.0);
        assert_eq!(d.next_poll_at, NOW + mins(20));
        let d = next_poll(&policy(), mins(10), 1, asked(10 * 86_400), NOW, 0.0);
        assert_eq!(d.next_poll_at, NOW + MAX_RETRY_AFTER);
        let d = next_poll(
            &policy(),
            mins(10),
            1,
            Outcome::RateLimited { retry_after: None },
            NOW,
            0.0,
        );
        assert_eq!(d.next_poll_at, NOW + mins(10));
    }

    #[test]
    fn jitter_spreads_by_at_most_ten_percent() {
        let early = next_poll(&policy(), mins(10), 0, Outcome::NotModified, NOW, -1.0);
        let late = next_poll(&policy(), mins(10), 0, Outcome::NotModified, NOW, 5.0);
        let base = mins(10).mul_f64(1.25);
        assert_eq!(early.next_poll_at, NOW + base.mul_f64(0.9));
        assert_eq!(late.next_poll_at, NOW + base.mul_f64(1.1));
        assert_eq!(
            early.interval, late.interval,
            "jitter never changes the interval"
        );
    }

    #[test]
    fn an_interval_outside_changed_bounds_is_brought_back() {
        let d = next_poll(&policy(), mins(2), 0, Outcome::NotModified, NOW, 0.0);
        assert_eq!(d.interval, mins(5).mul_f64(1.25));
    }

    #[test]
    fn a_restart_resumes_the_schedule() {
        assert_eq!(resume_at(None, mins(10), NOW, 0.7), NOW);
        let later = NOW + mins(7);
        assert_eq!(resume_at(Some(later), mins(10), NOW, 0.7), later);
        let overdue = NOW - mins(300);
        assert_eq!(resume_at(Some(overdue), mins(10), NOW, 0.0), NOW);
        assert_eq!(
            resume_at(Some(overdue), mins(10), NOW, 1.0),
            NOW + STARTUP_SPREAD
        );
        assert_eq!(
            resume_at(Some(overdue), Duration::from_secs(30), NOW, 1.0),
            NOW + Duration::from_secs(30)
        );
    }
}
