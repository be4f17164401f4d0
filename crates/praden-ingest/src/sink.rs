//! The one way documents enter praden. Pollers, the push endpoint and `praden import` all
//! hand their documents to a [`DocumentSink`]: it stores what is new (an item key already
//! stored is an exact duplicate and is left alone), fingerprints the new documents and links
//! each near-duplicate from another outlet to the first copy of its story, records the
//! engagement observed on posts, and wakes the index follower and the detector.

use std::sync::Arc;

use praden_core::social::Engagement;
use praden_core::NewDocument;
use praden_store::{EngagementObservation, Fingerprint, InsertOutcome, Store, StoreError};
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::budget::{Job, ParseBudget, ParsePool};

/// Near-duplicates are looked for among the documents of the last few days only: the same
/// story reappearing later is a new event, and the scan stays small.
const NEAR_DUPLICATE_WINDOW: time::Duration = time::Duration::days(3);
/// At most this many recent fingerprints are compared with a new document.
const NEAR_DUPLICATE_CANDIDATES: i64 = 20_000;
/// Documents fingerprinted in one parse-pool job.
const FINGERPRINTS_PER_JOB: usize = 32;

/// A post as it arrives: the document and the engagement seen on it at `observed_at`.
#[derive(Debug, Clone)]
pub struct ObservedPost {
    pub doc: NewDocument,
    pub engagement: Engagement,
    pub observed_at: OffsetDateTime,
}

/// What a write did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    /// Ids of the documents that were new, in the order offered.
    pub inserted: Vec<i64>,
    /// How many were already stored (same item key) and so left untouched.
    pub existing: usize,
    /// Engagement observations recorded (a repeated observation counts once).
    pub observations: u64,
}

/// Stores documents and does everything that must follow. Cloning shares it.
#[derive(Clone)]
pub struct DocumentSink {
    store: Store,
    parse: ParsePool,
    stored: Arc<Notify>,
}

impl DocumentSink {
    /// A sink on `store` whose writes wake `stored`; fingerprints are computed on a parse
    /// pool of its own, within `budget`.
    pub fn new(store: Store, stored: Arc<Notify>, budget: ParseBudget) -> Self {
        Self::with_pool(store, stored, ParsePool::new(budget))
    }

    /// A sink that computes fingerprints on `parse`, shared with the caller's parsing.
    pub(crate) fn with_pool(store: Store, stored: Arc<Notify>, parse: ParsePool) -> Self {
        Self {
            store,
            parse,
            stored,
        }
    }

    /// Stores `docs` and links the new ones to their first copies.
    pub async fn write(&self, docs: &[NewDocument]) -> Result<Written, StoreError> {
        let outcome = self.store_new(docs).await?;
        // The new documents are in hand: fingerprinted from here, not read back.
        let new = outcome
            .inserted
            .iter()
            .zip(&outcome.positions)
            .map(|(&id, &at)| Fingerprintable::of(id, &docs[at]))
            .collect();
        self.link(new).await;
        Ok(Written {
            inserted: outcome.inserted,
            existing: outcome.existing,
            observations: 0,
        })
    }

    /// Stores `posts` as [`write`](Self::write) does, then records the engagement seen on
    /// each of them — on a post stored before as well: its counts over time are what public
    /// interest grows from.
    pub async fn write_posts(&self, posts: &[ObservedPost]) -> Result<Written, StoreError> {
        let docs: Vec<NewDocument> = posts.iter().map(|p| p.doc.clone()).collect();
        let mut written = self.write(&docs).await?;
        let keys: Vec<String> = docs.iter().map(|d| d.item_key.clone()).collect();
        let ids = self.store.document_ids_by_item_key(&keys).await?;
        let observations: Vec<EngagementObservation> = posts
            .iter()
            .filter_map(|p| {
                Some(EngagementObservation {
                    document_id: *ids.get(&p.doc.item_key)?,
                    observed_at: p.observed_at,
                    counts: p.engagement,
                })
            })
            .collect();
        written.observations = self.store.insert_engagement(&observations).await?;
        Ok(written)
    }

    /// Stores `docs` and wakes the followers, without linking: for a poll that links all its
    /// documents at its end ([`link_near_duplicates`](Self::link_near_duplicates)).
    pub(crate) async fn insert(&self, docs: &[NewDocument]) -> Result<Written, StoreError> {
        let InsertOutcome {
            inserted, existing, ..
        } = self.store_new(docs).await?;
        Ok(Written {
            inserted,
            existing,
            observations: 0,
        })
    }

    async fn store_new(&self, docs: &[NewDocument]) -> Result<InsertOutcome, StoreError> {
        if docs.is_empty() {
            return Ok(InsertOutcome::default());
        }
        let outcome = self.store.insert_documents(docs).await?;
        if !outcome.inserted.is_empty() {
            self.stored.notify_one();
        }
        Ok(outcome)
    }

    /// Fingerprints the stored documents `ids` and links each near-duplicate from another
    /// outlet to the first copy of its story.
    pub(crate) async fn link_near_duplicates(&self, ids: &[i64]) {
        let mut docs = Vec::with_capacity(ids.len());
        for &id in ids {
            match self.store.document(id).await {
                Ok(Some(doc)) => docs.push(Fingerprintable::of(id, &doc.doc)),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "near-duplicate linking failed");
                    return;
                }
            }
        }
        self.link(docs).await;
    }

    /// Best effort: a failure here loses no document, only a link.
    async fn link(&self, docs: Vec<Fingerprintable>) {
        if docs.is_empty() {
            return;
        }
        if let Err(e) = self.try_link_near_duplicates(docs).await {
            tracing::warn!(error = %e, "near-duplicate linking failed");
        }
    }

    async fn try_link_near_duplicates(&self, docs: Vec<Fingerprintable>) -> Result<(), StoreError> {
        let since = OffsetDateTime::now_utc() - NEAR_DUPLICATE_WINDOW;
        let mut known = self
            .store
            .recent_fingerprints(since, NEAR_DUPLICATE_CANDIDATES)
            .await?;
        // Segmentation is CPU work: on the parse pool, within its budget, a few dozen
        // documents a job (one segmenter and one thread hand-off each, well inside the time
        // budget), as many jobs at once as the pool has workers; a text over the size budget
        // is left without a fingerprint.
        let jobs = docs.chunks(FINGERPRINTS_PER_JOB).map(|chunk| {
            let texts: Vec<String> = chunk.iter().map(|d| d.text.clone()).collect();
            let job = Job::new(
                "near-duplicates",
                format!(
                    "the fingerprints of documents {}–{}",
                    chunk[0].id,
                    chunk[chunk.len() - 1].id
                ),
            );
            let n = chunk.len();
            let parse = self.parse.clone();
            async move {
                let done = parse
                    .run(job, move |budget| {
                        let segmenter = praden_thai::Segmenter::new();
                        Ok(texts
                            .iter()
                            .map(|text| {
                                budget.check_size(text.as_bytes()).ok()?;
                                crate::dedup::simhash(&segmenter, text)
                            })
                            .collect::<Vec<_>>())
                    })
                    .await;
                done.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "documents not fingerprinted");
                    vec![None; n]
                })
            }
        });
        let hashes: Vec<Option<u64>> = futures_util::future::join_all(jobs)
            .await
            .into_iter()
            .flatten()
            .collect();
        let mut prints = Vec::with_capacity(docs.len());
        for (Fingerprintable { id, outlet, .. }, hash) in docs.into_iter().zip(hashes) {
            let Some(hash) = hash else { continue };
            let first_copy = known
                .iter()
                .filter(|f| f.id < id && f.outlet != outlet)
                .find(|f| {
                    crate::dedup::distance(f.simhash as u64, hash) <= crate::dedup::MAX_DISTANCE
                })
                .map(|f| f.duplicate_of.unwrap_or(f.id));
            // The bits are stored as they are; i64 is what both databases hold.
            prints.push((id, hash as i64, first_copy));
            known.push(Fingerprint {
                id,
                outlet,
                simhash: hash as i64,
                duplicate_of: first_copy,
            });
        }
        self.store.set_fingerprints(&prints).await
    }
}

/// What fingerprinting needs of a new document.
struct Fingerprintable {
    id: i64,
    outlet: String,
    text: String,
}

impl Fingerprintable {
    fn of(id: i64, doc: &NewDocument) -> Self {
        Self {
            id,
            outlet: doc.outlet.clone(),
            text: format!("{}\n{}", doc.title, doc.body),
        }
    }
}
