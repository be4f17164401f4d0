//! The two passes a results page needs, each driving the query's weight itself so that it
//! can stop early: the best `limit` documents after a cursor, and a count that stops at a cap.
//!
//! tantivy's `TopDocs` breaks score ties by segment address, which changes when segments
//! merge, so a cursor built on it could skip or repeat a document; and its `tweak_score`
//! (which could add our store-id tie-break) visits and scores every match. Driving
//! `Weight::for_each_pruning` directly keeps block-WAND — documents that cannot enter the top
//! are skipped by blocks — while ordering ties by the stable store id.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TERMINATED};

use crate::filter::DocFilter;
use crate::search::SortOrder;

/// The order of results: higher first. The second member breaks ties by store id, so the
/// order is total and a cursor never skips or repeats a document.
pub(crate) type SortKey = (f64, u64);

fn cmp(a: &SortKey, b: &SortKey) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// The best `limit` documents whose key is below `cursor` (all, without one).
pub(crate) struct TopByKey {
    pub limit: usize,
    pub sort: SortOrder,
    pub cursor: Option<SortKey>,
    pub filter: DocFilter,
}

/// A heap entry ordered so that the heap's top is the worst kept document.
struct Kept(SortKey, DocId);

impl PartialEq for Kept {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Kept {}
impl PartialOrd for Kept {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Kept {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp(&other.0, &self.0)
    }
}

struct Best {
    limit: usize,
    cursor: Option<SortKey>,
    heap: BinaryHeap<Kept>,
}

impl Best {
    fn offer(&mut self, key: SortKey, doc: DocId) {
        if self.cursor.is_some_and(|c| cmp(&key, &c) != Ordering::Less) {
            return; // on an earlier page
        }
        if self.heap.len() < self.limit {
            self.heap.push(Kept(key, doc));
        } else if self
            .heap
            .peek()
            .is_some_and(|worst| cmp(&key, &worst.0) == Ordering::Greater)
        {
            self.heap.pop();
            self.heap.push(Kept(key, doc));
        }
    }

    /// True when a document whose key starts with `primary` cannot be kept, whatever its
    /// tie-break.
    fn cannot_enter(&self, primary: f64) -> bool {
        self.heap.len() == self.limit && self.heap.peek().is_some_and(|w| primary < w.0 .0)
    }

    /// The score a document must exceed to matter. Just below the worst kept score, because
    /// a document with an equal score may still win on its store id.
    fn threshold(&self) -> Score {
        match self.heap.peek() {
            Some(worst) if self.heap.len() == self.limit => (worst.0 .0 as Score).next_down(),
            _ => Score::MIN,
        }
    }
}

impl Collector for TopByKey {
    type Fruit = Vec<(SortKey, DocAddress)>;
    type Child = NoSegmentCollector<Self::Fruit>;

    fn for_segment(&self, _: SegmentOrdinal, _: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(NoSegmentCollector::default())
    }

    fn requires_scoring(&self) -> bool {
        self.sort == SortOrder::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(SortKey, DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort_by(|a, b| cmp(&b.0, &a.0));
        all.truncate(self.limit);
        Ok(all)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Fruit> {
        let filter = self.filter.for_segment(reader)?;
        if filter.matches_nothing() {
            return Ok(Vec::new());
        }
        let ids = reader.fast_fields().u64("doc_id")?;
        let dates = reader.fast_fields().date("published_at").ok();
        let alive = reader.alive_bitset();
        let mut best = Best {
            limit: self.limit.max(1),
            cursor: self.cursor,
            heap: BinaryHeap::with_capacity(self.limit + 1),
        };
        let id = |doc: DocId| ids.first(doc).unwrap_or(0);
        match self.sort {
            SortOrder::Relevance => {
                weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| {
                    if alive.is_none_or(|a| a.is_alive(doc)) && filter.accepts(doc) {
                        best.offer((score as f64, id(doc)), doc);
                    }
                    best.threshold()
                })?;
            }
            SortOrder::Newest | SortOrder::Oldest => {
                let newest = self.sort == SortOrder::Newest;
                let mut found: Vec<Option<tantivy::DateTime>> = Vec::new();
                weight.for_each_no_score(reader, &mut |docs| {
                    // A block's dates in one read; most documents of a common word are then
                    // turned away on their date alone, before their id is read.
                    found.clear();
                    found.resize(docs.len(), None);
                    if let Some(c) = &dates {
                        c.first_vals(docs, &mut found);
                    }
                    for (&doc, date) in docs.iter().zip(&found) {
                        let secs = date.map(|d| d.into_timestamp_secs() as f64);
                        // Undated documents come last either way.
                        let primary = match secs {
                            Some(s) if newest => s,
                            Some(s) => -s,
                            None => f64::MIN,
                        };
                        if best.cannot_enter(primary)
                            || alive.is_some_and(|a| a.is_deleted(doc))
                            || !filter.accepts(doc)
                        {
                            continue;
                        }
                        let tie = if newest { id(doc) } else { u64::MAX - id(doc) };
                        best.offer((primary, tie), doc);
                    }
                })?;
            }
        }
        Ok(best
            .heap
            .into_iter()
            .map(|Kept(key, doc)| (key, DocAddress::new(segment, doc)))
            .collect())
    }
}

/// Counts the matches, but stops once it has seen `cap` of them: an exact count of a
/// million matches costs a pass over a million postings, and a results page only needs to
/// say "more than `cap`".
pub(crate) struct CountUpTo {
    pub cap: usize,
    pub filter: DocFilter,
}

impl Collector for CountUpTo {
    type Fruit = usize;
    type Child = NoSegmentCollector<usize>;

    fn for_segment(&self, _: SegmentOrdinal, _: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(NoSegmentCollector::default())
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, counts: Vec<usize>) -> tantivy::Result<usize> {
        Ok(counts.into_iter().sum::<usize>().min(self.cap))
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<usize> {
        let filter = self.filter.for_segment(reader)?;
        if filter.matches_nothing() {
            return Ok(0);
        }
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut n = 0;
        let mut doc = scorer.doc();
        while doc != TERMINATED && n < self.cap {
            if alive.is_none_or(|a| a.is_alive(doc)) && filter.accepts(doc) {
                n += 1;
            }
            doc = scorer.advance();
        }
        Ok(n)
    }
}

/// The per-segment half of a collector that does all its work in `collect_segment`.
pub(crate) struct NoSegmentCollector<F>(std::marker::PhantomData<F>);

impl<F> Default for NoSegmentCollector<F> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<F: tantivy::collector::Fruit + Default> SegmentCollector for NoSegmentCollector<F> {
    type Fruit = F;
    fn collect(&mut self, _: DocId, _: Score) {}
    fn harvest(self) -> F {
        F::default()
    }
}
