//! What every format's adapter polls with (`Context`): the polite fetcher (one request at a
//! time per host, `host_gap` apart, and a global limit on requests in flight), the parse pool,
//! the store and the document sink; and the steps several formats share — robots.txt, the
//! source's own document fetched and decoded, and storing with per-outlet keys.
//!
//! Each format's adapter is a function of its module taking a `Context`, the source and the
//! format's own parameters (`SourceParams`): `feed::poll`, `html::poll`, `social::poll`,
//! `transcript::poll`. The scheduler (`poll::Ingester`) picks one by the source's
//! parameters; the adapters know nothing of it.

use crate::budget::{ParseBudget, ParsePool};
use crate::fetch::{FetchError, Fetched, Fetcher, Validators};
use crate::report::{ItemError, PollError, PollReport};
use crate::sink::DocumentSink;
use crate::sources::Source;
use praden_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

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

/// How long a process may hold a host before others take it as crashed: longer than any
/// fetch lasts (the fetcher's total timeout is 30 s and redirects are followed within it).
const HOST_LEASE: Duration = Duration::from_secs(60);

/// The per-host rule kept across processes: on a database several processes share, the host
/// is also a lease (`host:HOST`), held while fetching and released with the gap still to
/// run, so one request at a time reaches a host from all of them, `host_gap` apart.
#[derive(Clone)]
pub(crate) struct SharedHosts {
    pub(crate) node: praden_core::node::Node,
}

impl SharedHosts {
    /// Waits until the host is this process's to fetch from.
    async fn take(&self, store: &Store, host: &str) {
        let lease = format!("host:{host}");
        let node = &self.node;
        let held = HOST_LEASE.max(node.lease_ttl);
        loop {
            let now = time::OffsetDateTime::now_utc();
            match store.take_lease(&lease, &node.id, now, held).await {
                Ok(praden_store::Taken::Granted) => return,
                Ok(praden_store::Taken::Busy { until, .. }) => {
                    let wait: Duration = (until - now).try_into().unwrap_or_default();
                    tokio::time::sleep(
                        wait.clamp(Duration::from_millis(20), Duration::from_secs(2)),
                    )
                    .await;
                }
                Err(e) => {
                    // Nothing polled can be stored without the database either; go on
                    // within this process's own gate rather than stall.
                    tracing::warn!(%host, error = %e, "cannot take the host's lease; fetching anyway");
                    return;
                }
            }
        }
    }

    /// Gives the host up; others may fetch from it once `gap` has passed.
    async fn release(&self, store: &Store, host: &str, gap: Duration) {
        let free_at = time::OffsetDateTime::now_utc() + gap;
        if let Err(e) = store
            .release_lease(&format!("host:{host}"), &self.node.id, free_at)
            .await
        {
            tracing::warn!(%host, error = %e, "cannot release the host's lease; it runs out on its own");
        }
    }
}

/// The means every adapter shares; cloning shares them (the gates, the limit, the pool).
#[derive(Clone)]
pub(crate) struct Context {
    /// Set when other processes poll the same database's sources.
    shared_hosts: Option<SharedHosts>,
    store: Store,
    fetcher: Fetcher,
    /// Where documents go (it wakes the index follower and the detector).
    sink: DocumentSink,
    host_gap: Duration,
    in_flight: Arc<Semaphore>,
    hosts: Arc<HostGates>,
    /// Where parsing runs: off the async runtime, bounded in time and size.
    parse: ParsePool,
}

/// The source's own document (a feed, a listing page) as fetched and decoded to UTF-8.
pub(crate) struct Body {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// Bytes not valid in the body's encoding (see `PollReport::feed_problems`).
    pub problems: Vec<ItemError>,
}

impl Context {
    pub(crate) fn new(
        store: Store,
        fetcher: Fetcher,
        stored: Arc<Notify>,
        max_concurrent: usize,
        host_gap: Duration,
        parse: ParseBudget,
    ) -> Self {
        let parse = ParsePool::new(parse);
        Self {
            shared_hosts: None,
            sink: DocumentSink::with_pool(store.clone(), stored, parse.clone()),
            store,
            fetcher,
            host_gap,
            in_flight: Arc::new(Semaphore::new(max_concurrent.max(1))),
            hosts: Arc::new(HostGates::default()),
            parse,
        }
    }

    /// Keeps the per-host rule across the processes sharing the store.
    pub(crate) fn share_hosts(&mut self, node: praden_core::node::Node) {
        self.shared_hosts = Some(SharedHosts { node });
    }

    pub(crate) fn parse_pool(&self) -> &ParsePool {
        &self.parse
    }

    pub(crate) fn sink(&self) -> &DocumentSink {
        &self.sink
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

    /// Fetches the source's own URL with the validators of the last poll and decodes it to
    /// UTF-8 (`None`: the server answered 304). Damaged text is kept — a bad byte costs one
    /// character, not the poll — but recorded in `Body::problems`.
    pub(crate) async fn fetch_body(
        &self,
        source: &Source,
        validators: &Validators,
    ) -> Result<Option<Body>, FetchError> {
        let (bytes, content_type, validators) =
            match self.fetch_politely(source, &source.url, validators).await? {
                Fetched::NotModified => return Ok(None),
                Fetched::Body {
                    bytes,
                    content_type,
                    validators,
                } => (bytes, content_type, validators),
            };
        let (bytes, decoded) = crate::charset::to_utf8(&bytes, content_type.as_deref());
        let problems: Vec<ItemError> = decoded
            .problem()
            .map(|reason| ItemError {
                position: 0,
                what: source.url.to_string(),
                reason,
            })
            .into_iter()
            .collect();
        if let Some(p) = problems.first() {
            tracing::warn!(source = %source.id, problem = %p, "some bytes were not valid in the body's encoding");
        }
        Ok(Some(Body {
            bytes,
            content_type,
            validators,
            problems,
        }))
    }

    /// Stores a document batch at once and wakes the index follower; the new ids are added
    /// to `inserted`, for near-duplicate linking at the end of the poll.
    pub(crate) async fn store_now(
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
    pub(crate) async fn stored_for_outlet(
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
    pub(crate) async fn robots_txt(&self, source: &Source) -> Option<String> {
        self.robots_txt_of(source, &source.url).await
    }

    /// The robots.txt of the host of `url` (a feed's item pages may live on another host).
    pub(crate) async fn robots_txt_of(&self, source: &Source, url: &url::Url) -> Option<String> {
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
    pub(crate) async fn fetch_politely(
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
            tokio::time::sleep_until(last + self.host_gap).await;
        }
        if let Some(shared) = &self.shared_hosts {
            shared.take(&self.store, host).await;
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
        if let Some(shared) = &self.shared_hosts {
            shared.release(&self.store, host, self.host_gap).await;
        }
        result
    }
}

/// Whether robots.txt (`None`: none could be read) lets us fetch `url`.
pub(crate) fn allowed(robots: Option<&str>, url: &url::Url) -> bool {
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    robots.is_none_or(|r| crate::html::robots_allows(r, "praden", &path))
}
