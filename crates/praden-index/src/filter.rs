//! The filters of a search (kind, outlet, date range), checked per matching document from
//! the segment's fast-field arrays (`columns.rs`) instead of being added to the query.
//!
//! As query clauses they turned every search into a generic boolean intersection, which
//! tantivy scores document by document: block-WAND (one word) and block-max intersection
//! (several words) only run on a plain term query or a plain intersection of terms. Checked
//! in the collector, the text query keeps its pruning and a filter costs an array read per
//! candidate document.

use std::sync::Arc;

use tantivy::DocId;

use crate::columns::{SegmentColumns, NO_VALUE, UNDATED};

#[derive(Debug, Clone, Default)]
pub(crate) struct DocFilter {
    pub kinds: Vec<String>,
    pub outlets: Vec<String>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
}

pub(crate) enum SegmentFilter {
    All,
    /// No document of this segment can pass: a requested kind or outlet does not occur in
    /// it, or its dates are all outside the range.
    Nothing,
    Some {
        columns: Arc<SegmentColumns>,
        /// Whether each source (`columns.sources`) has an accepted kind and outlet; None:
        /// any source.
        sources: Option<Vec<bool>>,
        /// [from, until) in Unix seconds; None: any date, or none.
        dates: Option<(i64, i64)>,
    },
}

impl DocFilter {
    pub fn for_segment(&self, columns: &Arc<SegmentColumns>) -> SegmentFilter {
        if self.kinds.is_empty()
            && self.outlets.is_empty()
            && self.from.is_none()
            && self.until.is_none()
        {
            return SegmentFilter::All;
        }
        let one_of = |names: &[String], values: &[String]| {
            (!values.is_empty()).then(|| SegmentColumns::ords_of(names, values))
        };
        let kinds = one_of(&columns.kind_names, &self.kinds);
        let outlets = one_of(&columns.outlet_names, &self.outlets);
        if kinds.iter().chain(&outlets).any(Vec::is_empty) {
            return SegmentFilter::Nothing;
        }
        let sources = (kinds.is_some() || outlets.is_some()).then(|| {
            let one_of = |accepted: &Option<Vec<u32>>, ord: u32| {
                accepted
                    .as_ref()
                    .is_none_or(|a| ord != NO_VALUE && a.contains(&ord))
            };
            columns
                .source_kinds
                .iter()
                .zip(&columns.source_outlets)
                .map(|(&kind, &outlet)| one_of(&kinds, kind) && one_of(&outlets, outlet))
                .collect::<Vec<bool>>()
        });
        let dates = if self.from.is_some() || self.until.is_some() {
            let (from, until) = (
                self.from.unwrap_or(i64::MIN),
                self.until.unwrap_or(i64::MAX),
            );
            // An undated document is outside every date range.
            match columns.date_range {
                Some((first, last)) if last >= from && first < until => Some((from, until)),
                _ => return SegmentFilter::Nothing,
            }
        } else {
            None
        };
        SegmentFilter::Some {
            columns: columns.clone(),
            sources,
            dates,
        }
    }
}

impl SegmentFilter {
    pub fn matches_nothing(&self) -> bool {
        matches!(self, Self::Nothing)
    }

    /// The segment's documents in the date range (in date order), when there is one.
    pub fn docs_in_date_range(&self) -> Option<&[DocId]> {
        match self {
            Self::Some {
                columns,
                dates: Some((from, until)),
                ..
            } => Some(columns.in_dates(*from, *until)),
            _ => None,
        }
    }

    #[inline]
    pub fn accepts(&self, doc: DocId) -> bool {
        match self {
            Self::All => true,
            Self::Nothing => false,
            Self::Some {
                columns,
                sources,
                dates,
            } => {
                let d = doc as usize;
                sources
                    .as_ref()
                    .is_none_or(|s| s[columns.sources[d] as usize])
                    && dates.is_none_or(|(from, until)| {
                        let t = columns.dates[d];
                        t != UNDATED && from <= t && t < until
                    })
            }
        }
    }
}
