//! HTTP: the JSON API and, later, the HTML pages. Holds no business logic of its own: it calls
//! the store and the index.

mod error;

pub use error::ApiError;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use praden_index::{SearchIndex, SearchResults};
use praden_store::Store;
use serde::{Deserialize, Serialize};
use std::future::Future;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub index: SearchIndex,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/search", get(search))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes the requests in
/// flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    documents: i64,
    indexed: u64,
}

async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let documents = state
        .store
        .count_documents()
        .await
        .map_err(ApiError::StoreUnavailable)?;
    Ok(Json(Health {
        status: "ok",
        documents,
        indexed: state.index.num_docs(),
    }))
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    limit: Option<String>,
}

async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchResults>, ApiError> {
    let q = params
        .q
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::BadParameter("parameter q (the query) is required".into()))?;
    let limit = match params.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::BadParameter(format!(
                    "parameter limit={l:?} must be a whole number from 1 to {MAX_LIMIT}"
                ))
            })?,
    };
    // tantivy searches block; keep them off the async workers.
    let results = tokio::task::spawn_blocking(move || state.index.search(&q, limit))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(results))
}
