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
    /// The table: each error's status, its stable code, and what a page tells a monitor in
    /// Thai. The JSON envelope and every HTML page answer from it, so one failure is the same
    /// status everywhere.
    pub(crate) fn status_code_thai(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::BadQuery(_) => (StatusCode::BAD_REQUEST, "bad_query", "คำค้นไม่ถูกต้อง"),
            Self::BadParameter(_) => (
                StatusCode::BAD_REQUEST,
                "bad_parameter",
                "ข้อมูลไม่ครบหรือไม่ถูกต้อง",
            ),
            Self::BadBody(_) => (StatusCode::BAD_REQUEST, "bad_body", "ข้อมูลที่ส่งมาอ่านไม่ได้"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", "ไม่พบสิ่งที่ขอ"),
            Self::MethodNotAllowed(_) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "ที่อยู่นี้ไม่รับคำขอแบบนี้",
            ),
            Self::TooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "ข้อมูลที่ส่งมามีขนาดใหญ่เกินไป",
            ),
            Self::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "ไม่รับข้อมูลชนิดนี้",
            ),
            Self::Conflict(_) => (
                StatusCode::CONFLICT,
                "conflict",
                "มีผู้ดำเนินการก่อนคุณ การดำเนินการของคุณยังไม่ถูกบันทึก กรุณาเปิดหน้าใหม่แล้วลองอีกครั้ง",
            ),
            Self::Unauthenticated(_) => {
                (StatusCode::UNAUTHORIZED, "unauthenticated", "กรุณาเข้าสู่ระบบ")
            }
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "คุณไม่มีสิทธิ์ทำรายการนี้"),
            Self::CsrfFailed(_) => (
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "แบบฟอร์มหมดอายุ กรุณาเปิดหน้าใหม่แล้วลองอีกครั้ง",
            ),
            Self::StoreUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "ฐานข้อมูลไม่พร้อมใช้งานชั่วคราว กรุณาลองใหม่อีกครั้ง",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "เกิดข้อผิดพลาดภายในระบบ",
            ),
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status_code_thai().0
    }

    /// The detail an answer may show after the Thai lead: the message, except for a server
    /// error, whose detail goes to the log (it may name internals) and not to the caller.
    pub(crate) fn shown_detail(&self) -> String {
        if self.status().is_server_error() {
            self.log();
        }
        self.to_string()
    }

    fn log(&self) {
        match self {
            Self::StoreUnavailable(e) => tracing::error!(error = %e, "store unavailable"),
            Self::Internal(detail) => tracing::error!(%detail, "internal error"),
            _ => {}
        }
    }
}

/// Left on an error's answer for `auth::resolve`, which turns the envelope into a Thai page
/// when a browser asked for a page.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThaiWords(pub &'static str);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, thai) = self.status_code_thai();
        let message = self.shown_detail();
        let body = json!({ "error": { "code": code, "message": message } });
        let mut response = (status, Json(body)).into_response();
        response.extensions_mut().insert(ThaiWords(thai));
        response
    }
}

impl From<praden_store::AccountError> for ApiError {
    fn from(e: praden_store::AccountError) -> Self {
        use praden_store::AccountError as A;
        match e {
            A::Exists { .. } | A::AlreadyRevoked { .. } => Self::Conflict(e.to_string()),
            A::NotFound { .. } => Self::NotFound(e.to_string()),
            A::Invalid(_) => Self::BadParameter(e.to_string()),
            A::Store(inner) => Self::StoreUnavailable(inner),
        }
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
