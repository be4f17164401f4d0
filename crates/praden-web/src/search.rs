//! `GET /api/v1/search`: the editors' search over HTTP.
//!
//! Parameters: `q` (required), `limit` (1–100, default 20), `kind` and `outlet`
//! (comma-separated lists), `from` and `to` (`YYYY-MM-DD`, whole Bangkok days, both
//! inclusive, B.E. or C.E. years, Thai digits allowed), `sort` (`relevance` | `newest` |
//! `oldest`), `after` (the `next_cursor` of the previous page), `facets` (`true` adds counts by
//! kind, outlet and month), `candidate` (only that story's coverage; `q` may then be empty),
//! `agency` (only documents naming that agency: its Thai name, abbreviation or English name).
//! Each hit names the candidate it belongs to, if any.

use crate::extract::{Json, Query};
use crate::{ApiError, AppState};
use axum::extract::State;
use praden_core::thai_time::{bangkok_midnight, parse_date_any_era};
use praden_core::SourceKind;
use praden_index::{SearchIndex, SearchRequest, SearchResults, SortOrder};
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::Semaphore;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

#[derive(Deserialize)]
pub struct SearchParams {
    pub(crate) q: Option<String>,
    pub(crate) limit: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) outlet: Option<String>,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) sort: Option<String>,
    pub(crate) after: Option<String>,
    pub(crate) facets: Option<String>,
    /// Only the coverage of this review-queue candidate (its story).
    pub(crate) candidate: Option<String>,
    /// Only documents naming this agency (Thai name or abbreviation from the registry).
    pub(crate) agency: Option<String>,
}

fn bad(param: &str, value: &str, expected: &str) -> ApiError {
    ApiError::BadParameter(format!(
        "parameter {param}=“{value}” is invalid: expected {expected}"
    ))
}

fn list(value: &Option<String>) -> Vec<String> {
    value
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl SearchParams {
    /// Checks every parameter and builds the index request, narrowed to a candidate's
    /// coverage when `candidate` is given (then `q` may be empty); the first bad parameter is
    /// named.
    pub async fn into_resolved(self, state: &AppState) -> Result<SearchRequest, ApiError> {
        let candidate = match self.candidate.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(
                c.parse::<i64>()
                    .map_err(|_| bad("candidate", c, "a candidate id (a whole number)"))?,
            ),
        };
        let agency = match self.agency.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(named) => Some(crate::review::find_agency(state, named)?),
        };
        let mut request = self.into_request()?;
        if let Some(a) = agency {
            request.mentions = [a.name_th, a.abbr, a.name_en]
                .into_iter()
                .filter(|n| !n.trim().is_empty())
                .collect();
        }
        if let Some(id) = candidate {
            let ids = state
                .store
                .candidate_document_ids(id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("candidate {id} does not exist")))?;
            request.documents = Some(ids);
        }
        Ok(request)
    }

    /// Checks every parameter but `candidate` and builds the index request.
    fn into_request(self) -> Result<SearchRequest, ApiError> {
        let browsing = self
            .candidate
            .as_deref()
            .is_some_and(|c| !c.trim().is_empty());
        let query = match self.q.filter(|q| !q.trim().is_empty()) {
            Some(q) => q,
            None if browsing => String::new(),
            None => {
                return Err(ApiError::BadParameter(
                    "parameter q (the query) is required".into(),
                ))
            }
        };
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| bad("limit", l, &format!("a whole number from 1 to {MAX_LIMIT}")))?,
        };
        let kinds = list(&self.kind);
        if let Some(k) = kinds.iter().find(|k| k.parse::<SourceKind>().is_err()) {
            return Err(bad("kind", k, "news, social, broadcast or official"));
        }
        let date = |param: &str, value: &Option<String>| {
            value
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .map(|v| {
                    parse_date_any_era(v)
                        .map_err(|e| bad(param, v, &format!("a date: {}", e.reason)))
                })
                .transpose()
        };
        let (from, to) = (date("from", &self.from)?, date("to", &self.to)?);
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(ApiError::BadParameter(format!(
                    "the date range from {f} to {t} is empty: from must not be after to"
                )));
            }
        }
        let sort = match self.sort.as_deref() {
            None | Some("relevance") => SortOrder::Relevance,
            Some("newest") => SortOrder::Newest,
            Some("oldest") => SortOrder::Oldest,
            Some(other) => return Err(bad("sort", other, "relevance, newest or oldest")),
        };
        let facets = match self.facets.as_deref() {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(other) => return Err(bad("facets", other, "true or false")),
        };
        Ok(SearchRequest {
            query,
            kinds,
            outlets: list(&self.outlet),
            from: from.map(bangkok_midnight),
            until: to.and_then(|d| d.next_day()).map(bangkok_midnight),
            sort,
            limit,
            after: self.after.filter(|a| !a.is_empty()),
            facets,
            snippets: true,
            documents: None,
            mentions: Vec::new(),
        })
    }
}

pub async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchResults>, ApiError> {
    let request = params.into_resolved(&state).await?;
    let mut results = state.searches.run(&state.index, request).await?;
    link_candidates(&state, &mut results).await?;
    Ok(Json(results))
}

/// How many searches run at once; the others wait their turn, first come first served.
///
/// A search is CPU work on a blocking thread (tantivy blocks). Unbounded, twenty editors'
/// searches on two cores ran as twenty threads sharing the cores, so a slow search (a phrase
/// of common words) was slowed twentyfold by the others and every search waited on every
/// other. In turn, a search waits only for those ahead of it: at 20 clients on the 1M bench
/// p99 went from 41–49 ms to 30–32 on the realistic mix, and on the fixed queries while
/// ingesting from 43–51 ms to 39–47, at the same CPU a request (ARCHITECTURE.md). Twice as
/// many slots as cores keep the cores busy while a search's thread is handed its next one
/// (as many as cores left them idle a fifth of the time). A flood of searches queues here instead of growing the
/// blocking pool by a thread each.
#[derive(Clone)]
pub struct SearchSlots(Arc<Semaphore>);

impl SearchSlots {
    pub fn new(at_once: usize) -> Self {
        Self(Arc::new(Semaphore::new(at_once.max(1))))
    }

    /// Runs `request` once a slot is free, off the async workers.
    pub async fn run(
        &self,
        index: &SearchIndex,
        request: SearchRequest,
    ) -> Result<SearchResults, ApiError> {
        let _slot = self
            .0
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let index = index.clone();
        Ok(
            tokio::task::spawn_blocking(move || index.search_with(&request))
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))??,
        )
    }
}

/// Marks each hit with the review-queue candidate (story) it belongs to.
pub(crate) async fn link_candidates(
    state: &AppState,
    results: &mut SearchResults,
) -> Result<(), ApiError> {
    let ids: Vec<i64> = results.hits.iter().map(|h| h.doc_id).collect();
    let of: std::collections::HashMap<i64, i64> = state
        .store
        .candidates_of_documents(&ids)
        .await?
        .into_iter()
        .collect();
    for hit in &mut results.hits {
        hit.candidate_id = of.get(&hit.doc_id).copied();
    }
    Ok(())
}
