//! The index follows the store: documents are written to the store first, and this loop hands
//! everything above the index's high-water mark to the one index writer. Because the mark is
//! committed with the index, a crash at any point is repaired by the next catch-up.

use praden_index::IndexWriterHandle;
use praden_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const PAGE: i64 = 500;
/// Also look without being woken, so documents stored by another process (an import while
/// the server runs) are indexed too.
const IDLE_RECHECK: Duration = Duration::from_secs(5);

/// Hands every stored document above the writer's mark to the writer; returns how many.
pub async fn catch_up(store: &Store, writer: &IndexWriterHandle) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let page = store.documents_after(writer.added_up_to(), PAGE).await?;
        if page.is_empty() {
            return Ok(total);
        }
        total += page.len();
        writer.add(page).await?;
    }
}

/// Runs until `shutdown`, then catches up a last time and commits.
pub async fn follow(
    store: Store,
    writer: IndexWriterHandle,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) -> anyhow::Result<i64> {
    loop {
        if let Err(e) = catch_up(&store, &writer).await {
            tracing::error!(error = %e, "indexing new documents failed; retrying");
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(IDLE_RECHECK) => {}
        }
    }
    catch_up(&store, &writer).await?;
    Ok(writer.shutdown().await?)
}
