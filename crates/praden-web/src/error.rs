use crate::extract::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Every error the API answers with, each with a stable machine code: the one table of them
/// (README "Errors" and api/openapi.json list the same codes). 5xx details go to the log,
/// never to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadQuery(String),
    /// A query or path parameter (or form field) that is missing, malformed, out of range or
    /// given twice; the message names it.
    #[error("{0}")]
    BadParameter(String),
    /// A request body that cannot be read as what the route takes: not JSON, empty, a field
    /// missing or of the wrong type.
    #[error("{0}")]
    BadBody(String),
    #[error("{0}")]
    NotFound(String),
    /// The path exists, but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The body is larger than the route takes.
    #[error("{0}")]
    TooLarge(String),
    /// The body is sent with a content type the route does not read.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Someone else changed the thing first; nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// Nobody is logged in, or the credentials are unknown, expired or revoked.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A cookie-authenticated request that changes state without the session's CSRF token.
    #[error("{0}")]
    CsrfFailed(String),
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
            Self::BadBody(_) => (StatusCode::BAD_REQUEST, "bad_body"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::CsrfFailed(_) => (StatusCode::FORBIDDEN, "csrf_failed"),
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

impl From<praden_store::DecisionError> for ApiError {
    fn from(e: praden_store::DecisionError) -> Self {
        use praden_store::DecisionError as D;
        match e {
            D::NotFound { .. } => Self::NotFound(e.to_string()),
            D::Conflict { .. } | D::InvalidState { .. } => Self::Conflict(e.to_string()),
            D::Invalid(_) => Self::BadParameter(e.to_string()),
            D::Store(inner) => Self::StoreUnavailable(inner),
        }
    }
}

impl From<praden_store::StoreError> for ApiError {
    fn from(e: praden_store::StoreError) -> Self {
        Self::StoreUnavailable(e)
    }
}
