//! tantivy's merge policy, with a merge started only when the index's disk has room for what
//! it writes.
//!
//! A merge writes a copy of its segments before the originals are removed. Loading 3M
//! documents, tantivy's `LogMergePolicy` merged segments of several GB and left 6.1 GB free at
//! its peak, beside a database that grows on the same disk: a disk that fills under the
//! store stops ingestion. The merge into one segment already checks for room
//! (`SearchIndex::room_for_full_merge`); this guards the policy's own merges the same way. A
//! merge refused now is proposed again by the policy at the next commit, so merges resume by
//! themselves once there is room; meanwhile searches stay correct over more segments.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use tantivy::index::SegmentMeta;
use tantivy::indexer::{LogMergePolicy, MergeCandidate, MergePolicy};

#[derive(Debug)]
pub(crate) struct MergesWithRoom {
    inner: LogMergePolicy,
    /// The index's directory.
    dir: PathBuf,
    /// Bytes every merge must leave free (`CommitPolicy::disk_reserve`).
    reserve: u64,
    /// Merges this policy let start and that may still be writing: the segments they read
    /// (by id) and the bytes they were expected to write. One counts until its inputs' files
    /// are gone (tantivy removes them once the merge ends); overcounting only makes the
    /// policy more careful.
    started: Mutex<Vec<(Vec<String>, u64)>>,
    /// Whether a merge was refused since the last one allowed (to warn once, not every commit).
    waiting: AtomicBool,
}

impl MergesWithRoom {
    pub(crate) fn new(dir: PathBuf, reserve: u64) -> Self {
        Self {
            inner: log_policy(),
            dir,
            reserve,
            started: Mutex::new(Vec::new()),
            waiting: AtomicBool::new(false),
        }
    }
}

/// tantivy's log policy, its smallest level ending at 1,000 documents instead of 10,000.
/// A server ingesting commits a segment of ~100 documents every two seconds; with every
/// segment under 10,000 documents in one level, each eighth segment merged the seven before
/// it into the one growing there, rewriting that one about 24 times on its way to the next
/// level (~17,000 documents). At 50 documents a second beside 20 search clients on the 1M
/// bench, the merge thread used 11.4 and 7.9 s of CPU a minute this way, 4.2 and 3.7 s with
/// 1,000 (interleaved runs); the index keeps about two more small segments.
pub(crate) fn log_policy() -> LogMergePolicy {
    let mut policy = LogMergePolicy::default();
    policy.set_min_layer_size(1_000);
    policy
}

impl MergePolicy for MergesWithRoom {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        let candidates = self.inner.compute_merge_candidates(segments);
        if candidates.is_empty() {
            return candidates;
        }
        // The bytes of each segment's files in the index's directory (each file is named by
        // its segment's id and a component's extension).
        let mut by_segment: HashMap<String, u64> = HashMap::new();
        for entry in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some((id, _)) = name.split_once('.') else {
                continue;
            };
            let len = entry.metadata().map_or(0, |m| m.len());
            *by_segment.entry(id.to_string()).or_default() += len;
        }
        let Ok(available) = fs4::available_space(&self.dir) else {
            // A disk that cannot be asked is not refused: merging was the rule before.
            return candidates;
        };
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        started.retain(|(inputs, _)| inputs.iter().any(|id| by_segment.contains_key(id)));
        let mut pending: u64 = started.iter().map(|(_, bytes)| bytes).sum();
        let mut allowed = Vec::new();
        for candidate in candidates {
            let inputs: Vec<String> = candidate.0.iter().map(|id| id.uuid_string()).collect();
            let bytes: u64 = inputs.iter().filter_map(|id| by_segment.get(id)).sum();
            let needed = bytes.saturating_add(pending).saturating_add(self.reserve);
            if available < needed {
                if !self.waiting.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        needed_gb = %format!("{:.1}", needed as f64 / 1e9),
                        available_gb = %format!("{:.1}", available as f64 / 1e9),
                        segments = inputs.len(),
                        "an index merge waits for disk room: its disk lacks room for the copy \
                         it writes beside the reserve; searches stay correct, a little slower"
                    );
                }
                continue;
            }
            if self.waiting.swap(false, Ordering::Relaxed) {
                tracing::info!("index merges resume: the disk has room again");
            }
            pending += bytes;
            started.push((inputs, bytes));
            allowed.push(candidate);
        }
        allowed
    }
}
