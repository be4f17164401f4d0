//! Who may do what. People (admin, monitor, editor, agency) log in with a password; machines
//! (consumer, ingest) use API tokens scoped to one role.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including accounts, tokens and the audit trail.
    Admin,
    /// Spokesman Office monitors: the review queue, decisions, briefs, search.
    Monitor,
    /// PRD editors: search only.
    Editor,
    /// The downstream assignment system: reads approved issues and assignment messages.
    Consumer,
    /// Social-listening vendors that push posts (`POST /api/v1/ingest/social`).
    Ingest,
    /// An agency's people (its spokesperson's office): the issues assigned to their agency —
    /// or, for a ministry, to it and its departments — and nothing else. Each such user is
    /// bound to one agency.
    Agency,
    /// The KPI's evaluators outside the Spokesman Office (OPDC, ก.พ.ร.): the KPI pages, the
    /// quarterly report and its exports, read-only. People only, like agencies.
    Evaluator,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Self::Admin,
        Self::Monitor,
        Self::Editor,
        Self::Consumer,
        Self::Ingest,
        Self::Agency,
        Self::Evaluator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Monitor => "monitor",
            Self::Editor => "editor",
            Self::Consumer => "consumer",
            Self::Ingest => "ingest",
            Self::Agency => "agency",
            Self::Evaluator => "evaluator",
        }
    }

    /// Roles held by machines, which authenticate with tokens only.
    pub fn is_machine(self) -> bool {
        matches!(self, Self::Consumer | Self::Ingest)
    }

    /// Whether an API token may hold the role. An agency's access is bound to its agency,
    /// which only a user account carries.
    pub fn takes_tokens(self) -> bool {
        !matches!(self, Self::Agency | Self::Evaluator)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?} (expected one of: admin, monitor, editor, consumer, ingest, agency, evaluator)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}
