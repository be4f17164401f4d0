//! Agencies' clarification reports and their evidence on both backends: every report kept and
//! read latest first, each with its audit record and `reported` feed event; evidence rows
//! (files by digest, links) within the issue's limit, and only under a report of their issue.

use praden_core::report::{Channel, ChannelEntry, EvidenceKind, NewEvidence, NewReport};
use praden_core::review::{IssueEventKind, IssueResponse, ResponseKind};
use praden_store::{AuditFilter, DecisionContext, DecisionError, Store};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

praden_store::both_backends!(
    reports_are_kept_latest_first_with_their_event_and_audit_record,
    evidence_stays_within_its_issue_and_its_limit,
    a_report_needs_the_issues_agency_and_not_a_declined_one,
    the_kpi_reads_each_issues_first_report_and_its_quality,
);

const NOW: OffsetDateTime = datetime!(2026-12-01 03:00 UTC);
const COMMERCE: &str = "กระทรวงพาณิชย์";

fn ctx(actor: &str) -> DecisionContext {
    DecisionContext {
        actor: actor.into(),
        request_id: Some(format!("req-{actor}")),
        now: NOW,
    }
}

/// An approved issue assigned to `to`, from a story of its own.
async fn issue(store: &Store, key: &str, to: &str) -> i64 {
    praden_store::testing::approved_issue(store, key, to, &ctx("mon")).await
}

fn report(speaker: &str) -> NewReport {
    NewReport {
        reporter: "นางสาวพรทิพย์ ใจงาม".into(),
        clarified_at: NOW - Duration::hours(1),
        speaker: speaker.into(),
        content: "ยืนยันว่าราคาไข่ไก่ไม่ได้ขึ้นตามที่เป็นข่าว".into(),
        channels: vec![
            ChannelEntry {
                channel: Channel::PressConference,
                link: None,
            },
            ChannelEntry {
                channel: Channel::Facebook,
                link: Some("https://facebook.com/moc/posts/1".into()),
            },
        ],
    }
}

fn file(issue_id: i64, report_id: Option<i64>, size: i64, sha: &str) -> NewEvidence {
    NewEvidence {
        issue_id,
        report_id,
        kind: EvidenceKind::Pdf,
        file_name: Some("แถลงการณ์.pdf".into()),
        media_type: Some("application/pdf".into()),
        size,
        sha256: Some(sha.repeat(64)),
        link: None,
    }
}

async fn reports_are_kept_latest_first_with_their_event_and_audit_record(store: Store) {
    let id = issue(&store, "ไข่ไก่แพง", COMMERCE).await;
    let first = store
        .add_report(id, COMMERCE, &report("โฆษกกระทรวง"), &ctx("commerce"))
        .await
        .unwrap();
    assert_eq!(first.by, "commerce");
    assert_eq!(first.channels.len(), 2);
    let corrected = store
        .add_report(id, COMMERCE, &report("รัฐมนตรีว่าการ"), &ctx("commerce"))
        .await
        .unwrap();
    let kept = store.issue_reports(id).await.unwrap();
    assert_eq!(
        kept.iter().map(|r| r.id).collect::<Vec<_>>(),
        [corrected.id, first.id],
        "both kept, the correction first"
    );
    assert_eq!(kept[1], first, "read back as written");
    assert_eq!(store.report(first.id).await.unwrap().unwrap(), first);
    assert!(store.report(99_999).await.unwrap().is_none());

    let events = store.issue_events_after(0, 10).await.unwrap();
    let reported: Vec<_> = events
        .iter()
        .filter(|e| e.kind == IssueEventKind::Reported)
        .collect();
    assert_eq!(reported.len(), 2);
    assert_eq!(reported[0].report.as_ref(), Some(&first));
    assert!(reported[0].response.is_none());
    let audit = store
        .audit_records(&AuditFilter {
            entity: Some("issue".into()),
            entity_id: Some(id.to_string()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|r| r.entry.action.as_str()).collect();
    assert_eq!(actions, ["issue.reported", "issue.reported"], "{actions:?}");
    assert_eq!(
        audit[0].entry.after.as_ref().unwrap()["speaker"],
        "รัฐมนตรีว่าการ"
    );
}

async fn evidence_stays_within_its_issue_and_its_limit(store: Store) {
    let id = issue(&store, "ไข่ไก่แพง", COMMERCE).await;
    let other = issue(&store, "น้ำมันแพง", COMMERCE).await;
    let r = store
        .add_report(id, COMMERCE, &report("โฆษก"), &ctx("commerce"))
        .await
        .unwrap();
    let pdf = store
        .add_evidence(&file(id, Some(r.id), 600, "a"), 1000, &ctx("commerce"))
        .await
        .unwrap();
    assert_eq!(pdf.kind, EvidenceKind::Pdf);
    assert_eq!(pdf.sha256.as_deref(), Some("a".repeat(64).as_str()));
    let link = store
        .add_evidence(
            &NewEvidence {
                issue_id: id,
                report_id: Some(r.id),
                kind: EvidenceKind::Link,
                file_name: None,
                media_type: None,
                size: 0,
                sha256: None,
                link: Some("https://moc.go.th/news/1".into()),
            },
            1000,
            &ctx("commerce"),
        )
        .await
        .unwrap();
    // 600 + 500 passes the issue's 1000.
    let over = store
        .add_evidence(&file(id, Some(r.id), 500, "b"), 1000, &ctx("commerce"))
        .await
        .unwrap_err();
    assert!(matches!(over, DecisionError::Invalid(_)), "{over:?}");
    assert!(over.to_string().contains("limit"), "{over}");
    // A report of another issue is no report of this one.
    let stray = store
        .add_evidence(&file(other, Some(r.id), 1, "c"), 1000, &ctx("commerce"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            stray,
            DecisionError::NotFound {
                entity: "report",
                ..
            }
        ),
        "{stray:?}"
    );
    let items = store.issue_evidence(id).await.unwrap();
    assert_eq!(items, [pdf.clone(), link]);
    assert_eq!(store.evidence(pdf.id).await.unwrap(), Some(pdf));
    assert!(store.issue_evidence(other).await.unwrap().is_empty());
    let audit = store
        .audit_records(&AuditFilter {
            entity: Some("issue".into()),
            entity_id: Some(id.to_string()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|r| r.entry.action == "evidence.added")
            .count(),
        2
    );
}

async fn a_report_needs_the_issues_agency_and_not_a_declined_one(store: Store) {
    let id = issue(&store, "ไข่ไก่แพง", COMMERCE).await;
    let e = store
        .add_report(id, "กระทรวงสาธารณสุข", &report("โฆษก"), &ctx("health"))
        .await
        .unwrap_err();
    assert!(matches!(e, DecisionError::Invalid(_)), "{e:?}");
    let e = store
        .add_report(99_999, COMMERCE, &report("โฆษก"), &ctx("commerce"))
        .await
        .unwrap_err();
    assert!(matches!(e, DecisionError::NotFound { .. }), "{e:?}");
    store
        .respond_to_issue(
            id,
            &IssueResponse {
                kind: ResponseKind::Declined,
                agency: COMMERCE.into(),
                person: "ก".into(),
                position: "ข".into(),
                reason: Some("ไม่ใช่ของเรา".into()),
                at: NOW,
                by: "commerce".into(),
            },
            &ctx("commerce"),
        )
        .await
        .unwrap();
    let e = store
        .add_report(id, COMMERCE, &report("โฆษก"), &ctx("commerce"))
        .await
        .unwrap_err();
    assert!(matches!(e, DecisionError::InvalidState { .. }), "{e:?}");
    assert!(store.issue_reports(id).await.unwrap().is_empty());
}

/// The KPI's facts of a period (README, "The timeliness KPI"): the first clarification the
/// issue's agency reported, its channels, evidence and latest assessment; withdrawn issues
/// are read (and marked) so the KPI can leave them out; issues outside the days are not.
async fn the_kpi_reads_each_issues_first_report_and_its_quality(store: Store) {
    use praden_core::report::{report_facts, Completeness};
    let reported = issue(&store, "reported", COMMERCE).await;
    let silent = issue(&store, "silent", COMMERCE).await;
    let withdrawn = issue(&store, "withdrawn", COMMERCE).await;
    store
        .withdraw_issue(withdrawn, 1, "ซ้ำกับประเด็นอื่น", &ctx("mon"))
        .await
        .unwrap();
    // Two reports: the KPI counts the first clarification (made earlier), not the latest.
    let mut early = report("อธิบดี");
    early.clarified_at = NOW - Duration::hours(2);
    let first = store
        .add_report(reported, COMMERCE, &early, &ctx("moc"))
        .await
        .unwrap();
    let mut later = report("รองอธิบดี");
    later.channels.truncate(1);
    store
        .add_report(reported, COMMERCE, &later, &ctx("moc"))
        .await
        .unwrap();
    store
        .add_evidence(
            &file(reported, Some(first.id), 10, "a"),
            1 << 20,
            &ctx("moc"),
        )
        .await
        .unwrap();
    let facts = report_facts(&first, NOW.date(), &[], NOW);
    store
        .assess_report(
            first.id,
            facts,
            Completeness::Partly,
            "ตอบบางส่วน",
            &ctx("mon"),
        )
        .await
        .unwrap();
    store
        .assess_report(first.id, facts, Completeness::Yes, "", &ctx("mon"))
        .await
        .unwrap();

    let day = praden_core::thai_time::to_bangkok(NOW).date();
    let all = store.kpi_facts(day, day).await.unwrap();
    let of = |id: i64| all.iter().find(|f| f.issue_id == id).unwrap();
    assert_eq!(all.len(), 3);
    let r = of(reported);
    assert_eq!(
        r.clarified,
        Some(praden_core::thai_time::to_bangkok(early.clarified_at).date())
    );
    assert!(r.multi_channel, "the first report's two channels");
    assert!(r.complete, "the latest assessment says yes");
    assert!(r.evidence_on_time);
    assert_eq!((r.agency.as_str(), r.deadline_days), (COMMERCE, 2));
    assert_eq!(of(silent).clarified, None);
    assert!(of(withdrawn).withdrawn);
    let yesterday = day - Duration::days(1);
    assert!(store
        .kpi_facts(yesterday, yesterday)
        .await
        .unwrap()
        .is_empty());
}
