//! From a story to a candidate issue for the review queue: the story's title and summary, its
//! criteria scores with evidence, ranked agency suggestions, a default deadline and its
//! sources; and its record for the review queue (`to_proposal`). Storing it is the store's job.

use std::collections::BTreeSet;

use praden_core::SourceKind;
use serde::Serialize;
use time::OffsetDateTime;

use crate::cluster::{KindCounts, Story, StoryId};
use crate::criteria::{Assessment, CriteriaScorer, Criterion, SocialEngagement};
use crate::public_matter::PublicMatterModel;
use crate::registry::{Agency, AgencyRegistry};
use crate::suggest::{AgencySuggester, AgencySuggestion};
use praden_core::review::{
    AgencyProposal, AgencyRef, CriterionRecord, KindCounts as ReviewKindCounts, Proposal,
};

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
    /// Why the story counts as a public matter (Thai, naming documents as `ข่าว #ID`).
    pub public_matter: String,
}

/// Members the public-matter verdict reads at most: spread evenly over a large story, so a
/// story of thousands of posts costs what one of this many does.
const PUBLIC_MATTER_SAMPLE: usize = 60;

/// The candidate for `story` as of `now`, or `None` when it is not one: when it passes no
/// threshold — overall score at `candidate_threshold`, any criterion but the current
/// situation at `single_criterion_threshold`, or a misleading-coverage flag (which always needs
/// a correction) — or when its text is not about a public matter (`public`: brand marketing,
/// sports, entertainment and chatter never reach the queue, however loud).
pub fn candidate_for(
    story: &Story,
    now: OffsetDateTime,
    scorer: &CriteriaScorer,
    suggester: &AgencySuggester,
    public: &PublicMatterModel,
) -> Option<Candidate> {
    candidate_with_engagement(story, now, scorer, suggester, public, None)
}

/// As [`candidate_for`], with the engagement of the story's social posts.
pub fn candidate_with_engagement(
    story: &Story,
    now: OffsetDateTime,
    scorer: &CriteriaScorer,
    suggester: &AgencySuggester,
    public: &PublicMatterModel,
    engagement: Option<SocialEngagement>,
) -> Option<Candidate> {
    let config = scorer.config();
    let assessment = scorer.assess_with(story, now, engagement);
    // A burst says "now", not "important": the current situation alone never proposes.
    let single = assessment
        .scores
        .iter()
        .filter(|s| s.criterion != Criterion::CurrentSituation)
        .any(|s| s.score >= config.single_criterion_threshold);
    if assessment.overall < config.candidate_threshold && !single && assessment.misleading.is_none()
    {
        return None;
    }
    // Posts alone are people talking: they make an issue when enough people do (public
    // interest), not because one post names a policy or a drug.
    let only_social = story.members.iter().all(|m| m.kind == SourceKind::Social);
    if only_social && assessment.score(Criterion::PublicInterest) < config.social_only_min_interest
    {
        return None;
    }
    // How sure of the text the gate must be depends on what else vouches for the story: a
    // correction needed or more than one edited outlet are the model's usual case; a single
    // release with nothing else must read as a public matter more clearly, since most releases
    // are ceremony and PR — a release reporting a cabinet decision too: routine decisions
    // (appointments, reports noted, agreements, loans) are half of what the cabinet reports.
    let edited_outlets: BTreeSet<&str> = story
        .members
        .iter()
        .filter(|m| m.kind != SourceKind::Social)
        .map(|m| m.outlet.as_str())
        .collect();
    let bar = (!only_social && edited_outlets.len() <= 1 && assessment.misleading.is_none())
        .then_some(config.thin_evidence_public_matter);
    let public_matter = public_matter(story, public, bar)?;
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
        public_matter,
    })
}

/// The Thai evidence that `story` is a public matter, or `None` when it is not.
/// Edited coverage (news, official, broadcast) says what a story is about when it has any;
/// the posts that joined it are about that. A story of posts alone is judged by its posts.
/// `bar` replaces the model's threshold when the story needs a clearer verdict.
fn public_matter(story: &Story, model: &PublicMatterModel, bar: Option<f64>) -> Option<String> {
    let edited: Vec<&crate::cluster::StoryMember> = story
        .members
        .iter()
        .filter(|m| m.kind != SourceKind::Social)
        .collect();
    let judged: Vec<&crate::cluster::StoryMember> = if edited.is_empty() {
        story.members.iter().collect()
    } else {
        edited
    };
    let n = judged.len();
    let step = n.div_ceil(PUBLIC_MATTER_SAMPLE).max(1);
    let read: Vec<&crate::cluster::StoryMember> = judged.into_iter().step_by(step).collect();
    let verdict = model.assess(read.iter().map(|m| (m.title.as_str(), m.lead.as_str())));
    let passes = match bar {
        Some(bar) => verdict.probability >= bar,
        None => verdict.is_public,
    };
    if !passes {
        return None;
    }
    let cited: Vec<String> = verdict
        .deciding
        .iter()
        .map(|&i| {
            format!(
                "ข่าว #{} ({:.2})",
                read[i].doc_id, verdict.member_probabilities[i]
            )
        })
        .collect();
    Some(format!(
        "เรื่องสาธารณะ: ความน่าจะเป็น {:.2} จาก {} ชิ้น{}; ชี้ชัดที่สุด: {}",
        verdict.probability,
        read.len(),
        if read.len() < n {
            format!(" (สุ่มอ่านจาก {n} ชิ้น)")
        } else {
            String::new()
        },
        cited.join(", ")
    ))
}

/// The registry's agency as the review queue records it.
pub fn agency_ref(registry: &AgencyRegistry, agency: &Agency) -> AgencyRef {
    let ministry_abbr = agency.ministry_abbr().to_string();
    let ministry_th = registry
        .top_level(&ministry_abbr)
        .map(|id| registry.get(id).name_th.clone())
        .unwrap_or_else(|| agency.name_th.clone());
    AgencyRef {
        name_th: agency.name_th.clone(),
        abbr: agency.abbr_str().to_string(),
        ministry_abbr,
        ministry_th,
        name_en: agency.names_en.first().cloned().unwrap_or_default(),
    }
}

/// Every agency of the registry, ministries first then by Thai name: what a monitor picks
/// the responsible agency from.
pub fn agency_refs(registry: &AgencyRegistry) -> Vec<AgencyRef> {
    let mut all: Vec<(bool, AgencyRef)> = registry
        .agencies()
        .iter()
        .map(|a| (!a.kind.is_top_level(), agency_ref(registry, a)))
        .collect();
    all.sort_by(|a, b| (a.0, &a.1.name_th).cmp(&(b.0, &b.1.name_th)));
    all.into_iter().map(|(_, r)| r).collect()
}

impl Candidate {
    /// The review queue's record of this candidate.
    pub fn to_proposal(&self, registry: &AgencyRegistry) -> Proposal {
        let agencies = self
            .agencies
            .iter()
            .map(|s| {
                let agency = registry
                    .agencies()
                    .iter()
                    .find(|a| a.name_th == s.name_th)
                    .map(|a| agency_ref(registry, a))
                    .unwrap_or_else(|| AgencyRef {
                        name_th: s.name_th.clone(),
                        abbr: s.abbr.clone(),
                        ministry_abbr: s.ministry_abbr.clone(),
                        ministry_th: String::new(),
                        name_en: String::new(),
                    });
                AgencyProposal {
                    agency,
                    score: s.score,
                    reasons: s.reasons.clone(),
                }
            })
            .collect();
        let counts = self.sources.counts;
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        Proposal {
            title: self.title.clone(),
            summary: self.summary.clone(),
            score: self.assessment.overall,
            criteria: self
                .assessment
                .scores
                .iter()
                .map(|s| CriterionRecord {
                    criterion: s.criterion,
                    score: s.score,
                    evidence: s.evidence.clone(),
                })
                .collect(),
            misleading: self
                .assessment
                .misleading
                .as_ref()
                .map(|m| m.evidence.clone()),
            agencies,
            deadline_days: self.deadline_days,
            deadline_rule: self.deadline_rule.clone(),
            outlets: self.sources.outlets.iter().cloned().collect(),
            links: self.sources.links.iter().take(20).cloned().collect(),
            counts: ReviewKindCounts {
                news: count(counts.news),
                social: count(counts.social),
                broadcast: count(counts.broadcast),
                official: count(counts.official),
            },
            articles: count(self.sources.articles),
            first_seen: self.sources.first_seen,
            last_seen: self.sources.last_seen,
            public_matter: Some(self.public_matter.clone()),
        }
    }
}
