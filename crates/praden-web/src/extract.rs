//! The extractors every handler uses instead of axum's own: `Query`, `Path`, `Json` and
//! `Form` with the same shapes, whose rejections are [`ApiError`]s, so a request that cannot
//! be read gets the documented `{"error":{"code","message"}}` envelope naming what is wrong
//! (axum's answer is plain text, and 422 for a JSON body of the wrong shape). A unit test
//! refuses axum's versions anywhere else in this crate.
//!
//! They also refuse, before any handler runs, two things serde would let through:
//! - a query parameter or form field given twice: serde_urlencoded into a struct answers a
//!   bare "duplicate field", and into a map keeps one of them silently; which one a caller
//!   meant is a guess, so neither is taken;
//! - a NUL character (U+0000) in a parameter, path segment, form field or JSON string:
//!   PostgreSQL's text cannot hold it, so it would come back as a store failure (503) instead
//!   of the caller's mistake.

use crate::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, FormRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The query string, deserialized; see the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        check_pairs(parts.uri.query().unwrap_or("").as_bytes(), "parameter")?;
        match axum::extract::Query::<T>::try_from_uri(&parts.uri) {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::BadParameter(
                format!("the query string is invalid: {}", e.body_text()),
            )),
            Err(other) => Err(ApiError::BadParameter(other.body_text())),
        }
    }
}

/// The route's path parameters, deserialized; see the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // Named for the messages below: axum's error for a lone parameter has no name.
        let names: Vec<(String, String)> = RawPathParams::from_request_parts(parts, state)
            .await
            .map(|raw| {
                raw.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        if let Some((name, _)) = names.iter().find(|(_, v)| v.contains('\0')) {
            return Err(ApiError::BadParameter(format!(
                "path parameter {name} contains a NUL character (U+0000)"
            )));
        }
        let rejection = match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => return Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => e,
            Err(other) => return Err(ApiError::Internal(other.body_text())),
        };
        use axum::extract::path::ErrorKind as K;
        let lone = match names.as_slice() {
            [(name, _)] => name.as_str(),
            _ => "segment",
        };
        let invalid = |name: &str, value: &str, expected: &str| {
            ApiError::BadParameter(format!(
                "path parameter {name}=“{value}” is invalid: expected {}",
                describe(expected)
            ))
        };
        Err(match rejection.kind() {
            K::ParseErrorAtKey {
                key,
                value,
                expected_type,
            } => invalid(key, value, expected_type),
            K::ParseError {
                value,
                expected_type,
            } => invalid(lone, value, expected_type),
            K::ParseErrorAtIndex {
                index,
                value,
                expected_type,
            } => {
                let name = names.get(*index).map_or("segment", |(n, _)| n.as_str());
                invalid(name, value, expected_type)
            }
            K::InvalidUtf8InPathParam { key } => {
                ApiError::BadParameter(format!("path parameter {key} is not UTF-8"))
            }
            K::DeserializeError {
                key,
                value,
                message,
            } => ApiError::BadParameter(format!(
                "path parameter {key}=“{value}” is invalid: {message}"
            )),
            // The handler asks for a shape the route cannot give: our mistake, not the
            // caller's.
            K::WrongNumberOfParameters { .. } | K::UnsupportedType { .. } => {
                ApiError::Internal(rejection.body_text())
            }
            _ => ApiError::BadParameter(rejection.body_text()),
        })
    }
}

/// What a Rust type name means to a caller.
fn describe(expected_type: &str) -> &str {
    match expected_type {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
            "a whole number"
        }
        other => other,
    }
}

/// A JSON body (`Content-Type: application/json`), deserialized; also the JSON response
/// (axum's), so handlers name one `Json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "the body must be JSON, sent with Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| body_unreadable(&e))?;
        // Straight into `T`, not through a map, so a field given twice is refused too.
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value: T = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| (e.path().to_string(), e.into_inner()))
            .and_then(|v| de.end().map(|()| v).map_err(|e| (".".to_string(), e)))
            .map_err(|(path, e)| {
                ApiError::BadBody(match e.classify() {
                    serde_json::error::Category::Data if path != "." => {
                        format!("the JSON body does not fit: {path}: {e}")
                    }
                    serde_json::error::Category::Data => {
                        format!("the JSON body does not fit: {e}")
                    }
                    _ if bytes.iter().all(u8::is_ascii_whitespace) => {
                        "the body is empty: send a JSON object".into()
                    }
                    _ => format!("the body is not JSON: {e}"),
                })
            })?;
        // A NUL can only be written as an escape in JSON; look closer only then.
        if bytes.windows(6).any(|w| w == b"\\u0000")
            && serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|v| has_nul(&v))
        {
            return Err(ApiError::BadBody(
                "the body contains a NUL character (U+0000), which praden cannot store".into(),
            ));
        }
        Ok(Self(value))
    }
}

/// `application/json` or `application/…+json`, parameters aside, as axum's `Json` takes.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn has_nul(v: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match v {
        V::String(s) => s.contains('\0'),
        V::Array(items) => items.iter().any(has_nul),
        V::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        V::Null | V::Bool(_) | V::Number(_) => false,
    }
}

/// An urlencoded form body (`Content-Type: application/x-www-form-urlencoded`), as the
/// pages post; see the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(ApiError::UnsupportedMediaType(
                "the body must be a form, sent with \
                 Content-Type: application/x-www-form-urlencoded"
                    .into(),
            ));
        }
        let (parts, body) = req.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|e| body_unreadable(&e))?;
        check_pairs(&bytes, "form field")?;
        let req = Request::from_parts(parts, Body::from(bytes));
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(Self(value)),
            Err(FormRejection::FailedToDeserializeFormBody(e)) => Err(ApiError::BadBody(format!(
                "the form does not fit: {}",
                e.body_text()
            ))),
            Err(e) => Err(ApiError::BadBody(e.body_text())),
        }
    }
}

fn body_unreadable(e: &BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(format!("the body is too large: {}", e.body_text()))
    } else {
        ApiError::BadBody(format!("the body could not be read: {}", e.body_text()))
    }
}

/// Refuses a name given twice and a NUL in a name or value of urlencoded `pairs`.
fn check_pairs(pairs: &[u8], what: &str) -> Result<(), ApiError> {
    let mut seen = std::collections::HashSet::new();
    for (name, value) in form_urlencoded::parse(pairs) {
        if name.contains('\0') || value.contains('\0') {
            return Err(ApiError::BadParameter(format!(
                "{what} {} contains a NUL character (U+0000)",
                name.replace('\0', "\\0")
            )));
        }
        if !seen.insert(name.clone()) {
            return Err(ApiError::BadParameter(format!(
                "{what} {name} is given more than once: give it once \
                 (lists are comma-separated)"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_given_twice_or_holding_nul_are_refused_by_name() {
        assert!(check_pairs(b"q=a&limit=5&after=", "parameter").is_ok());
        let e = check_pairs(b"q=a&limit=5&limit=6", "parameter").unwrap_err();
        assert!(e
            .to_string()
            .contains("parameter limit is given more than once"));
        // The same name, spelled with an escape.
        assert!(check_pairs(b"q=a&%71=b", "parameter").is_err());
        let e = check_pairs(b"actor=a%00b", "parameter").unwrap_err();
        assert!(e.to_string().contains("actor contains a NUL"), "{e}");
    }

    #[test]
    fn nul_is_found_anywhere_in_json() {
        let v: serde_json::Value = serde_json::from_str(r#"{"a": [1, {"b": "x\u0000"}]}"#).unwrap();
        assert!(has_nul(&v));
        let v: serde_json::Value =
            serde_json::from_str(r#"{"a": [1, {"b": "x\\u0000"}]}"#).unwrap();
        assert!(!has_nul(&v), "an escaped backslash is not a NUL");
    }

    /// axum's own extractors answer plain text: only this file may use them.
    #[test]
    fn handlers_use_these_extractors_only() {
        let files = crate::source_files();
        let mut offenders = Vec::new();
        for file in files {
            if file.ends_with("extract.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            let imports_axums = code.lines().any(|l| {
                let l = l.trim();
                l.starts_with("use axum::")
                    && ["Query", "Path", "Json", "Form"].iter().any(|name| {
                        l.split(|c: char| !c.is_alphanumeric() && c != '_')
                            .any(|w| w == *name)
                    })
            });
            let names_axums = ["axum::Json", "axum::extract::Query", "axum::extract::Path"]
                .iter()
                .any(|p| code.contains(&format!("{p}(")) || code.contains(&format!("{p}<")));
            if imports_axums || names_axums {
                offenders.push(file.display().to_string());
            }
        }
        assert!(
            offenders.is_empty(),
            "use crate::extract::{{Query, Path, Json, Form}}: {offenders:?}"
        );
    }
}
