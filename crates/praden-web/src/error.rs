use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Every error the API answers with, each with a stable machine code. 5xx details go to the
/// log, never to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadQuery(String),
    #[error("{0}")]
    BadParameter(String),
    #[error("the store is unavailable")]
    StoreUnavailable(#[source] praden_store::StoreError),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadQuery(_) => (StatusCode::BAD_REQUEST, "bad_query"),
            Self::BadParameter(_) => (StatusCode::BAD_REQUEST, "bad_parameter"),
            Self::StoreUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            match &self {
                Self::StoreUnavailable(e) => tracing::error!(error = %e, "store unavailable"),
                Self::Internal(detail) => tracing::error!(%detail, "internal error"),
                _ => {}
            }
        }
        let body = json!({ "error": { "code": code, "message": self.to_string() } });
        (status, Json(body)).into_response()
    }
}

impl From<praden_index::IndexError> for ApiError {
    fn from(e: praden_index::IndexError) -> Self {
        match e {
            praden_index::IndexError::BadQuery { .. } => Self::BadQuery(e.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}
