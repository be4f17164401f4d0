//! Polling: fetch a source, parse it, store what is new, and record the source's state (its
//! health, validators and next poll time) in the store. Each source is polled by its own task,
//! so a slow or failing source never holds up the others; the tasks share a global limit on
//! requests in flight and a per-host gate (one request at a time per host, with a minimum gap).

use crate::budget::{Job, Markup, ParseBudget, ParsePool};
use crate::feed::{parse_feed_items, FeedItem, ItemError};
use crate::fetch::{FetchError, Fetched, Fetcher, Validators};
use crate::schedule::{self, Outcome, Policy};
use crate::sink::DocumentSink;
use crate::sources::{HtmlSelectors, Source, SourceFormat};
use futures_util::stream::{self, StreamExt};
use praden_store::{SourceState, SourceStatus, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    #[error(transparent)]
    Feed(#[from] crate::feed::FeedError),
    #[error("storing the items failed: {0}")]
    Store(#[from] praden_store::StoreError),
    #[error("robots.txt disallows {0}")]
    Disallowed(String),
    #[error(transparent)]
    JsonApi(#[from] crate::social::SocialError),
    #[error(transparent)]
    Transcript(#[from] crate::transcript::TranscriptError),
    #[error(transparent)]
    Parse(#[from] crate::budget::ParseError),
}

/// What one poll of one source found.
#[derive(Debug, Default)]
pub struct PollReport {
    pub found: usize,
    pub new: usize,
    pub already_stored: usize,
    pub skipped: Vec<ItemError>,
    /// The server answered 304 to our validators: nothing was downloaded.
    pub not_modified: bool,
    /// Pages of summary-only feed items read for their full text.
    pub articles_fetched: usize,
    /// Items stored with their feed summary because their page could not be fetched or read.
    pub article_failures: Vec<ItemError>,
    /// Problems of the fetched feed or listing page as a whole that did not stop the poll:
    /// bytes not valid in its encoding, replaced with U+FFFD. Position 0, the URL as `what`;
    /// recorded and counted with the item failures, since the items' text may be damaged.
    pub feed_problems: Vec<ItemError>,
    /// New items left for the next poll: their pages were not fetched because the poll had
    /// used its `max_article_fetches`. They are not stored yet, so the next poll finds them.
    pub deferred: usize,
}

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

/// Google reads the first 500 KiB of a robots.txt; so do we, and the rules are matched per
/// link, so a huge one must not cost its size for every link.
const MAX_ROBOTS_BYTES: usize = 500 << 10;

/// One request at a time per host, `host_gap` apart. The map only grows by the hosts in
/// sources.toml, so it is never pruned.
#[derive(Default)]
struct HostGates {
    gates: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<tokio::time::Instant>>>>>,
}

impl HostGates {
    fn gate(&self, host: &str) -> Arc<tokio::sync::Mutex<Option<tokio::time::Instant>>> {
        self.gates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(host.to_string())
            .or_default()
            .clone()
    }
}

#[derive(Clone)]
pub struct Ingester {
    store: Store,
    fetcher: Fetcher,
    /// Where documents go (it wakes the index follower and the detector).
    sink: DocumentSink,
    limits: IngestLimits,
    in_flight: Arc<Semaphore>,
    hosts: Arc<HostGates>,
    /// Where parsing runs: off the async runtime, bounded in time and size.
    parse: ParsePool,
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
        let parse = ParsePool::new(limits.parse);
        Self {
            sink: DocumentSink::with_pool(store.clone(), stored, parse.clone()),
            store,
            fetcher,
            limits,
            in_flight: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
            hosts: Arc::new(HostGates::default()),
            parse,
        }
    }

    pub(crate) fn parse_pool(&self) -> &ParsePool {
        &self.parse
    }

    /// Where this ingester's documents go, for other ways in (the push endpoint) to share.
    pub fn sink(&self) -> DocumentSink {
        self.sink.clone()
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Stores the documents that are new, counts them in the report, links near-duplicates
    /// and wakes the index follower.
    pub(crate) async fn store_new_documents(
        &self,
        docs: &[praden_core::NewDocument],
        report: &mut PollReport,
    ) -> Result<(), PollError> {
        let written = self.sink.write(docs).await?;
        report.new += written.inserted.len();
        report.already_stored += written.existing;
        Ok(())
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
        let state = match self.store.source_state(&source.id).await {
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
                .store
                .record_item_failures(&source.id, &failures, now)
                .await
            {
                tracing::warn!(source = %source.id, error = %e, "cannot record item failures");
            }
        }
        if let Err(e) = self.store.save_source_state(&state).await {
            tracing::warn!(source = %source.id, error = %e, "cannot save the source state");
        }
        (result, next)
    }

    async fn poll_with(
        &self,
        source: &Source,
        validators: &Validators,
    ) -> (Result<PollReport, PollError>, Option<Validators>) {
        match (source.format, &source.json_api, &source.transcripts) {
            (SourceFormat::JsonApi, Some(config), _) => {
                return (self.poll_json_api(source, config).await, None)
            }
            (SourceFormat::Transcripts, _, Some(config)) => {
                return self.poll_transcripts(source, config, validators).await
            }
            _ => {}
        }
        let robots = match source.format {
            SourceFormat::Html => {
                let robots = self.robots_txt(source).await;
                if !allowed(robots.as_deref(), &source.url) {
                    return (Err(PollError::Disallowed(source.url.to_string())), None);
                }
                robots
            }
            _ => None,
        };
        let fetched = match self.fetch_politely(source, &source.url, validators).await {
            Ok(f) => f,
            Err(e) => return (Err(e.into()), None),
        };
        let (bytes, content_type, new_validators) = match fetched {
            Fetched::NotModified => {
                let report = PollReport {
                    not_modified: true,
                    ..PollReport::default()
                };
                return (Ok(report), None);
            }
            Fetched::Body {
                bytes,
                content_type,
                validators,
            } => (bytes, content_type, validators),
        };
        let (bytes, decoded) = crate::charset::to_utf8(&bytes, content_type.as_deref());
        // Damaged text is kept (a bad byte costs one character, not the poll) but recorded.
        let feed_problems: Vec<ItemError> = decoded
            .problem()
            .map(|reason| ItemError {
                position: 0,
                what: source.url.to_string(),
                reason,
            })
            .into_iter()
            .collect();
        if let Some(p) = feed_problems.first() {
            tracing::warn!(source = %source.id, problem = %p, "some bytes were not valid in the body's encoding");
        }
        if let (SourceFormat::Html, Some(sel)) = (source.format, &source.html) {
            let result = self
                .poll_html(source, sel, bytes, content_type, robots.as_deref())
                .await;
            return match result {
                Ok(report) => (
                    Ok(PollReport {
                        feed_problems,
                        ..report
                    }),
                    Some(new_validators),
                ),
                Err(e) => (Err(e), None),
            };
        }
        let items = match self.parse_feed(source, bytes).await {
            Ok(items) => items,
            // Validators of a body we could not use must not make the next poll a 304.
            Err(e) => return (Err(e), None),
        };
        let mut report = PollReport {
            found: items.len(),
            feed_problems,
            ..PollReport::default()
        };
        let mut feed_items = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Ok(item) => feed_items.push(item),
                Err(e) => {
                    tracing::warn!(source = %source.id, error = %e, "feed item skipped");
                    report.skipped.push(e);
                }
            }
        }
        let mut inserted = Vec::new();
        let stored = self
            .store_feed_items(source, feed_items, &mut report, &mut inserted)
            .await;
        // Whatever was stored before a failure is linked all the same.
        self.sink.link_near_duplicates(&inserted).await;
        if let Err(e) = stored {
            return (Err(e), None);
        }
        // Items left for the next poll are in this body: a 304 next time would hide them.
        let validators = (report.deferred == 0).then_some(new_validators);
        (Ok(report), validators)
    }

    /// Parses a feed already decoded to UTF-8, on the parse pool.
    async fn parse_feed(
        &self,
        source: &Source,
        bytes: Vec<u8>,
    ) -> Result<Vec<Result<FeedItem, ItemError>>, PollError> {
        let owned = source.clone();
        let parsed = self
            .parse
            .run(Job::new(&source.id, "the feed"), move |budget| {
                // Already UTF-8 (decoded, with its problems recorded, before dispatch).
                match owned.format {
                    SourceFormat::JsonFeed => budget.check_size(&bytes)?,
                    _ => budget.check_markup(&bytes, Markup::Xml)?,
                }
                Ok(parse_feed_items(&owned, &bytes, OffsetDateTime::now_utc()))
            })
            .await?;
        Ok(parsed?)
    }

    /// Stores a document batch at once and wakes the index follower; the new ids are added
    /// to `inserted`, for near-duplicate linking at the end of the poll.
    async fn store_now(
        &self,
        docs: &[praden_core::NewDocument],
        report: &mut PollReport,
        inserted: &mut Vec<i64>,
    ) -> Result<(), PollError> {
        if docs.is_empty() {
            return Ok(());
        }
        let mut docs = docs.to_vec();
        let outlet_links = self.key_by_outlet(docs.iter_mut()).await?;
        let written = self.sink.insert(&docs).await?;
        self.link_outlet_copies(&outlet_links).await?;
        report.new += written.inserted.len();
        report.already_stored += written.existing;
        inserted.extend(written.inserted);
        Ok(())
    }

    /// Stores the feed's items, the summary-only ones that are not stored yet with the main
    /// text of their page instead of the teaser. Items needing no page are stored at once;
    /// each fetched item as soon as its page is in, so a long poll loses nothing when it is
    /// stopped. At most `max_article_fetches` pages are fetched per poll: the other new items
    /// wait (unstored, counted in `report.deferred`) for the next poll, which finds them again
    /// because they are not in the store. The pages go through the same gate as every request
    /// (robots.txt of their host, per-host gap, private-address refusal, size cap) and are
    /// parsed on the parse pool; a page that cannot be fetched or read leaves its item with
    /// the summary, noted in `report.article_failures`.
    async fn store_feed_items(
        &self,
        source: &Source,
        items: Vec<FeedItem>,
        report: &mut PollReport,
        inserted: &mut Vec<i64>,
    ) -> Result<(), PollError> {
        let wanted: Vec<String> = items
            .iter()
            .filter(|i| i.fetch_article.is_some())
            .map(|i| i.doc.item_key.clone())
            .collect();
        // Pages of stored items are not fetched again: re-polling costs one request.
        let existing = if wanted.is_empty() {
            Default::default()
        } else {
            self.store.existing_item_keys(&wanted).await?
        };
        let mut ready = Vec::with_capacity(items.len());
        let mut pages = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let FeedItem { doc, fetch_article } = item;
            match fetch_article.filter(|_| !existing.contains(&doc.item_key)) {
                Some(page) => pages.push((i, doc, page)),
                None => ready.push(doc),
            }
        }
        self.store_now(&ready, report, inserted).await?;
        let mut robots_by_host: HashMap<String, Option<String>> = HashMap::new();
        let mut fetches = 0;
        for (i, doc, page) in pages {
            if fetches >= source.max_article_fetches {
                report.deferred += 1;
                continue;
            }
            let host = page.host_str().unwrap_or_default().to_string();
            if !robots_by_host.contains_key(&host) {
                let robots = self.robots_txt_of(source, &page).await;
                robots_by_host.insert(host.clone(), robots);
            }
            let failure = |reason: String| ItemError {
                position: i + 1,
                what: page.to_string(),
                reason,
            };
            if !allowed(robots_by_host[&host].as_deref(), &page) {
                report
                    .article_failures
                    .push(failure("robots.txt disallows its page".into()));
                self.store_now(&[doc], report, inserted).await?;
                continue;
            }
            fetches += 1;
            let text = match self
                .fetch_politely(source, &page, &Validators::default())
                .await
            {
                Ok(Fetched::Body {
                    bytes,
                    content_type,
                    ..
                }) => {
                    let body_selector = source.article_body.clone();
                    self.parse
                        .run(
                            Job::new(&source.id, format!("the page {page}")),
                            move |budget| {
                                let (bytes, _) =
                                    crate::charset::to_utf8(&bytes, content_type.as_deref());
                                budget.check_markup(&bytes, Markup::Html)?;
                                let html = String::from_utf8_lossy(&bytes);
                                Ok(crate::html::page_main_text(&html, body_selector.as_deref()))
                            },
                        )
                        .await
                        .map_err(|e| e.to_string())
                }
                Ok(Fetched::NotModified) => Err("its page answered 304 to a plain GET".into()),
                Err(e) => Err(e.to_string()),
            };
            let doc = match text {
                // A page whose text is no longer than the teaser adds nothing (a paywall, a
                // page of links): the summary stays.
                Ok(text) if text.chars().count() > doc.body.chars().count() => {
                    report.articles_fetched += 1;
                    with_body(doc, &text)
                }
                Ok(_) => {
                    report
                        .article_failures
                        .push(failure(match &source.article_body {
                            Some(sel) => {
                                format!("its page has no more text than the summary under {sel:?}")
                            }
                            None => "its page has no more text than the summary".into(),
                        }));
                    doc
                }
                Err(reason) => {
                    report.article_failures.push(failure(reason));
                    doc
                }
            };
            self.store_now(&[doc], report, inserted).await?;
        }
        if report.deferred > 0 {
            tracing::info!(source = %source.id, deferred = report.deferred, limit = source.max_article_fetches, "article fetches per poll used up; the rest waits for the next poll");
        }
        Ok(())
    }

    /// The new articles of an HTML listing page: each page not stored yet is fetched (at most
    /// `max_items`, robots.txt permitting), read with the source's selectors and stored at
    /// once. Both the listing and the articles are parsed on the parse pool; a listing that
    /// cannot be parsed within the budget fails the poll, an article page that cannot be
    /// fetched or read is an item failure.
    async fn poll_html(
        &self,
        source: &Source,
        sel: &HtmlSelectors,
        listing: Vec<u8>,
        content_type: Option<String>,
        robots: Option<&str>,
    ) -> Result<PollReport, PollError> {
        let (owned_sel, base) = (sel.clone(), source.url.clone());
        let links = self
            .parse
            .run(Job::new(&source.id, "the listing page"), move |budget| {
                let (bytes, _) = crate::charset::to_utf8(&listing, content_type.as_deref());
                budget.check_markup(&bytes, Markup::Html)?;
                let page = String::from_utf8_lossy(&bytes);
                Ok(crate::html::article_links(&owned_sel, &page, &base))
            })
            .await?;
        let keys: Vec<String> = links
            .iter()
            .map(|u| praden_core::canonical_url(u.as_str()))
            .collect();
        let existing = self.stored_for_outlet(&source.outlet, &keys).await?;
        let mut report = PollReport {
            found: links.len(),
            ..PollReport::default()
        };
        let mut inserted = Vec::new();
        let stored = self
            .store_html_articles(
                source,
                sel,
                &links,
                &keys,
                &existing,
                robots,
                &mut report,
                &mut inserted,
            )
            .await;
        self.sink.link_near_duplicates(&inserted).await;
        stored.map(|()| report)
    }

    #[allow(clippy::too_many_arguments)]
    async fn store_html_articles(
        &self,
        source: &Source,
        sel: &HtmlSelectors,
        links: &[url::Url],
        keys: &[String],
        existing: &std::collections::HashSet<String>,
        robots: Option<&str>,
        report: &mut PollReport,
        inserted: &mut Vec<i64>,
    ) -> Result<(), PollError> {
        for (i, (link, key)) in links.iter().zip(keys).enumerate() {
            if existing.contains(key) {
                report.already_stored += 1;
                continue;
            }
            let item_err = |reason: String| ItemError {
                position: i + 1,
                what: link.to_string(),
                reason,
            };
            if !allowed(robots, link) {
                report
                    .skipped
                    .push(item_err("robots.txt disallows it".into()));
                continue;
            }
            let fetched = self
                .fetch_politely(source, link, &Validators::default())
                .await;
            let (bytes, content_type) = match fetched {
                Ok(Fetched::Body {
                    bytes,
                    content_type,
                    ..
                }) => (bytes, content_type),
                Ok(Fetched::NotModified) => {
                    report
                        .skipped
                        .push(item_err("answered 304 to a plain GET".into()));
                    continue;
                }
                Err(e) => {
                    report.skipped.push(item_err(e.to_string()));
                    continue;
                }
            };
            let (owned, owned_sel, owned_link) = (source.clone(), sel.clone(), link.clone());
            let parsed = self
                .parse
                .run(
                    Job::new(&source.id, format!("the page {link}")),
                    move |budget| {
                        let (bytes, _) = crate::charset::to_utf8(&bytes, content_type.as_deref());
                        budget.check_markup(&bytes, Markup::Html)?;
                        let article = String::from_utf8_lossy(&bytes);
                        Ok(crate::html::article_document(
                            &owned,
                            &owned_sel,
                            &owned_link,
                            &article,
                            OffsetDateTime::now_utc(),
                        ))
                    },
                )
                .await;
            match parsed {
                Ok(Ok(doc)) => self.store_now(&[doc], report, inserted).await?,
                Ok(Err(mut e)) => {
                    e.position = i + 1;
                    report.skipped.push(e);
                }
                Err(e) => report.skipped.push(item_err(e.to_string())),
            }
        }
        Ok(())
    }

    /// Gives each document whose URL key another outlet's document already holds the
    /// per-outlet key (`praden_core::outlet_item_key`), and returns the links to make once
    /// they are stored: (that key, the first copy of the story).
    ///
    /// Why: item keys are canonical URLs, unique in the store, so the second outlet listing
    /// a URL (an aggregator, a syndicating site) would be counted "already stored" and
    /// nothing would say that this outlet carried the story, against "stored once per outlet
    /// and linked". Keying every document by outlet would do it too, but would change the key
    /// of everything stored (the archive stored again) and part URL-keyed imports from
    /// polls; here only the later outlets' copies get the longer key, and re-polling finds it
    /// stored. Two sources of one outlet still share one document.
    async fn key_by_outlet<'d>(
        &self,
        docs: impl Iterator<Item = &'d mut praden_core::NewDocument>,
    ) -> Result<Vec<(String, i64)>, praden_store::StoreError> {
        // Only URL keys are shared between sources; `source#id` keys are the source's own.
        let mut docs: Vec<_> = docs.filter(|d| d.url.is_some()).collect();
        let keys: Vec<String> = docs.iter().map(|d| d.item_key.clone()).collect();
        let holders = self.store.item_key_holders(&keys).await?;
        let mut links = Vec::new();
        for doc in docs.iter_mut() {
            let Some(holder) = holders.get(&doc.item_key) else {
                continue;
            };
            if holder.outlet == doc.outlet {
                continue;
            }
            doc.item_key = praden_core::outlet_item_key(&doc.item_key, &doc.outlet);
            links.push((
                doc.item_key.clone(),
                holder.duplicate_of.unwrap_or(holder.id),
            ));
        }
        Ok(links)
    }

    /// Links the outlets' copies `key_by_outlet` keyed to the first copy (idempotent: a copy
    /// already linked keeps its link).
    async fn link_outlet_copies(
        &self,
        links: &[(String, i64)],
    ) -> Result<(), praden_store::StoreError> {
        for (key, first_copy) in links {
            self.store.link_duplicate(key, *first_copy).await?;
        }
        Ok(())
    }

    /// Which of the URL keys `keys` this outlet already has stored, under the URL itself or
    /// under its per-outlet key: the article pages an HTML source need not fetch again.
    async fn stored_for_outlet(
        &self,
        outlet: &str,
        keys: &[String],
    ) -> Result<std::collections::HashSet<String>, praden_store::StoreError> {
        let holders = self.store.item_key_holders(keys).await?;
        let mut stored: std::collections::HashSet<String> = holders
            .values()
            .filter(|h| h.outlet == outlet)
            .map(|h| h.item_key.clone())
            .collect();
        let others: Vec<String> = holders
            .values()
            .filter(|h| h.outlet != outlet)
            .map(|h| praden_core::outlet_item_key(&h.item_key, outlet))
            .collect();
        if !others.is_empty() {
            let mine = self.store.existing_item_keys(&others).await?;
            stored.extend(
                holders
                    .values()
                    .filter(|h| mine.contains(&praden_core::outlet_item_key(&h.item_key, outlet)))
                    .map(|h| h.item_key.clone()),
            );
        }
        Ok(stored)
    }

    /// The robots.txt of the source's host, if it has one that could be read.
    async fn robots_txt(&self, source: &Source) -> Option<String> {
        self.robots_txt_of(source, &source.url).await
    }

    /// The robots.txt of the host of `url` (a feed's item pages may live on another host).
    async fn robots_txt_of(&self, source: &Source, url: &url::Url) -> Option<String> {
        let url = url.join("/robots.txt").ok()?;
        match self
            .fetch_politely(source, &url, &Validators::default())
            .await
        {
            Ok(Fetched::Body { bytes, .. }) => {
                let end = bytes.len().min(MAX_ROBOTS_BYTES);
                Some(String::from_utf8_lossy(&bytes[..end]).into_owned())
            }
            // No robots.txt (404) or none readable: nothing is disallowed.
            _ => None,
        }
    }

    /// Waits for the host of `url` to be free and the gap since its last request to pass,
    /// and for a global slot, then fetches.
    async fn fetch_politely(
        &self,
        source: &Source,
        url: &url::Url,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        self.fetch_politely_with(source, url, validators, &[]).await
    }

    /// `fetch_politely` with extra request headers.
    pub(crate) async fn fetch_politely_with(
        &self,
        source: &Source,
        url: &url::Url,
        validators: &Validators,
        headers: &[(String, reqwest::header::HeaderValue)],
    ) -> Result<Fetched, FetchError> {
        let host = url.host_str().unwrap_or_default();
        let gate = self.hosts.gate(host);
        let mut last = gate.lock().await;
        if let Some(last) = *last {
            tokio::time::sleep_until(last + self.limits.host_gap).await;
        }
        let result = {
            let _slot = self
                .in_flight
                .acquire()
                .await
                .expect("the semaphore is never closed");
            self.fetcher
                .fetch_with_headers(
                    url.as_str(),
                    validators,
                    // The flag admits the source's own configured origin, nothing else.
                    source.allow_private_network.then_some(&source.url),
                    headers,
                )
                .await
        };
        *last = Some(tokio::time::Instant::now());
        result
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
        let stored_next = match self.store.source_state(&source.id).await {
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
            tokio::select! {
                _ = shutdown.cancelled() => return,
                (result, due) = self.poll_and_schedule(&source) => {
                    log_report(&source.id, &result);
                    next = due;
                }
            }
        }
    }
}

/// `doc` with `body` in place of its text; the content hash follows the text.
fn with_body(doc: praden_core::NewDocument, body: &str) -> praden_core::NewDocument {
    praden_core::NewDocument {
        body: body.trim().to_string(),
        content_hash: praden_core::content_hash(&doc.title, body.trim()),
        ..doc
    }
}

fn allowed(robots: Option<&str>, url: &url::Url) -> bool {
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    robots.is_none_or(|r| crate::html::robots_allows(r, "praden", &path))
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
    state.status = if state.consecutive_failures >= schedule::FAILING_AFTER {
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
