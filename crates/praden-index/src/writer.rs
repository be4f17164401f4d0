use crate::schema::{Fields, SCHEMA_VERSION};
use crate::{IndexError, SearchIndex};
use praden_core::Document;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tantivy::indexer::{MergePolicy, NoMergePolicy};
use tantivy::schema::Term;
use tantivy::{DateTime, IndexWriter, TantivyDocument};
use tokio::sync::oneshot;

/// When the writer commits: after `max_docs` uncommitted documents, `max_delay` after the first
/// uncommitted one, and at shutdown. A commit costs an fsync and a new segment, so batching them
/// keeps imports fast while a single new article still becomes searchable within seconds.
#[derive(Debug, Clone, Copy)]
pub struct CommitPolicy {
    pub max_docs: usize,
    pub max_delay: Duration,
    /// Memory for the writer's in-flight segments, shared by its threads.
    pub memory_bytes: usize,
    pub threads: usize,
    /// A catch-up that indexed at least this many documents, and at least a quarter of the
    /// index (an import, a rebuild), merges all segments into one afterwards: see
    /// `IndexWriterHandle::compact_after_backlog`.
    pub compact_backlog: usize,
    /// Bytes that a merge (into one segment, or one of tantivy's policy) must leave free on
    /// the index's disk besides the copy it writes; with less room the segments stay as they
    /// are (searches cost a little more) rather than the disk filling under the store.
    pub disk_reserve: u64,
}

impl Default for CommitPolicy {
    fn default() -> Self {
        Self {
            max_docs: 10_000,
            max_delay: Duration::from_secs(2),
            memory_bytes: 256 << 20,
            threads: 2,
            compact_backlog: 10_000,
            disk_reserve: 2 << 30,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Payload {
    high_water_mark: i64,
    schema_version: u32,
}

pub(crate) fn parse_payload(payload: Option<&str>) -> i64 {
    payload
        .and_then(|p| serde_json::from_str::<Payload>(p).ok())
        .map_or(0, |p| p.high_water_mark)
}

pub(crate) fn payload_schema_version(payload: Option<&str>) -> Option<u32> {
    payload
        .and_then(|p| serde_json::from_str::<Payload>(p).ok())
        .map(|p| p.schema_version)
}

enum Command {
    /// Documents, and the store place they bring the writer up to (none: documents re-added
    /// below the mark by a repair).
    Add(Vec<Document>, Option<i64>),
    /// Removes documents by store id (the store no longer has them).
    Delete(Vec<i64>),
    Commit(oneshot::Sender<Result<i64, IndexError>>),
    /// Commits, then merges every segment into one when a backlog of this many documents
    /// was just indexed (none: whatever was indexed); replies whether a merge started.
    Compact(Option<usize>, oneshot::Sender<Result<bool, IndexError>>),
    /// At the end, wait for the merges under way instead of abandoning them.
    FinishMerges,
}

/// The only way to write to the index. Its thread commits what is pending and ends when the
/// handle is shut down or dropped.
pub struct IndexWriterHandle {
    tx: flume::Sender<Command>,
    added_up_to: Arc<AtomicI64>,
    thread: std::thread::JoinHandle<()>,
}

/// tantivy's policy, its merges held back while the disk lacks room (`merges.rs`); as is for an
/// index in memory.
fn merge_policy(index: &SearchIndex, policy: &CommitPolicy) -> Box<dyn MergePolicy> {
    match &index.dir {
        Some(dir) => Box::new(crate::merges::MergesWithRoom::new(
            dir.clone(),
            policy.disk_reserve,
        )),
        None => Box::new(crate::merges::log_policy()),
    }
}

pub(crate) fn start(
    index: SearchIndex,
    policy: CommitPolicy,
) -> Result<IndexWriterHandle, IndexError> {
    // Bounded, so a bulk import waits for the writer instead of queueing the corpus in memory.
    let (tx, rx) = flume::bounded(16);
    let (ready, started) = std::sync::mpsc::sync_channel(1);
    // The writer is made on its own thread, after that thread has given searches the
    // precedence (`priority.rs`): tantivy's indexing and merge threads start from it and so
    // run in the background too.
    let thread = std::thread::Builder::new()
        .name("index-writer".into())
        .spawn(move || {
            crate::priority::run_in_background();
            match WriterState::new(index, policy) {
                Ok(state) => {
                    let _ = ready.send(Ok(state.committed));
                    state.run(rx);
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            }
        })
        .map_err(|e| IndexError::Tantivy(e.into()))?;
    let hwm = match started.recv() {
        Ok(result) => result?,
        Err(_) => return Err(IndexError::WriterGone),
    };
    Ok(IndexWriterHandle {
        tx,
        added_up_to: Arc::new(AtomicI64::new(hwm)),
        thread,
    })
}

impl WriterState {
    fn new(index: SearchIndex, policy: CommitPolicy) -> Result<Self, IndexError> {
        let writer: IndexWriter = index
            .index
            .writer_with_num_threads(policy.threads.max(1), policy.memory_bytes)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => IndexError::Locked {
                    path: index.path.clone(),
                },
                other => IndexError::Tantivy(other),
            })?;
        // tantivy removes the files no segment uses (a merge abandoned at shutdown or by a
        // crash) only after a commit or a merge; until then they take disk, and a whole-index
        // merge's worth of them made `room_for_full_merge` refuse one that had room.
        if let Err(e) = writer.garbage_collect_files().wait() {
            tracing::warn!(error = %e, "cannot remove the search index's unused files");
        }
        writer.set_merge_policy(merge_policy(&index, &policy));
        let hwm = index.high_water_mark()?;
        Ok(WriterState {
            writer,
            index,
            policy,
            committed: hwm,
            added: hwm,
            pending: 0,
            first_pending_at: None,
            finish_merges: false,
            compaction: None,
        })
    }
}

impl IndexWriterHandle {
    /// Queues documents for indexing without moving the mark (a repair re-adding documents
    /// the index lacks); they are searchable after the next commit.
    pub async fn add(&self, docs: Vec<Document>) -> Result<(), IndexError> {
        if docs.is_empty() {
            return Ok(());
        }
        self.tx
            .send_async(Command::Add(docs, None))
            .await
            .map_err(|_| IndexError::WriterGone)
    }

    /// Queues the documents the store placed up to `through` (in commit order) after the
    /// ones handed before: once they are committed, the commit's mark says so.
    pub async fn add_through(&self, docs: Vec<Document>, through: i64) -> Result<(), IndexError> {
        self.tx
            .send_async(Command::Add(docs, Some(through)))
            .await
            .map_err(|_| IndexError::WriterGone)?;
        self.added_up_to.fetch_max(through, Ordering::SeqCst);
        Ok(())
    }

    /// The store place handed to the writer so far (committed or not): where the follower
    /// goes on from. Only this process's bookkeeping: what a commit records is the place the
    /// writer thread has actually added up to (see `WriterState::added`).
    pub fn added_up_to(&self) -> i64 {
        self.added_up_to.load(Ordering::SeqCst)
    }

    /// Queues the removal of documents by store id; gone after the next commit.
    pub async fn delete(&self, ids: Vec<i64>) -> Result<(), IndexError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.tx
            .send_async(Command::Delete(ids))
            .await
            .map_err(|_| IndexError::WriterGone)
    }

    /// Commits now; returns the high-water mark of the commit.
    pub async fn commit(&self) -> Result<i64, IndexError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send_async(Command::Commit(reply))
            .await
            .map_err(|_| IndexError::WriterGone)?;
        rx.await.map_err(|_| IndexError::WriterGone)?
    }

    /// After a catch-up that indexed `indexed` documents: when that is a backlog (at least
    /// the policy's `compact_backlog` and a quarter of the index), commits and merges all
    /// segments into one, in the background. tantivy's merge policy leaves an index loaded
    /// in one go in about 16 segments at 1M documents, and every search pays per segment (a
    /// term-dictionary lookup per word and pass, postings opened, block-WAND started again):
    /// one segment took 8-10 % off the CPU of a search at 1M documents (issue 29). Later
    /// documents form new segments that tantivy's policy merges as before. Returns whether
    /// a merge started.
    pub async fn compact_after_backlog(&self, indexed: usize) -> Result<bool, IndexError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send_async(Command::Compact(Some(indexed), reply))
            .await
            .map_err(|_| IndexError::WriterGone)?;
        rx.await.map_err(|_| IndexError::WriterGone)?
    }

    /// Commits and merges all segments into one in the background, as after a backlog but
    /// whatever was indexed: for an index whose merge was skipped for lack of disk, once
    /// there is room (`praden index compact`). Returns whether a merge started: not for an
    /// index of one segment, nor without room (`SearchIndex::room_for_full_merge`).
    pub async fn compact(&self) -> Result<bool, IndexError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send_async(Command::Compact(None, reply))
            .await
            .map_err(|_| IndexError::WriterGone)?;
        rx.await.map_err(|_| IndexError::WriterGone)?
    }

    /// Commits what is pending and stops the writer thread, releasing the writer lock.
    /// Merges under way are abandoned (a server stopping should not wait minutes for one);
    /// their files are removed when a writer next opens the index.
    pub async fn shutdown(self) -> Result<i64, IndexError> {
        self.stop(false).await
    }

    /// `shutdown`, but waits for the merges under way to finish first: for commands that
    /// index a backlog and exit (import, repair), so that their compaction is not lost.
    pub async fn shutdown_after_merges(self) -> Result<i64, IndexError> {
        self.stop(true).await
    }

    async fn stop(self, finish_merges: bool) -> Result<i64, IndexError> {
        let hwm = self.commit().await?;
        if finish_merges {
            self.tx
                .send_async(Command::FinishMerges)
                .await
                .map_err(|_| IndexError::WriterGone)?;
        }
        drop(self.tx);
        // The thread sees the channel close, finds nothing pending and returns; joining it
        // releases the writer lock before the caller goes on.
        let thread = self.thread;
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .ok();
        Ok(hwm)
    }
}

struct WriterState {
    writer: IndexWriter,
    index: SearchIndex,
    policy: CommitPolicy,
    committed: i64,
    /// The store place (commit order) this thread has added up to. A commit records it as the
    /// high-water mark, so the mark never covers a document still waiting in the channel:
    /// a crash then loses only what the next catch-up re-reads from the store. (The mark
    /// used to be raised when a batch was queued, and a kill -9 during an import left
    /// thousands of stored documents below a committed mark, never to be indexed.)
    added: i64,
    pending: usize,
    first_pending_at: Option<Instant>,
    finish_merges: bool,
    /// The merge into one segment under way, if any.
    compaction: Option<Compaction>,
}

struct Compaction {
    /// Whether the merge was kept, once it ends.
    result: flume::Receiver<bool>,
    attempt: u32,
}

/// Merges into one segment tried before giving up (each discarded one lost to a merge
/// tantivy had started before it).
const COMPACTION_ATTEMPTS: u32 = 5;

impl WriterState {
    fn run(mut self, rx: flume::Receiver<Command>) {
        loop {
            self.check_compaction(false);
            let received = match self.first_pending_at {
                Some(t) => {
                    let deadline = t + self.policy.max_delay;
                    match rx.recv_deadline(deadline) {
                        Err(flume::RecvTimeoutError::Timeout) => {
                            self.commit_logged();
                            continue;
                        }
                        other => other.ok(),
                    }
                }
                // While a merge into one segment runs, look up now and then to see it end.
                None if self.compaction.is_some() => {
                    match rx.recv_timeout(Duration::from_millis(500)) {
                        Err(flume::RecvTimeoutError::Timeout) => continue,
                        other => other.ok(),
                    }
                }
                None => rx.recv().ok(),
            };
            match received {
                Some(Command::Add(docs, through)) => {
                    match self.add(&docs) {
                        Ok(()) => {
                            if let Some(t) = through {
                                self.added = self.added.max(t);
                                self.first_pending_at.get_or_insert_with(Instant::now);
                            }
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "index writer failed to add documents")
                        }
                    }
                    if self.pending >= self.policy.max_docs {
                        self.commit_logged();
                    }
                }
                Some(Command::Delete(ids)) => {
                    let f = self.index.fields;
                    for id in ids {
                        self.writer
                            .delete_term(Term::from_field_u64(f.doc_id, id as u64));
                        self.pending += 1;
                    }
                    self.first_pending_at.get_or_insert_with(Instant::now);
                }
                Some(Command::Commit(reply)) => {
                    let _ = reply.send(self.commit());
                }
                Some(Command::Compact(indexed, reply)) => {
                    let _ = reply.send(self.compact(indexed));
                }
                Some(Command::FinishMerges) => self.finish_merges = true,
                None => {
                    // Every handle is gone: commit what is left and stop.
                    self.commit_logged();
                    break;
                }
            }
        }
        if self.finish_merges {
            while self.compaction.is_some() {
                self.check_compaction(true);
            }
            if let Err(e) = self.writer.wait_merging_threads() {
                tracing::error!(error = %e, "an index merge failed");
            }
        }
    }

    fn compact(&mut self, backlog: Option<usize>) -> Result<bool, IndexError> {
        // One at a time: what is indexed meanwhile counts towards the next. The backlog's
        // share of the committed and waiting documents is decided before committing, as the
        // follower asks after every round and an early commit makes one more segment.
        let total = self.index.num_docs() as usize + self.pending;
        let small = |indexed: usize| {
            indexed < self.policy.compact_backlog || indexed.saturating_mul(4) < total
        };
        if self.compaction.is_some() || backlog.is_some_and(small) {
            return Ok(false);
        }
        self.commit()?;
        Ok(self.merge_all(1)?)
    }

    /// Starts merging every segment into one. tantivy's own policy starts no merge meanwhile;
    /// one it started before on some of these segments may still end first, and then this
    /// merge is discarded (losing nothing) and tried again (`check_compaction`).
    fn merge_all(&mut self, attempt: u32) -> tantivy::Result<bool> {
        let segments = self.index.index.searchable_segment_ids()?;
        if segments.len() < 2 {
            self.writer
                .set_merge_policy(merge_policy(&self.index, &self.policy));
            return Ok(false);
        }
        if let Err((needed, available)) = self.index.room_for_full_merge(self.policy.disk_reserve) {
            tracing::warn!(
                needed_gb = %format!("{:.1}", needed as f64 / 1e9),
                available_gb = %format!("{:.1}", available as f64 / 1e9),
                segments = segments.len(),
                "not merging the index into one segment: its disk lacks room for the copy a \
                 merge writes; searches stay correct, a little slower"
            );
            self.writer
                .set_merge_policy(merge_policy(&self.index, &self.policy));
            return Ok(false);
        }
        self.writer.set_merge_policy(Box::new(NoMergePolicy));
        let merge = self.writer.merge(&segments);
        let n = segments.len();
        tracing::info!(segments = n, attempt, "merging the index into one segment");
        let (done, result) = flume::bounded(1);
        std::thread::spawn(move || {
            let _ = done.send(merge.wait().is_ok());
        });
        self.compaction = Some(Compaction { result, attempt });
        Ok(true)
    }

    /// Looks at the merge into one segment under way, waiting for its end if `wait`: tries
    /// again if it was discarded, and gives tantivy's policy back once it is over.
    fn check_compaction(&mut self, wait: bool) {
        let Some(c) = &self.compaction else { return };
        let merged = if wait {
            c.result.recv().unwrap_or(false)
        } else {
            match c.result.try_recv() {
                Ok(merged) => merged,
                Err(flume::TryRecvError::Empty) => return,
                Err(flume::TryRecvError::Disconnected) => false,
            }
        };
        let attempt = c.attempt;
        self.compaction = None;
        if merged {
            tracing::info!("the index is merged into one segment");
        } else if attempt < COMPACTION_ATTEMPTS {
            match self.merge_all(attempt + 1) {
                Ok(_) => return,
                Err(e) => tracing::error!(error = %e, "cannot merge the index"),
            }
        } else {
            tracing::warn!(attempt, "the index was not merged into one segment");
        }
        self.writer
            .set_merge_policy(merge_policy(&self.index, &self.policy));
    }

    fn add(&mut self, docs: &[Document]) -> Result<(), IndexError> {
        let f = self.index.fields;
        for d in docs {
            // Delete-then-add makes indexing the same store id twice a replacement.
            self.writer
                .delete_term(Term::from_field_u64(f.doc_id, d.id as u64));
            self.writer.add_document(to_tantivy(&f, d))?;
            self.pending += 1;
            self.first_pending_at.get_or_insert_with(Instant::now);
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<i64, IndexError> {
        let hwm = self.added;
        if self.pending == 0 && hwm == self.committed {
            return Ok(hwm);
        }
        let payload = serde_json::to_string(&Payload {
            high_water_mark: hwm,
            schema_version: SCHEMA_VERSION,
        })
        .expect("payload serialises");
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.index.reader.reload()?;
        tracing::debug!(
            documents = self.pending,
            high_water_mark = hwm,
            "index committed"
        );
        self.committed = hwm;
        self.pending = 0;
        self.first_pending_at = None;
        Ok(hwm)
    }

    fn commit_logged(&mut self) {
        if let Err(e) = self.commit() {
            tracing::error!(error = %e, "index commit failed");
            // Try again after another interval rather than spinning.
            self.first_pending_at = Some(Instant::now());
        }
    }
}

/// How much of a document's body is indexed and kept for snippets, in bytes: about 330,000
/// Thai characters, a hundred printed pages (the longest of the 48,260 thaigov articles is
/// 0.67 MB, a cabinet-meeting summary). The store keeps the whole text; what lies beyond is not searchable. The
/// cap bounds the writer's time on one document: a 9 MB pasted post used to hold the one
/// writer, and every document queued behind it, for minutes.
pub const MAX_INDEXED_BODY_BYTES: usize = 1 << 20;
/// The same for the title, which is indexed three times (twice in `text`, once alone).
pub const MAX_INDEXED_TITLE_BYTES: usize = 16 << 10;

/// `text` cut to at most `max` bytes, at a character boundary.
fn capped(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn to_tantivy(f: &Fields, d: &Document) -> TantivyDocument {
    let title = capped(&d.doc.title, MAX_INDEXED_TITLE_BYTES);
    let body = capped(&d.doc.body, MAX_INDEXED_BODY_BYTES);
    let mut doc = TantivyDocument::default();
    doc.add_u64(f.doc_id, d.id as u64);
    doc.add_text(f.text, title);
    doc.add_text(f.text, title);
    doc.add_text(f.text, body);
    doc.add_text(f.title, title);
    // Stored for snippets only, and a snippet reads only so far (`snippet.rs`).
    doc.add_text(f.body, crate::snippet::stored_body(body));
    // The same values as `text`, so a pair's frequency is the phrase's there.
    doc.add_text(f.pairs, title);
    doc.add_text(f.pairs, title);
    doc.add_text(f.pairs, body);
    if let Some(url) = &d.doc.url {
        doc.add_text(f.url, url);
    }
    doc.add_text(f.outlet, &d.doc.outlet);
    doc.add_text(f.kind, d.doc.kind.as_str());
    doc.add_text(f.source_id, &d.doc.source_id);
    if let Some(t) = d.doc.published_at {
        doc.add_date(
            f.published_at,
            DateTime::from_timestamp_secs(t.unix_timestamp()),
        );
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::capped;

    #[test]
    fn capping_cuts_at_a_character_boundary() {
        assert_eq!(capped("กขค", 9), "กขค");
        assert_eq!(capped("กขค", 8), "กข");
        assert_eq!(capped("กขค", 2), "");
        assert_eq!(capped("abc", 2), "ab");
    }
}
