//! praden-detect: issue detection. This crate currently holds the responsible-agency part:
//! a curated registry of Thai government agencies and a ranker that proposes which agency must
//! clarify a story. Pure functions apart from loading the registry; see README.md.

pub mod baseline;
pub mod error;
pub mod history;
pub mod mention;
pub mod normalize;
pub mod registry;
pub mod stream;
pub mod suggest;

pub use error::{HistoryError, RegistryError, SuggestError};
pub use registry::{Agency, AgencyKind, AgencyRegistry};
pub use stream::{suggest_stream, StreamSummary};
pub use suggest::{AgencySuggester, AgencySuggestion, SuggestConfig};
