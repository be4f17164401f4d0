//! Ingestion: the monitored sources (sources.toml), fetching, feed parsing, and storing what
//! is new. Documents go to the store only; the search index follows the store.

mod adapter;
pub mod address;
pub mod budget;
pub mod charset;
pub mod dedup;
pub mod feed;
pub mod fetch;
pub mod html;
pub mod lines;
pub mod poll;
pub mod report;
pub mod schedule;
pub mod sink;
pub mod social;
pub mod sources;
pub mod text;
pub mod transcript;

pub use budget::{ParseBudget, ParseError};
pub use fetch::{FetchConfig, FetchError, Fetched, Fetcher, Validators};
pub use poll::{IngestLimits, Ingester};
pub use report::{ItemError, PollError, PollReport};
pub use sink::{DocumentSink, ObservedPost, Written};
pub use sources::{
    FeedFormat, FeedParams, FetchArticle, HtmlSelectors, Source, SourceFormat, SourceParams,
    SourcesError,
};
