//! The fast-field columns of each segment, opened once per segment instead of once per query
//! and segment: opening a column parses its block index (the doc-id and date columns hold a
//! linear model per 512 documents), which at 1M documents cost a few per cent of all search
//! CPU. Segments never change once written, so neither do their columns; a segment's entry
//! is dropped once merges have taken it out of the index.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tantivy::columnar::{Column, StrColumn};
use tantivy::index::SegmentId;
use tantivy::{DateTime, Searcher, SegmentReader};

pub(crate) struct SegmentColumns {
    pub doc_id: Column<u64>,
    /// None when no document of the segment has a date.
    pub published_at: Option<Column<DateTime>>,
    pub kind: Option<StrColumn>,
    pub outlet: Option<StrColumn>,
}

#[derive(Clone, Default)]
pub(crate) struct ColumnCache(Arc<Mutex<HashMap<SegmentId, Arc<SegmentColumns>>>>);

impl ColumnCache {
    pub fn of(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentColumns>> {
        let id = reader.segment_id();
        if let Some(columns) = self.lock().get(&id) {
            return Ok(columns.clone());
        }
        let ff = reader.fast_fields();
        let columns = Arc::new(SegmentColumns {
            doc_id: ff.u64("doc_id")?,
            published_at: ff.date("published_at").ok(),
            kind: ff.str("kind")?,
            outlet: ff.str("outlet")?,
        });
        self.lock().insert(id, columns.clone());
        Ok(columns)
    }

    /// Forgets the segments `searcher` no longer has.
    pub fn prune(&self, searcher: &Searcher) {
        let mut map = self.lock();
        let readers = searcher.segment_readers();
        if map.len() > readers.len() {
            let live: HashSet<SegmentId> = readers.iter().map(|r| r.segment_id()).collect();
            map.retain(|id, _| live.contains(id));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, Arc<SegmentColumns>>> {
        // A panic while holding the lock cannot leave the map half-updated.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The earliest and latest date in `column`; None when it holds none.
pub(crate) fn date_range(column: &Column<DateTime>) -> Option<(DateTime, DateTime)> {
    (column.values.num_vals() > 0).then(|| (column.min_value(), column.max_value()))
}
