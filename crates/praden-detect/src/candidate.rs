//! From a story to a candidate issue for the review queue: the story's title and summary, its
//! criteria scores with evidence, ranked agency suggestions, a default deadline and its
//! sources. Storing candidates belongs to the review queue, not here.

use std::collections::BTreeSet;

use serde::Serialize;
use time::OffsetDateTime;

use crate::cluster::{KindCounts, Story, StoryId};
use crate::criteria::{Assessment, CriteriaScorer, Criterion};
use crate::suggest::{AgencySuggester, AgencySuggestion};

/// Where a candidate's coverage came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sources {
    pub outlets: BTreeSet<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    /// Document links in arrival order, without repeats.
    pub links: Vec<String>,
    pub counts: KindCounts,
    /// Distinct articles (near-duplicates once).
    pub articles: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub story: StoryId,
    pub title: String,
    pub summary: String,
    pub assessment: Assessment,
    /// Best first.
    pub agencies: Vec<AgencySuggestion>,
    pub deadline_days: u32,
    /// The rule that set the deadline.
    pub deadline_rule: String,
    pub sources: Sources,
}

/// The candidate for `story` as of `now`, or `None` when it passes no threshold: overall score
/// at `candidate_threshold`, any single criterion at `single_criterion_threshold`, or a
/// misleading-coverage flag (which always needs a correction).
pub fn candidate_for(
    story: &Story,
    now: OffsetDateTime,
    scorer: &CriteriaScorer,
    suggester: &AgencySuggester,
) -> Option<Candidate> {
    let config = scorer.config();
    let assessment = scorer.assess(story, now);
    let single = assessment
        .scores
        .iter()
        .any(|s| s.score >= config.single_criterion_threshold);
    if assessment.overall < config.candidate_threshold && !single && assessment.misleading.is_none()
    {
        return None;
    }
    let title = story.title();
    let summary = story.summary();
    let agencies = suggester.suggest(&title, &summary);

    let urgent = assessment.score(Criterion::CurrentSituation) >= config.urgent_threshold
        || assessment.score(Criterion::WidePublicImpact) >= config.urgent_threshold;
    let (deadline_days, deadline_rule) = if assessment.misleading.is_some() {
        (
            config.deadline_misleading_days,
            "possibly misleading coverage: correct quickly".to_string(),
        )
    } else if urgent {
        (
            config.deadline_urgent_days,
            format!(
                "current situation or wide public impact ≥ {}",
                config.urgent_threshold
            ),
        )
    } else {
        (config.deadline_default_days, "default".to_string())
    };

    let mut seen = BTreeSet::new();
    let links = story
        .members
        .iter()
        .filter_map(|m| m.url.clone())
        .filter(|u| seen.insert(u.clone()))
        .collect();
    Some(Candidate {
        story: story.id,
        title,
        summary,
        assessment,
        agencies,
        deadline_days,
        deadline_rule,
        sources: Sources {
            outlets: story.outlets.clone(),
            first_seen: story.first_seen,
            last_seen: story.last_seen,
            links,
            counts: story.kinds,
            articles: story.articles,
        },
    })
}
