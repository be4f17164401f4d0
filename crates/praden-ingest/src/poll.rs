//! Polling: fetch a source, parse it, store what is new. Each source is polled on its own
//! interval by its own task, so a slow or failing source never holds up the others.

use crate::feed::{parse_feed, ItemError};
use crate::fetch::Fetcher;
use crate::sources::Source;
use futures_util::stream::{self, StreamExt};
use praden_store::Store;
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    #[error(transparent)]
    Feed(#[from] crate::feed::FeedError),
    #[error("storing the items failed: {0}")]
    Store(#[from] praden_store::StoreError),
}

/// What one poll of one source found.
#[derive(Debug, Default)]
pub struct PollReport {
    pub found: usize,
    pub new: usize,
    pub already_stored: usize,
    pub skipped: Vec<ItemError>,
}

#[derive(Clone)]
pub struct Ingester {
    store: Store,
    fetcher: Fetcher,
    /// Woken whenever new documents are stored, so the index follows without waiting.
    stored: Arc<Notify>,
}

impl Ingester {
    pub fn new(store: Store, fetcher: Fetcher, stored: Arc<Notify>) -> Self {
        Self {
            store,
            fetcher,
            stored,
        }
    }

    pub async fn poll(&self, source: &Source) -> Result<PollReport, PollError> {
        let bytes = self.fetcher.get(source.url.as_str()).await?;
        let items = parse_feed(source, &bytes, OffsetDateTime::now_utc())?;
        let mut report = PollReport {
            found: items.len(),
            ..PollReport::default()
        };
        let mut docs = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Ok(doc) => docs.push(doc),
                Err(e) => {
                    tracing::warn!(source = %source.id, error = %e, "feed item skipped");
                    report.skipped.push(e);
                }
            }
        }
        let outcome = self.store.insert_documents(&docs).await?;
        report.new = outcome.inserted.len();
        report.already_stored = outcome.existing;
        if report.new > 0 {
            self.stored.notify_one();
        }
        Ok(report)
    }

    /// Polls every enabled source once, a few at a time; one source's failure is reported
    /// beside the others' results.
    pub async fn poll_all_once(
        &self,
        sources: &[Source],
    ) -> Vec<(String, Result<PollReport, PollError>)> {
        stream::iter(sources.iter().filter(|s| s.enabled))
            .map(|s| async move { (s.id.clone(), self.poll(s).await) })
            .buffer_unordered(8)
            .collect()
            .await
    }

    /// Polls each enabled source now and then every interval, until `shutdown` is cancelled.
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
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                result = self.poll(&source) => log_report(&source.id, &result),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(source.interval) => {}
            }
        }
    }
}

pub fn log_report(source: &str, result: &Result<PollReport, PollError>) {
    match result {
        Ok(r) => tracing::info!(
            source,
            found = r.found,
            new = r.new,
            skipped = r.skipped.len(),
            "polled"
        ),
        Err(e) => tracing::warn!(source, error = %e, "poll failed"),
    }
}
