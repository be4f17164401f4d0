//! Counts of a result set by kind, outlet and month, read from fast fields so that facets
//! cost one pass over the matching documents and no stored-document reads.

use serde::Serialize;
use std::collections::HashMap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

const BANGKOK_SECS: i64 = 7 * 3600;

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

pub struct FacetCollector;

pub struct SegmentFacets {
    kind: Option<StrColumn>,
    outlet: Option<StrColumn>,
    published: Option<Column<tantivy::DateTime>>,
    kind_counts: Vec<u64>,
    outlet_counts: Vec<u64>,
    /// Bangkok calendar day (days since 1970-01-01) → documents.
    day_counts: HashMap<i64, u64>,
}

#[derive(Default)]
pub struct PartialFacets {
    kinds: HashMap<String, u64>,
    outlets: HashMap<String, u64>,
    days: HashMap<i64, u64>,
}

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        let ff = segment.fast_fields();
        let kind = ff.str("kind")?;
        let outlet = ff.str("outlet")?;
        let size = |c: &Option<StrColumn>| c.as_ref().map_or(0, |c| c.dictionary().num_terms());
        Ok(SegmentFacets {
            kind_counts: vec![0; size(&kind)],
            outlet_counts: vec![0; size(&outlet)],
            kind,
            outlet,
            published: ff.date("published_at").ok(),
            day_counts: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<PartialFacets>) -> tantivy::Result<Facets> {
        let mut all = PartialFacets::default();
        for f in fruits {
            for (k, n) in f.kinds {
                *all.kinds.entry(k).or_default() += n;
            }
            for (k, n) in f.outlets {
                *all.outlets.entry(k).or_default() += n;
            }
            for (d, n) in f.days {
                *all.days.entry(d).or_default() += n;
            }
        }
        let mut months: HashMap<String, u64> = HashMap::new();
        for (day, n) in all.days {
            *months.entry(month_of_day(day)).or_default() += n;
        }
        let mut months: Vec<FacetCount> = months
            .into_iter()
            .map(|(value, count)| FacetCount { value, count })
            .collect();
        months.sort_by(|a, b| a.value.cmp(&b.value));
        Ok(Facets {
            kinds: by_count(all.kinds),
            outlets: by_count(all.outlets),
            months,
        })
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = PartialFacets;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(c) = &self.kind {
            for ord in c.term_ords(doc) {
                self.kind_counts[ord as usize] += 1;
            }
        }
        if let Some(c) = &self.outlet {
            for ord in c.term_ords(doc) {
                self.outlet_counts[ord as usize] += 1;
            }
        }
        if let Some(t) = self.published.as_ref().and_then(|c| c.first(doc)) {
            let day = (t.into_timestamp_secs() + BANGKOK_SECS).div_euclid(86_400);
            *self.day_counts.entry(day).or_default() += 1;
        }
    }

    fn harvest(self) -> PartialFacets {
        let named = |column: &Option<StrColumn>, counts: Vec<u64>| {
            let mut out = HashMap::new();
            let Some(column) = column else { return out };
            for (ord, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                let mut name = String::new();
                if column.ord_to_str(ord as u64, &mut name).unwrap_or(false) {
                    out.insert(name, n);
                }
            }
            out
        };
        PartialFacets {
            kinds: named(&self.kind, self.kind_counts),
            outlets: named(&self.outlet, self.outlet_counts),
            days: self.day_counts,
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

fn month_of_day(day: i64) -> String {
    let date = time::Date::from_julian_day((day + 2_440_588) as i32).unwrap_or(time::Date::MIN);
    format!("{:04}-{:02}", date.year(), date.month() as u8)
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_map_to_months() {
        assert_eq!(super::month_of_day(0), "1970-01");
        assert_eq!(super::month_of_day(19_783), "2024-03"); // 2024-03-01
        assert_eq!(super::month_of_day(19_782), "2024-02");
    }
}
