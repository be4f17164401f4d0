//! Finds the agencies' clarifications in the coverage (พบการชี้แจง): follows the store like the
//! detector does, and checks each new official or news document published after an open
//! issue's approval with praden-detect's clarification matcher against that issue (its title
//! and its agency's Thai name). Matches are attached to the issue for the monitors to see and
//! for the agency to confirm as its report.
//!
//! Its progress is its own job mark, moved in the transaction that attaches the batch's
//! matches, and a pair already attached is left as it is: a restart re-reads at most one
//! batch and attaches nothing twice. Each document is prepared (segmented) once, and each
//! issue once per batch; a document without a clarification cue cannot match and is not
//! scored at all.

use crate::settings::ClarificationsConfig;
use anyhow::Context;
use praden_core::review::Issue;
use praden_core::{Document, SourceKind};
use praden_detect::clarification::{ClarificationMatcher, PreparedIssue};
use praden_store::{NewClarification, Store};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The job's name in `job_marks`.
pub const JOB: &str = "clarifications";
const PAGE: i64 = 200;
const IDLE_RECHECK: Duration = Duration::from_secs(5);

/// The kinds of document that carry an agency's clarification: its own and the government's
/// sites (official) and the press that reports it (news). Social posts and broadcast
/// transcripts are left out: the matcher was measured on articles only.
pub fn is_clarifying_kind(kind: SourceKind) -> bool {
    matches!(kind, SourceKind::Official | SourceKind::News)
}

/// When `doc` appeared, if it is of a kind that may clarify an issue: an undated archive
/// line has no time and never counts.
pub fn clarifying_time(doc: &Document) -> Option<OffsetDateTime> {
    if is_clarifying_kind(doc.doc.kind) {
        doc.doc.event_time()
    } else {
        None
    }
}

/// Whether `doc`, appearing at `at`, may be a clarification of `issue`: published after the
/// issue was approved (and assigned), since a clarification answers the assignment.
pub fn may_clarify(issue: &Issue, at: OffsetDateTime) -> bool {
    at > issue.approved_at
}

/// The issues of a batch, each prepared once.
pub struct OpenIssues {
    issues: Vec<(Issue, PreparedIssue)>,
}

impl OpenIssues {
    pub fn prepare(matcher: &ClarificationMatcher, issues: Vec<Issue>) -> Self {
        let issues = issues
            .into_iter()
            .map(|i| {
                let prepared = matcher.prepare_issue(&i.title, &i.agency.name_th);
                (i, prepared)
            })
            .collect();
        Self { issues }
    }

    /// The matches among `docs`: each document that some issue may get a clarification from
    /// is prepared once and scored against those issues.
    pub fn find(&self, matcher: &ClarificationMatcher, docs: &[Document]) -> Vec<NewClarification> {
        let mut found = Vec::new();
        for d in docs {
            let Some(at) = clarifying_time(d) else {
                continue;
            };
            let open: Vec<&(Issue, PreparedIssue)> = self
                .issues
                .iter()
                .filter(|(i, _)| may_clarify(i, at))
                .collect();
            if open.is_empty() {
                continue;
            }
            let prepared = matcher.prepare_document(&d.doc.title, &d.doc.body);
            // The matcher never matches without a cue: the scores would all be misses.
            if prepared.cue().is_none() {
                continue;
            }
            for (issue, pi) in open {
                let m = matcher.score(pi, &prepared);
                if m.is_match {
                    found.push(NewClarification {
                        issue_id: issue.id,
                        document_id: d.id,
                        score: m.score,
                        speaker: m.speaker,
                        excerpt: m.excerpt.or_else(|| start_of(&d.doc.body)),
                    });
                }
            }
        }
        found
    }
}

/// The first 240 characters of `body`, when the matcher found no key sentence.
fn start_of(body: &str) -> Option<String> {
    let s: String = body.chars().take(240).collect();
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub documents: usize,
    pub attached: usize,
}

/// Takes every document above the job mark through the matcher, against the issues approved
/// within the window; returns what it read and attached.
pub async fn catch_up(
    store: &Store,
    matcher: &'static ClarificationMatcher,
    config: &ClarificationsConfig,
    now: impl Fn() -> OffsetDateTime,
) -> anyhow::Result<PassReport> {
    let mut report = PassReport::default();
    let window = time::Duration::days(i64::from(config.window_days));
    let mut mark = store.job_mark(JOB).await?;
    // A document fetched before the window cannot have been published after an approval
    // within it: on a first run (or after a long stop) the archive before is skipped.
    let since = (now() - window).to_offset(time::UtcOffset::UTC);
    match store.first_place_fetched_since(since).await? {
        Some(first) => mark = mark.max(first - 1),
        // Nothing fetched within the window: nothing new to read.
        None => return Ok(report),
    }
    loop {
        // The last place is read before the issues are: every document up to it was stored,
        // and so published, before they were looked up.
        let placed = store.last_document_place().await?;
        if placed <= mark {
            return Ok(report);
        }
        let at = now();
        let issues = store.open_issues_approved_since(at - window).await?;
        if issues.is_empty() {
            // None of these documents can be attached: an issue approved from now on takes
            // only documents published after its approval. They are passed over unread (a
            // first start on an imported archive of a million read 7 GB for nothing).
            store.set_job_mark(JOB, placed).await?;
            return Ok(report);
        }
        let committed = store.documents_committed(mark, i64::MAX, PAGE).await?;
        let (page, last) = (committed.documents, committed.through);
        if page.is_empty() {
            return Ok(report);
        }
        report.documents += page.len();
        let found = tokio::task::spawn_blocking(move || {
            OpenIssues::prepare(matcher, issues).find(matcher, &page)
        })
        .await
        .context("the clarification matcher panicked")?;
        report.attached += store.attach_clarifications(&found, JOB, last, at).await?;
        mark = last;
    }
}

/// Runs until `shutdown`: a catch-up at start and whenever documents are stored.
pub async fn follow(
    store: Store,
    config: ClarificationsConfig,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let matcher = tokio::task::spawn_blocking(ClarificationMatcher::shared_default)
        .await
        .context("the clarification matcher panicked while loading")?
        .context("the clarification matcher")?;
    loop {
        match catch_up(&store, matcher, &config, OffsetDateTime::now_utc).await {
            Ok(r) if r.attached > 0 => tracing::info!(
                documents = r.documents,
                attached = r.attached,
                "clarifications found in the coverage"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "finding clarifications failed; retrying"),
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
    use praden_core::review::{AgencyRef, IssueStatus};
    use praden_core::{DocumentParts, NewDocument};
    use time::macros::datetime;

    fn issue(approved_at: OffsetDateTime) -> Issue {
        Issue {
            id: 1,
            candidate_id: 1,
            version: 1,
            status: IssueStatus::Approved,
            title: "กรณีผักไทยราคาตก หลังจีนเปิดประเทศ".into(),
            agency: AgencyRef {
                name_th: "กระทรวงพาณิชย์".into(),
                abbr: "พณ.".into(),
                ministry_abbr: "พณ.".into(),
                ministry_th: "กระทรวงพาณิชย์".into(),
                name_en: String::new(),
            },
            deadline_days: 1,
            due_date: approved_at.date(),
            source: "ไทยรัฐ".into(),
            criteria: Vec::new(),
            links: Vec::new(),
            approved_by: "monitor".into(),
            approved_at,
            updated_at: approved_at,
        }
    }

    fn doc(
        id: i64,
        kind: SourceKind,
        published: Option<OffsetDateTime>,
        fetched: OffsetDateTime,
        backfill: bool,
    ) -> Document {
        let mut d = NewDocument::new(DocumentParts {
            source_id: "s",
            kind,
            outlet: "thaigov.go.th",
            url: Some(&format!(
                "https://www.thaigov.go.th/news/contents/details/{id}"
            )),
            item_id: None,
            title: "พณ. ชี้แจงข้อกังวลผักไทยราคาตก หลังจีนเปิดประเทศ",
            body: "กรมการค้าภายใน เผยยังไม่พบการนำเข้าผักจากจีนผิดปกติ",
            published_at: published,
            fetched_at: fetched,
        })
        .unwrap();
        d.backfill = backfill;
        Document { id, doc: d }
    }

    /// Official and news documents may clarify; social posts and broadcast do not count.
    #[test]
    fn only_official_and_news_documents_clarify() {
        let t = datetime!(2026-12-04 05:00 UTC);
        for (kind, counts) in [
            (SourceKind::Official, true),
            (SourceKind::News, true),
            (SourceKind::Social, false),
            (SourceKind::Broadcast, false),
        ] {
            assert_eq!(
                clarifying_time(&doc(1, kind, Some(t), t, false)).is_some(),
                counts,
                "{kind}"
            );
        }
    }

    /// A document published before the approval is not its clarification; one published
    /// after is; an undated archive line never counts; a date in the future counts as when
    /// praden saw it.
    #[test]
    fn a_clarification_is_published_after_the_approval() {
        let approved = datetime!(2026-12-04 03:30 UTC);
        let i = issue(approved);
        let before = doc(
            1,
            SourceKind::Official,
            Some(approved - time::Duration::hours(1)),
            approved + time::Duration::hours(2),
            false,
        );
        assert!(!may_clarify(&i, clarifying_time(&before).unwrap()));
        let after = doc(
            2,
            SourceKind::News,
            Some(approved + time::Duration::hours(1)),
            approved + time::Duration::hours(2),
            false,
        );
        assert!(may_clarify(&i, clarifying_time(&after).unwrap()));
        let archive = doc(3, SourceKind::Official, None, approved, true);
        assert_eq!(clarifying_time(&archive), None);
        let seen_before = doc(
            4,
            SourceKind::Official,
            Some(approved + time::Duration::days(3)),
            approved - time::Duration::minutes(5),
            false,
        );
        assert!(
            !may_clarify(&i, clarifying_time(&seen_before).unwrap()),
            "a date in the future is clamped to when praden saw the document"
        );
    }

    /// The matcher attaches the clarification to the issue only when it was published after
    /// the approval, and never a social post with the same words.
    #[test]
    fn matches_follow_the_selection() {
        let matcher = ClarificationMatcher::shared_default().unwrap();
        let approved = datetime!(2026-12-04 03:30 UTC);
        let later = approved + time::Duration::hours(3);
        let open = OpenIssues::prepare(matcher, vec![issue(approved)]);
        let docs = [
            doc(1, SourceKind::Official, Some(later), later, false),
            doc(2, SourceKind::Social, Some(later), later, false),
            doc(
                3,
                SourceKind::Official,
                Some(approved - time::Duration::hours(2)),
                later,
                false,
            ),
        ];
        let found = open.find(matcher, &docs);
        let ids: Vec<i64> = found.iter().map(|c| c.document_id).collect();
        assert_eq!(ids, [1], "{found:?}");
        assert!(found[0].excerpt.is_some());
    }
}
