//! The review queue on both backends: candidates kept one per story, decisions with
//! optimistic locking, the audit trail, and the gap-free feed of issue events.

use praden_core::review::{
    AgencyProposal, AgencyRef, CandidateStatus, Criterion, CriterionRecord, IssueEventKind,
    IssueStatus, KindCounts, Proposal,
};
use praden_core::{NewDocument, SourceKind};
use praden_store::{
    Approval, AuditFilter, CandidateFilter, DecisionContext, DecisionError, ProposalChange, Store,
};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

praden_store::both_backends!(
    a_growing_story_updates_its_candidate_and_never_duplicates_it,
    approval_creates_an_issue_and_a_feed_event_and_the_stale_second_approval_conflicts,
    a_rejected_story_returns_only_when_it_grows_by_the_factor,
    converging_stories_fold_into_the_oldest_candidate,
    merge_moves_documents_and_snooze_hides_until_the_time,
    edits_and_withdrawals_follow_in_the_feed_and_the_audit_trail_is_append_only,
    concurrent_approvals_reach_the_feed_without_gaps,
);

const NOW: OffsetDateTime = datetime!(2026-11-23 02:00 UTC);

async fn docs(store: &Store, prefix: &str, n: usize) -> Vec<i64> {
    let docs: Vec<_> = (0..n)
        .map(|i| {
            NewDocument::new(praden_core::DocumentParts {
                source_id: "matichon",
                kind: SourceKind::News,
                outlet: "มติชน",
                url: Some(&format!("https://matichon.test/{prefix}/{i}")),
                item_id: None,
                title: &format!("ข่าว {prefix} {i}"),
                body: "ราคาไข่ไก่แพงขึ้นทั่วประเทศ ผู้บริโภคเดือดร้อน",
                published_at: Some(NOW - Duration::hours(3)),
                fetched_at: NOW,
            })
            .unwrap()
        })
        .collect();
    store.insert_documents(&docs).await.unwrap().inserted
}

fn agency() -> AgencyRef {
    AgencyRef {
        name_th: "กระทรวงพาณิชย์".into(),
        abbr: "พณ.".into(),
        ministry_abbr: "พณ.".into(),
        ministry_th: "กระทรวงพาณิชย์".into(),
        name_en: "Ministry of Commerce".into(),
    }
}

fn proposal(title: &str, articles: i64, score: f64) -> Proposal {
    Proposal {
        title: title.into(),
        summary: "ราคาไข่ไก่แพงขึ้น".into(),
        score,
        criteria: vec![CriterionRecord {
            criterion: Criterion::WidePublicImpact,
            score: 0.8,
            evidence: vec!["ค่าครองชีพ".into()],
        }],
        misleading: None,
        agencies: vec![AgencyProposal {
            agency: agency(),
            score: 0.9,
            reasons: vec!["กล่าวถึง กระทรวงพาณิชย์".into()],
        }],
        deadline_days: 1,
        deadline_rule: "default".into(),
        outlets: vec!["มติชน".into()],
        links: vec!["https://matichon.test/eggs/0".into()],
        counts: KindCounts {
            news: articles,
            ..KindCounts::default()
        },
        articles,
        first_seen: NOW - Duration::hours(3),
        last_seen: NOW,
        public_matter: None,
    }
}

fn ctx(actor: &str) -> DecisionContext {
    DecisionContext {
        actor: actor.into(),
        request_id: Some(format!("req-{actor}")),
        now: NOW,
    }
}

fn approval(title: &str) -> Approval {
    Approval {
        title: title.into(),
        agency: agency(),
        deadline_days: 2,
        source: "มติชนออนไลน์".into(),
    }
}

async fn a_growing_story_updates_its_candidate_and_never_duplicates_it(store: Store) {
    let ids = docs(&store, "eggs", 4).await;
    let first = store
        .upsert_proposal(&ids[..2], &proposal("ไข่ไก่แพง", 2, 0.5), 2.0, NOW)
        .await
        .unwrap();
    assert_eq!(first.change, ProposalChange::Created);
    let same = store
        .upsert_proposal(&ids[..2], &proposal("ไข่ไก่แพง", 2, 0.5), 2.0, NOW)
        .await
        .unwrap();
    assert_eq!(same.change, ProposalChange::Unchanged);
    let grown = store
        .upsert_proposal(&ids, &proposal("ไข่ไก่แพงทั่วประเทศ", 4, 0.7), 2.0, NOW)
        .await
        .unwrap();
    assert_eq!(grown.change, ProposalChange::Updated);
    assert_eq!(grown.candidate_id, first.candidate_id);

    let queue = store
        .candidates(&CandidateFilter::default(), NOW)
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    let c = &queue[0];
    assert_eq!(c.proposal.title, "ไข่ไก่แพงทั่วประเทศ");
    assert_eq!(c.proposal.articles, 4);
    assert_eq!(c.version, 1, "detection's updates are not decisions");
    assert_eq!(store.candidate_documents(c.id).await.unwrap().len(), 4);
    let timeline = store.candidate_timelines(&[c.id]).await.unwrap();
    assert_eq!(timeline.len(), 4);
}

async fn approval_creates_an_issue_and_a_feed_event_and_the_stale_second_approval_conflicts(
    store: Store,
) {
    let ids = docs(&store, "eggs", 2).await;
    let c = store
        .upsert_proposal(&ids, &proposal("ไข่ไก่แพง", 2, 0.6), 2.0, NOW)
        .await
        .unwrap();
    let issue = store
        .approve_candidate(c.candidate_id, 1, &approval("ราคาไข่ไก่แพง"), &ctx("somchai"))
        .await
        .unwrap();
    assert_eq!(issue.status, IssueStatus::Approved);
    assert_eq!(issue.title, "ราคาไข่ไก่แพง");
    assert_eq!(issue.approved_by, "somchai");
    // 02:00 UTC is 09:00 in Bangkok on the 23rd; two days later is the 25th.
    assert_eq!(issue.due_date, date!(2026 - 11 - 25));

    let err = store
        .approve_candidate(c.candidate_id, 1, &approval("อีกชื่อ"), &ctx("suda"))
        .await
        .unwrap_err();
    match &err {
        DecisionError::Conflict { current, by, .. } => {
            assert_eq!(*current, 2);
            assert_eq!(by, "somchai");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(err.to_string().contains("somchai"), "{err}");
    let kept = store.issue(issue.id).await.unwrap().unwrap();
    assert_eq!(kept.title, "ราคาไข่ไก่แพง", "nothing was overwritten");

    let events = store.issue_events_after(0, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].seq, 1);
    assert_eq!(events[0].kind, IssueEventKind::Approved);
    assert_eq!(events[0].issue, issue);

    let c = store.candidate(c.candidate_id, NOW).await.unwrap().unwrap();
    assert_eq!(c.status, CandidateStatus::Approved);
    assert_eq!(c.issue_id, Some(issue.id));

    let audit = store
        .audit_records(&AuditFilter {
            entity: Some("candidate".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].entry.action, "candidate.approve");
    assert_eq!(audit[0].entry.request_id.as_deref(), Some("req-somchai"));
    assert_eq!(
        audit[0].entry.after.as_ref().unwrap()["title"],
        "ราคาไข่ไก่แพง"
    );

    let missing = store
        .approve_candidate(9999, 1, &approval("x"), &ctx("suda"))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, DecisionError::NotFound { .. }),
        "{missing}"
    );
    let invalid = store
        .approve_candidate(
            c.id,
            c.version,
            &Approval {
                deadline_days: 0,
                ..approval("x")
            },
            &ctx("suda"),
        )
        .await
        .unwrap_err();
    assert!(invalid.to_string().contains("deadline_days"), "{invalid}");
}

async fn a_rejected_story_returns_only_when_it_grows_by_the_factor(store: Store) {
    let ids = docs(&store, "eggs", 8).await;
    let c = store
        .upsert_proposal(&ids[..3], &proposal("ไข่ไก่แพง", 3, 0.5), 2.0, NOW)
        .await
        .unwrap();
    let err = store
        .reject_candidate(c.candidate_id, 1, "  ", &ctx("suda"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("reason"), "{err}");
    store
        .reject_candidate(c.candidate_id, 1, "ไม่ใช่ประเด็นรัฐบาล", &ctx("suda"))
        .await
        .unwrap();
    let small = store
        .upsert_proposal(&ids[..5], &proposal("ไข่ไก่แพง", 5, 0.6), 2.0, NOW)
        .await
        .unwrap();
    assert_eq!(small.change, ProposalChange::Updated);
    let still = store.candidate(c.candidate_id, NOW).await.unwrap().unwrap();
    assert_eq!(still.status, CandidateStatus::Rejected);
    assert!(store
        .candidates(&CandidateFilter::default(), NOW)
        .await
        .unwrap()
        .is_empty());

    let back = store
        .upsert_proposal(&ids, &proposal("ไข่ไก่แพง", 6, 0.7), 2.0, NOW)
        .await
        .unwrap();
    assert_eq!(back.change, ProposalChange::Reopened);
    assert_eq!(
        back.candidate_id, c.candidate_id,
        "the same candidate returns"
    );
    let c = store.candidate(c.candidate_id, NOW).await.unwrap().unwrap();
    assert_eq!(c.status, CandidateStatus::Pending);
    let note = c.development.unwrap();
    assert!(note.contains("3") && note.contains("6"), "{note}");
}

async fn converging_stories_fold_into_the_oldest_candidate(store: Store) {
    let a = docs(&store, "a", 2).await;
    let b = docs(&store, "b", 2).await;
    let first = store
        .upsert_proposal(&a, &proposal("เรื่อง ก", 2, 0.5), 2.0, NOW)
        .await
        .unwrap();
    let second = store
        .upsert_proposal(&b, &proposal("เรื่อง ข", 2, 0.5), 2.0, NOW)
        .await
        .unwrap();
    assert_ne!(first.candidate_id, second.candidate_id);
    let all: Vec<i64> = a.iter().chain(&b).copied().collect();
    let merged = store
        .upsert_proposal(&all, &proposal("เรื่อง ก และ ข", 4, 0.7), 2.0, NOW)
        .await
        .unwrap();
    assert_eq!(merged.candidate_id, first.candidate_id);
    assert_eq!(merged.absorbed, vec![second.candidate_id]);
    let gone = store
        .candidate(second.candidate_id, NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.status, CandidateStatus::Merged);
    assert_eq!(gone.merged_into, Some(first.candidate_id));
    assert_eq!(
        store
            .candidate_documents(first.candidate_id)
            .await
            .unwrap()
            .len(),
        4
    );
    // A later proposal naming only the absorbed candidate's documents finds the survivor.
    let again = store
        .upsert_proposal(&b, &proposal("เรื่อง ก และ ข", 4, 0.7), 2.0, NOW)
        .await
        .unwrap();
    assert_eq!(again.candidate_id, first.candidate_id);
}

async fn merge_moves_documents_and_snooze_hides_until_the_time(store: Store) {
    let a = docs(&store, "a", 2).await;
    let b = docs(&store, "b", 3).await;
    let ca = store
        .upsert_proposal(&a, &proposal("เรื่อง ก", 2, 0.5), 2.0, NOW)
        .await
        .unwrap()
        .candidate_id;
    let cb = store
        .upsert_proposal(&b, &proposal("เรื่อง ข", 3, 0.6), 2.0, NOW)
        .await
        .unwrap()
        .candidate_id;
    let err = store
        .merge_candidates(ca, 1, ca, 1, &ctx("suda"))
        .await
        .unwrap_err();
    assert!(matches!(err, DecisionError::Invalid(_)));
    let stale = store
        .merge_candidates(ca, 1, cb, 7, &ctx("suda"))
        .await
        .unwrap_err();
    assert!(matches!(stale, DecisionError::Conflict { .. }), "{stale}");
    assert_eq!(
        store.candidate(ca, NOW).await.unwrap().unwrap().status,
        CandidateStatus::Pending,
        "a failed merge changes nothing"
    );
    let into = store
        .merge_candidates(ca, 1, cb, 1, &ctx("suda"))
        .await
        .unwrap();
    assert_eq!(into.id, cb);
    assert_eq!(into.version, 2);
    assert_eq!(store.candidate_documents(cb).await.unwrap().len(), 5);

    let later = NOW + Duration::hours(4);
    store
        .snooze_candidate(cb, 2, later, &ctx("suda"))
        .await
        .unwrap();
    assert!(store
        .candidates(&CandidateFilter::default(), NOW)
        .await
        .unwrap()
        .is_empty());
    let woke = store
        .candidates(&CandidateFilter::default(), later + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(woke.len(), 1);
    assert_eq!(woke[0].status, CandidateStatus::Pending);
    let past = store
        .snooze_candidate(cb, 3, NOW - Duration::hours(1), &ctx("suda"))
        .await
        .unwrap_err();
    assert!(past.to_string().contains("future"), "{past}");
}

async fn edits_and_withdrawals_follow_in_the_feed_and_the_audit_trail_is_append_only(store: Store) {
    let ids = docs(&store, "eggs", 2).await;
    let c = store
        .upsert_proposal(&ids, &proposal("ไข่ไก่แพง", 2, 0.6), 2.0, NOW)
        .await
        .unwrap();
    let issue = store
        .approve_candidate(c.candidate_id, 1, &approval("ราคาไข่ไก่แพง"), &ctx("somchai"))
        .await
        .unwrap();
    let edited = store
        .edit_issue(
            issue.id,
            issue.version,
            &Approval {
                deadline_days: 3,
                ..approval("ราคาไข่ไก่แพงทั่วประเทศ")
            },
            &ctx("suda"),
        )
        .await
        .unwrap();
    assert_eq!(edited.version, 2);
    assert_eq!(
        edited.due_date,
        date!(2026 - 11 - 26),
        "counted from the approval"
    );
    let stale = store
        .withdraw_issue(issue.id, 1, "ซ้ำ", &ctx("somchai"))
        .await
        .unwrap_err();
    assert!(matches!(stale, DecisionError::Conflict { .. }));
    let withdrawn = store
        .withdraw_issue(issue.id, 2, "ซ้ำกับประเด็นเมื่อวาน", &ctx("somchai"))
        .await
        .unwrap();
    assert_eq!(withdrawn.status, IssueStatus::Withdrawn);

    // The list of issues: by status, and paged by id.
    let ids = |list: Vec<praden_core::review::Issue>| list.iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.issues_page(None, None, 10).await.unwrap()),
        [issue.id]
    );
    assert_eq!(
        ids(store
            .issues_page(Some(IssueStatus::Withdrawn), None, 10)
            .await
            .unwrap()),
        [issue.id]
    );
    assert!(store
        .issues_page(Some(IssueStatus::Approved), None, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .issues_page(None, Some(issue.id), 10)
        .await
        .unwrap()
        .is_empty());

    let events = store.issue_events_after(0, 10).await.unwrap();
    let kinds: Vec<_> = events.iter().map(|e| (e.seq, e.kind)).collect();
    assert_eq!(
        kinds,
        [
            (1, IssueEventKind::Approved),
            (2, IssueEventKind::Edited),
            (3, IssueEventKind::Withdrawn)
        ]
    );
    assert_eq!(events[1].issue.title, "ราคาไข่ไก่แพงทั่วประเทศ");
    assert_eq!(store.issue_events_after(2, 10).await.unwrap().len(), 1);

    let audit = store
        .audit_records(&AuditFilter {
            entity: Some("issue".into()),
            entity_id: Some(issue.id.to_string()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<_> = audit.iter().map(|r| r.entry.action.as_str()).collect();
    assert_eq!(actions, ["issue.withdraw", "issue.edit"]);
    assert_eq!(
        audit[1].entry.before.as_ref().unwrap()["title"],
        "ราคาไข่ไก่แพง"
    );

    // Append-only, whatever the caller: the database itself refuses.
    let update = "UPDATE audit_log SET actor = 'nobody'";
    let delete = "DELETE FROM audit_log";
    for sql in [update, delete] {
        let refused = match &store {
            Store::Sqlite(s) => sqlx::query(sql).execute(&s.pool).await.is_err(),
            Store::Postgres(p) => sqlx::query(sql).execute(p).await.is_err(),
        };
        assert!(refused, "{sql} must be refused");
    }
}

/// Many approvals commit at once while a reader follows the feed: the reader sees every
/// event exactly once and never a later seq before an earlier one.
async fn concurrent_approvals_reach_the_feed_without_gaps(store: Store) {
    const N: usize = 24;
    let mut candidates = Vec::new();
    for i in 0..N {
        let ids = docs(&store, &format!("c{i}"), 1).await;
        let c = store
            .upsert_proposal(&ids, &proposal(&format!("เรื่อง {i}"), 1, 0.5), 2.0, NOW)
            .await
            .unwrap();
        candidates.push(c.candidate_id);
    }
    let reader = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut after = 0;
            let mut seen = Vec::new();
            while seen.len() < N {
                for e in store.issue_events_after(after, 5).await.unwrap() {
                    assert_eq!(e.seq, after + 1, "a gap after seq {after}");
                    after = e.seq;
                    seen.push(e.issue.candidate_id);
                }
                tokio::task::yield_now().await;
            }
            seen
        })
    };
    let mut approvals = Vec::new();
    for id in candidates.clone() {
        let store = store.clone();
        approvals.push(tokio::spawn(async move {
            store
                .approve_candidate(id, 1, &approval(&format!("ประเด็น {id}")), &ctx("somchai"))
                .await
                .unwrap()
        }));
    }
    for a in approvals {
        a.await.unwrap();
    }
    let mut seen = tokio::time::timeout(std::time::Duration::from_secs(30), reader)
        .await
        .expect("the reader saw every event")
        .unwrap();
    seen.sort();
    assert_eq!(seen, candidates);
}
