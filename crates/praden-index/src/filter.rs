//! The filters of a search (kind, outlet, date range), checked per matching document from
//! fast fields instead of being added to the query.
//!
//! As query clauses they turned every search into a generic boolean intersection, which
//! tantivy scores document by document: block-WAND (one word) and block-max intersection
//! (several words) only run on a plain term query or a plain intersection of terms. Checked
//! in the collector, the text query keeps its pruning and a filter costs a column read per
//! candidate document.

use tantivy::columnar::{Column, StrColumn};
use tantivy::{DateTime, DocId};

use crate::columns::SegmentColumns;

#[derive(Debug, Clone, Default)]
pub(crate) struct DocFilter {
    pub kinds: Vec<String>,
    pub outlets: Vec<String>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
}

/// A string column and the ordinals of the accepted values in this segment's dictionary.
pub(crate) struct OneOf {
    column: StrColumn,
    ords: Vec<u64>,
}

impl OneOf {
    fn accepts(&self, doc: DocId) -> bool {
        self.column.term_ords(doc).any(|o| self.ords.contains(&o))
    }
}

pub(crate) enum SegmentFilter {
    All,
    /// A requested kind or outlet does not occur in this segment at all.
    Nothing,
    Some {
        kinds: Option<OneOf>,
        outlets: Option<OneOf>,
        dates: Option<(Column<DateTime>, i64, i64)>,
    },
}

impl DocFilter {
    pub fn for_segment(&self, columns: &SegmentColumns) -> SegmentFilter {
        if self.kinds.is_empty()
            && self.outlets.is_empty()
            && self.from.is_none()
            && self.until.is_none()
        {
            return SegmentFilter::All;
        }
        // None: no document of this segment can pass; Some(None): no condition on the field.
        let one_of = |column: &Option<StrColumn>, values: &[String]| -> Option<Option<OneOf>> {
            if values.is_empty() {
                return Some(None);
            }
            let column = column.as_ref()?;
            let ords: Vec<u64> = values
                .iter()
                .filter_map(|v| column.dictionary().term_ord(v.as_bytes()).ok().flatten())
                .collect();
            (!ords.is_empty()).then(|| {
                Some(OneOf {
                    column: column.clone(),
                    ords,
                })
            })
        };
        let (Some(kinds), Some(outlets)) = (
            one_of(&columns.kind, &self.kinds),
            one_of(&columns.outlet, &self.outlets),
        ) else {
            return SegmentFilter::Nothing;
        };
        let dates = if self.from.is_some() || self.until.is_some() {
            let (from, until) = (
                self.from.unwrap_or(i64::MIN),
                self.until.unwrap_or(i64::MAX),
            );
            // An undated document is outside every date range; a segment whose dates all
            // fall outside it has nothing to give.
            let Some(column) = &columns.published_at else {
                return SegmentFilter::Nothing;
            };
            let (first, last) = crate::columns::date_range(column)
                .map(|(a, b)| (a.into_timestamp_secs(), b.into_timestamp_secs()))
                .unwrap_or((i64::MAX, i64::MIN));
            if last < from || first >= until {
                return SegmentFilter::Nothing;
            }
            Some((column.clone(), from, until))
        } else {
            None
        };
        SegmentFilter::Some {
            kinds,
            outlets,
            dates,
        }
    }
}

impl SegmentFilter {
    pub fn matches_nothing(&self) -> bool {
        matches!(self, Self::Nothing)
    }

    #[inline]
    pub fn accepts(&self, doc: DocId) -> bool {
        match self {
            Self::All => true,
            Self::Nothing => false,
            Self::Some {
                kinds,
                outlets,
                dates,
            } => {
                kinds.as_ref().is_none_or(|k| k.accepts(doc))
                    && outlets.as_ref().is_none_or(|o| o.accepts(doc))
                    && dates.as_ref().is_none_or(|(c, from, until)| {
                        c.first(doc).is_some_and(|t| {
                            let s = t.into_timestamp_secs();
                            *from <= s && s < *until
                        })
                    })
            }
        }
    }
}
