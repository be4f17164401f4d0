//! The timeliness KPI on both backends: the golden quarter (in time, late, never, withdrawn,
//! reassigned, working-day deadlines and the period edges 30 Sep / 1 Oct and 31 Dec 2569 /
//! 1 Jan 2570, at Bangkok midnight), and closed quarters that keep their figures until an
//! admin re-opens them, both steps audited.

use praden_core::kpi::{tally, DeadlineDays, Figures, Kpi, Period};
use praden_core::report::{Channel, ChannelEntry, NewReport};
use praden_store::{Approval, AuditFilter, DecisionContext, Store};
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};

praden_store::both_backends!(
    the_golden_quarter_counts_each_case_at_its_bangkok_day,
    a_closed_quarter_keeps_its_figures_until_an_admin_reopens_it,
);

const COMMERCE: &str = "กระทรวงพาณิชย์";
const HEALTH: &str = "กระทรวงสาธารณสุข";

fn at(now: OffsetDateTime) -> DecisionContext {
    DecisionContext {
        actor: "mon".into(),
        request_id: None,
        now: now.to_offset(time::UtcOffset::UTC),
    }
}

/// An issue approved at `when` (Bangkok wall time, given as `+07:00`), 2 days to clarify.
async fn issue(store: &Store, key: &str, to: &str, when: OffsetDateTime) -> i64 {
    praden_store::testing::approved_issue(store, key, to, &at(when)).await
}

async fn report(store: &Store, id: i64, agency: &str, when: OffsetDateTime) {
    let r = NewReport {
        reporter: "นางสาวพรทิพย์ ใจงาม".into(),
        clarified_at: when,
        speaker: "อธิบดี".into(),
        content: "ชี้แจงข้อเท็จจริง".into(),
        channels: vec![ChannelEntry {
            channel: Channel::PressConference,
            link: None,
        }],
    };
    store
        .add_report(id, agency, &r, &at(when + Duration::hours(1)))
        .await
        .unwrap();
}

/// The scenario: returns the issues' ids by name.
async fn scenario(store: &Store) -> Vec<(&'static str, i64)> {
    let mut ids = Vec::new();
    // 23:30 on 30 Sep (Bangkok) is the old fiscal year's; 00:10 on 1 Oct the new one's.
    let a = issue(
        store,
        "edge-q4",
        COMMERCE,
        datetime!(2026-09-30 23:30 +07:00),
    )
    .await;
    report(store, a, COMMERCE, datetime!(2026-10-01 09:00 +07:00)).await;
    ids.push(("edge-q4", a));
    let b = issue(
        store,
        "first-q1",
        COMMERCE,
        datetime!(2026-10-01 00:10 +07:00),
    )
    .await;
    report(store, b, COMMERCE, datetime!(2026-10-03 20:00 +07:00)).await;
    ids.push(("first-q1", b));
    // Monday 2 Nov, due Wednesday 4th (a holiday in the working-day calendar).
    let c = issue(store, "late", COMMERCE, datetime!(2026-11-02 10:00 +07:00)).await;
    report(store, c, COMMERCE, datetime!(2026-11-06 10:00 +07:00)).await;
    ids.push(("late", c));
    // 23:50 on 31 Dec is Q1's, never clarified; 00:05 on 1 Jan is Q2's.
    let d = issue(store, "never", COMMERCE, datetime!(2026-12-31 23:50 +07:00)).await;
    ids.push(("never", d));
    let e = issue(
        store,
        "next-q",
        COMMERCE,
        datetime!(2027-01-01 00:05 +07:00),
    )
    .await;
    ids.push(("next-q", e));
    let f = issue(
        store,
        "withdrawn",
        COMMERCE,
        datetime!(2026-11-10 10:00 +07:00),
    )
    .await;
    store
        .withdraw_issue(f, 1, "ซ้ำ", &at(datetime!(2026-11-10 11:00 +07:00)))
        .await
        .unwrap();
    ids.push(("withdrawn", f));
    // Reassigned from commerce to health, which clarifies it the next day.
    let g = issue(
        store,
        "reassigned",
        COMMERCE,
        datetime!(2026-11-20 10:00 +07:00),
    )
    .await;
    store
        .edit_issue(
            g,
            1,
            &Approval {
                title: "reassigned".into(),
                agency: praden_store::testing::ministry(HEALTH),
                deadline_days: 2,
                source: "มติชนออนไลน์".into(),
            },
            &at(datetime!(2026-11-20 15:00 +07:00)),
        )
        .await
        .unwrap();
    report(store, g, HEALTH, datetime!(2026-11-21 10:00 +07:00)).await;
    ids.push(("reassigned", g));
    // Friday 30 Oct with 2 days: due Sunday by the calendar, Tuesday in working days; clarified
    // on Monday.
    let h = issue(
        store,
        "friday",
        COMMERCE,
        datetime!(2026-10-30 10:00 +07:00),
    )
    .await;
    report(store, h, COMMERCE, datetime!(2026-11-02 10:00 +07:00)).await;
    ids.push(("friday", h));
    ids
}

async fn kpi(store: &Store, period: &str, days: &DeadlineDays, today: Date) -> Kpi {
    let period = Period::parse(period).unwrap();
    tally(store.kpi_issues(&period, days, today).await.unwrap().issues)
}

/// (assigned, in time, late, not clarified, pending, percent in time)
fn row(f: &Figures) -> (u32, u32, u32, u32, u32, Option<f64>) {
    (
        f.assigned,
        f.in_time,
        f.late,
        f.not_clarified,
        f.pending,
        f.percent_in_time,
    )
}

fn of<'a>(k: &'a Kpi, name: &str) -> &'a Figures {
    &k.by_ministry
        .iter()
        .find(|r| r.name == name)
        .unwrap()
        .figures
}

async fn the_golden_quarter_counts_each_case_at_its_bangkok_day(store: Store) {
    let ids = scenario(&store).await;
    let id = |name: &str| ids.iter().find(|(n, _)| *n == name).unwrap().1;
    let today = date!(2027 - 01 - 10);
    let q1 = kpi(&store, "2570Q1", &DeadlineDays::Calendar, today).await;
    assert_eq!(row(&q1.total), (5, 2, 2, 1, 0, Some(40.0)));
    assert_eq!(row(of(&q1, COMMERCE)), (4, 1, 2, 1, 0, Some(25.0)));
    assert_eq!(row(of(&q1, HEALTH)), (1, 1, 0, 0, 0, Some(100.0)));
    assert_eq!(q1.total.late_days, vec![1, 2]);
    let mut counted: Vec<i64> = q1.issues.iter().map(|i| i.issue_id).collect();
    counted.sort_unstable();
    let mut expected = vec![
        id("first-q1"),
        id("late"),
        id("never"),
        id("reassigned"),
        id("friday"),
    ];
    expected.sort_unstable();
    assert_eq!(
        counted, expected,
        "not the edges' other sides, not withdrawn"
    );

    // The old year's last quarter holds the 23:30 issue; the next quarter the 00:05 one,
    // pending on 1 January and not clarified by the 10th.
    let q4 = kpi(&store, "2569Q4", &DeadlineDays::Calendar, today).await;
    assert_eq!(row(&q4.total), (1, 1, 0, 0, 0, Some(100.0)));
    let q2 = kpi(
        &store,
        "2570Q2",
        &DeadlineDays::Calendar,
        date!(2027 - 01 - 01),
    )
    .await;
    assert_eq!(row(&q2.total), (1, 0, 0, 0, 1, None));
    let q2 = kpi(&store, "2570Q2", &DeadlineDays::Calendar, today).await;
    assert_eq!(row(&q2.total), (1, 0, 0, 1, 0, Some(0.0)));

    // Working days with the holiday file: Friday's issue is in time, the late one is late by
    // one working-day due date (4 Nov a holiday: due the 5th, clarified the 6th).
    let working =
        DeadlineDays::working_from_file("2569-11-04 วันหยุดชดเชย\n2570-01-01 วันขึ้นปีใหม่\n").unwrap();
    let w = kpi(&store, "2570Q1", &working, today).await;
    assert_eq!(row(of(&w, COMMERCE)), (4, 2, 1, 1, 0, Some(50.0)));
    assert_eq!(w.total.late_days, vec![1]);
    let never = w.issues.iter().find(|i| i.issue_id == id("never")).unwrap();
    assert_eq!(
        never.due,
        date!(2027 - 01 - 05),
        "Fri 1 Jan a holiday, then Mon, Tue"
    );
}

async fn a_closed_quarter_keeps_its_figures_until_an_admin_reopens_it(store: Store) {
    let ids = scenario(&store).await;
    let never = ids.iter().find(|(n, _)| *n == "never").unwrap().1;
    let q1 = Period::parse("2570Q1").unwrap();
    let today = date!(2027 - 01 - 10);
    let calendar = DeadlineDays::Calendar;
    let now = kpi(&store, "2570Q1", &calendar, today).await;
    // The data version moves with every change the figures are counted from, and says on
    // which days the changed issues were assigned.
    let start = store.kpi_version().await.unwrap();
    assert_eq!(store.kpi_version().await.unwrap(), start);
    assert_eq!(
        store.kpi_days_touched_since(&start).await.unwrap(),
        Some(vec![])
    );
    let admin = DecisionContext {
        actor: "admin".into(),
        request_id: Some("req-close".into()),
        now: datetime!(2027-01-10 09:00 +07:00),
    };
    assert!(store
        .close_kpi_quarter(&q1, "นับวันตามปฏิทิน", &now.issues, &admin)
        .await
        .unwrap());
    assert!(
        !store
            .close_kpi_quarter(&q1, "นับวันตามปฏิทิน", &now.issues, &admin)
            .await
            .unwrap(),
        "closed once"
    );

    let closed = store.kpi_version().await.unwrap();
    assert_ne!(closed, start);
    assert_eq!(
        store.kpi_days_touched_since(&start).await.unwrap(),
        None,
        "closing may change any quarter"
    );
    // A late report of the never-clarified issue arrives; the closed quarter does not move,
    // also seen from the half year, whose next quarter is still live.
    report(&store, never, COMMERCE, datetime!(2027-01-12 10:00 +07:00)).await;
    assert_eq!(
        store.kpi_days_touched_since(&closed).await.unwrap(),
        Some(vec![date!(2026 - 12 - 31)]),
        "the report's issue was assigned on 31 December"
    );
    let later = date!(2027 - 01 - 20);
    let kept = kpi(&store, "2570Q1", &calendar, later).await;
    assert_eq!(row(&kept.total), row(&now.total));
    assert_eq!(kept.issues, now.issues);
    let h1 = kpi(&store, "2570H1", &calendar, later).await;
    assert_eq!(row(&h1.total), (6, 2, 2, 2, 0, Some(33.3)));
    let found = store.kpi_issues(&q1, &calendar, later).await.unwrap();
    assert_eq!(found.closed.len(), 1);
    assert_eq!(found.closed[0].closed_by, "admin");
    assert_eq!(found.closed[0].deadline_rule, "นับวันตามปฏิทิน");

    let reported = store.kpi_version().await.unwrap();
    store
        .withdraw_issue(never, 1, "ซ้ำ", &at(datetime!(2027-01-12 11:00 +07:00)))
        .await
        .unwrap();
    assert_eq!(
        store.kpi_days_touched_since(&reported).await.unwrap(),
        Some(vec![date!(2026 - 12 - 31)]),
        "a withdrawal too"
    );
    assert!(store.reopen_kpi_quarter("2570Q1", &admin).await.unwrap());
    assert!(!store.reopen_kpi_quarter("2570Q1", &admin).await.unwrap());
    let reopened = kpi(&store, "2570Q1", &calendar, later).await;
    assert_eq!(
        row(&reopened.total),
        (4, 2, 2, 0, 0, Some(50.0)),
        "re-opened: the withdrawn issue no longer counts"
    );

    let audit = store
        .audit_records(&AuditFilter {
            entity: Some("kpi_quarter".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let steps: Vec<(&str, &str)> = audit
        .iter()
        .map(|r| {
            (
                r.entry.action.as_str(),
                r.entry.entity_id.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(steps, [("kpi.reopen", "2570Q1"), ("kpi.close", "2570Q1")]);
    let closed = audit[1].entry.after.as_ref().unwrap();
    assert_eq!(
        (closed["issues"].as_u64(), closed["not_clarified"].as_u64()),
        (Some(5), Some(1))
    );
    assert_eq!(
        audit[0].entry.before.as_ref().unwrap()["closed_by"],
        "admin"
    );
}
