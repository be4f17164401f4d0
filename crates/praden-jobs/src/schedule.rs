//! What the daily publications share — the 09:30 brief and the 10:30 assignment message: when
//! they are due (a cron schedule in Bangkok time), and the task that publishes each slot on
//! time or, after downtime, late. What each one says is composed by its own module
//! (`brief_schedule`, `assignment`) through [`Compose`].
//!
//! Every publication of a slot goes through `Publications::publish`, which inserts revision 1
//! or reads the one that is already there, so the scheduled run, the catch-up at start and any
//! number of processes on one database produce one per slot. Time comes from a [`Clock`], so
//! tests move it instead of sleeping until 09:30.

use anyhow::Context;
use praden_core::thai_time::{bangkok_midnight, to_bangkok, BANGKOK};
use praden_store::{
    NewPublication, PublicationKind, PublicationTrigger, Publications, Store, StoredPublication,
};
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use time::{Date, Duration, OffsetDateTime};
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

/// A scheduled publication generated more than this after its time is marked late.
pub const LATE_AFTER: Duration = Duration::minutes(5);

/// A future that borrows what it was made from.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where time comes from: the system clock in production, a hand-moved one in tests.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
    /// Resolves once `now() >= t`.
    fn sleep_until(&self, t: OffsetDateTime) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn sleep_until(&self, t: OffsetDateTime) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            // In steps of at most a minute: a suspended machine or a corrected wall clock
            // would otherwise throw a long monotonic sleep off.
            loop {
                let left = t - OffsetDateTime::now_utc();
                if left <= Duration::ZERO {
                    return;
                }
                let step = left.min(Duration::minutes(1));
                tokio::time::sleep(std::time::Duration::try_from(step).unwrap_or_default()).await;
            }
        })
    }
}

/// A clock that moves only when told: `set` and `advance` wake every sleeper whose time has
/// come.
pub struct ManualClock {
    now: watch::Sender<OffsetDateTime>,
}

impl ManualClock {
    pub fn new(now: OffsetDateTime) -> Arc<Self> {
        Arc::new(Self {
            now: watch::Sender::new(now),
        })
    }

    pub fn set(&self, t: OffsetDateTime) {
        self.now.send_replace(t);
    }

    pub fn advance(&self, d: Duration) {
        self.now.send_modify(|t| *t += d);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.borrow()
    }

    fn sleep_until(&self, t: OffsetDateTime) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let mut rx = self.now.subscribe();
        Box::pin(async move {
            loop {
                if *rx.borrow_and_update() >= t {
                    return;
                }
                if rx.changed().await.is_err() {
                    // The clock is gone: nothing will ever wake this sleeper.
                    std::future::pending::<()>().await;
                }
            }
        })
    }
}

/// A daily publication's cron schedule (the brief's, the assignment message's), read in
/// Bangkok time. Takes the classic five fields
/// (`30 9 * * *`) or the `cron` crate's six or seven (seconds first, optional year).
#[derive(Clone)]
pub struct CronSchedule {
    expression: String,
    schedule: cron::Schedule,
}

impl std::fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CronSchedule({:?})", self.expression)
    }
}

impl CronSchedule {
    pub fn parse(expression: &str) -> Result<Self, String> {
        let fields: Vec<&str> = expression.split_whitespace().collect();
        let full = match fields.len() {
            5 => {
                // Classic cron numbers days of the week from 0 = Sunday, the cron crate from
                // 1 = Sunday: the same digits would mean another day, so only names pass.
                if fields[4].chars().any(|c| c.is_ascii_digit()) {
                    return Err(
                        "the day-of-week field of a five-field expression must use names \
                                (MON-FRI), not numbers"
                            .into(),
                    );
                }
                format!("0 {}", fields.join(" "))
            }
            6 | 7 => fields.join(" "),
            n => {
                return Err(format!(
                    "{n} fields; expected five (minute hour day month weekday) or six/seven \
                     (second first, optional year)"
                ))
            }
        };
        let schedule = cron::Schedule::from_str(&full).map_err(|e| e.to_string())?;
        if schedule.upcoming(bangkok_tz()).next().is_none() {
            return Err("it never fires".into());
        }
        Ok(Self {
            expression: expression.trim().to_string(),
            schedule,
        })
    }

    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first time a publication is due strictly after `t`.
    pub fn next_after(&self, t: OffsetDateTime) -> Option<OffsetDateTime> {
        self.schedule
            .after(&to_chrono(t))
            .next()
            .map(|c| from_chrono(&c))
    }

    /// The last time a publication was due at or before `t`.
    pub fn last_at_or_before(&self, t: OffsetDateTime) -> Option<OffsetDateTime> {
        let t = t.replace_nanosecond(0).unwrap_or(t);
        let after = t + Duration::seconds(1);
        self.schedule
            .after(&to_chrono(after))
            .next_back()
            .map(|c| from_chrono(&c))
    }

    /// When the publication of `slot` is (or was) due: the schedule's first time that
    /// Bangkok day, or `fallback` after midnight if the schedule skips the day (one asked for
    /// by hand).
    pub fn slot_time(&self, slot: Date, fallback: Duration) -> OffsetDateTime {
        let midnight = bangkok_midnight(slot);
        self.next_after(midnight - Duration::seconds(1))
            .filter(|t| to_bangkok(*t).date() == slot)
            .unwrap_or(midnight + fallback)
    }
}

fn bangkok_tz() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(BANGKOK.whole_seconds()).expect("UTC+7 is a valid offset")
}

fn to_chrono(t: OffsetDateTime) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::from_timestamp(t.unix_timestamp(), 0)
        .expect("praden's times are within chrono's range")
        .with_timezone(&bangkok_tz())
}

fn from_chrono(t: &chrono::DateTime<chrono::FixedOffset>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.timestamp())
        .expect("cron's times are within time's range")
}

/// The Bangkok day of a due time: the slot its publication belongs to.
pub fn slot_of(t: OffsetDateTime) -> Date {
    to_bangkok(t).date()
}

/// What a scheduled publication says: the brief's or the assignment message's composer.
pub trait Compose: Send + Sync + 'static {
    fn kind(&self) -> PublicationKind;

    /// The publication of `slot`, due at `due`, as of `now`.
    fn compose<'a>(
        &'a self,
        store: &'a Store,
        slot: Date,
        due: OffsetDateTime,
        now: OffsetDateTime,
        late: bool,
        trigger: PublicationTrigger,
    ) -> BoxFuture<'a, anyhow::Result<NewPublication>>;
}

/// Publishes one kind of publication on its schedule.
#[derive(Clone)]
pub struct Scheduler {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub schedule: CronSchedule,
    pub composer: Arc<dyn Compose>,
    /// Woken when a publication with deliveries was published.
    pub published: Arc<Notify>,
}

impl Scheduler {
    fn noun(&self) -> &'static str {
        self.composer.kind().noun()
    }

    /// Publishes the slot due at `due` unless it exists already. Returns the slot's
    /// publication and whether this call created it.
    pub async fn publish_slot(
        &self,
        due: OffsetDateTime,
        trigger: PublicationTrigger,
    ) -> anyhow::Result<(StoredPublication, bool)> {
        let slot = slot_of(due);
        let noun = self.noun();
        let publications = self.store.publications(self.composer.kind());
        // Cheap check first: one that exists needs no composing (the insert below would
        // refuse it anyway).
        if let Some(existing) = publications.get(slot, Some(1)).await? {
            return Ok((existing, false));
        }
        let now = self.clock.now();
        let late = trigger == PublicationTrigger::CatchUp || now - due > LATE_AFTER;
        let new = self
            .composer
            .compose(&self.store, slot, due, now, late, trigger)
            .await
            .with_context(|| format!("composing the {noun} of {slot}"))?;
        let published = publications
            .publish(&new)
            .await
            .with_context(|| format!("publishing the {noun} of {slot}"))?;
        if published.created {
            tracing::info!(
                %slot,
                late,
                trigger = trigger.as_str(),
                targets = new.targets.len(),
                "published the {noun}"
            );
            self.published.notify_one();
        } else {
            tracing::info!(%slot, "the {noun} was already published by another process");
        }
        Ok((published.publication, published.created))
    }

    /// Publishes with retries: a database that is down at its time should not cost the day's
    /// publication.
    async fn publish_with_retries(
        &self,
        due: OffsetDateTime,
        trigger: PublicationTrigger,
        shutdown: &CancellationToken,
    ) {
        let noun = self.noun();
        let mut wait = Duration::seconds(15);
        for attempt in 1..=12 {
            match self.publish_slot(due, trigger).await {
                Ok(_) => return,
                Err(e) => {
                    tracing::error!(
                        error = format!("{e:#}"),
                        attempt,
                        "the {noun} failed; retrying"
                    );
                }
            }
            let until = self.clock.now() + wait;
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.clock.sleep_until(until) => {}
            }
            wait = (wait * 2i32).min(Duration::minutes(5));
        }
        tracing::error!(slot = %slot_of(due), "gave up on the {noun} after 12 attempts");
    }

    /// The slot the catch-up at start publishes, if any: the last one due, provided it was
    /// due at or after the scheduler's first start on this database (`origin`). A slot due
    /// before any praden ran here was never missed, and publishing it would put a late,
    /// empty message in the chat at a fresh install's first start.
    pub fn catch_up_slot(
        schedule: &CronSchedule,
        origin: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Option<OffsetDateTime> {
        schedule
            .last_at_or_before(now)
            .filter(|&last| last >= origin)
    }

    /// When the scheduler first ran on this database, recording `now` if this is the first
    /// start; retried like a publication, since the catch-up cannot be decided without it.
    async fn origin(
        &self,
        now: OffsetDateTime,
        shutdown: &CancellationToken,
    ) -> Option<OffsetDateTime> {
        let publications = self.store.publications(self.composer.kind());
        let mut wait = Duration::seconds(15);
        loop {
            match publications.schedule_origin(now).await {
                Ok(origin) => return Some(origin),
                Err(e) => tracing::error!(
                    error = %e,
                    "cannot read the {} scheduler's first start; retrying",
                    self.noun()
                ),
            }
            let until = self.clock.now() + wait;
            tokio::select! {
                _ = shutdown.cancelled() => return None,
                _ = self.clock.sleep_until(until) => {}
            }
            wait = (wait * 2i32).min(Duration::minutes(5));
        }
    }

    /// Runs until `shutdown`: first the catch-up (the last due slot, if it has no publication
    /// and was due since the scheduler first ran here, is published now and marked late),
    /// then each slot at its time.
    pub async fn run(self, shutdown: CancellationToken) {
        let noun = self.noun();
        let schedule = self.schedule.clone();
        // One reading of the clock for the start: the first start recorded, the catch-up
        // decided and the first slot waited for all go by it, so no slot falls between them.
        let now = self.clock.now();
        let Some(origin) = self.origin(now, &shutdown).await else {
            return;
        };
        match Self::catch_up_slot(&schedule, origin, now) {
            Some(last) => {
                self.publish_with_retries(last, PublicationTrigger::CatchUp, &shutdown)
                    .await
            }
            None => {
                if let Some(last) = schedule.last_at_or_before(now) {
                    tracing::info!(
                        slot = %slot_of(last),
                        %origin,
                        "no {noun} catch-up: the last slot was due before the scheduler \
                         first ran on this database (it can be published by hand)"
                    );
                }
            }
        }
        let mut after = now;
        loop {
            let Some(next) = schedule.next_after(after) else {
                tracing::warn!(
                    schedule = schedule.expression(),
                    "the {noun} schedule fires no more"
                );
                return;
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.clock.sleep_until(next) => {}
            }
            self.publish_with_retries(next, PublicationTrigger::Schedule, &shutdown)
                .await;
            after = self.clock.now().max(next);
        }
    }
}

/// Refuses to publish `noun` of `slot` by hand before it is due at `due`: it would take the
/// scheduled one's place. A dry run may preview it any time.
pub fn check_not_early(
    noun: &str,
    slot: Date,
    due: OffsetDateTime,
    now: OffsetDateTime,
    dry_run: bool,
) -> anyhow::Result<()> {
    if !dry_run && due > now {
        let t = to_bangkok(due);
        anyhow::bail!(
            "the {noun} of {slot} is due at {:02}:{:02} Bangkok time that day and cannot be \
             published before then (it would replace the scheduled one); --dry-run prints a preview",
            t.hour(),
            t.minute()
        );
    }
    Ok(())
}

/// Stores a publication made by hand: the slot's first if it has none, else its next
/// revision (also when another process publishes the slot meanwhile).
pub async fn store_by_hand(
    publications: Publications<'_>,
    record: &NewPublication,
) -> anyhow::Result<StoredPublication> {
    if publications.get(record.slot, Some(1)).await?.is_some() {
        return Ok(publications.add_revision(record).await?);
    }
    let published = publications.publish(record).await?;
    Ok(if published.created {
        published.publication
    } else {
        publications.add_revision(record).await?
    })
}

/// Starts a publication's scheduler (composing with `composer` on `schedule`) and its
/// delivery worker; they stop when `shutdown` is cancelled.
pub fn start(
    store: &Store,
    schedule: &CronSchedule,
    composer: Arc<dyn Compose>,
    deliverer: crate::delivery::Deliverer,
    clock: Arc<dyn Clock>,
    shutdown: &CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    let published = Arc::new(Notify::new());
    let job = Scheduler {
        store: store.clone(),
        clock: clock.clone(),
        schedule: schedule.clone(),
        composer,
        published: published.clone(),
    };
    vec![
        tokio::spawn(job.run(shutdown.clone())),
        tokio::spawn(deliverer.run(store.clone(), clock, published, shutdown.clone())),
    ]
}

/// The clock of a real deployment.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    const NINE_THIRTY: Duration = Duration::minutes(9 * 60 + 30);

    #[test]
    fn five_and_six_field_schedules_fire_at_0930_bangkok() {
        for expr in ["30 9 * * *", "0 30 9 * * *"] {
            let s = CronSchedule::parse(expr).unwrap();
            // 09:00 Bangkok on the 23rd = 02:00 UTC.
            assert_eq!(
                s.next_after(datetime!(2026-11-23 02:00 UTC)),
                Some(datetime!(2026-11-23 02:30 UTC)),
                "{expr}"
            );
            // Just after: the next day.
            assert_eq!(
                s.next_after(datetime!(2026-11-23 02:30 UTC)),
                Some(datetime!(2026-11-24 02:30 UTC))
            );
        }
    }

    #[test]
    fn the_last_due_time_is_found_for_the_catch_up() {
        let s = CronSchedule::parse("30 9 * * *").unwrap();
        assert_eq!(
            s.last_at_or_before(datetime!(2026-11-23 05:00 UTC)),
            Some(datetime!(2026-11-23 02:30 UTC))
        );
        assert_eq!(
            s.last_at_or_before(datetime!(2026-11-23 02:30 UTC)),
            Some(datetime!(2026-11-23 02:30 UTC)),
            "exactly at the time counts"
        );
        // 09:00 Bangkok: the last one was yesterday's.
        assert_eq!(
            s.last_at_or_before(datetime!(2026-11-23 02:00 UTC)),
            Some(datetime!(2026-11-22 02:30 UTC))
        );
    }

    #[test]
    fn slots_are_bangkok_days_across_the_year_boundary() {
        let s = CronSchedule::parse("30 9 * * *").unwrap();
        // 31 Dec 2025 17:30 UTC is 1 Jan 2026 00:30 in Bangkok (2569 B.E.).
        let t = datetime!(2025-12-31 17:30 UTC);
        assert_eq!(slot_of(t), date!(2026 - 01 - 01));
        assert_eq!(s.next_after(t), Some(datetime!(2026-01-01 02:30 UTC)));
        assert_eq!(
            s.slot_time(date!(2026 - 01 - 01), NINE_THIRTY),
            datetime!(2026-01-01 02:30 UTC)
        );
        // A weekday-only schedule still gives Sunday's brief a time when asked by hand.
        let weekdays = CronSchedule::parse("0 8 * * MON-FRI").unwrap();
        assert_eq!(
            weekdays.slot_time(date!(2026 - 11 - 23), NINE_THIRTY),
            datetime!(2026-11-23 01:00 UTC)
        );
        assert_eq!(
            weekdays.slot_time(date!(2026 - 11 - 22), NINE_THIRTY),
            datetime!(2026-11-22 02:30 UTC)
        );
    }

    #[test]
    fn the_catch_up_goes_back_no_further_than_the_first_start() {
        let s = CronSchedule::parse("30 9 * * *").unwrap();
        let monday_1015 = datetime!(2026-11-23 10:15 +7);
        // A fresh install at 10:15: today's 09:30 was never missed.
        assert_eq!(Scheduler::catch_up_slot(&s, monday_1015, monday_1015), None);
        // First run at 08:00, down at 09:30, back at 10:15: caught up.
        assert_eq!(
            Scheduler::catch_up_slot(&s, datetime!(2026-11-23 08:00 +7), monday_1015),
            Some(datetime!(2026-11-23 09:30 +7))
        );
        // Ran last week: only the last due slot is caught up.
        assert_eq!(
            Scheduler::catch_up_slot(&s, datetime!(2026-11-16 12:00 +7), monday_1015),
            Some(datetime!(2026-11-23 09:30 +7))
        );
        // First start exactly at 09:30: that slot is due now, and published.
        let nine_thirty = datetime!(2026-11-23 09:30 +7);
        assert_eq!(
            Scheduler::catch_up_slot(&s, nine_thirty, nine_thirty),
            Some(nine_thirty)
        );
    }

    #[test]
    fn bad_schedules_are_refused_with_the_reason() {
        assert!(CronSchedule::parse("30 9 * *")
            .unwrap_err()
            .contains("4 fields"));
        assert!(CronSchedule::parse("30 9 * * 1-5")
            .unwrap_err()
            .contains("names"));
        assert!(CronSchedule::parse("61 9 * * *").is_err());
    }

    #[tokio::test]
    async fn the_manual_clock_wakes_sleepers_when_moved_past_their_time() {
        let clock = ManualClock::new(datetime!(2026-11-23 02:00 UTC));
        let c = clock.clone();
        let sleeper = tokio::spawn(async move {
            c.sleep_until(datetime!(2026-11-23 02:30 UTC)).await;
            c.now()
        });
        clock.advance(Duration::minutes(10));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.set(datetime!(2026-11-23 02:31 UTC));
        assert_eq!(sleeper.await.unwrap(), datetime!(2026-11-23 02:31 UTC));
    }
}
