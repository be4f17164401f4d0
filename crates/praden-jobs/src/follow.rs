//! The index follows the store: documents are written to the store first, and this loop hands
//! everything placed after the index's high-water mark (in commit order) to the one index
//! writer. The mark a commit records covers only documents inside that commit, so a crash at
//! any point is repaired by the next catch-up; `verify` and `repair` prove and restore the
//! agreement of the two whatever happened (an index from an older version, a lost file), and
//! `follow` runs them at start and now and then.

use praden_index::{IndexWriterHandle, SearchIndex};
use praden_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const PAGE: i64 = 500;
/// Also look without being woken, so documents stored by another process (an import while
/// the server runs, another node on the same PostgreSQL) are indexed too.
const IDLE_RECHECK: Duration = Duration::from_secs(5);

/// Hands every stored document the writer lacks to it, in commit order (see
/// `Store::documents_committed`: a document another transaction commits late still comes
/// after the writer's mark); returns how many.
pub async fn catch_up(store: &Store, writer: &IndexWriterHandle) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let page = store
            .documents_committed(writer.added_up_to(), i64::MAX, PAGE)
            .await?;
        if page.documents.is_empty() {
            return Ok(total);
        }
        total += page.documents.len();
        writer.add_through(page.documents, page.through).await?;
    }
}

/// How the committed index compares with the store, up to the index's high-water mark.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// The index's high-water mark: the documents placed up to it must all be indexed.
    pub checked_up_to: i64,
    /// Store documents with an id up to the mark.
    pub stored: usize,
    /// Documents the index holds (repeats counted).
    pub indexed: usize,
    /// Stored but not indexed.
    pub missing: Vec<i64>,
    /// Indexed but not (or no longer) stored.
    pub extra: Vec<i64>,
    /// Indexed more than once.
    pub repeated: Vec<i64>,
}

impl Agreement {
    pub fn agrees(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.repeated.is_empty()
    }

    /// One line for a person: counts, and the first ids of each difference.
    pub fn describe(&self) -> String {
        let ids = |v: &[i64]| {
            let shown: Vec<String> = v.iter().take(10).map(i64::to_string).collect();
            let more = if v.len() > 10 { ", …" } else { "" };
            format!("{} [{}{more}]", v.len(), shown.join(", "))
        };
        format!(
            "store: {} documents up to place {}; index: {}; missing from the index: {}; \
             indexed but not stored: {}; indexed twice: {}",
            self.stored,
            self.checked_up_to,
            self.indexed,
            ids(&self.missing),
            ids(&self.extra),
            ids(&self.repeated)
        )
    }
}

/// Merges two ascending id lists into their differences.
fn compare(checked_up_to: i64, stored: &[i64], indexed: &[i64]) -> Agreement {
    let mut a = Agreement {
        checked_up_to,
        stored: stored.len(),
        indexed: indexed.len(),
        ..Default::default()
    };
    let (mut i, mut j) = (0, 0);
    while i < stored.len() || j < indexed.len() {
        match (stored.get(i), indexed.get(j)) {
            (Some(s), Some(x)) if s == x => {
                i += 1;
                j += 1;
                while indexed.get(j) == Some(s) {
                    if a.repeated.last() != Some(s) {
                        a.repeated.push(*s);
                    }
                    j += 1;
                }
            }
            (Some(s), Some(x)) if s < x => {
                a.missing.push(*s);
                i += 1;
            }
            (Some(s), None) => {
                a.missing.push(*s);
                i += 1;
            }
            (_, Some(x)) => {
                if a.extra.last() != Some(x) {
                    a.extra.push(*x);
                }
                j += 1;
            }
            (None, None) => unreachable!(),
        }
    }
    a
}

/// Hands the stored documents with these ids (ascending) to the writer; returns how many
/// were found. Ids come in runs (the tail of an interrupted batch, a few pushes committed
/// late), so each run is read as a range.
async fn hand_over(
    store: &Store,
    writer: &IndexWriterHandle,
    ids: &[i64],
) -> anyhow::Result<usize> {
    let mut handed = 0;
    let mut k = 0;
    while k < ids.len() {
        let mut end = k;
        while end + 1 < ids.len() && ids[end + 1] == ids[end] + 1 {
            end += 1;
        }
        let (mut from, to) = (ids[k], ids[end]);
        loop {
            let page = store.documents_between(from, to, PAGE).await?;
            let Some(last) = page.last().map(|d| d.id) else {
                break;
            };
            handed += page.len();
            writer.add(page).await?;
            from = last + 1;
        }
        k = end + 1;
    }
    Ok(handed)
}

/// Compares what the index has committed with the store.
pub async fn verify(store: &Store, index: &SearchIndex) -> anyhow::Result<Agreement> {
    let reading = index.clone();
    let (mark, indexed) = tokio::task::spawn_blocking(move || {
        // The ids and the mark of one commit: a commit by a running server between the two
        // reads would count its new documents as extra or missing, so read again.
        loop {
            let mark = reading.high_water_mark()?;
            reading.reload()?;
            let indexed = reading.indexed_ids()?;
            if reading.high_water_mark()? == mark {
                return anyhow::Ok((mark, indexed));
            }
        }
    })
    .await??;
    let stored = store.document_ids_through(mark).await?;
    Ok(compare(mark, &stored, &indexed))
}

/// Re-adds what the index lacks (and what it holds twice: adding replaces) and removes what
/// the store does not have, then commits. Returns (added, removed).
pub async fn repair(
    store: &Store,
    writer: &IndexWriterHandle,
    found: &Agreement,
) -> anyhow::Result<(usize, usize)> {
    let mut to_add: Vec<i64> = found
        .missing
        .iter()
        .chain(&found.repeated)
        .copied()
        .collect();
    to_add.sort_unstable();
    let added = hand_over(store, writer, &to_add).await?;
    writer.delete(found.extra.clone()).await?;
    writer.commit().await?;
    Ok((added, found.extra.len()))
}

/// Commits what is pending, verifies, and repairs if the index and the store disagree.
pub async fn verify_and_repair(
    store: &Store,
    index: &SearchIndex,
    writer: &IndexWriterHandle,
) -> anyhow::Result<Agreement> {
    writer.commit().await?;
    let found = verify(store, index).await?;
    if found.agrees() {
        tracing::info!(
            documents = found.indexed,
            up_to = found.checked_up_to,
            "the index agrees with the store"
        );
    } else {
        tracing::warn!(difference = %found.describe(), "the index disagrees with the store; repairing");
        let (added, removed) = repair(store, writer, &found).await?;
        tracing::info!(added, removed, "index repaired");
    }
    Ok(found)
}

/// How often a running follower checks the index against the store again: following in
/// commit order skips nothing, so this only guards against what nobody foresaw (a lost
/// segment file, a document deleted by hand).
const VERIFY_EVERY: Duration = Duration::from_secs(600);

/// Runs until `shutdown`, then catches up a last time and commits. At start, once caught up,
/// and every `VERIFY_EVERY` after, it checks the index against the store and repairs any
/// difference (unless `verify` is off). Once the documents indexed since the last merge into
/// one segment make a backlog (`IndexWriterHandle::compact_after_backlog`), it merges again;
/// at the end it waits for such a merge only when `finish_merges` (a command that exits, not
/// a server stopping).
pub async fn follow(
    store: Store,
    index: SearchIndex,
    writer: IndexWriterHandle,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
    verify: bool,
    finish_merges: bool,
) -> anyhow::Result<i64> {
    let mut last_verified: Option<std::time::Instant> = None;
    let mut since_compaction = 0;
    loop {
        match catch_up(&store, &writer).await {
            Ok(n) => {
                since_compaction += n;
                if verify && last_verified.is_none_or(|t| t.elapsed() >= VERIFY_EVERY) {
                    last_verified = Some(std::time::Instant::now());
                    if let Err(e) = verify_and_repair(&store, &index, &writer).await {
                        tracing::error!(error = %e, "checking the index against the store failed");
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "indexing new documents failed; retrying"),
        }
        if since_compaction > 0 {
            match writer.compact_after_backlog(since_compaction).await {
                Ok(true) => since_compaction = 0,
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "merging the index failed"),
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(IDLE_RECHECK) => {}
        }
    }
    since_compaction += catch_up(&store, &writer).await?;
    if finish_merges {
        writer.compact_after_backlog(since_compaction).await?;
        Ok(writer.shutdown_after_merges().await?)
    } else {
        Ok(writer.shutdown().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_finds_every_kind_of_difference() {
        let a = compare(9, &[1, 2, 3, 5, 8, 9], &[1, 3, 3, 4, 5, 5, 5, 9, 12]);
        assert_eq!(a.missing, vec![2, 8]);
        assert_eq!(a.extra, vec![4, 12]);
        assert_eq!(a.repeated, vec![3, 5]);
        assert_eq!((a.stored, a.indexed), (6, 9));
        assert!(!a.agrees());
        assert!(compare(3, &[1, 2, 3], &[1, 2, 3]).agrees());
        assert!(compare(0, &[], &[]).agrees());
        assert_eq!(compare(2, &[1, 2], &[]).missing, vec![1, 2]);
    }
}
