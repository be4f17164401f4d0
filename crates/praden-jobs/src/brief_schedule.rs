//! The 09:30 brief: how it is gathered from the store and composed, and `praden brief`. Its
//! schedule and publication are the daily publications' (`schedule`), its delivery theirs
//! too (`delivery`).

use crate::schedule::{BoxFuture, Clock, Compose, LATE_AFTER};
use crate::settings::BriefConfig;
use anyhow::Context;
use praden_brief::{
    build, line_messages, markdown, ApprovedInput, Brief, BriefInput, Coverage, CoverageDoc,
    PendingInput,
};
use praden_core::review::{CandidateStatus, IssueStatus};
use praden_store::{
    CandidateFilter, NewPublication, PublicationKind, PublicationTrigger, Store, StoredPublication,
};
use std::str::FromStr;
use std::sync::Arc;
use time::{Date, Duration, OffsetDateTime};
use tokio_util::sync::CancellationToken;

/// The start of each coverage document the summary reads.
const COVERAGE_BODY_CHARS: i64 = 1200;
/// Documents read per item for its summary and links (oldest first: who broke the story).
const COVERAGE_DOCS: i64 = 30;
/// When a brief asked for on a day its schedule skips is due.
const NINE_THIRTY: Duration = Duration::minutes(9 * 60 + 30);

/// Gathers what the brief of `slot` is built from, as of `now`: the issues approved since
/// the previous slot's brief (withdrawn ones left out), the top `top_candidates` pending
/// candidates, their coverage and social engagement.
pub async fn gather(
    store: &Store,
    slot: Date,
    scheduled_for: OffsetDateTime,
    now: OffsetDateTime,
    late: bool,
    top_candidates: usize,
) -> anyhow::Result<BriefInput> {
    let covers_from = store
        .briefs()
        .before(slot)
        .await?
        .map(|b| b.generated_at)
        .filter(|t| *t < now)
        .unwrap_or(scheduled_for - Duration::days(1));
    let issues = store.issues_approved_between(covers_from, now).await?;
    let pending = if top_candidates == 0 {
        Vec::new()
    } else {
        store
            .candidates(
                &CandidateFilter {
                    statuses: vec![CandidateStatus::Pending],
                    limit: top_candidates as i64,
                    offset: 0,
                },
                now,
            )
            .await?
    };
    let pending_total = store.pending_candidate_count(now).await?;
    let mut ids: Vec<i64> = issues.iter().map(|i| i.candidate_id).collect();
    ids.extend(pending.iter().map(|c| c.id));
    let engagement = store.candidate_social_engagement(&ids).await?;
    let mut documents = store
        .candidate_coverage(&ids, COVERAGE_DOCS, COVERAGE_BODY_CHARS)
        .await?;
    let mut coverage = |candidate_id: i64| Coverage {
        documents: documents
            .remove(&candidate_id)
            .unwrap_or_default()
            .into_iter()
            .map(|d| CoverageDoc {
                title: d.title,
                body: d.body_start,
                outlet: d.outlet,
                url: d.url,
                kind: d.kind,
                published_at: d.published_at,
            })
            .collect(),
        social_engagement: engagement.get(&candidate_id).copied().unwrap_or(0),
    };

    let mut approved = Vec::new();
    for issue in issues
        .into_iter()
        .filter(|i| i.status == IssueStatus::Approved)
    {
        let proposal = store
            .candidate(issue.candidate_id, now)
            .await?
            .map(|c| c.proposal);
        approved.push(ApprovedInput {
            coverage: coverage(issue.candidate_id),
            issue,
            proposal,
        });
    }
    let listed = pending
        .into_iter()
        .map(|candidate| PendingInput {
            coverage: coverage(candidate.id),
            candidate,
        })
        .collect();
    Ok(BriefInput {
        slot,
        scheduled_for,
        generated_at: now,
        late,
        covers_from,
        covers_until: now,
        approved,
        pending: listed,
        pending_total,
    })
}

/// Generates the brief of `slot` as of `now`.
pub async fn generate(
    store: &Store,
    slot: Date,
    scheduled_for: OffsetDateTime,
    now: OffsetDateTime,
    late: bool,
    top_candidates: usize,
) -> anyhow::Result<Brief> {
    let input = gather(store, slot, scheduled_for, now, late, top_candidates).await?;
    Ok(build(&input))
}

/// The store's record of `brief`, with a delivery to each of `targets`.
pub fn new_brief(brief: &Brief, trigger: PublicationTrigger, targets: &[String]) -> NewPublication {
    NewPublication {
        slot: brief.slot,
        scheduled_for: brief.scheduled_for,
        generated_at: brief.generated_at,
        late: brief.late,
        trigger,
        content: serde_json::to_string(brief).expect("briefs serialise"),
        messages: line_messages(brief),
        markdown: markdown(brief),
        targets: targets.to_vec(),
    }
}

/// Composes the brief for the scheduler.
pub struct BriefComposer {
    pub config: BriefConfig,
}

impl BriefComposer {
    fn targets(&self) -> Vec<String> {
        self.config
            .webhooks
            .iter()
            .map(|w| w.name.clone())
            .collect()
    }
}

impl Compose for BriefComposer {
    fn kind(&self) -> PublicationKind {
        PublicationKind::Brief
    }

    fn compose<'a>(
        &'a self,
        store: &'a Store,
        slot: Date,
        due: OffsetDateTime,
        now: OffsetDateTime,
        late: bool,
        trigger: PublicationTrigger,
    ) -> BoxFuture<'a, anyhow::Result<NewPublication>> {
        Box::pin(async move {
            let brief = generate(store, slot, due, now, late, self.config.top_candidates).await?;
            tracing::info!(
                %slot,
                approved = brief.counts.approved,
                pending = brief.counts.pending_shown,
                "composed the brief"
            );
            Ok(new_brief(&brief, trigger, &self.targets()))
        })
    }
}

/// What `praden brief --date` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BriefFormat {
    /// The whole brief as one text.
    Text,
    /// The LINE messages, each under a separator line.
    Line,
    Markdown,
    Json,
}

impl FromStr for BriefFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Self::Text),
            "line" => Ok(Self::Line),
            "markdown" => Ok(Self::Markdown),
            "json" => Ok(Self::Json),
            other => Err(format!(
                "unknown format {other:?} (expected text, line, markdown or json)"
            )),
        }
    }
}

pub fn render(brief: &Brief, format: BriefFormat) -> String {
    match format {
        BriefFormat::Text => praden_brief::plain_text(brief),
        BriefFormat::Line => line_messages(brief)
            .iter()
            .enumerate()
            .map(|(i, m)| format!("----- LINE message {} -----\n{m}", i + 1))
            .collect::<Vec<_>>()
            .join("\n"),
        BriefFormat::Markdown => markdown(brief),
        BriefFormat::Json => serde_json::to_string_pretty(brief).expect("briefs serialise"),
    }
}

/// `praden brief --date`: the brief of `slot` generated now. Stored as the slot's brief if it
/// has none yet (late if its time has passed), else as a new revision; `dry_run` stores
/// nothing. A slot whose time has not come cannot be published early: that would take the
/// place of the scheduled brief.
pub async fn on_demand(
    store: &Store,
    config: &BriefConfig,
    clock: &dyn Clock,
    slot: Date,
    dry_run: bool,
) -> anyhow::Result<(Brief, Option<StoredPublication>)> {
    let due = config.schedule.slot_time(slot, NINE_THIRTY);
    let now = clock.now();
    crate::schedule::check_not_early("brief", slot, due, now, dry_run)?;
    let existing = store.briefs().get(slot, Some(1)).await?;
    let late = existing.is_none() && now - due > LATE_AFTER;
    let brief = generate(store, slot, due, now, late, config.top_candidates).await?;
    if dry_run {
        return Ok((brief, None));
    }
    let targets: Vec<String> = config.webhooks.iter().map(|w| w.name.clone()).collect();
    let record = new_brief(&brief, PublicationTrigger::Manual, &targets);
    let stored = crate::schedule::store_by_hand(store.briefs(), &record).await?;
    Ok((brief, Some(stored)))
}

/// Starts the brief scheduler and the delivery worker of `praden serve` (none when
/// `brief.enabled = false`); they stop when `shutdown` is cancelled.
/// `user_agent` names praden and who to contact about its requests.
pub fn spawn(
    store: &Store,
    config: &BriefConfig,
    user_agent: &str,
    clock: Arc<dyn Clock>,
    shutdown: &CancellationToken,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    if !config.enabled {
        return Ok(Vec::new());
    }
    let deliverer = crate::delivery::Deliverer::for_brief(config, user_agent)
        .context("cannot build the HTTP client for brief delivery")?;
    tracing::info!(
        schedule = config.schedule.expression(),
        webhooks = config.webhooks.len(),
        "brief scheduler started (Asia/Bangkok)"
    );
    let composer = Arc::new(BriefComposer {
        config: config.clone(),
    });
    Ok(crate::schedule::start(
        store,
        &config.schedule,
        composer,
        deliverer,
        clock,
        shutdown,
    ))
}
