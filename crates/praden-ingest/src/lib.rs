//! Ingestion: the monitored sources (sources.toml), fetching, feed parsing, and storing what
//! is new. Documents go to the store only; the search index follows the store.

pub mod feed;
pub mod fetch;
pub mod poll;
pub mod sources;
pub mod text;

pub use fetch::{FetchConfig, Fetcher};
pub use poll::{Ingester, PollError, PollReport};
pub use sources::{Source, SourceFormat, SourcesError};
