//! When to poll a source next. Pure functions of the source's bounds, its state, what the
//! last poll got and the time, so the policy is tested without clocks or servers; the poll
//! loop only adds randomness (the jitter) and sleeps.

use std::time::Duration;
use time::OffsetDateTime;

/// After this many failed polls in a row a source that has delivered before shows as failing
/// (one that never delivered fails from its first failure: see [`is_failing`]). It is still
/// polled.
pub const FAILING_AFTER: i64 = 3;
/// Retry-After is honoured up to this; a server asking for more is asked again after a day.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);
/// The jitter spreads each delay by up to this fraction either way, so sources configured
/// alike do not stay in lock-step (and hit a shared host together).
pub const JITTER_FRACTION: f64 = 0.1;
/// Sources overdue at start (the service was down) are spread over at most this long instead
/// of all being polled in the same second.
pub const STARTUP_SPREAD: Duration = Duration::from_secs(60);

/// The publishing rate is a time-decayed average of what the polls found, with this time
/// constant: long enough that the one or two items of a single poll do not swing it, short
/// enough that a source waking up in the morning (or going quiet at night) is followed
/// within the hour.
pub const RATE_TIME_CONSTANT: Duration = Duration::from_secs(30 * 60);
/// A source is polled at its configured interval while a poll there would find between
/// 1/QUIET_POLLS_PER_ITEM and 1 new item on average. Only a source quieter than that is polled
/// less often: the wait for an item is about half the interval whatever the source's rate, so
/// stretching the interval of a source that publishes every few polls would only add latency.
pub const QUIET_POLLS_PER_ITEM: f64 = 8.0;
/// Before its rate is measured, a source is assumed to publish once every two configured
/// intervals: inside the band, so a new source is polled at its interval.
const PRIOR_ITEMS_PER_INTERVAL: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The configured interval: the poll period while the source publishes at an ordinary
    /// rate (see `interval_for_rate`).
    pub interval: Duration,
    pub min_interval: Duration,
    pub max_interval: Duration,
    /// Failed polls back off exponentially up to this (or to `max_interval`, if longer).
    pub backoff_cap: Duration,
}

impl Policy {
    pub fn for_source(source: &crate::Source) -> Self {
        Self {
            interval: source.interval,
            min_interval: source.min_interval,
            max_interval: source.max_interval,
            backoff_cap: Duration::from_secs(3600),
        }
    }

    fn clamp(&self, d: Duration) -> Duration {
        d.clamp(self.min_interval, self.max_interval.max(self.min_interval))
    }

    /// The rate assumed before any measurement, items per hour.
    pub fn prior_rate_per_hour(&self) -> f64 {
        PRIOR_ITEMS_PER_INTERVAL * 3600.0 / self.interval.as_secs_f64().max(1.0)
    }
}

/// What a poll got, as far as scheduling cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The source was read: it listed `listed` items, `new_items` of them new to the store.
    Fetched { new_items: usize, listed: usize },
    /// 304: nothing changed since the validators we sent.
    NotModified,
    /// 429 or 503, with the server's Retry-After if it sent one.
    RateLimited { retry_after: Option<Duration> },
    /// Anything else that failed: network, 5xx, 4xx, an unparseable feed.
    Failed,
}

/// What the scheduler knows of a source when a poll ends (all of it from the stored state).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Current {
    /// The interval in force: failures back off from it.
    pub interval: Duration,
    /// The estimated publishing rate, new items per hour; `None` before it was measured.
    pub rate_per_hour: Option<f64>,
    /// Time from the previous successful read to this poll; `None` when there was none (the
    /// first read's items are the source's backlog, not a rate).
    pub since_last_read: Option<Duration>,
    /// Failed polls in a row, this one included if it failed.
    pub consecutive_failures: i64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub next_poll_at: OffsetDateTime,
    /// The adapted interval (the one failures back off from next time).
    pub interval: Duration,
    /// The publishing rate to keep for the next poll, items per hour.
    pub rate_per_hour: Option<f64>,
}

/// The next poll after `outcome`. `jitter` is in -1.0..=1.0 (0 in tests).
pub fn next_poll(
    policy: &Policy,
    current: &Current,
    outcome: Outcome,
    now: OffsetDateTime,
    jitter: f64,
) -> Decision {
    let interval = policy.clamp(current.interval);
    let (interval, rate, delay) = match outcome {
        Outcome::Fetched { .. } | Outcome::NotModified => {
            let (new_items, listed) = match outcome {
                Outcome::Fetched { new_items, listed } => (new_items, listed),
                _ => (0, 0),
            };
            let known = current
                .rate_per_hour
                .filter(|r| r.is_finite() && *r >= 0.0)
                .unwrap_or_else(|| policy.prior_rate_per_hour());
            let rate = match current.since_last_read {
                Some(elapsed) => {
                    let measured = updated_rate(known, new_items, elapsed);
                    // Every item listed was new: the source may have published more than it
                    // lists (a restart after hours, a short feed), so the count is only a
                    // lower bound and must not lower the estimate.
                    if listed > 0 && new_items >= listed {
                        measured.max(known)
                    } else {
                        measured
                    }
                }
                None => known,
            };
            let interval = interval_for_rate(policy, rate);
            (interval, Some(rate), interval)
        }
        Outcome::RateLimited { retry_after } => {
            let backoff = backoff(policy, interval, current.consecutive_failures);
            let asked = retry_after.unwrap_or_default().min(MAX_RETRY_AFTER);
            (interval, current.rate_per_hour, backoff.max(asked))
        }
        Outcome::Failed => (
            interval,
            current.rate_per_hour,
            backoff(policy, interval, current.consecutive_failures),
        ),
    };
    let jittered = delay.mul_f64(1.0 + JITTER_FRACTION * jitter.clamp(-1.0, 1.0));
    Decision {
        next_poll_at: now + jittered,
        interval,
        rate_per_hour: rate,
    }
}

/// The rate estimate after a read that found `new_items` in the `elapsed` since the previous
/// one: an exponentially time-weighted average, so a poll counts in proportion to the time it
/// covers (ten empty 15-second polls weigh what one empty 150-second poll does).
pub fn updated_rate(rate_per_hour: f64, new_items: usize, elapsed: Duration) -> f64 {
    let hours = elapsed.as_secs_f64() / 3600.0;
    if hours <= 0.0 {
        return rate_per_hour;
    }
    let x = hours / (RATE_TIME_CONSTANT.as_secs_f64() / 3600.0);
    let keep = (-x).exp();
    // 1 - keep, without the cancellation of subtracting two numbers near 1 for short polls.
    let weight = -(-x).exp_m1();
    rate_per_hour * keep + (new_items as f64 / hours) * weight
}

/// The polling interval for a source publishing `rate_per_hour`: the configured interval
/// while a poll there finds between 1/QUIET_POLLS_PER_ITEM and 1 item; for a busier source
/// the interval at which a poll finds about one item; for a quieter one the interval at which
/// it finds 1/QUIET_POLLS_PER_ITEM. Within the bounds; continuous and never longer for a
/// busier source.
pub fn interval_for_rate(policy: &Policy, rate_per_hour: f64) -> Duration {
    if !rate_per_hour.is_finite() || rate_per_hour <= 0.0 {
        return policy.clamp(policy.max_interval);
    }
    let per_poll = rate_per_hour * policy.interval.as_secs_f64() / 3600.0;
    let secs = if per_poll > 1.0 {
        3600.0 / rate_per_hour
    } else if per_poll < 1.0 / QUIET_POLLS_PER_ITEM {
        3600.0 / (QUIET_POLLS_PER_ITEM * rate_per_hour)
    } else {
        policy.interval.as_secs_f64()
    };
    // Bounded before converting: a rate near zero gives an interval no Duration holds.
    let secs = secs.clamp(0.0, policy.max_interval.as_secs_f64());
    policy.clamp(Duration::from_secs_f64(secs))
}

/// The interval doubled per failure after the first, up to the cap: a source that keeps
/// failing is retried slowly, never dropped.
fn backoff(policy: &Policy, interval: Duration, consecutive_failures: i64) -> Duration {
    let cap = policy.backoff_cap.max(policy.max_interval);
    praden_core::backoff::backoff(interval, consecutive_failures.max(0).unsigned_abs(), cap)
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

/// Whether a source shows as failing. A source that has delivered before is given a few
/// failures in a row (a flaky server, a deploy) before it does; one that never delivered
/// has nothing to vouch for it, so its first failure already is one — calling it `ok` hid
/// misconfigured sources (a wrong URL, a refused address) from the monitors.
pub fn is_failing(consecutive_failures: i64, ever_succeeded: bool) -> bool {
    if ever_succeeded {
        consecutive_failures >= FAILING_AFTER
    } else {
        consecutive_failures > 0
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
            interval: mins(10),
            min_interval: Duration::from_secs(5 * MIN),
            max_interval: Duration::from_secs(40 * MIN),
            backoff_cap: Duration::from_secs(60 * MIN),
        }
    }

    /// A hot source as a newsroom would configure it: 30 s, down to 15 s, up to 2 min.
    fn hot() -> Policy {
        Policy {
            interval: secs(30),
            min_interval: secs(15),
            max_interval: secs(120),
            backoff_cap: Duration::from_secs(60 * MIN),
        }
    }

    fn mins(m: u64) -> Duration {
        Duration::from_secs(m * MIN)
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn a_source_that_never_delivered_fails_from_its_first_failure() {
        assert!(!is_failing(0, false), "never polled, or not failed yet");
        assert!(is_failing(1, false));
        assert!(!is_failing(0, true));
        assert!(
            !is_failing(FAILING_AFTER - 1, true),
            "a few failures are forgiven"
        );
        assert!(is_failing(FAILING_AFTER, true));
    }

    fn current(interval: Duration, failures: i64) -> Current {
        Current {
            interval,
            rate_per_hour: None,
            since_last_read: None,
            consecutive_failures: failures,
        }
    }

    /// Polls a source that publishes an item every `every` (from `start`; none before) for
    /// `hours`, following the decisions from `rate`; the intervals chosen, with the time
    /// (seconds) at which each was chosen, and the final rate.
    fn simulate(
        policy: &Policy,
        rate: Option<f64>,
        every: Option<f64>,
        hours: f64,
    ) -> (Vec<(f64, Duration)>, f64) {
        let published = |t: f64| every.map_or(0.0, |e| (t / e).floor());
        let (mut t, mut rate) = (0.0f64, rate);
        let mut interval = policy.interval;
        let mut chosen = Vec::new();
        while t < hours * 3600.0 {
            let next = t + interval.as_secs_f64();
            let new_items = (published(next) - published(t)) as usize;
            let d = next_poll(
                policy,
                &Current {
                    interval,
                    rate_per_hour: rate,
                    since_last_read: Some(interval),
                    consecutive_failures: 0,
                },
                Outcome::Fetched {
                    new_items,
                    listed: 10,
                },
                NOW,
                0.0,
            );
            t = next;
            interval = d.interval;
            rate = d.rate_per_hour;
            chosen.push((t, interval));
        }
        (chosen, rate.unwrap())
    }

    #[test]
    fn a_source_publishing_every_few_polls_keeps_its_interval() {
        // Issue 4: an outlet publishing every 2 min, polled every 30 s, finds nothing on three
        // polls out of four. The old rule stretched the interval ×1.25 per empty poll and
        // ended at the maximum; it must stay at 30 s, and its rate is learnt.
        let (chosen, rate) = simulate(&hot(), None, Some(120.0), 6.0);
        assert!(chosen.iter().all(|(_, i)| *i == secs(30)), "{chosen:?}");
        assert!((rate - 30.0).abs() < 3.0, "rate {rate}");
        // The same with the old default configuration (1m, bounds 1m..4m).
        let old = Policy {
            interval: mins(1),
            min_interval: mins(1),
            max_interval: mins(4),
            ..hot()
        };
        let (chosen, _) = simulate(&old, None, Some(120.0), 6.0);
        assert!(chosen.iter().all(|(_, i)| *i == mins(1)), "{chosen:?}");
    }

    #[test]
    fn a_busy_source_is_polled_so_a_poll_finds_about_one_item() {
        // Every 20 s: 1.5 items per 30-s poll, so every 20 s.
        let (chosen, rate) = simulate(&hot(), None, Some(20.0), 3.0);
        let (_, last) = chosen.last().unwrap();
        assert!((rate - 180.0).abs() < 18.0, "rate {rate}");
        assert!(
            (last.as_secs_f64() - 20.0).abs() < 2.0,
            "{last:?} for a 20-s source"
        );
        // Every 5 s: as fast as allowed, no faster.
        let (chosen, _) = simulate(&hot(), None, Some(5.0), 3.0);
        assert_eq!(chosen.last().unwrap().1, secs(15));
    }

    #[test]
    fn a_silent_source_slows_down_to_the_maximum_and_wakes_up_within_the_hour() {
        let (chosen, rate) = simulate(&hot(), None, None, 3.0);
        assert_eq!(chosen.last().unwrap().1, secs(120));
        // Not after a few empty polls: only once the source has been silent for a while.
        let first_longer = chosen.iter().find(|(_, i)| *i > secs(30)).unwrap().0;
        assert!(
            first_longer > 30.0 * 60.0,
            "slowed down after {first_longer} s"
        );
        // It publishes again, every 2 min: back to 30 s within the hour.
        let (chosen, _) = simulate(&hot(), Some(rate), Some(120.0), 2.0);
        let back = chosen.iter().find(|(_, i)| *i == secs(30)).unwrap().0;
        assert!(back < 3600.0, "back to 30 s after {back} s");
        assert!(chosen
            .iter()
            .skip_while(|(t, _)| *t < back)
            .all(|(_, i)| *i == secs(30)));
    }

    #[test]
    fn the_interval_follows_the_rate_continuously_and_monotonically() {
        let p = policy();
        // Ordinary rates (1 item per 1 to 8 polls of 10 min): the configured interval.
        for rate in [0.75, 1.0, 3.0, 6.0] {
            assert_eq!(interval_for_rate(&p, rate), mins(10), "rate {rate}");
        }
        // 8 an hour: 1.33 per 10-min poll, so one per 7.5 min; 12 an hour would be every
        // 5 min, and 60 an hour stops at the minimum. 0.5 an hour: 1/8 item per poll means
        // every 15 min.
        assert_eq!(interval_for_rate(&p, 8.0), secs(450));
        assert_eq!(interval_for_rate(&p, 12.0), mins(5));
        assert_eq!(interval_for_rate(&p, 60.0), mins(5));
        assert_eq!(interval_for_rate(&p, 0.5), mins(15));
        assert_eq!(interval_for_rate(&p, 0.0), mins(40));
        assert_eq!(interval_for_rate(&p, f64::NAN), mins(40));
        assert_eq!(interval_for_rate(&p, 1e-300), mins(40));
        let mut last = Duration::MAX;
        for k in 0..2000 {
            let rate = 0.01 * 1.01f64.powi(k);
            let i = interval_for_rate(&p, rate);
            assert!(i <= last, "rate {rate}: {i:?} after {last:?}");
            // No jump bigger than the 1 % step in the rate could explain.
            if last != Duration::MAX {
                assert!(last.as_secs_f64() - i.as_secs_f64() <= 0.011 * last.as_secs_f64());
            }
            last = i;
        }
    }

    #[test]
    fn the_rate_weighs_polls_by_the_time_they_cover() {
        // Ten empty 15-s polls lower the estimate exactly as one empty 150-s poll does.
        let mut r = 30.0;
        for _ in 0..10 {
            r = updated_rate(r, 0, secs(15));
        }
        assert!((r - updated_rate(30.0, 0, secs(150))).abs() < 1e-9);
        assert!(r < 30.0);
        // A poll covering no time measures nothing.
        assert_eq!(updated_rate(30.0, 5, Duration::ZERO), 30.0);
        // Much longer than the time constant: the poll's own rate.
        assert!((updated_rate(30.0, 10, Duration::from_secs(86_400)) - 10.0 / 24.0).abs() < 1e-6);
    }

    #[test]
    fn a_backlog_or_a_count_cut_short_by_the_feed_does_not_lower_the_rate() {
        let known = Current {
            rate_per_hour: Some(30.0),
            since_last_read: Some(Duration::from_secs(10 * 3600)),
            ..current(secs(30), 0)
        };
        // Back after 10 hours, all 10 listed items new: at least 1 an hour, maybe 30.
        let d = next_poll(
            &hot(),
            &known,
            Outcome::Fetched {
                new_items: 10,
                listed: 10,
            },
            NOW,
            0.0,
        );
        assert_eq!(d.rate_per_hour, Some(30.0));
        // 3 new of 10 listed: the source really published 3 in 10 hours.
        let d = next_poll(
            &hot(),
            &known,
            Outcome::Fetched {
                new_items: 3,
                listed: 10,
            },
            NOW,
            0.0,
        );
        assert!(d.rate_per_hour.unwrap() < 1.0, "{d:?}");
        // The first read ever: its 50 items are the backlog; the prior rate stands.
        let d = next_poll(
            &hot(),
            &current(secs(30), 0),
            Outcome::Fetched {
                new_items: 50,
                listed: 50,
            },
            NOW,
            0.0,
        );
        assert_eq!(d.rate_per_hour, Some(hot().prior_rate_per_hour()));
        assert_eq!(d.interval, secs(30));
    }

    #[test]
    fn failures_back_off_exponentially_to_the_cap_and_keep_the_interval_and_rate() {
        let delays: Vec<_> = (1..=6)
            .map(|n| {
                let c = Current {
                    rate_per_hour: Some(4.5),
                    ..current(mins(10), n)
                };
                let d = next_poll(&policy(), &c, Outcome::Failed, NOW, 0.0);
                assert_eq!(d.interval, mins(10));
                assert_eq!(d.rate_per_hour, Some(4.5));
                (d.next_poll_at - NOW).whole_minutes()
            })
            .collect();
        assert_eq!(delays, [10, 20, 40, 60, 60, 60]);
        // Absurd failure counts neither overflow nor stop the retries.
        let d = next_poll(
            &policy(),
            &current(mins(10), i64::MAX),
            Outcome::Failed,
            NOW,
            0.0,
        );
        assert_eq!(d.next_poll_at, NOW + mins(60));
    }

    #[test]
    fn retry_after_is_honoured_but_not_beyond_a_day() {
        let asked = |s| Outcome::RateLimited {
            retry_after: Some(Duration::from_secs(s)),
        };
        let d = next_poll(&policy(), &current(mins(10), 1), asked(7200), NOW, 0.0);
        assert_eq!(d.next_poll_at, NOW + mins(120));
        // A short Retry-After does not undercut the backoff.
        let d = next_poll(&policy(), &current(mins(10), 2), asked(5), NOW, 0.0);
        assert_eq!(d.next_poll_at, NOW + mins(20));
        let d = next_poll(
            &policy(),
            &current(mins(10), 1),
            asked(10 * 86_400),
            NOW,
            0.0,
        );
        assert_eq!(d.next_poll_at, NOW + MAX_RETRY_AFTER);
        let d = next_poll(
            &policy(),
            &current(mins(10), 1),
            Outcome::RateLimited { retry_after: None },
            NOW,
            0.0,
        );
        assert_eq!(d.next_poll_at, NOW + mins(10));
    }

    #[test]
    fn jitter_spreads_by_at_most_ten_percent() {
        let c = current(mins(10), 0);
        let early = next_poll(&policy(), &c, Outcome::NotModified, NOW, -1.0);
        let late = next_poll(&policy(), &c, Outcome::NotModified, NOW, 5.0);
        assert_eq!(early.next_poll_at, NOW + mins(10).mul_f64(0.9));
        assert_eq!(late.next_poll_at, NOW + mins(10).mul_f64(1.1));
        assert_eq!(
            early.interval, late.interval,
            "jitter never changes the interval"
        );
    }

    #[test]
    fn an_interval_or_rate_outside_changed_bounds_is_brought_back() {
        let d = next_poll(&policy(), &current(mins(2), 1), Outcome::Failed, NOW, 0.0);
        assert_eq!(d.next_poll_at, NOW + mins(5));
        // A rate learnt under other bounds (or corrupted) still yields an interval in them.
        for rate in [1e9, -3.0, f64::INFINITY] {
            let c = Current {
                rate_per_hour: Some(rate),
                since_last_read: Some(mins(10)),
                ..current(mins(10), 0)
            };
            let d = next_poll(&policy(), &c, Outcome::NotModified, NOW, 0.0);
            assert!((mins(5)..=mins(40)).contains(&d.interval), "{rate}: {d:?}");
            assert!(d.rate_per_hour.unwrap().is_finite());
        }
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
