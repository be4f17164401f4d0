//! The detector follows the store like the index does: every new document goes through
//! story clustering; each story it touched is assessed, and those that pass the thresholds
//! are written to the review queue (created, updated, or reopened after growth).
//!
//! Its progress is a job mark in the store, set after the batch's candidates are written, so
//! a crash re-reads at most one batch, and re-writing the same proposal changes nothing. The
//! in-memory stories are rebuilt at start from the documents fetched within the window;
//! candidates keep their identity through their documents, not through story ids.

use crate::settings::DetectConfig;
use anyhow::Context;
use praden_core::review::Proposal;
use praden_core::Document;
use praden_detect::{
    candidate_with_engagement, AgencyRegistry, AgencySuggester, ClusterConfig, ClusterDoc,
    Clusterer, CriteriaScorer, PublicMatterModel, RoutineDecisionModel, SocialEngagement, StoryId,
};
use praden_store::{ProposalChange, Store};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const JOB: &str = "detector";
const PAGE: i64 = 500;
const IDLE_RECHECK: Duration = Duration::from_secs(5);

/// Stories, scoring and agency suggestion: the CPU-bound part, run off the async threads.
pub struct Detector {
    clusterer: Clusterer,
    scorer: CriteriaScorer,
    suggester: Arc<AgencySuggester>,
    public: Arc<PublicMatterModel>,
    registry: AgencyRegistry,
    window: time::Duration,
}

impl Detector {
    pub fn new(config: &DetectConfig) -> anyhow::Result<Self> {
        let suggester = AgencySuggester::shared_default().context("the agency suggester")?;
        let registry = suggester.registry().clone();
        let public = PublicMatterModel::shared_default().context("the public-matter model")?;
        let routine =
            RoutineDecisionModel::shared_default().context("the routine-decision model")?;
        let scorer = CriteriaScorer::with_defaults()
            .context("the criteria policies")?
            .with_routine_decisions(routine);
        let clusterer = Clusterer::new(ClusterConfig {
            window_hours: f64::from(config.window_hours),
            ..ClusterConfig::default()
        });
        Ok(Self {
            clusterer,
            scorer,
            suggester,
            public,
            registry,
            window: time::Duration::hours(i64::from(config.window_hours)),
        })
    }

    /// Clusters the documents that fall in the window as of `now`; returns the stories they
    /// went into.
    pub fn absorb(&mut self, docs: &[Document], now: OffsetDateTime) -> BTreeSet<StoryId> {
        let mut touched = BTreeSet::new();
        for d in docs {
            // No time (an undated archive line) never counts as current; a time past `now`
            // (a clock ahead, a replay) must not hold the window open.
            let Some(at) = d.doc.event_time().map(|t| t.min(now)) else {
                continue;
            };
            if at < now - self.window {
                continue;
            }
            let assignment = self.clusterer.add(ClusterDoc {
                id: d.id.to_string(),
                published_at: at,
                title: d.doc.title.clone(),
                body: d.doc.body.clone(),
                outlet: d.doc.outlet.clone(),
                kind: d.doc.kind,
                url: d.doc.url.clone(),
            });
            touched.insert(assignment.story);
        }
        touched
    }

    /// The review-queue proposals for `stories` as of `now`: each with its documents' ids.
    /// `engagement` is what each social post observed recently holds and gained (by document id).
    pub fn proposals(
        &self,
        stories: &BTreeSet<StoryId>,
        now: OffsetDateTime,
        engagement: &HashMap<i64, PostEngagement>,
    ) -> Vec<(Vec<i64>, Proposal)> {
        let live: BTreeSet<StoryId> = stories.iter().map(|s| self.clusterer.resolve(*s)).collect();
        live.into_iter()
            .filter_map(|id| self.clusterer.story(id))
            .filter_map(|story| {
                let ids: Vec<i64> = story
                    .members
                    .iter()
                    .filter_map(|m| m.doc_id.parse().ok())
                    .collect();
                let mut social = SocialEngagement::default();
                for e in ids.iter().filter_map(|id| engagement.get(id)) {
                    social.posts_observed += 1;
                    social.interactions_gained += e.gained;
                    social.interactions_total += e.interactions;
                    social.views_total += e.views;
                }
                let candidate = candidate_with_engagement(
                    story,
                    now,
                    &self.scorer,
                    &self.suggester,
                    &self.public,
                    Some(social),
                )?;
                Some((ids, candidate.to_proposal(&self.registry)))
            })
            .collect()
    }

    /// The open stories of the window.
    pub fn stories(&self) -> impl Iterator<Item = &praden_detect::Story> {
        self.clusterer.stories()
    }

    /// Documents in the window.
    pub fn window_len(&self) -> usize {
        self.clusterer.window_len()
    }

    /// The hours over which engagement growth counts (the criteria's recent window).
    fn recent(&self) -> time::Duration {
        time::Duration::hours(self.scorer.config().recent_hours)
    }
}

/// What ingestion observed of a social post in the recent window.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostEngagement {
    /// Interactions gained in the window.
    pub gained: i64,
    /// Interactions and views at the last observation.
    pub interactions: i64,
    pub views: i64,
}

/// The engagement of the social posts observed by ingestion in the recent window, by
/// document id.
async fn engagement_growth(
    store: &Store,
    recent: time::Duration,
    now: OffsetDateTime,
) -> anyhow::Result<HashMap<i64, PostEngagement>> {
    // The most-grown posts are the ones that can move a score; the cap bounds one query.
    Ok(store
        .fastest_growing(now - recent, now, 10_000)
        .await?
        .into_iter()
        .map(|g| {
            let engagement = PostEngagement {
                gained: g.interactions(),
                interactions: g.to.interactions(),
                views: g.to.views.unwrap_or(0),
            };
            (g.document_id, engagement)
        })
        .collect())
}

/// Runs `f` on the detector on a thread of its own, behind searches (`praden_index::priority`:
/// a detection pass over a batch is CPU work that editors' searches should not queue behind),
/// and hands the detector back.
async fn in_background<T: Send + 'static>(
    detector: Detector,
    f: impl FnOnce(&mut Detector) -> T + Send + 'static,
) -> anyhow::Result<(Detector, T)> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("detector".into())
        .spawn(move || {
            praden_index::priority::run_in_background();
            let mut d = detector;
            let out = f(&mut d);
            let _ = done.send((d, out));
        })
        .context("cannot start the detector's thread")?;
    result.await.context("the detector panicked")
}

/// What one pass wrote to the queue.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub documents: usize,
    pub created: usize,
    pub updated: usize,
    pub reopened: usize,
}

async fn write(
    store: &Store,
    proposals: Vec<(Vec<i64>, Proposal)>,
    regrowth_factor: f64,
    now: OffsetDateTime,
    report: &mut PassReport,
) -> anyhow::Result<()> {
    for (ids, proposal) in proposals {
        let outcome = store
            .upsert_proposal(&ids, &proposal, regrowth_factor, now)
            .await?;
        match outcome.change {
            ProposalChange::Created => report.created += 1,
            ProposalChange::Updated => report.updated += 1,
            ProposalChange::Reopened => report.reopened += 1,
            ProposalChange::Unchanged => {}
        }
    }
    Ok(())
}

/// Rebuilds the stories of the window from the store (documents up to the job mark), then
/// brings their candidates up to date.
pub async fn warm_up(
    store: &Store,
    mut detector: Detector,
    config: &DetectConfig,
    now: OffsetDateTime,
) -> anyhow::Result<(Detector, PassReport)> {
    let mark = store.job_mark(JOB).await?;
    let since = now - time::Duration::hours(i64::from(config.window_hours));
    let mut after = store
        .first_place_fetched_since(since)
        .await?
        .unwrap_or(mark + 1)
        - 1;
    let mut touched = BTreeSet::new();
    let mut report = PassReport::default();
    while after < mark {
        let committed = store.documents_committed(after, mark, PAGE).await?;
        let page: Vec<Document> = committed.documents;
        if page.is_empty() {
            break;
        }
        after = committed.through;
        report.documents += page.len();
        let stories;
        (detector, stories) = in_background(detector, move |d| d.absorb(&page, now)).await?;
        touched.extend(stories);
    }
    let engagement = engagement_growth(store, detector.recent(), now).await?;
    let proposals;
    (detector, proposals) =
        in_background(detector, move |d| d.proposals(&touched, now, &engagement)).await?;
    write(store, proposals, config.regrowth_factor, now, &mut report).await?;
    Ok((detector, report))
}

/// Takes every document above the job mark through the detector; returns the detector and
/// what was written.
pub async fn catch_up(
    store: &Store,
    mut detector: Detector,
    regrowth_factor: f64,
    now: impl Fn() -> OffsetDateTime,
) -> anyhow::Result<(Detector, PassReport)> {
    let mut report = PassReport::default();
    loop {
        let mark = store.job_mark(JOB).await?;
        let committed = store.documents_committed(mark, i64::MAX, PAGE).await?;
        let (page, last) = (committed.documents, committed.through);
        if page.is_empty() {
            return Ok((detector, report));
        }
        report.documents += page.len();
        let at = now();
        let engagement = engagement_growth(store, detector.recent(), at).await?;
        let proposals;
        (detector, proposals) = in_background(detector, move |d| {
            let stories = d.absorb(&page, at);
            d.proposals(&stories, at, &engagement)
        })
        .await?;
        write(store, proposals, regrowth_factor, at, &mut report).await?;
        store.set_job_mark(JOB, last).await?;
    }
}

/// Runs until `shutdown`: warm-up, then a catch-up whenever documents are stored.
pub async fn follow(
    store: Store,
    config: DetectConfig,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let built = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || Detector::new(&config))
            .await
            .context("the detector panicked while loading")??
    };
    let (mut detector, warm) = warm_up(&store, built, &config, OffsetDateTime::now_utc()).await?;
    tracing::info!(
        documents = warm.documents,
        updated = warm.updated,
        "detector rebuilt the stories of the window"
    );
    loop {
        match catch_up(
            &store,
            detector,
            config.regrowth_factor,
            OffsetDateTime::now_utc,
        )
        .await
        {
            Ok((d, report)) => {
                detector = d;
                if report.created + report.updated + report.reopened > 0 {
                    tracing::info!(
                        documents = report.documents,
                        created = report.created,
                        updated = report.updated,
                        reopened = report.reopened,
                        "review queue updated"
                    );
                }
            }
            // The detector is lost with a failed pass (it was moved into it): rebuild it from
            // the store rather than run on with half a batch.
            Err(e) => {
                tracing::error!(error = %e, "detection failed; rebuilding and retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(IDLE_RECHECK) => {}
                }
                let config2 = config.clone();
                let built = tokio::task::spawn_blocking(move || Detector::new(&config2))
                    .await
                    .context("the detector panicked while loading")??;
                detector = warm_up(&store, built, &config, OffsetDateTime::now_utc())
                    .await?
                    .0;
                continue;
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = wake.notified() => {}
            _ = tokio::time::sleep(IDLE_RECHECK) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use praden_core::{NewDocument, SourceKind};
    use std::io::BufRead;

    /// Real coverage (a cabinet decision on rubber payments, from ../shared) carried by three
    /// outlets becomes one candidate; a restart rebuilds the story and changes nothing; more
    /// coverage updates the same candidate.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn coverage_becomes_one_candidate_across_restarts() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz");
        let file = std::fs::File::open(&corpus).unwrap();
        let line = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file))
            .lines()
            .nth(2641)
            .unwrap()
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        let (title, body) = (v["title"].as_str().unwrap(), v["body"].as_str().unwrap());
        let now = OffsetDateTime::now_utc();
        let doc = |outlet: &str, i: i64| {
            NewDocument::new(praden_core::DocumentParts {
                source_id: outlet,
                kind: SourceKind::News,
                outlet,
                url: Some(&format!("https://{outlet}/{i}")),
                item_id: None,
                title,
                body,
                published_at: Some(now - time::Duration::minutes(60 - i)),
                fetched_at: now,
            })
            .unwrap()
        };
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/p.db", dir.path().display()))
            .await
            .unwrap();
        store
            .insert_documents(&[doc("matichon.co.th", 1), doc("khaosod.co.th", 2)])
            .await
            .unwrap();
        let config = DetectConfig {
            enabled: true,
            window_hours: 72,
            regrowth_factor: 2.0,
        };
        let (d, report) = catch_up(
            &store,
            Detector::new(&config).unwrap(),
            2.0,
            OffsetDateTime::now_utc,
        )
        .await
        .unwrap();
        assert_eq!(report.documents, 2);
        assert_eq!(report.created, 1, "{report:?}");
        drop(d);

        // A restart: the window's stories are rebuilt and the candidate is left as it was.
        let (d, warm) = warm_up(&store, Detector::new(&config).unwrap(), &config, now)
            .await
            .unwrap();
        assert_eq!(warm.documents, 2);
        assert_eq!(warm.created, 0, "{warm:?}");
        store
            .insert_documents(&[doc("thairath.co.th", 3)])
            .await
            .unwrap();
        let (_, more) = catch_up(&store, d, 2.0, OffsetDateTime::now_utc)
            .await
            .unwrap();
        assert_eq!((more.created, more.updated), (0, 1), "{more:?}");
        let queue = store
            .candidates(&praden_store::CandidateFilter::default(), now)
            .await
            .unwrap();
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0].proposal.outlets.len(), 3);
    }

    /// Issue 22, time: an archive's undated lines and its old articles never become current;
    /// its articles dated inside the window are detected like arrivals; a live document
    /// without a date is as current as when praden saw it; a date in the future is clamped.
    #[test]
    fn detection_goes_by_when_documents_appeared() {
        let now = OffsetDateTime::now_utc();
        let config = DetectConfig {
            enabled: true,
            window_hours: 72,
            regrowth_factor: 2.0,
        };
        let doc = |id: i64, published: Option<OffsetDateTime>, backfill: bool| {
            let mut d = NewDocument::new(praden_core::DocumentParts {
                source_id: "s",
                kind: SourceKind::News,
                outlet: "thairath.co.th",
                url: Some(&format!("https://thairath.co.th/{id}")),
                item_id: None,
                title: "น้ำท่วมเชียงใหม่",
                body: "",
                published_at: published,
                fetched_at: now,
            })
            .unwrap();
            d.backfill = backfill;
            Document { id, doc: d }
        };
        let counted = |docs: Vec<Document>| {
            let mut d = Detector::new(&config).unwrap();
            d.absorb(&docs, now);
            d.clusterer.window_len()
        };
        assert_eq!(counted(vec![doc(1, None, true)]), 0, "undated archive line");
        let old = now - time::Duration::days(400);
        assert_eq!(
            counted(vec![doc(2, Some(old), true)]),
            0,
            "old archive article"
        );
        let recent = now - time::Duration::hours(5);
        assert_eq!(
            counted(vec![doc(3, Some(recent), true)]),
            1,
            "archive, recent"
        );
        assert_eq!(counted(vec![doc(4, None, false)]), 1, "live, undated");
        let mut d = Detector::new(&config).unwrap();
        let future = now + time::Duration::days(30);
        let stories = d.absorb(&[doc(5, Some(future), false)], now);
        let story = d.clusterer.story(*stories.first().unwrap()).unwrap();
        assert_eq!(
            story.last_seen, now,
            "a date in the future is clamped to when it was seen"
        );
    }
}
