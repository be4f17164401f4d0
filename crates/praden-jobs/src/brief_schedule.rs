//! The 09:30 brief: when it is due (a cron schedule in Bangkok time), how it is generated
//! from the store, and the task that publishes it on time or, after downtime, late.
//!
//! Every publication of a slot's brief goes through `Store::publish_brief`, which inserts
//! revision 1 or reads the brief that is already there, so the scheduled run, the catch-up
//! at start and any number of processes on one database produce one brief per slot.
//! Time comes from a [`Clock`], so tests move it instead of sleeping until 09:30.

use crate::settings::BriefConfig;
use anyhow::Context;
use praden_brief::{
    build, line_messages, markdown, ApprovedInput, Brief, BriefInput, Coverage, CoverageDoc,
    PendingInput,
};
use praden_core::review::{CandidateStatus, IssueStatus};
use praden_core::thai_time::{bangkok_midnight, to_bangkok, BANGKOK};
use praden_store::{BriefTrigger, CandidateFilter, NewBrief, Store, StoredBrief};
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use time::{Date, Duration, OffsetDateTime};
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

/// A scheduled brief generated more than this after its time is marked late.
pub const LATE_AFTER: Duration = Duration::minutes(5);
/// The start of each coverage document the summary reads.
const COVERAGE_BODY_CHARS: i64 = 1200;
/// Documents read per item for its summary and links (oldest first: who broke the story).
const COVERAGE_DOCS: i64 = 30;

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

/// The brief's cron schedule, read in Bangkok time. Takes the classic five fields
/// (`30 9 * * *`) or the `cron` crate's six or seven (seconds first, optional year).
#[derive(Clone)]
pub struct BriefSchedule {
    expression: String,
    schedule: cron::Schedule,
}

impl std::fmt::Debug for BriefSchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BriefSchedule({:?})", self.expression)
    }
}

impl BriefSchedule {
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

    /// The first time the brief is due strictly after `t`.
    pub fn next_after(&self, t: OffsetDateTime) -> Option<OffsetDateTime> {
        self.schedule
            .after(&to_chrono(t))
            .next()
            .map(|c| from_chrono(&c))
    }

    /// The last time the brief was due at or before `t`.
    pub fn last_at_or_before(&self, t: OffsetDateTime) -> Option<OffsetDateTime> {
        let t = t.replace_nanosecond(0).unwrap_or(t);
        let after = t + Duration::seconds(1);
        self.schedule
            .after(&to_chrono(after))
            .next_back()
            .map(|c| from_chrono(&c))
    }

    /// When the brief of `slot` is (or was) due: the schedule's first time that Bangkok day,
    /// or 09:30 if the schedule skips the day (a brief asked for by hand).
    pub fn slot_time(&self, slot: Date) -> OffsetDateTime {
        let midnight = bangkok_midnight(slot);
        self.next_after(midnight - Duration::seconds(1))
            .filter(|t| to_bangkok(*t).date() == slot)
            .unwrap_or(midnight + Duration::minutes(9 * 60 + 30))
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

/// The Bangkok day of a due time: the slot its brief belongs to.
pub fn slot_of(t: OffsetDateTime) -> Date {
    to_bangkok(t).date()
}

/// Gathers what the brief of `slot` is built from, as of `now`: the issues approved since
/// the previous slot's brief (withdrawn ones left out), the top `top_candidates` pending
/// candidates, their coverage and social engagement.
pub async fn gather(
    store: &Store,
    slot: Date,
    scheduled_for: OffsetDateTime,
    now: OffsetDateTime,
    late: bool,
    top_candidates: usize,
) -> anyhow::Result<BriefInput> {
    let covers_from = store
        .brief_before(slot)
        .await?
        .map(|b| b.generated_at)
        .filter(|t| *t < now)
        .unwrap_or(scheduled_for - Duration::days(1));
    let issues = store.issues_approved_between(covers_from, now).await?;
    let pending = if top_candidates == 0 {
        Vec::new()
    } else {
        store
            .candidates(
                &CandidateFilter {
                    statuses: vec![CandidateStatus::Pending],
                    limit: top_candidates as i64,
                    offset: 0,
                },
                now,
            )
            .await?
    };
    let pending_total = store.pending_candidate_count(now).await?;
    let mut ids: Vec<i64> = issues.iter().map(|i| i.candidate_id).collect();
    ids.extend(pending.iter().map(|c| c.id));
    let engagement = store.candidate_social_engagement(&ids).await?;
    let mut documents = store
        .candidate_coverage(&ids, COVERAGE_DOCS, COVERAGE_BODY_CHARS)
        .await?;
    let mut coverage = |candidate_id: i64| Coverage {
        documents: documents
            .remove(&candidate_id)
            .unwrap_or_default()
            .into_iter()
            .map(|d| CoverageDoc {
                title: d.title,
                body: d.body_start,
                outlet: d.outlet,
                url: d.url,
                kind: d.kind,
                published_at: d.published_at,
            })
            .collect(),
        social_engagement: engagement.get(&candidate_id).copied().unwrap_or(0),
    };

    let mut approved = Vec::new();
    for issue in issues
        .into_iter()
        .filter(|i| i.status == IssueStatus::Approved)
    {
        let proposal = store
            .candidate(issue.candidate_id, now)
            .await?
            .map(|c| c.proposal);
        approved.push(ApprovedInput {
            coverage: coverage(issue.candidate_id),
            issue,
            proposal,
        });
    }
    let listed = pending
        .into_iter()
        .map(|candidate| PendingInput {
            coverage: coverage(candidate.id),
            candidate,
        })
        .collect();
    Ok(BriefInput {
        slot,
        scheduled_for,
        generated_at: now,
        late,
        covers_from,
        covers_until: now,
        approved,
        pending: listed,
        pending_total,
    })
}

/// Generates the brief of `slot` as of `now`.
pub async fn generate(
    store: &Store,
    slot: Date,
    scheduled_for: OffsetDateTime,
    now: OffsetDateTime,
    late: bool,
    top_candidates: usize,
) -> anyhow::Result<Brief> {
    let input = gather(store, slot, scheduled_for, now, late, top_candidates).await?;
    Ok(build(&input))
}

/// The store's record of `brief`, with a delivery to each of `targets`.
pub fn new_brief(brief: &Brief, trigger: BriefTrigger, targets: &[String]) -> NewBrief {
    NewBrief {
        slot: brief.slot,
        scheduled_for: brief.scheduled_for,
        generated_at: brief.generated_at,
        late: brief.late,
        trigger,
        content: serde_json::to_string(brief).expect("briefs serialise"),
        messages: line_messages(brief),
        markdown: markdown(brief),
        targets: targets.to_vec(),
    }
}

/// What the scheduler needs.
#[derive(Clone)]
pub struct BriefJob {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub config: BriefConfig,
    /// Woken when a brief with deliveries was published.
    pub published: Arc<Notify>,
}

impl BriefJob {
    fn targets(&self) -> Vec<String> {
        self.config
            .webhooks
            .iter()
            .map(|w| w.name.clone())
            .collect()
    }

    /// Publishes the brief of the slot due at `due` unless it exists already. Returns the
    /// slot's brief and whether this call created it.
    pub async fn publish_slot(
        &self,
        due: OffsetDateTime,
        trigger: BriefTrigger,
    ) -> anyhow::Result<(StoredBrief, bool)> {
        let slot = slot_of(due);
        // Cheap check first: a brief that exists needs no generating (the insert below
        // would refuse it anyway).
        if let Some(existing) = self.store.brief(slot, Some(1)).await? {
            return Ok((existing, false));
        }
        let now = self.clock.now();
        let late = trigger == BriefTrigger::CatchUp || now - due > LATE_AFTER;
        let brief = generate(
            &self.store,
            slot,
            due,
            now,
            late,
            self.config.top_candidates,
        )
        .await
        .with_context(|| format!("generating the brief of {slot}"))?;
        let published = self
            .store
            .publish_brief(&new_brief(&brief, trigger, &self.targets()))
            .await
            .with_context(|| format!("publishing the brief of {slot}"))?;
        if published.created {
            tracing::info!(
                %slot,
                late,
                trigger = trigger.as_str(),
                approved = brief.counts.approved,
                pending = brief.counts.pending_shown,
                "published the brief"
            );
            self.published.notify_one();
        } else {
            tracing::info!(%slot, "the brief was already published by another process");
        }
        Ok((published.brief, published.created))
    }

    /// Publishes with retries: a database that is down at 09:30 should not cost the brief.
    async fn publish_with_retries(
        &self,
        due: OffsetDateTime,
        trigger: BriefTrigger,
        shutdown: &CancellationToken,
    ) {
        let mut wait = Duration::seconds(15);
        for attempt in 1..=12 {
            match self.publish_slot(due, trigger).await {
                Ok(_) => return,
                Err(e) => {
                    tracing::error!(
                        error = format!("{e:#}"),
                        attempt,
                        "the brief failed; retrying"
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
        tracing::error!(slot = %slot_of(due), "gave up on the brief after 12 attempts");
    }

    /// The slot the catch-up at start publishes, if any: the last one due, provided it was
    /// due at or after the scheduler's first start on this database (`origin`). A slot due
    /// before any praden ran here was never missed, and publishing it would put a late,
    /// empty brief in the chat at a fresh install's first start.
    pub fn catch_up_slot(
        schedule: &BriefSchedule,
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
        let mut wait = Duration::seconds(15);
        loop {
            match self.store.brief_schedule_origin(now).await {
                Ok(origin) => return Some(origin),
                Err(e) => tracing::error!(
                    error = %e,
                    "cannot read the brief scheduler's first start; retrying"
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

    /// Runs until `shutdown`: first the catch-up (the last due slot, if it has no brief and
    /// was due since the scheduler first ran here, is published now and marked late), then
    /// each slot at its time.
    pub async fn run(self, shutdown: CancellationToken) {
        let schedule = self.config.schedule.clone();
        // One reading of the clock for the start: the first start recorded, the catch-up
        // decided and the first slot waited for all go by it, so no slot falls between them.
        let now = self.clock.now();
        let Some(origin) = self.origin(now, &shutdown).await else {
            return;
        };
        match Self::catch_up_slot(&schedule, origin, now) {
            Some(last) => {
                self.publish_with_retries(last, BriefTrigger::CatchUp, &shutdown)
                    .await
            }
            None => {
                if let Some(last) = schedule.last_at_or_before(now) {
                    tracing::info!(
                        slot = %slot_of(last),
                        %origin,
                        "no catch-up: the last slot was due before the brief scheduler \
                         first ran on this database (`praden brief --date` publishes it)"
                    );
                }
            }
        }
        let mut after = now;
        loop {
            let Some(next) = schedule.next_after(after) else {
                tracing::warn!(
                    schedule = schedule.expression(),
                    "the brief schedule fires no more"
                );
                return;
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.clock.sleep_until(next) => {}
            }
            self.publish_with_retries(next, BriefTrigger::Schedule, &shutdown)
                .await;
            after = self.clock.now().max(next);
        }
    }
}

/// What `praden brief --date` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BriefFormat {
    /// The whole brief as one text.
    Text,
    /// The LINE messages, each under a separator line.
    Line,
    Markdown,
    Json,
}

impl FromStr for BriefFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Self::Text),
            "line" => Ok(Self::Line),
            "markdown" => Ok(Self::Markdown),
            "json" => Ok(Self::Json),
            other => Err(format!(
                "unknown format {other:?} (expected text, line, markdown or json)"
            )),
        }
    }
}

pub fn render(brief: &Brief, format: BriefFormat) -> String {
    match format {
        BriefFormat::Text => praden_brief::plain_text(brief),
        BriefFormat::Line => line_messages(brief)
            .iter()
            .enumerate()
            .map(|(i, m)| format!("----- LINE message {} -----\n{m}", i + 1))
            .collect::<Vec<_>>()
            .join("\n"),
        BriefFormat::Markdown => markdown(brief),
        BriefFormat::Json => serde_json::to_string_pretty(brief).expect("briefs serialise"),
    }
}

/// `praden brief --date`: the brief of `slot` generated now. Stored as the slot's brief if it
/// has none yet (late if its time has passed), else as a new revision; `dry_run` stores
/// nothing. A slot whose time has not come cannot be published early: that would take the
/// place of the scheduled brief.
pub async fn on_demand(
    store: &Store,
    config: &BriefConfig,
    clock: &dyn Clock,
    slot: Date,
    dry_run: bool,
) -> anyhow::Result<(Brief, Option<StoredBrief>)> {
    let due = config.schedule.slot_time(slot);
    let now = clock.now();
    if !dry_run && due > now {
        let t = to_bangkok(due);
        anyhow::bail!(
            "the brief of {slot} is due at {:02}:{:02} Bangkok time that day and cannot be \
             published before then (it would replace the scheduled one); --dry-run prints a preview",
            t.hour(),
            t.minute()
        );
    }
    let existing = store.brief(slot, Some(1)).await?;
    let late = existing.is_none() && now - due > LATE_AFTER;
    let brief = generate(store, slot, due, now, late, config.top_candidates).await?;
    if dry_run {
        return Ok((brief, None));
    }
    let targets: Vec<String> = config.webhooks.iter().map(|w| w.name.clone()).collect();
    let record = new_brief(&brief, BriefTrigger::Manual, &targets);
    let stored = if existing.is_some() {
        store.add_brief_revision(&record).await?
    } else {
        let published = store.publish_brief(&record).await?;
        if published.created {
            published.brief
        } else {
            // Another process published the slot meanwhile: this one becomes a revision.
            store.add_brief_revision(&record).await?
        }
    };
    Ok((brief, Some(stored)))
}

/// `praden assignment-message --date`: the official message for the issues approved on
/// `day` (Bangkok) that are not withdrawn; JSON with the issues when `json`.
pub async fn assignment_message(
    store: &Store,
    settings: &praden_brief::AssignmentSettings,
    day: Date,
    json: bool,
) -> anyhow::Result<String> {
    let from = bangkok_midnight(day);
    let issues = store
        .issues_approved_between(from, from + Duration::days(1))
        .await?;
    let (text, lines) = praden_brief::assignment_message(day, &issues, settings);
    if json {
        return Ok(serde_json::to_string_pretty(&serde_json::json!({
            "date": day.to_string(),
            "count": lines.len(),
            "issues": lines,
            "text": text,
        }))?);
    }
    Ok(text)
}

/// Starts the brief scheduler and the delivery worker of `praden serve` (none when
/// `brief.enabled = false`); they stop when `shutdown` is cancelled.
/// `user_agent` names praden and who to contact about its requests.
pub fn spawn(
    store: &Store,
    config: &BriefConfig,
    user_agent: &str,
    clock: Arc<dyn Clock>,
    shutdown: &CancellationToken,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    if !config.enabled {
        return Ok(Vec::new());
    }
    let published = Arc::new(Notify::new());
    let deliverer = crate::brief_delivery::Deliverer::new(config, user_agent)
        .context("cannot build the HTTP client for brief delivery")?;
    let job = BriefJob {
        store: store.clone(),
        clock: clock.clone(),
        config: config.clone(),
        published: published.clone(),
    };
    tracing::info!(
        schedule = job.config.schedule.expression(),
        webhooks = job.config.webhooks.len(),
        "brief scheduler started (Asia/Bangkok)"
    );
    Ok(vec![
        tokio::spawn(job.run(shutdown.clone())),
        tokio::spawn(deliverer.run(store.clone(), clock, published, shutdown.clone())),
    ])
}

/// The clock of a real deployment.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn five_and_six_field_schedules_fire_at_0930_bangkok() {
        for expr in ["30 9 * * *", "0 30 9 * * *"] {
            let s = BriefSchedule::parse(expr).unwrap();
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
        let s = BriefSchedule::parse("30 9 * * *").unwrap();
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
        let s = BriefSchedule::parse("30 9 * * *").unwrap();
        // 31 Dec 2025 17:30 UTC is 1 Jan 2026 00:30 in Bangkok (2569 B.E.).
        let t = datetime!(2025-12-31 17:30 UTC);
        assert_eq!(slot_of(t), date!(2026 - 01 - 01));
        assert_eq!(s.next_after(t), Some(datetime!(2026-01-01 02:30 UTC)));
        assert_eq!(
            s.slot_time(date!(2026 - 01 - 01)),
            datetime!(2026-01-01 02:30 UTC)
        );
        // A weekday-only schedule still gives Sunday's brief a time when asked by hand.
        let weekdays = BriefSchedule::parse("0 8 * * MON-FRI").unwrap();
        assert_eq!(
            weekdays.slot_time(date!(2026 - 11 - 23)),
            datetime!(2026-11-23 01:00 UTC)
        );
        assert_eq!(
            weekdays.slot_time(date!(2026 - 11 - 22)),
            datetime!(2026-11-22 02:30 UTC)
        );
    }

    #[test]
    fn the_catch_up_goes_back_no_further_than_the_first_start() {
        let s = BriefSchedule::parse("30 9 * * *").unwrap();
        let monday_1015 = datetime!(2026-11-23 10:15 +7);
        // A fresh install at 10:15: today's 09:30 was never missed.
        assert_eq!(BriefJob::catch_up_slot(&s, monday_1015, monday_1015), None);
        // First run at 08:00, down at 09:30, back at 10:15: caught up.
        assert_eq!(
            BriefJob::catch_up_slot(&s, datetime!(2026-11-23 08:00 +7), monday_1015),
            Some(datetime!(2026-11-23 09:30 +7))
        );
        // Ran last week: only the last due slot is caught up.
        assert_eq!(
            BriefJob::catch_up_slot(&s, datetime!(2026-11-16 12:00 +7), monday_1015),
            Some(datetime!(2026-11-23 09:30 +7))
        );
        // First start exactly at 09:30: that slot is due now, and published.
        let nine_thirty = datetime!(2026-11-23 09:30 +7);
        assert_eq!(
            BriefJob::catch_up_slot(&s, nine_thirty, nine_thirty),
            Some(nine_thirty)
        );
    }

    #[test]
    fn bad_schedules_are_refused_with_the_reason() {
        assert!(BriefSchedule::parse("30 9 * *")
            .unwrap_err()
            .contains("4 fields"));
        assert!(BriefSchedule::parse("30 9 * * 1-5")
            .unwrap_err()
            .contains("names"));
        assert!(BriefSchedule::parse("61 9 * * *").is_err());
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
