//! Counts of a result set by kind, outlet and month, read from fast fields so that facets
//! cost one pass over the matching documents and no stored-document reads.

use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::columns::{bangkok_day, ColumnCache, SegmentColumns};
use crate::filter::{DocFilter, SegmentFilter};

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Facets {
    pub kinds: Vec<FacetCount>,
    pub outlets: Vec<FacetCount>,
    /// `YYYY-MM` (C.E.) of the publication date in Bangkok time, oldest first.
    pub months: Vec<FacetCount>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

pub(crate) struct FacetCollector {
    pub filter: DocFilter,
    pub columns: ColumnCache,
}

pub(crate) struct SegmentFacets {
    filter: SegmentFilter,
    columns: Arc<SegmentColumns>,
    /// By `columns.sources`; split into kinds and outlets at the end.
    source_counts: Vec<u64>,
    docs: usize,
    /// Documents by Bangkok calendar day, from `first_day` (days since 1970-01-01) on. A
    /// vector, not a map: this is the innermost loop of a facet pass over a million matches.
    first_day: i64,
    day_counts: Vec<u64>,
}

#[derive(Default)]
pub(crate) struct PartialFacets {
    docs: usize,
    kinds: HashMap<String, u64>,
    outlets: HashMap<String, u64>,
    /// By (year, month) C.E.
    months: HashMap<(i32, u8), u64>,
}

/// The facets, and the number of matching documents they were counted over.
impl Collector for FacetCollector {
    type Fruit = (Facets, usize);
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        let columns = self.columns.of(segment)?;
        let days = columns.date_range.map_or(0, |(_, last)| {
            (bangkok_day(last) - columns.first_day + 1).max(0) as usize
        });
        Ok(SegmentFacets {
            filter: self.filter.for_segment(&columns),
            source_counts: vec![0; columns.source_kinds.len()],
            first_day: columns.first_day,
            columns,
            docs: 0,
            day_counts: vec![0; days],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<PartialFacets>) -> tantivy::Result<(Facets, usize)> {
        let mut all = PartialFacets::default();
        for f in fruits {
            all.docs += f.docs;
            for (k, n) in f.kinds {
                *all.kinds.entry(k).or_default() += n;
            }
            for (k, n) in f.outlets {
                *all.outlets.entry(k).or_default() += n;
            }
            for (m, n) in f.months {
                *all.months.entry(m).or_default() += n;
            }
        }
        let mut months: Vec<((i32, u8), u64)> = all.months.into_iter().collect();
        months.sort_unstable();
        let months = months
            .into_iter()
            .map(|((year, month), count)| FacetCount {
                value: format!("{year:04}-{month:02}"),
                count,
            })
            .collect();
        let facets = Facets {
            kinds: by_count(all.kinds),
            outlets: by_count(all.outlets),
            months,
        };
        Ok((facets, all.docs))
    }
}

impl SegmentFacets {
    /// The loop of a facet pass over hundreds of thousands of matches: two array reads a
    /// document.
    fn count(&mut self, docs: impl Iterator<Item = DocId>) {
        let c = &*self.columns;
        for doc in docs {
            let d = doc as usize;
            self.docs += 1;
            if let Some(n) = self.source_counts.get_mut(c.sources[d] as usize) {
                *n += 1;
            }
            if let Some(n) = self.day_counts.get_mut(c.days[d] as usize) {
                *n += 1;
            }
        }
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = PartialFacets;

    /// Only when the segment has deleted documents (tantivy then hands them one by one).
    fn collect(&mut self, doc: DocId, _: Score) {
        self.collect_block(&[doc]);
    }

    /// The loop of a facet pass over hundreds of thousands of matches.
    fn collect_block(&mut self, docs: &[DocId]) {
        if matches!(self.filter, SegmentFilter::All) {
            self.count(docs.iter().copied());
        } else {
            let filter = &self.filter;
            let kept: Vec<DocId> = docs
                .iter()
                .copied()
                .filter(|&d| filter.accepts(d))
                .collect();
            self.count(kept.into_iter());
        }
    }

    fn harvest(self) -> PartialFacets {
        let c = &*self.columns;
        let named = |names: &[String], ords: &[u32]| -> HashMap<String, u64> {
            let mut counts = HashMap::new();
            for (&ord, &n) in ords.iter().zip(&self.source_counts) {
                if let Some(name) = names.get(ord as usize).filter(|_| n > 0) {
                    *counts.entry(name.clone()).or_default() += n;
                }
            }
            counts
        };
        PartialFacets {
            docs: self.docs,
            kinds: named(&c.kind_names, &c.source_kinds),
            outlets: named(&c.outlet_names, &c.source_outlets),
            months: {
                // Years of days, a few dozen months: summed here so that merging the
                // segments' facets handles months, not days.
                let mut months = HashMap::new();
                for (day, n) in (self.first_day..).zip(self.day_counts) {
                    if n > 0 {
                        *months.entry(month_of_day(day)).or_default() += n;
                    }
                }
                months
            },
        }
    }
}

fn by_count(map: HashMap<String, u64>) -> Vec<FacetCount> {
    let mut v: Vec<FacetCount> = map
        .into_iter()
        .map(|(value, count)| FacetCount { value, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    v
}

/// (year, month) of a day counted from 1970-01-01.
fn month_of_day(day: i64) -> (i32, u8) {
    let date = time::Date::from_julian_day((day + 2_440_588) as i32).unwrap_or(time::Date::MIN);
    (date.year(), date.month() as u8)
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_map_to_months() {
        assert_eq!(super::month_of_day(0), (1970, 1));
        assert_eq!(super::month_of_day(19_783), (2024, 3)); // 2024-03-01
        assert_eq!(super::month_of_day(19_782), (2024, 2));
    }
}
