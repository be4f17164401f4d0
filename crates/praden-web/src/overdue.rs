//! What the monitors must chase: every approved issue late at a step of its life — not
//! acknowledged by noon of the day its assignment message went out, answered "not ours" and
//! waiting to be reassigned, not reported by its due date, its report's evidence missing 2
//! days after the report, or a report waiting for the monitors' assessment. The page
//! `/overdue` and the API `/api/v1/issues/overdue` list them, longest overdue first; the
//! issue's page shows the same steps as its life.

use crate::auth::Identity;
use crate::extract::Json;
use crate::html::{esc, moment, shell};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::response::Html;
use axum::Extension;
use praden_brief::AssignmentContent;
use praden_core::report::{evidence_due, evidence_missing, Assessment, Evidence, Report};
use praden_core::review::{Issue, IssueResponse, IssueStatus, ResponseKind};
use praden_core::thai_time::{bangkok_midnight, format_thai_date_short, to_bangkok};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write;
use time::{Date, Duration, OffsetDateTime};

/// How many of the newest approved issues are looked through.
const WINDOW: i64 = 1000;
/// How far back assignment messages are read to find when each issue was assigned.
const ASSIGNMENTS_BACK: Duration = Duration::days(120);
/// Acknowledgment is due by noon of the assignment day (the message goes out at 10:30); a
/// message published late gives the agencies this long instead.
const NOON: Duration = Duration::hours(12);
const ACK_GRACE: Duration = Duration::minutes(90);

/// One step an issue is late at.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Lateness {
    /// Assigned, and not acknowledged by the agency it is assigned to by `due`.
    NotAcknowledged {
        #[serde(with = "time::serde::rfc3339")]
        assigned_at: OffsetDateTime,
        #[serde(with = "time::serde::rfc3339")]
        due: OffsetDateTime,
    },
    /// The agency answered that the issue is not theirs: the monitors must reassign it.
    Declined {
        agency: String,
        reason: Option<String>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// No clarification reported by the due date (Bangkok days).
    NotReported {
        #[serde(with = "crate::overdue::iso")]
        due_date: Date,
        days_late: i64,
    },
    /// The latest report's evidence did not come within 2 days of it.
    EvidenceMissing {
        report_id: i64,
        #[serde(with = "crate::overdue::iso")]
        due_date: Date,
    },
    /// The latest report waits for the monitors' assessment (its evidence came, or its time
    /// for evidence is over).
    NotAssessed { report_id: i64 },
}

#[derive(Debug, Clone, Serialize)]
pub struct OverdueIssue {
    pub id: i64,
    pub title: String,
    pub agency: String,
    #[serde(with = "crate::overdue::iso")]
    pub due_date: Date,
    pub late: Vec<Lateness>,
}

#[derive(Serialize)]
pub struct OverdueResponse {
    #[serde(with = "time::serde::rfc3339")]
    as_of: OffsetDateTime,
    issues: Vec<OverdueIssue>,
}

mod iso {
    use serde::Serializer;
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!(
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        ))
    }
}

/// Every assignment message that carried each issue: when, and to which agency.
type Sent = HashMap<i64, Vec<(OffsetDateTime, String)>>;

async fn sent(state: &AppState, now: OffsetDateTime) -> Result<Sent, ApiError> {
    let from = to_bangkok(now - ASSIGNMENTS_BACK).date();
    let mut sent: Sent = HashMap::new();
    for p in state.store.assignments().firsts_since(from).await? {
        let Ok(content) = serde_json::from_str::<AssignmentContent>(&p.content) else {
            tracing::warn!(id = p.id, "an assignment message's content is unreadable");
            continue;
        };
        for line in content.issues {
            sent.entry(line.issue_id)
                .or_default()
                .push((p.generated_at, line.agency));
        }
    }
    Ok(sent)
}

/// When `issue` was first sent to the agency it is assigned to now (a reassigned issue is
/// sent again, to its new agency).
fn assigned(sent: &Sent, issue: &Issue) -> Option<OffsetDateTime> {
    sent.get(&issue.id)?
        .iter()
        .find(|(_, agency)| *agency == issue.agency.name_th)
        .map(|(at, _)| *at)
}

/// When the agency must have acknowledged an issue assigned at `assigned`: noon of that
/// Bangkok day, or 90 minutes after a message that went out later than 10:30.
fn acknowledge_by(assigned: OffsetDateTime) -> OffsetDateTime {
    let noon = bangkok_midnight(to_bangkok(assigned).date()) + NOON;
    noon.max(assigned + ACK_GRACE)
}

/// What happened to an issue after its approval: what its lateness is judged on.
#[derive(Debug, Default)]
pub struct Steps<'a> {
    /// When an assignment message first carried it.
    pub assigned: Option<OffsetDateTime>,
    /// The agencies' answers, oldest first.
    pub responses: Vec<&'a IssueResponse>,
    /// Its reports, latest first.
    pub reports: &'a [Report],
    pub evidence: &'a [Evidence],
    /// Latest first.
    pub assessments: &'a [Assessment],
}

/// How late `issue` is at each step, as of `now`.
pub fn lateness(issue: &Issue, steps: &Steps, now: OffsetDateTime) -> Vec<Lateness> {
    let (assigned, responses) = (steps.assigned, &steps.responses);
    let reported = !steps.reports.is_empty();
    let mut late = Vec::new();
    let today = to_bangkok(now).date();
    // Only the answers of the agency the issue is assigned to now count: a reassigned issue
    // starts again.
    let own = responses
        .iter()
        .rev()
        .find(|r| r.agency == issue.agency.name_th);
    match own {
        Some(r) if r.kind == ResponseKind::Declined => late.push(Lateness::Declined {
            agency: r.agency.clone(),
            reason: r.reason.clone(),
            at: r.at,
        }),
        Some(_) => {}
        None => {
            if let Some(assigned_at) = assigned {
                let due = acknowledge_by(assigned_at);
                if now > due && !reported {
                    late.push(Lateness::NotAcknowledged { assigned_at, due });
                }
            }
        }
    }
    if !reported && issue.due_date < today {
        late.push(Lateness::NotReported {
            due_date: issue.due_date,
            days_late: (today - issue.due_date).whole_days(),
        });
    }
    if let Some(r) = steps.reports.first() {
        let items = steps
            .evidence
            .iter()
            .filter(|e| e.report_id.is_none_or(|id| id == r.id))
            .count();
        let missing = evidence_missing(r.at, items, now);
        if missing {
            late.push(Lateness::EvidenceMissing {
                report_id: r.id,
                due_date: evidence_due(r.at),
            });
        }
        let assessed = steps.assessments.iter().any(|a| a.report_id == r.id);
        if !assessed && (items > 0 || missing) {
            late.push(Lateness::NotAssessed { report_id: r.id });
        }
    }
    late
}

/// Every approved issue late at some step, the longest overdue first.
pub async fn overdue(state: &AppState, now: OffsetDateTime) -> Result<Vec<OverdueIssue>, ApiError> {
    let issues = state
        .store
        .issues_page(Some(IssueStatus::Approved), None, WINDOW)
        .await?;
    let ids: Vec<i64> = issues.iter().map(|i| i.id).collect();
    let sent = sent(state, now).await?;
    let reported = state.store.reported_issues(&ids).await?;
    let mut out = Vec::new();
    for i in &issues {
        let responses = state.store.issue_responses(i.id).await?;
        // Reports, evidence and assessments are read only for issues that have reports.
        let (reports, evidence, assessments) = if reported.contains(&i.id) {
            (
                state.store.issue_reports(i.id).await?,
                state.store.issue_evidence(i.id).await?,
                state.store.issue_assessments(i.id).await?,
            )
        } else {
            Default::default()
        };
        let steps = Steps {
            assigned: assigned(&sent, i),
            responses: responses.iter().collect(),
            reports: &reports,
            evidence: &evidence,
            assessments: &assessments,
        };
        let late = lateness(i, &steps, now);
        if !late.is_empty() {
            out.push(OverdueIssue {
                id: i.id,
                title: i.title.clone(),
                agency: i.agency.name_th.clone(),
                due_date: i.due_date,
                late,
            });
        }
    }
    out.sort_by_key(|o| (o.due_date, o.id));
    Ok(out)
}

/// When `issue` was sent to its agency, for its page.
pub async fn issue_assigned_at(
    state: &AppState,
    issue: &Issue,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, ApiError> {
    Ok(assigned(&sent(state, now).await?, issue))
}

pub async fn api(State(state): State<AppState>) -> Result<Json<OverdueResponse>, ApiError> {
    let now = OffsetDateTime::now_utc();
    Ok(Json(OverdueResponse {
        as_of: now,
        issues: overdue(&state, now).await?,
    }))
}

pub(crate) fn describe(l: &Lateness) -> String {
    match l {
        Lateness::NotAcknowledged { due, .. } => {
            format!("ยังไม่ตอบรับ (ต้องตอบรับภายใน {})", moment(*due))
        }
        Lateness::Declined { agency, reason, .. } => format!(
            "{agency} แจ้งว่าไม่ใช่หน่วยงานที่รับผิดชอบ{} — รอมอบหมายหน่วยงานใหม่",
            reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
        Lateness::NotReported { days_late, .. } => {
            format!("ยังไม่รายงานผลการชี้แจง เลยกำหนดมา {days_late} วัน")
        }
        Lateness::EvidenceMissing {
            report_id,
            due_date,
        } => format!(
            "รายงานฉบับที่ {report_id} ยังไม่ส่งหลักฐาน (กำหนดภายใน {})",
            format_thai_date_short(*due_date)
        ),
        Lateness::NotAssessed { report_id } => {
            format!("รายงานฉบับที่ {report_id} รอการประเมิน")
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
) -> Result<Html<String>, ApiError> {
    let items = overdue(&state, OffsetDateTime::now_utc()).await?;
    let mut body = String::from("<h1>ประเด็นที่ต้องติดตาม</h1>");
    if items.is_empty() {
        body.push_str("<p>ไม่มีประเด็นค้าง ทุกหน่วยงานตอบรับและรายงานผลตามกำหนด</p>");
    } else {
        let _ = write!(
            body,
            "<p>{} ประเด็น</p><table><thead><tr><th>ประเด็น</th><th>หน่วยงาน</th>\
             <th>กำหนดชี้แจง</th><th>ค้างอยู่ที่</th></tr></thead><tbody>",
            items.len()
        );
        for o in &items {
            let late: Vec<String> = o.late.iter().map(|l| esc(&describe(l))).collect();
            let _ = write!(
                body,
                "<tr><td><a href=\"/issues/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                o.id,
                esc(&o.title),
                esc(&o.agency),
                esc(&format_thai_date_short(o.due_date)),
                late.join("<br>")
            );
        }
        body.push_str("</tbody></table>");
    }
    Ok(Html(shell(
        Some(&who),
        "/overdue",
        "ประเด็นที่ต้องติดตาม",
        &body,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use praden_core::review::AgencyRef;
    use time::macros::{date, datetime};

    fn issue(due: Date) -> Issue {
        Issue {
            id: 7,
            candidate_id: 1,
            version: 1,
            status: IssueStatus::Approved,
            title: "ราคาไข่ไก่แพง".into(),
            agency: AgencyRef {
                name_th: "กรมการค้าภายใน".into(),
                abbr: String::new(),
                ministry_abbr: String::new(),
                ministry_th: "กระทรวงพาณิชย์".into(),
                name_en: String::new(),
            },
            deadline_days: 1,
            due_date: due,
            source: "มติชน".into(),
            criteria: vec![],
            links: vec![],
            approved_by: "somchai".into(),
            approved_at: datetime!(2026-11-23 09:00 +7),
            updated_at: datetime!(2026-11-23 09:00 +7),
        }
    }

    fn answer(agency: &str, kind: ResponseKind) -> IssueResponse {
        IssueResponse {
            kind,
            agency: agency.into(),
            person: "นางสาวพิมพ์ใจ".into(),
            position: "ผู้อำนวยการ".into(),
            reason: (kind == ResponseKind::Declined).then(|| "เป็นเรื่องของกรมปศุสัตว์".into()),
            at: datetime!(2026-11-23 11:00 +7),
            by: "dit".into(),
        }
    }

    #[test]
    fn each_step_is_late_after_its_own_deadline() {
        let i = issue(date!(2026 - 11 - 24));
        let assigned = Some(datetime!(2026-11-23 10:30 +7));
        let reports = [report(datetime!(2026-11-24 16:00 +7))];
        let lateness = |i: &Issue,
                        assigned: Option<OffsetDateTime>,
                        responses: &[&IssueResponse],
                        reported: bool,
                        now: OffsetDateTime| {
            let steps = Steps {
                assigned,
                responses: responses.to_vec(),
                reports: if reported { &reports[..] } else { &[] },
                ..Steps::default()
            };
            lateness(i, &steps, now)
                .into_iter()
                .filter(|l| {
                    !matches!(
                        l,
                        Lateness::EvidenceMissing { .. } | Lateness::NotAssessed { .. }
                    )
                })
                .collect::<Vec<_>>()
        };
        // Before noon: nothing is late yet.
        assert!(lateness(&i, assigned, &[], false, datetime!(2026-11-23 11:59 +7)).is_empty());
        // After noon, unanswered: not acknowledged.
        let late = lateness(&i, assigned, &[], false, datetime!(2026-11-23 12:01 +7));
        assert!(
            matches!(late[..], [Lateness::NotAcknowledged { due, .. }] if due == datetime!(2026-11-23 12:00 +7))
        );
        // Not assigned yet (approved after the day's message): nothing to chase.
        assert!(lateness(&i, None, &[], false, datetime!(2026-11-23 15:00 +7)).is_empty());
        // Acknowledged, and the due day not over: fine; the day after, not reported.
        let ack = answer("กรมการค้าภายใน", ResponseKind::Acknowledged);
        assert!(lateness(&i, assigned, &[&ack], false, datetime!(2026-11-24 23:00 +7)).is_empty());
        let late = lateness(&i, assigned, &[&ack], false, datetime!(2026-11-26 08:00 +7));
        assert_eq!(
            late,
            [Lateness::NotReported {
                due_date: date!(2026 - 11 - 24),
                days_late: 2
            }]
        );
        // Reported: nothing of the agency's first steps is late, even unacknowledged.
        assert!(lateness(&i, assigned, &[], true, datetime!(2026-11-26 08:00 +7)).is_empty());
        // A message sent late (14:00) gives 90 minutes.
        let late_message = Some(datetime!(2026-11-23 14:00 +7));
        assert!(lateness(&i, late_message, &[], false, datetime!(2026-11-23 15:00 +7)).is_empty());
        assert_eq!(
            lateness(&i, late_message, &[], false, datetime!(2026-11-23 15:31 +7)).len(),
            1
        );
    }

    fn report(at: OffsetDateTime) -> Report {
        Report {
            id: 5,
            issue_id: 7,
            agency: "กรมการค้าภายใน".into(),
            reporter: "พิมพ์ใจ".into(),
            clarified_at: at,
            speaker: "อธิบดี".into(),
            content: "ชี้แจง".into(),
            channels: vec![],
            at,
            by: "dit".into(),
        }
    }

    #[test]
    fn a_report_waits_for_its_evidence_then_for_its_assessment() {
        let i = issue(date!(2026 - 11 - 24));
        let reports = [report(datetime!(2026-11-24 16:00 +7))];
        let steps = |evidence: &'static [Evidence], assessments: &'static [Assessment]| Steps {
            assigned: Some(datetime!(2026-11-23 10:30 +7)),
            reports: Box::leak(Box::new(reports.clone())),
            evidence,
            assessments,
            ..Steps::default()
        };
        // Within its 2 days: nothing is late.
        assert!(lateness(&i, &steps(&[], &[]), datetime!(2026-11-26 23:00 +7)).is_empty());
        // After them: evidence missing, and the report can be assessed as it is.
        assert_eq!(
            lateness(&i, &steps(&[], &[]), datetime!(2026-11-27 00:30 +7)),
            [
                Lateness::EvidenceMissing {
                    report_id: 5,
                    due_date: date!(2026 - 11 - 26)
                },
                Lateness::NotAssessed { report_id: 5 }
            ]
        );
    }

    #[test]
    fn a_decline_waits_for_reassignment_and_an_old_agencys_answer_does_not_count() {
        let i = issue(date!(2026 - 11 - 30));
        let assigned = Some(datetime!(2026-11-23 10:30 +7));
        let lateness = |i: &Issue,
                        assigned: Option<OffsetDateTime>,
                        responses: &[&IssueResponse],
                        _reported: bool,
                        now: OffsetDateTime| {
            let steps = Steps {
                assigned,
                responses: responses.to_vec(),
                ..Steps::default()
            };
            lateness(i, &steps, now)
        };
        let no = answer("กรมการค้าภายใน", ResponseKind::Declined);
        let late = lateness(&i, assigned, &[&no], false, datetime!(2026-11-23 13:00 +7));
        assert!(
            matches!(&late[..], [Lateness::Declined { reason: Some(r), .. }] if r.contains("ปศุสัตว์"))
        );
        // Reassigned to another agency: the first one's acknowledgment is not this one's.
        let other = answer("กรมปศุสัตว์", ResponseKind::Acknowledged);
        let late = lateness(
            &i,
            assigned,
            &[&other],
            false,
            datetime!(2026-11-23 13:00 +7),
        );
        assert!(matches!(late[..], [Lateness::NotAcknowledged { .. }]));
    }
}
