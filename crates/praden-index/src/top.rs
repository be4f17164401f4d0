//! The two passes a results page needs, each driving the query's weight itself so that it
//! can stop early: the best `limit` documents after a cursor, and a count that stops at a cap.
//!
//! tantivy's `TopDocs` breaks score ties by segment address, which changes when segments
//! merge, so a cursor built on it could skip or repeat a document; and its `tweak_score`
//! (which could add our store-id tie-break) visits and scores every match. Driving
//! `Weight::for_each_pruning` directly keeps block-WAND — documents that cannot enter the top
//! are skipped by blocks — while ordering ties by the stable store id.
//!
//! Both passes go over the segments themselves rather than through tantivy's per-segment
//! collectors, so what one segment has found carries over to the next: the score a document
//! must beat (block-WAND starts the next segment with it), the date a document must beat
//! (a segment whose dates cannot is skipped whole; segments are visited best dates first),
//! and the count so far (the cap is one for the whole index, not one per segment).
//!
//! A date range that holds few documents turns both passes around (`few_dated_docs`): the
//! range's documents are walked and the query is sought through them.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use tantivy::postings::Postings;
use tantivy::query::{Bm25Weight, EnableScoring, Query, Scorer, TermQuery, Weight};
use tantivy::schema::Term;
use tantivy::{
    DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, COLLECT_BLOCK_BUFFER_LEN, TERMINATED,
};

use crate::columns::{ColumnCache, UNDATED};
use crate::filter::{DocFilter, SegmentFilter};
use crate::phrase::{self, align, PhrasePositions};
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
struct Kept(SortKey, DocAddress);

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
    fn offer(&mut self, key: SortKey, doc: DocAddress) {
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

    /// The kept documents, best first.
    fn into_page(self) -> Vec<(SortKey, DocAddress)> {
        let mut page: Vec<(SortKey, DocAddress)> = self
            .heap
            .into_iter()
            .map(|Kept(key, doc)| (key, doc))
            .collect();
        page.sort_by(|a, b| cmp(&b.0, &a.0));
        page
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

impl TopByKey {
    pub fn search(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        columns: &ColumnCache,
    ) -> tantivy::Result<Vec<(SortKey, DocAddress)>> {
        let scoring = if self.sort == SortOrder::Relevance {
            EnableScoring::enabled_from_searcher(searcher)
        } else {
            EnableScoring::disabled_from_searcher(searcher)
        };
        let weight = query.weight(scoring)?;
        let mut best = Best {
            limit: self.limit.max(1),
            cursor: self.cursor,
            heap: BinaryHeap::with_capacity(self.limit + 1),
        };
        let newest = self.sort == SortOrder::Newest;
        // Each segment with the best primary key any of its documents can have.
        let mut segments = Vec::new();
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let columns = columns.of(reader)?;
            let bound = match (self.sort, columns.date_range) {
                (SortOrder::Relevance, _) => f64::MAX,
                (_, None) => f64::MIN,
                (_, Some((_, last))) if newest => last as f64,
                (_, Some((first, _))) => -(first as f64),
            };
            segments.push((bound, ord, reader, columns));
        }
        // Best dates first, so that the rest can be skipped; stable, so relevance keeps the
        // segment order.
        segments.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (bound, ord, reader, columns) in segments {
            // Undated documents (bound f64::MIN) come last but still come.
            if bound > f64::MIN && best.cannot_enter(bound) {
                continue;
            }
            let filter = self.filter.for_segment(&columns);
            if filter.matches_nothing() {
                continue;
            }
            let segment = ord as u32;
            let alive = reader.alive_bitset();
            let (ids, dates) = (&columns.ids, &columns.dates);
            if let Some((docs, mut scorer)) = few_dated_docs(&*weight, reader, &filter)? {
                for_each_of(&mut *scorer, &docs, |doc, scorer| {
                    if alive.is_some_and(|a| a.is_deleted(doc)) || !filter.accepts(doc) {
                        return;
                    }
                    let d = doc as usize;
                    let key = match self.sort {
                        SortOrder::Relevance => (scorer.score() as f64, ids[d]),
                        // Dated, or it would not be in a date range.
                        SortOrder::Newest => (dates[d] as f64, ids[d]),
                        SortOrder::Oldest => (-(dates[d] as f64), u64::MAX - ids[d]),
                    };
                    best.offer(key, DocAddress::new(segment, doc));
                });
                continue;
            }
            match self.sort {
                SortOrder::Relevance => {
                    weight.for_each_pruning(best.threshold(), reader, &mut |doc, score| {
                        if alive.is_none_or(|a| a.is_alive(doc)) && filter.accepts(doc) {
                            let key = (score as f64, ids[doc as usize]);
                            best.offer(key, DocAddress::new(segment, doc));
                        }
                        best.threshold()
                    })?;
                }
                SortOrder::Newest | SortOrder::Oldest => {
                    let offer = |best: &mut Best, doc: DocId| {
                        let d = doc as usize;
                        // Undated documents come last either way.
                        let primary = match dates[d] {
                            UNDATED => f64::MIN,
                            s if newest => s as f64,
                            s => -(s as f64),
                        };
                        // Most documents of a common word are turned away on their date
                        // alone.
                        if best.cannot_enter(primary)
                            || alive.is_some_and(|a| a.is_deleted(doc))
                            || !filter.accepts(doc)
                        {
                            return;
                        }
                        let tie = if newest { ids[d] } else { u64::MAX - ids[d] };
                        best.offer((primary, tie), DocAddress::new(segment, doc));
                    };
                    let dated = filter.docs_in_date_range().unwrap_or(&columns.by_date);
                    let rest = match self
                        .best_dated_first(&*weight, reader, dated, dates, &mut best, &offer)?
                    {
                        Walked::Done => continue,
                        Walked::Until(rest) => rest,
                    };
                    // What the walk left: a pass over every match.
                    weight.for_each_no_score(reader, &mut |docs| {
                        for &doc in docs {
                            if rest.holds(dates[doc as usize]) {
                                offer(&mut best, doc);
                            }
                        }
                    })?;
                }
            }
        }
        Ok(best.into_page())
    }
}

/// How far a walk of the documents in date order got (`TopByKey::best_dated_first`).
enum Walked {
    /// No document it left could enter the page.
    Done,
    /// The documents it left, for a pass over every match.
    Until(Rest),
}

/// The documents a walk in date order left: newest first, those dated before `bound`;
/// oldest first, those dated after it; and the undated ones.
#[derive(Clone, Copy)]
struct Rest {
    newest: bool,
    bound: i64,
}

impl Rest {
    fn holds(self, date: i64) -> bool {
        date == UNDATED
            || if self.newest {
                date < self.bound
            } else {
                date > self.bound
            }
    }
}

impl TopByKey {
    /// For a date order: the matches among the best-dated documents first, so that a common
    /// word need not be read whole. A pass over every match of a word in a tenth of a 1M
    /// archive read 100,000 dates to keep 20 (a date sort was 4 % of the loaded server's CPU
    /// for 5 % of its queries). Here `dated` (the segment's dated documents in date order)
    /// is walked from its best end in windows, each sought through the query; each window
    /// twice the last and made of whole dates, so that what is left is always the documents
    /// on one side of a date. The walk ends when nothing left can enter the page, or when it
    /// has sought as many documents as a pass over every match would read (the query
    /// matches few of them): then it leaves the rest to that pass. It starts past the
    /// documents a cursor puts on earlier pages.
    fn best_dated_first(
        &self,
        weight: &dyn Weight,
        reader: &SegmentReader,
        dated: &[DocId],
        dates: &[i64],
        best: &mut Best,
        offer: &impl Fn(&mut Best, DocId),
    ) -> tantivy::Result<Walked> {
        let newest = self.sort == SortOrder::Newest;
        let date = |i: usize| dates[dated[i] as usize];
        let n = dated.len();
        // Positions walked (or on earlier pages): newest first `k..n`, oldest first `0..k`.
        let mut k = match (self.cursor, newest) {
            (None, true) => n,
            (None, false) => 0,
            (Some((c, _)), true) => dated.partition_point(|&d| dates[d as usize] as f64 <= c),
            (Some((c, _)), false) => dated.partition_point(|&d| -(dates[d as usize] as f64) > c),
        };
        let matches = weight.scorer(reader, 1.0)?.size_hint() as usize;
        // Enough documents that `limit` matches are expected among them, twice over.
        let mut window =
            (2 * self.limit.max(1) * reader.max_doc() as usize / matches.max(1)).max(64);
        let mut walked = 0;
        if window.saturating_mul(SEEK_COST) < matches {
            loop {
                let left = if newest { k } else { n - k };
                if left == 0 {
                    break;
                }
                let next = if newest {
                    date(k - 1) as f64
                } else {
                    -(date(k) as f64)
                };
                if best.cannot_enter(next) {
                    // Undated documents come after every dated one.
                    return Ok(Walked::Done);
                }
                if walked * SEEK_COST >= matches {
                    break;
                }
                let size = window.min(left);
                let (mut start, mut end) = if newest { (k - size, k) } else { (k, k + size) };
                if newest {
                    while start > 0 && date(start - 1) == date(start) {
                        start -= 1;
                    }
                } else {
                    while end < n && date(end) == date(end - 1) {
                        end += 1;
                    }
                }
                let mut docs = dated[start..end].to_vec();
                docs.sort_unstable();
                let mut scorer = weight.scorer(reader, 1.0)?;
                for_each_of(&mut *scorer, &docs, |doc, _| offer(best, doc));
                walked += end - start;
                k = if newest { start } else { end };
                window *= 2;
            }
        }
        if k == (if newest { 0 } else { n }) && best.cannot_enter(f64::MIN) {
            return Ok(Walked::Done);
        }
        let bound = match newest {
            true if k < n => date(k),
            true => i64::MAX,
            false if k > 0 => date(k - 1),
            false => i64::MIN,
        };
        Ok(Walked::Until(Rest { newest, bound }))
    }
}

impl TopByKey {
    /// The best page for a quoted phrase ranked by relevance, and its count up to `cap`, in
    /// one pass over the documents that hold all the phrase's words (issue 29). tantivy's
    /// phrase scorer reads the positions of every such document and, without block-WAND,
    /// scores every match, and the count pass reads them again: a phrase of two common
    /// headline words (a third of a 1M archive holds both) cost 25–53 ms where the same words
    /// unquoted cost 1. Here a document's positions are read only while the count is below
    /// `cap` (until then every match counts) or when the best score the document could have
    /// could enter the page: the phrase's BM25 at the smallest of its words' frequencies,
    /// which bounds how often the phrase occurs. Scores are tantivy's: the same `Bm25Weight`
    /// over the same phrase frequency.
    ///
    /// `pairs` are the phrase's adjacent common words as terms of the `pairs` field
    /// (`pairs.rs`): they join the intersection, so that only documents holding every pair
    /// have positions read; a phrase of two words that is one pair reads no positions at
    /// all, the pair's frequency being the phrase's.
    pub fn search_phrase(
        &self,
        searcher: &Searcher,
        phrase: &[(usize, Term)],
        pairs: &[Term],
        columns: &ColumnCache,
        cap: usize,
    ) -> tantivy::Result<(Vec<(SortKey, DocAddress)>, usize)> {
        debug_assert_eq!(self.sort, SortOrder::Relevance);
        let terms: Vec<Term> = phrase.iter().map(|(_, t)| t.clone()).collect();
        let bm25 = Bm25Weight::for_terms(searcher, &terms)?;
        let field = terms[0].field();
        let mut best = Best {
            limit: self.limit.max(1),
            cursor: self.cursor,
            heap: BinaryHeap::with_capacity(self.limit + 1),
        };
        let mut counted = 0;
        let mut positions = PhrasePositions::default();
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let columns = columns.of(reader)?;
            let filter = self.filter.for_segment(&columns);
            if filter.matches_nothing() {
                continue;
            }
            let Some(mut words) = phrase::postings(reader, phrase, pairs)? else {
                continue; // a word or pair of the phrase is not in this segment
            };
            let fieldnorms = reader.get_fieldnorms_reader(field)?;
            let alive = reader.alive_bitset();
            let ids = &columns.ids;
            // A hair above a bound, so that rounding never turns a document away.
            let bound = |norm, frequency| f64::from(bm25.score(norm, frequency)) * (1.0 + 1e-6);
            let mut doc = words[0].postings.doc();
            while doc != TERMINATED {
                // Once the count is done, the rarest word's frequency alone may show that the
                // document cannot enter the page, before the other words are sought there.
                if counted >= cap
                    && best.cannot_enter(bound(
                        fieldnorms.fieldnorm_id(doc),
                        words[0].postings.term_freq(),
                    ))
                {
                    doc = words[0].postings.advance();
                    continue;
                }
                let shared = align(&mut words, doc);
                if shared != doc {
                    doc = shared;
                    continue;
                }
                if alive.is_none_or(|a| a.is_alive(doc)) && filter.accepts(doc) {
                    let norm = fieldnorms.fieldnorm_id(doc);
                    // A word's or a pair's frequency bounds the phrase's.
                    let fewest = words
                        .iter()
                        .map(|w| w.postings.term_freq())
                        .min()
                        .unwrap_or(0);
                    if counted < cap || !best.cannot_enter(bound(norm, fewest)) {
                        let occurrences = positions.count(&mut words);
                        if occurrences > 0 {
                            counted += 1;
                            let key = (f64::from(bm25.score(norm, occurrences)), ids[doc as usize]);
                            best.offer(key, DocAddress::new(ord as u32, doc));
                        }
                    }
                }
                doc = words[0].postings.advance();
            }
        }
        Ok((best.into_page(), counted.min(cap)))
    }
}

/// Counts the matches, but stops once it has seen `cap` of them: an exact count of a
/// million matches costs a pass over a million postings, and a results page only needs to
/// say "more than `cap`".
pub(crate) fn count_up_to(
    searcher: &Searcher,
    query: &dyn Query,
    cap: usize,
    filter: &DocFilter,
    columns: &ColumnCache,
) -> tantivy::Result<usize> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    // One word: its document frequency is the count, where nothing is deleted or filtered.
    let one_term = query.downcast_ref::<TermQuery>().is_some();
    let mut n = 0;
    for reader in searcher.segment_readers() {
        if n >= cap {
            break;
        }
        let filter = filter.for_segment(&columns.of(reader)?);
        if filter.matches_nothing() {
            continue;
        }
        if one_term && reader.alive_bitset().is_none() && matches!(filter, SegmentFilter::All) {
            n += weight.count(reader)? as usize;
            continue;
        }
        let alive = reader.alive_bitset();
        if let Some((docs, mut scorer)) = few_dated_docs(&*weight, reader, &filter)? {
            for_each_of(&mut *scorer, &docs, |doc, _| {
                if n < cap && alive.is_none_or(|a| a.is_alive(doc)) && filter.accepts(doc) {
                    n += 1;
                }
            });
            continue;
        }
        let mut scorer = weight.scorer(reader, 1.0)?;
        // A buffer at a time: one dynamic call per 64 matches instead of one per match.
        let mut buffer = [0; COLLECT_BLOCK_BUFFER_LEN];
        let everything = alive.is_none() && matches!(filter, SegmentFilter::All);
        while n < cap {
            let got = scorer.fill_buffer(&mut buffer);
            if got == 0 {
                break;
            }
            if everything {
                n += got;
            } else {
                n += buffer[..got]
                    .iter()
                    .filter(|&&doc| alive.is_none_or(|a| a.is_alive(doc)) && filter.accepts(doc))
                    .count();
            }
        }
    }
    Ok(n.min(cap))
}

/// Asking the query about each document of a date range (a seek in its postings) costs
/// about this many steps of a plain pass over its matches.
const SEEK_COST: usize = 4;

/// The documents of a date range in document order, with the query's scorer to seek through them.
type DatedDocs = (Vec<DocId>, Box<dyn Scorer>);

/// When the filter's date range holds few of the segment's documents compared with the
/// query's matches (a month of a years-long archive against a common word), those documents
/// in document order, and the query's scorer to seek through them; a plain pass would visit
/// every match only to turn most away on its date.
fn few_dated_docs(
    weight: &dyn tantivy::query::Weight,
    reader: &tantivy::SegmentReader,
    filter: &SegmentFilter,
) -> tantivy::Result<Option<DatedDocs>> {
    let Some(in_range) = filter.docs_in_date_range() else {
        return Ok(None);
    };
    let scorer = weight.scorer(reader, 1.0)?;
    if in_range.len().saturating_mul(SEEK_COST) >= scorer.size_hint() as usize {
        return Ok(None);
    }
    let mut docs = in_range.to_vec();
    docs.sort_unstable();
    Ok(Some((docs, scorer)))
}

/// Calls `f` for each of `docs` (ascending) that `scorer` matches, with the scorer on it.
fn for_each_of(scorer: &mut dyn Scorer, docs: &[DocId], mut f: impl FnMut(DocId, &mut dyn Scorer)) {
    for &doc in docs {
        let mut at = scorer.doc();
        if at < doc {
            at = scorer.seek(doc);
        }
        if at == TERMINATED {
            break;
        }
        if at == doc {
            f(doc, &mut *scorer);
        }
    }
}
