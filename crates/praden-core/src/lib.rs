//! Domain types shared by every praden crate. This crate does no IO.

pub mod document;
pub mod source;
pub mod thai_time;

pub use document::{canonical_url, content_hash, Document, NewDocument};
pub use source::{SourceId, SourceKind, UnknownSourceKind};
