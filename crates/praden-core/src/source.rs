use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What kind of channel a document came from. The working group weighs them differently:
/// the Spokesman Office watches news and social media, PRD watches broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    News,
    Social,
    Broadcast,
    Official,
}

impl SourceKind {
    pub const ALL: [SourceKind; 4] = [Self::News, Self::Social, Self::Broadcast, Self::Official];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::News => "news",
            Self::Social => "social",
            Self::Broadcast => "broadcast",
            Self::Official => "official",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown source kind {0:?} (expected one of: news, social, broadcast, official)")]
pub struct UnknownSourceKind(pub String);

impl FromStr for SourceKind {
    type Err = UnknownSourceKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownSourceKind(s.to_string()))
    }
}

/// The id of a monitored source as written in sources.toml (e.g. `matichon-rss`).
pub type SourceId = String;
