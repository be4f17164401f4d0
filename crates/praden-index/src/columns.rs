//! The fast fields of each segment that every search reads per matching document — store
//! id, publication date, kind, outlet — held as plain arrays indexed by document, built
//! once per segment.
//!
//! Read through tantivy's columnar codecs (a linear model per block of 512 documents, a
//! dictionary ordinal column per string field) they were about a fifth of the search CPU
//! at 1M documents: a date sort, a filtered search and a facet pass each read them for
//! hundreds of thousands of matches, and opening a column parsed its block index on every
//! query. As arrays they cost 28 bytes a document (28 MB at 1M documents).
//! Segments never change once written (deletes are a separate bitset), so neither do
//! their arrays; a segment's entry is dropped once merges have taken it out of the index.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;
use tantivy::store::StoreReader;
use tantivy::{DocId, Searcher, SegmentReader};

/// Decompressed blocks each segment's doc store keeps, as tantivy's searcher does.
const DOC_STORE_CACHE_BLOCKS: usize = 100;

/// `dates` of a document without a publication date.
pub(crate) const UNDATED: i64 = i64::MIN;
/// `kinds` / `outlets` of a document without the field.
pub(crate) const NO_VALUE: u32 = u32::MAX;

pub(crate) struct SegmentColumns {
    /// The store id of each document.
    pub ids: Vec<u64>,
    /// Publication time of each document, Unix seconds, or `UNDATED`.
    pub dates: Vec<i64>,
    /// The earliest and latest of `dates` (undated ones aside); None when all are undated.
    pub date_range: Option<(i64, i64)>,
    /// The dated documents in date order: the documents of a date range are a slice of it,
    /// found by binary search (`in_dates`).
    pub by_date: Vec<DocId>,
    /// Each document's Bangkok calendar day as days after `first_day` (days since
    /// 1970-01-01, the day of `date_range`'s start), or `NO_VALUE` when undated: the month
    /// facet counts days.
    pub days: Vec<u32>,
    pub first_day: i64,
    /// Each document's source: its pair of kind and outlet, as an index into
    /// `source_kinds` / `source_outlets`. One array read a document serves a filter on kind
    /// and outlet, and the kind and outlet facets (few pairs: an outlet has one kind).
    pub sources: Vec<u32>,
    /// The kind and outlet of each source, as indexes into `kind_names` and `outlet_names`,
    /// or `NO_VALUE` for a document without the field.
    pub source_kinds: Vec<u32>,
    pub source_outlets: Vec<u32>,
    pub kind_names: Vec<String>,
    pub outlet_names: Vec<String>,
    /// The segment's doc store, read by `stored.rs` (tantivy's searcher keeps its own
    /// readers private).
    pub store: StoreReader,
}

impl SegmentColumns {
    fn read(reader: &SegmentReader) -> tantivy::Result<Self> {
        let ff = reader.fast_fields();
        let max_doc = reader.max_doc();
        let ids_column = ff.u64("doc_id")?;
        let ids = (0..max_doc)
            .map(|d| ids_column.first(d).unwrap_or(0))
            .collect();
        let dates: Vec<i64> = match ff.date("published_at") {
            Ok(c) => (0..max_doc)
                .map(|d| c.first(d).map_or(UNDATED, |t| t.into_timestamp_secs()))
                .collect(),
            Err(_) => vec![UNDATED; max_doc as usize],
        };
        let dated = dates.iter().copied().filter(|&d| d != UNDATED);
        let date_range = dated.clone().min().zip(dated.max());
        let first_day = date_range.map_or(0, |(first, _)| bangkok_day(first));
        let mut by_date: Vec<DocId> = (0..max_doc)
            .filter(|&d| dates[d as usize] != UNDATED)
            .collect();
        by_date.sort_by_key(|&d| dates[d as usize]);
        let days = dates
            .iter()
            .map(|&t| match t {
                UNDATED => NO_VALUE,
                t => u32::try_from(bangkok_day(t) - first_day).unwrap_or(NO_VALUE),
            })
            .collect();
        let (kinds, kind_names) = ords(ff.str("kind")?, max_doc)?;
        let (outlets, outlet_names) = ords(ff.str("outlet")?, max_doc)?;
        let mut pairs: HashMap<(u32, u32), u32> = HashMap::new();
        let (mut source_kinds, mut source_outlets) = (Vec::new(), Vec::new());
        let sources = kinds
            .iter()
            .zip(&outlets)
            .map(|(&kind, &outlet)| {
                *pairs.entry((kind, outlet)).or_insert_with(|| {
                    source_kinds.push(kind);
                    source_outlets.push(outlet);
                    source_kinds.len() as u32 - 1
                })
            })
            .collect();
        Ok(Self {
            ids,
            dates,
            date_range,
            by_date,
            days,
            first_day,
            sources,
            source_kinds,
            source_outlets,
            kind_names,
            outlet_names,
            store: reader.get_store_reader(DOC_STORE_CACHE_BLOCKS)?,
        })
    }

    /// The documents dated in [from, until), in date order.
    pub fn in_dates(&self, from: i64, until: i64) -> &[DocId] {
        let start = self
            .by_date
            .partition_point(|&d| self.dates[d as usize] < from);
        let end = self
            .by_date
            .partition_point(|&d| self.dates[d as usize] < until);
        &self.by_date[start..end.max(start)]
    }

    /// The indexes into `names` of `values` that this segment has.
    pub fn ords_of(names: &[String], values: &[String]) -> Vec<u32> {
        values
            .iter()
            .filter_map(|v| names.iter().position(|n| n == v))
            .map(|i| i as u32)
            .collect()
    }
}

/// Days since 1970-01-01 in Bangkok time (UTC+7, no daylight saving).
pub(crate) fn bangkok_day(secs: i64) -> i64 {
    (secs + 7 * 3600).div_euclid(86_400)
}

/// Each document's first value of a string column as an ordinal, and the values by ordinal.
fn ords(column: Option<StrColumn>, max_doc: DocId) -> tantivy::Result<(Vec<u32>, Vec<String>)> {
    let Some(column) = column else {
        return Ok((vec![NO_VALUE; max_doc as usize], Vec::new()));
    };
    let mut names = Vec::new();
    for ord in 0..column.dictionary().num_terms() as u64 {
        let mut name = String::new();
        column.ord_to_str(ord, &mut name)?;
        names.push(name);
    }
    let ords = (0..max_doc)
        .map(|d| column.term_ords(d).next().map_or(NO_VALUE, |o| o as u32))
        .collect();
    Ok((ords, names))
}

#[derive(Clone, Default)]
pub(crate) struct ColumnCache(Arc<Mutex<HashMap<SegmentId, Arc<SegmentColumns>>>>);

impl ColumnCache {
    pub fn of(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentColumns>> {
        let id = reader.segment_id();
        if let Some(columns) = self.lock().get(&id) {
            return Ok(columns.clone());
        }
        // Built outside the lock; two searches that race build it twice, harmlessly.
        let columns = Arc::new(SegmentColumns::read(reader)?);
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
