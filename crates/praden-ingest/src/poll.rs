//! Polling: the scheduler. It polls each source by the adapter of its format (`feed`, `html`,
//! `social`, `transcript`; see `adapter`), records the source's state (its health, validators
//! and next poll time) and the poll's item failures in the store, and says when the source is
//! due next. Each source is polled by its own task, so a slow or failing source never holds up
//! the others; the tasks share a global limit on requests in flight and a per-host gate (one
//! request at a time per host, with a minimum gap).

use crate::adapter::Context;
use crate::budget::ParseBudget;
use crate::fetch::{FetchError, Fetcher, Validators};
use crate::report::{ItemError, PollError, PollReport};
use crate::schedule::{self, Outcome, Policy};
use crate::sink::DocumentSink;
use crate::sources::{Source, SourceParams};
use futures_util::stream::{self, StreamExt};
use praden_core::node::Node;
use praden_store::{SourceState, SourceStatus, Store, Taken};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Politeness and load limits shared by every poller of one `Ingester`.
#[derive(Debug, Clone, Copy)]
pub struct IngestLimits {
    /// Requests in flight at once, over all hosts.
    pub max_concurrent: usize,
    /// The least time between the end of one request to a host and the start of the next.
    pub host_gap: Duration,
    /// The time and size budget of each parse, and how many run at once (see `budget`).
    pub parse: ParseBudget,
}

impl Default for IngestLimits {
    fn default() -> Self {
        Self {
            max_concurrent: 8,
            host_gap: Duration::from_secs(1),
            parse: ParseBudget::default(),
        }
    }
}

#[derive(Clone)]
pub struct Ingester {
    /// What the format adapters poll with: the polite fetcher, the parse pool, the store.
    cx: Context,
    limits: IngestLimits,
    /// Set by `on_node`: the scheduler polls a source only under its lease.
    node: Option<Node>,
}

/// How far apart, at most, the processes sharing a source ask for it when it is due.
const SPREAD_MS: u64 = 500;

/// What asking to poll a due source gave.
enum Turn {
    /// This process polled it; the source is due again then.
    Polled(OffsetDateTime),
    /// Another process polls it, or has just polled it: look again then.
    NotOurs(OffsetDateTime),
}

impl Ingester {
    pub fn new(store: Store, fetcher: Fetcher, stored: Arc<Notify>) -> Self {
        Self::with_limits(store, fetcher, stored, IngestLimits::default())
    }

    pub fn with_limits(
        store: Store,
        fetcher: Fetcher,
        stored: Arc<Notify>,
        limits: IngestLimits,
    ) -> Self {
        Self {
            cx: Context::new(
                store,
                fetcher,
                stored,
                limits.max_concurrent,
                limits.host_gap,
                limits.parse,
            ),
            limits,
            node: None,
        }
    }

    /// Shares the polling with the other processes on the store's database: a source is
    /// polled only by the process holding its lease (`poll:SOURCE`), and only when its stored
    /// schedule says it is due, so it is not polled more often than its interval whichever
    /// process polls it; a crashed process's sources are taken over when their leases run
    /// out. On PostgreSQL the per-host rule (one request at a time, `host_gap` apart) is kept
    /// across processes too; SQLite serves one process, whose own gates keep it.
    pub fn on_node(mut self, node: Node) -> Self {
        if self.cx.store().backend() == praden_store::Backend::Postgres {
            self.cx.share_hosts(node.clone());
        }
        self.node = Some(node);
        self
    }

    /// Where this ingester's documents go, for other ways in (the push endpoint) to share.
    pub fn sink(&self) -> DocumentSink {
        self.cx.sink().clone()
    }

    /// Polls `source` once and records the result in its state (errors included).
    pub async fn poll(&self, source: &Source) -> Result<PollReport, PollError> {
        self.poll_and_schedule(source).await.0
    }

    /// Polls once, records the state, and returns when the source is due next.
    async fn poll_and_schedule(
        &self,
        source: &Source,
    ) -> (Result<PollReport, PollError>, OffsetDateTime) {
        let interval_ms = source.interval.as_millis() as i64;
        let state = match self.cx.store().source_state(&source.id).await {
            Ok(s) => s.unwrap_or_else(|| SourceState::new(&source.id, interval_ms)),
            Err(e) => {
                // Without the store nothing could be saved anyway: try again next interval.
                let next = OffsetDateTime::now_utc() + source.interval;
                return (Err(e.into()), next);
            }
        };
        let validators = Validators {
            etag: state.etag.clone(),
            last_modified: state.last_modified.clone(),
        };
        let (result, new_validators) = self.poll_with(source, &validators).await;
        let now = OffsetDateTime::now_utc();
        let state = next_state(
            source,
            state,
            &result,
            new_validators,
            now,
            fastrand::f64() * 2.0 - 1.0,
        );
        let next = state.next_poll_at.unwrap_or(now + source.interval);
        if let Ok(report) = &result {
            let failures: Vec<(String, String)> = report
                .feed_problems
                .iter()
                .chain(&report.skipped)
                .map(|e| (item_label(e), e.reason.clone()))
                .chain(report.article_failures.iter().map(|e| {
                    (
                        item_label(e),
                        format!("kept the feed's summary: {}", e.reason),
                    )
                }))
                .collect();
            if let Err(e) = self
                .cx
                .store()
                .record_item_failures(&source.id, &failures, now)
                .await
            {
                tracing::warn!(source = %source.id, error = %e, "cannot record item failures");
            }
        }
        if let Err(e) = self.cx.store().save_source_state(&state).await {
            tracing::warn!(source = %source.id, error = %e, "cannot save the source state");
        }
        (result, next)
    }

    /// One poll by the adapter of the source's format; the validators are those the next
    /// poll may send.
    async fn poll_with(
        &self,
        source: &Source,
        validators: &Validators,
    ) -> (Result<PollReport, PollError>, Option<Validators>) {
        let cx = &self.cx;
        match &source.params {
            SourceParams::Feed(feed) => crate::feed::poll(cx, source, feed, validators).await,
            SourceParams::Html(sel) => crate::html::poll(cx, source, sel, validators).await,
            SourceParams::JsonApi(config) => (crate::social::poll(cx, source, config).await, None),
            SourceParams::Transcripts(config) => {
                crate::transcript::poll(cx, source, config, validators).await
            }
        }
    }

    /// Polls every enabled source once, a few at a time; one source's failure is reported
    /// beside the others' results.
    pub async fn poll_all_once(
        &self,
        sources: &[Source],
    ) -> Vec<(String, Result<PollReport, PollError>)> {
        stream::iter(sources.iter().filter(|s| s.enabled))
            .map(|s| async move { (s.id.clone(), self.poll(s).await) })
            .buffer_unordered(self.limits.max_concurrent.max(1))
            .collect()
            .await
    }

    /// Polls each enabled source when it is due, until `shutdown` is cancelled. A source never
    /// polled is due at once; the others resume the schedule stored before the restart.
    pub async fn run(&self, sources: Vec<Source>, shutdown: CancellationToken) {
        let tasks: Vec<_> = sources
            .into_iter()
            .filter(|s| s.enabled)
            .map(|source| {
                let this = self.clone();
                let shutdown = shutdown.clone();
                tokio::spawn(async move { this.poll_forever(source, shutdown).await })
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
    }

    async fn poll_forever(&self, source: Source, shutdown: CancellationToken) {
        let stored_next = match self.cx.store().source_state(&source.id).await {
            Ok(state) => state.and_then(|s| s.next_poll_at),
            Err(e) => {
                tracing::warn!(source = %source.id, error = %e, "cannot read the source state");
                None
            }
        };
        let mut next = schedule::resume_at(
            stored_next,
            source.interval,
            OffsetDateTime::now_utc(),
            fastrand::f64(),
        );
        loop {
            let wait: Duration = (next - OffsetDateTime::now_utc())
                .try_into()
                .unwrap_or(Duration::ZERO);
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            let Some(node) = &self.node else {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    (result, due) = self.poll_and_schedule(&source) => {
                        log_report(&source.id, &result);
                        next = due;
                    }
                }
                continue;
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                turn = self.poll_if_ours(&source, node) => {
                    let at = match turn {
                        Turn::Polled(due) => due,
                        Turn::NotOurs(at) => at,
                    };
                    // Every process asks a random moment after the due time, the one that
                    // polled last too: otherwise it would always ask first and win every
                    // turn, and the others would never share the work.
                    next = at + Duration::from_millis(fastrand::u64(0..SPREAD_MS));
                }
            }
        }
    }

    /// Polls `source` if this process gets its lease and the stored schedule says it is due.
    async fn poll_if_ours(&self, source: &Source, node: &Node) -> Turn {
        let store = self.cx.store();
        let lease = format!("poll:{}", source.id);
        let now = OffsetDateTime::now_utc();
        match store
            .take_lease(&lease, &node.id, now, node.lease_ttl)
            .await
        {
            Ok(Taken::Granted) => {}
            Ok(Taken::Busy { until, .. }) => return Turn::NotOurs(until),
            Err(e) => {
                tracing::warn!(source = %source.id, error = %e, "cannot take the source's lease");
                return Turn::NotOurs(now + node.retry_every());
            }
        }
        // Another process may have polled it since this one last read its schedule.
        let due = match store.source_state(&source.id).await {
            Ok(state) => state.and_then(|s| s.next_poll_at),
            Err(e) => {
                tracing::warn!(source = %source.id, error = %e, "cannot read the source state");
                Some(now + node.retry_every())
            }
        };
        let turn = match due {
            Some(at) if at > now => Turn::NotOurs(at),
            _ => {
                let renewing = async {
                    loop {
                        tokio::time::sleep(node.renew_every()).await;
                        let renewed = store
                            .renew_lease(
                                &lease,
                                &node.id,
                                OffsetDateTime::now_utc(),
                                node.lease_ttl,
                            )
                            .await;
                        if !matches!(renewed, Ok(true)) {
                            // The poll goes on: what it stores is keyed, so a second poll
                            // of the source meanwhile duplicates nothing.
                            tracing::warn!(source = %source.id, "lost the source's lease during a poll");
                            std::future::pending::<()>().await;
                        }
                    }
                };
                tokio::select! {
                    (result, due) = self.poll_and_schedule(source) => {
                        log_report(&source.id, &result);
                        Turn::Polled(due)
                    }
                    _ = renewing => unreachable!("renewing never ends"),
                }
            }
        };
        // The schedule is saved: the next process to look finds the source not due.
        if let Err(e) = store
            .release_lease(&lease, &node.id, OffsetDateTime::now_utc())
            .await
        {
            tracing::warn!(source = %source.id, error = %e, "cannot release the source's lease");
        }
        turn
    }
}

/// How a failed item is named in the store: its link or id, else its position.
fn item_label(e: &ItemError) -> String {
    if e.what.trim().is_empty() {
        format!("item {}", e.position)
    } else {
        e.what.clone()
    }
}

/// The source's state after a poll: counters, health, validators and the next poll time.
fn next_state(
    source: &Source,
    mut state: SourceState,
    result: &Result<PollReport, PollError>,
    new_validators: Option<Validators>,
    now: OffsetDateTime,
    jitter: f64,
) -> SourceState {
    state.last_poll_at = Some(now);
    // The time this poll's new items were published in: since the last read that worked.
    let since_last_read = state
        .last_success_at
        .and_then(|t| Duration::try_from(now - t).ok());
    let outcome = match result {
        Ok(report) => {
            state.last_success_at = Some(now);
            state.consecutive_failures = 0;
            state.items_found_last = report.found as i64;
            state.items_found_total += report.found as i64;
            let failed = (report.feed_problems.len() + report.skipped.len()) as i64;
            state.items_failed_last = failed;
            state.items_failed_total += failed;
            let problems: Vec<&ItemError> = report
                .feed_problems
                .iter()
                .chain(&report.skipped)
                .chain(&report.article_failures)
                .collect();
            state.last_error = match problems.as_slice() {
                [] => None,
                [one] => Some(one.to_string()),
                [first, rest @ ..] => Some(format!("{first} (and {} more items)", rest.len())),
            };
            if let Some(v) = new_validators {
                state.etag = v.etag;
                state.last_modified = v.last_modified;
            }
            if report.not_modified {
                Outcome::NotModified
            } else {
                Outcome::Fetched {
                    new_items: report.new,
                    listed: report.found,
                }
            }
        }
        Err(e) => {
            state.consecutive_failures = state.consecutive_failures.saturating_add(1);
            state.items_found_last = 0;
            state.items_failed_last = 0;
            state.last_error = Some(e.to_string());
            match e {
                PollError::Fetch(FetchError::Status {
                    status: 429 | 503,
                    retry_after,
                    ..
                }) => Outcome::RateLimited {
                    retry_after: *retry_after,
                },
                _ => Outcome::Failed,
            }
        }
    };
    state.status =
        if schedule::is_failing(state.consecutive_failures, state.last_success_at.is_some()) {
            SourceStatus::Failing
        } else {
            SourceStatus::Ok
        };
    let current = schedule::Current {
        interval: Duration::from_millis(state.interval_ms.max(0) as u64),
        rate_per_hour: state.rate_per_hour,
        since_last_read,
        consecutive_failures: state.consecutive_failures,
    };
    let decision = schedule::next_poll(&Policy::for_source(source), &current, outcome, now, jitter);
    state.interval_ms = decision.interval.as_millis() as i64;
    state.rate_per_hour = decision.rate_per_hour;
    state.next_poll_at = Some(decision.next_poll_at);
    // Items left for later are read at the source's shortest interval, not its usual one.
    if matches!(result, Ok(r) if r.deferred > 0) {
        state.next_poll_at = Some(decision.next_poll_at.min(now + source.min_interval));
    }
    state
}

pub fn log_report(source: &str, result: &Result<PollReport, PollError>) {
    match result {
        Ok(r) => tracing::info!(
            source,
            found = r.found,
            new = r.new,
            skipped = r.skipped.len(),
            deferred = r.deferred,
            not_modified = r.not_modified,
            "polled"
        ),
        Err(e) => tracing::warn!(source, error = %e, "poll failed"),
    }
}
