//! `multipart/form-data` bodies (evidence uploads, from the agencies' page and the API), read
//! field by field with multer: a file over the per-file limit is counted to its end but not
//! kept, so the others in the same form are still judged one by one; the whole body is capped
//! (the per-issue limit and room for the text), so no upload runs without end. Text fields
//! are refused when given with a NUL, like the other extractors refuse them.

use crate::ApiError;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header;
use multer::{Constraints, SizeLimit};

/// The most a text field of a form may hold.
const MAX_TEXT_FIELD: usize = 64 * 1024;
/// Room for the text fields and the multipart framing on top of the files.
const FRAMING: u64 = 1024 * 1024;

/// One file of an upload: its field, the name it came with, and its bytes — or `None` when it
/// was over the per-file limit.
pub struct UploadedFile {
    pub name: String,
    pub bytes: Option<Bytes>,
    /// Its size as sent.
    pub size: u64,
}

/// A form read whole: its text fields in order, and its files.
#[derive(Default)]
pub struct Upload {
    fields: Vec<(String, String)>,
    pub files: Vec<UploadedFile>,
}

impl Upload {
    /// The first value of text field `name`, or "".
    pub fn text(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of text field `name` (checkboxes, repeated link fields), in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The text fields, for putting a refused form back as it was sent.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }
}

/// The boundary of a `multipart/form-data` request, or the refusal to say it must be one.
pub fn boundary(headers: &axum::http::HeaderMap) -> Result<String, ApiError> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|ct| ct.trim_start().starts_with("multipart/form-data"))
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(
                "the body must be a form with files, sent as multipart/form-data".into(),
            )
        })
}

/// Reads `req`'s multipart body: files of at most `max_file` bytes are kept, larger ones
/// counted and dropped; the whole body may not pass `max_files` bytes of files (plus framing).
pub async fn read(req: Request, max_file: u64, max_files: u64) -> Result<Upload, ApiError> {
    let boundary = boundary(req.headers())?;
    let stream = req.into_body().into_data_stream();
    let limits = SizeLimit::new().whole_stream(max_files.saturating_add(FRAMING));
    let mut form = multer::Multipart::with_constraints(
        stream,
        boundary,
        Constraints::new().size_limit(limits),
    );
    let mut upload = Upload::default();
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        if let Some(file_name) = field.file_name().map(str::to_string) {
            let mut kept = Vec::new();
            let mut size = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                size += chunk.len() as u64;
                if size <= max_file {
                    kept.extend_from_slice(&chunk);
                } else {
                    kept = Vec::new();
                }
            }
            // A file input left empty sends a part with no name and no bytes.
            if file_name.is_empty() && size == 0 {
                continue;
            }
            upload.files.push(UploadedFile {
                name: file_name,
                bytes: (size <= max_file).then(|| Bytes::from(kept)),
                size,
            });
        } else {
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                text.extend_from_slice(&chunk);
                if text.len() > MAX_TEXT_FIELD {
                    return Err(ApiError::TooLarge(format!(
                        "form field {name} is longer than {MAX_TEXT_FIELD} bytes"
                    )));
                }
            }
            let text = String::from_utf8(text)
                .map_err(|_| ApiError::BadBody(format!("form field {name} is not UTF-8")))?;
            if text.contains('\0') || name.contains('\0') {
                return Err(ApiError::BadParameter(format!(
                    "form field {} contains a NUL character (U+0000)",
                    name.replace('\0', "\\0")
                )));
            }
            upload.fields.push((name, text));
        }
    }
    Ok(upload)
}

fn unreadable(e: multer::Error) -> ApiError {
    match e {
        multer::Error::StreamSizeExceeded { limit } => ApiError::TooLarge(format!(
            "the upload is larger than {limit} bytes: send fewer files at once"
        )),
        other => ApiError::BadBody(format!("the form could not be read: {other}")),
    }
}
