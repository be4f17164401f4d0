//! HTTP: the JSON API and, later, the HTML pages. Holds no business logic of its own: it calls
//! the store and the index.

mod error;
mod export;
mod pages;
mod search;
pub mod sources;

pub use error::ApiError;
pub use search::{DEFAULT_LIMIT, MAX_LIMIT};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use praden_index::SearchIndex;
use praden_store::Store;
use serde::Serialize;
use std::future::Future;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub index: SearchIndex,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/search", get(search::search))
        .route("/api/v1/search/export", get(export::export))
        .route("/search", get(pages::search_page))
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
