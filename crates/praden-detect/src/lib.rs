//! praden-detect: issue detection. Online story clustering (`cluster`), the working group's six
//! criteria (`criteria`), candidates for the review queue (`candidate`), and the
//! responsible-agency part: a curated registry of Thai government agencies and a ranker that
//! proposes which agency must clarify a story; and whether a document is an agency's
//! clarification of an assigned issue (`clarification`). Pure functions apart from loading the embedded
//! data and an optional registry extension; see README.md.

pub mod baseline;
pub mod candidate;
pub mod clarification;
pub mod cluster;
pub mod criteria;
pub mod error;
pub mod history;
pub mod mention;
pub mod normalize;
pub mod public_matter;
pub mod registry;
pub mod routine;
pub mod stream;
pub mod suggest;

pub use candidate::{
    agency_ref, agency_refs, candidate_for, candidate_with_engagement, Candidate, Sources,
};
pub use clarification::{
    match_clarification, AgencyEvidence, AgencyRelation, ClarificationConfig, ClarificationMatch,
    ClarificationMatcher, CueEvidence, Place, PreparedDocument, PreparedIssue,
};
pub use cluster::{
    Assignment, ClusterConfig, ClusterDoc, Clusterer, KindCounts, Story, StoryId, StoryMember,
    StoryMerge,
};
pub use criteria::{
    people_affected, Assessment, CriteriaConfig, CriteriaScorer, Criterion, CriterionScore,
    MisleadingFlag, Policy, PolicyList, SocialEngagement,
};
pub use error::{HistoryError, PolicyError, RegistryError, SuggestError};
pub use public_matter::{PublicMatterModel, PublicMatterParams, PublicMatterVerdict};
pub use registry::{Agency, AgencyKind, AgencyRegistry};
pub use routine::{RoutineDecisionModel, RoutineVerdict};
pub use stream::{clarification_stream, cluster_stream, suggest_stream, StreamSummary};
pub use suggest::{AgencySuggester, AgencySuggestion, SuggestConfig};
