//! Domain types shared by every praden crate. This crate does no IO.

pub mod access;
pub mod backoff;
pub mod document;
pub mod html;
pub mod kpi;
pub mod node;
pub mod report;
pub mod review;
pub mod social;
pub mod source;
pub mod thai_time;

pub use access::{Role, UnknownRole};
pub use document::{
    canonical_url, content_hash, outlet_item_key, Document, DocumentParts, NewDocument,
};
pub use source::{SourceId, SourceKind, UnknownSourceKind};
