//! The monitors' pages: the queue and one candidate with its actions. Server-rendered Thai
//! HTML; every action is a plain form (no JavaScript), carries the version the monitor saw
//! and the session's CSRF token, and answers with a redirect or a clear conflict page.

use crate::auth::{context, Identity};
use crate::extract::{Form, Path, Query};
use crate::html::{esc, kind_th, moment, shell, KINDS};
use crate::review::{
    approval_from, default_source, documents_of, load_candidate, snooze_until, ApproveBody,
    DocumentSummary,
};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use praden_core::review::{Candidate, CandidateStatus, Criterion};
use praden_store::CandidateFilter;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use time::{Duration, OffsetDateTime};

/// A criterion counts as fired (a badge) from this score.
const BADGE_SCORE: f64 = 0.5;
/// The sparkline covers this many hours in buckets of `BUCKET_HOURS`.
const SPARK_HOURS: i64 = 72;
const BUCKET_HOURS: i64 = 6;

fn badges(c: &Candidate) -> String {
    let mut out = String::new();
    for r in &c.proposal.criteria {
        if r.score >= BADGE_SCORE {
            let _ = write!(
                out,
                "<span class=\"badge\" title=\"{:.2}\">{}</span>",
                r.score,
                r.criterion.label_th()
            );
        }
    }
    if c.proposal.misleading.is_some() {
        out.push_str("<span class=\"badge warn\">อาจคลาดเคลื่อน</span>");
    }
    out
}

/// An inline SVG of documents per bucket over the last `SPARK_HOURS`.
fn sparkline(times: &[OffsetDateTime], now: OffsetDateTime) -> String {
    let buckets = (SPARK_HOURS / BUCKET_HOURS) as usize;
    let mut counts = vec![0u32; buckets];
    for t in times {
        let age = (now - *t).whole_hours();
        if (0..SPARK_HOURS).contains(&age) {
            counts[buckets - 1 - (age / BUCKET_HOURS) as usize] += 1;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (w, h) = (96.0, 20.0);
    let step = w / (buckets - 1) as f64;
    let points: Vec<String> = counts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                h - 1.0 - (*c as f64 / max) * (h - 2.0)
            )
        })
        .collect();
    let total: u32 = counts.iter().sum();
    format!(
        "<svg class=\"spark\" width=\"96\" height=\"20\" viewBox=\"0 0 96 20\" role=\"img\" \
         aria-label=\"ข่าว {total} ชิ้นใน {SPARK_HOURS} ชั่วโมง\"><polyline fill=\"none\" \
         stroke=\"#2060c0\" stroke-width=\"1.5\" points=\"{}\"/></svg>",
        points.join(" ")
    )
}

fn age_th(since: OffsetDateTime, now: OffsetDateTime) -> String {
    let d = now - since;
    if d < Duration::hours(1) {
        format!("{} นาที", d.whole_minutes().max(0))
    } else if d < Duration::days(2) {
        format!("{} ชม.", d.whole_hours())
    } else {
        format!("{} วัน", d.whole_days())
    }
}

/// Candidates on one page of the queue.
const QUEUE_PAGE: usize = 50;
/// The queue reads at most this many pending candidates, best first, to filter and page.
const QUEUE_SCAN: i64 = 5_000;
/// The ages a monitor can narrow the queue to, in hours, with their Thai labels.
const QUEUE_AGES: [(i64, &str); 3] = [(24, "24 ชั่วโมง"), (72, "3 วัน"), (168, "7 วัน")];
const QUEUE_SORTS: [(&str, &str); 3] = [
    ("score", "คะแนนสูงสุด"),
    ("newest", "ข่าวล่าสุด"),
    ("oldest", "ค้างนานที่สุด"),
];

/// `/queue`'s filters, as the form sends them (an empty field is no filter).
#[derive(Debug, Default, Deserialize)]
pub struct QueueParams {
    #[serde(default)]
    criterion: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    agency: String,
    /// Hours: only stories first seen this recently.
    #[serde(default)]
    age: String,
    #[serde(default)]
    sort: String,
    page: Option<usize>,
}

/// The checked filters of one queue page.
#[derive(Debug, PartialEq)]
struct QueueView {
    criterion: Option<Criterion>,
    kind: Option<&'static str>,
    agency: String,
    age_hours: Option<i64>,
    sort: &'static str,
    page: usize,
}

impl QueueParams {
    fn check(&self) -> Result<QueueView, ApiError> {
        let bad = |name: &str, value: &str, expected: &str| {
            ApiError::BadParameter(format!("{name} {value:?} is not {expected}"))
        };
        let criterion = match self.criterion.as_str() {
            "" => None,
            c => Some(
                Criterion::ALL
                    .into_iter()
                    .find(|k| k.key() == c)
                    .ok_or_else(|| bad("criterion", c, "one of the six criteria"))?,
            ),
        };
        let kind = match self.kind.as_str() {
            "" => None,
            k => Some(
                KINDS
                    .iter()
                    .map(|(v, _)| *v)
                    .find(|v| *v == k)
                    .ok_or_else(|| bad("kind", k, "news, social, broadcast or official"))?,
            ),
        };
        let age_hours = match self.age.as_str() {
            "" => None,
            a => Some(
                a.parse::<i64>()
                    .ok()
                    .filter(|h| QUEUE_AGES.iter().any(|(v, _)| v == h))
                    .ok_or_else(|| bad("age", a, "24, 72 or 168 (hours)"))?,
            ),
        };
        let sort = match self.sort.as_str() {
            "" => "score",
            s => QUEUE_SORTS
                .iter()
                .map(|(v, _)| *v)
                .find(|v| *v == s)
                .ok_or_else(|| bad("sort", s, "score, newest or oldest"))?,
        };
        Ok(QueueView {
            criterion,
            kind,
            agency: self.agency.trim().to_string(),
            age_hours,
            sort,
            page: self.page.unwrap_or(1).max(1),
        })
    }
}

impl QueueView {
    fn keeps(&self, c: &Candidate, now: OffsetDateTime) -> bool {
        let p = &c.proposal;
        let fired = |k: Criterion| {
            p.criteria
                .iter()
                .any(|r| r.criterion == k && r.score >= BADGE_SCORE)
        };
        let has_kind = |k: &str| match k {
            "news" => p.counts.news > 0,
            "social" => p.counts.social > 0,
            "broadcast" => p.counts.broadcast > 0,
            _ => p.counts.official > 0,
        };
        let agency = self.agency.as_str();
        self.criterion.is_none_or(fired)
            && self.kind.is_none_or(has_kind)
            && self
                .age_hours
                .is_none_or(|h| now - p.first_seen <= Duration::hours(h))
            && (agency.is_empty()
                || p.agencies.iter().any(|a| {
                    let r = &a.agency;
                    r.name_th.contains(agency)
                        || r.ministry_th.contains(agency)
                        || r.abbr == agency
                        || r.ministry_abbr == agency
                }))
    }

    /// Keeps what the filters let through, in the chosen order.
    fn apply(&self, mut candidates: Vec<Candidate>, now: OffsetDateTime) -> Vec<Candidate> {
        candidates.retain(|c| self.keeps(c, now));
        // The store lists best score first; the other orders are stable over it.
        match self.sort {
            "newest" => candidates.sort_by_key(|c| std::cmp::Reverse(c.proposal.last_seen)),
            "oldest" => candidates.sort_by_key(|c| c.proposal.first_seen),
            _ => {}
        }
        candidates
    }

    /// The query string of this view on `page`.
    fn query(&self, page: usize) -> String {
        let mut q = format!("page={page}");
        if let Some(c) = self.criterion {
            let _ = write!(q, "&criterion={}", c.key());
        }
        if let Some(k) = self.kind {
            let _ = write!(q, "&kind={k}");
        }
        if !self.agency.is_empty() {
            let _ = write!(q, "&agency={}", crate::html::url_encode(&self.agency));
        }
        if let Some(h) = self.age_hours {
            let _ = write!(q, "&age={h}");
        }
        if self.sort != "score" {
            let _ = write!(q, "&sort={}", self.sort);
        }
        q
    }

    fn form(&self) -> String {
        let options = |pairs: &[(String, &str)], chosen: &str| {
            pairs
                .iter()
                .map(|(v, label)| {
                    let selected = if v == chosen { " selected" } else { "" };
                    format!("<option value=\"{v}\"{selected}>{label}</option>")
                })
                .collect::<String>()
        };
        let any = |label: &'static str| (String::new(), label);
        let criteria: Vec<(String, &str)> = std::iter::once(any("ทุกเกณฑ์"))
            .chain(
                Criterion::ALL
                    .iter()
                    .map(|c| (c.key().to_string(), c.label_th())),
            )
            .collect();
        let kinds: Vec<(String, &str)> = std::iter::once(any("ทุกประเภท"))
            .chain(KINDS.iter().map(|(v, l)| (v.to_string(), *l)))
            .collect();
        let ages: Vec<(String, &str)> = std::iter::once(any("ทุกช่วงเวลา"))
            .chain(QUEUE_AGES.iter().map(|(h, l)| (h.to_string(), *l)))
            .collect();
        let sorts: Vec<(String, &str)> = QUEUE_SORTS
            .iter()
            .map(|(v, l)| (v.to_string(), *l))
            .collect();
        format!(
            "<form class=\"filters\" method=\"get\" action=\"/queue\">\
             <label>เกณฑ์<select name=\"criterion\">{}</select></label>\
             <label>ประเภทสื่อ<select name=\"kind\">{}</select></label>\
             <label>หน่วยงาน<input type=\"text\" name=\"agency\" value=\"{}\" placeholder=\"เช่น กระทรวงพาณิชย์ หรือ พณ.\"></label>\
             <label>พบครั้งแรกภายใน<select name=\"age\">{}</select></label>\
             <label>เรียงตาม<select name=\"sort\">{}</select></label>\
             <button type=\"submit\">แสดง</button> <a href=\"/queue\">ล้างตัวกรอง</a></form>",
            options(&criteria, self.criterion.map_or("", |c| c.key())),
            options(&kinds, self.kind.unwrap_or("")),
            esc(&self.agency),
            options(&ages, &self.age_hours.map_or(String::new(), |h| h.to_string())),
            options(&sorts, self.sort),
        )
    }
}

pub async fn queue(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Query(params): Query<QueueParams>,
) -> Result<Html<String>, ApiError> {
    let view = params.check()?;
    let now = OffsetDateTime::now_utc();
    let pending = state
        .store
        .candidates(
            &CandidateFilter {
                statuses: vec![CandidateStatus::Pending],
                limit: QUEUE_SCAN,
                offset: 0,
            },
            now,
        )
        .await?;
    let scanned_all = (pending.len() as i64) < QUEUE_SCAN;
    let matching = view.apply(pending, now);
    let pages = matching.len().div_ceil(QUEUE_PAGE).max(1);
    let page = view.page.min(pages);
    let candidates = &matching[(page - 1) * QUEUE_PAGE..(page * QUEUE_PAGE).min(matching.len())];
    let ids: Vec<i64> = candidates.iter().map(|c| c.id).collect();
    let mut times: BTreeMap<i64, Vec<OffsetDateTime>> = BTreeMap::new();
    for (id, t) in state.store.candidate_timelines(&ids).await? {
        times.entry(id).or_default().push(t);
    }
    let mut body = format!("<h1>คิวประเด็นรอพิจารณา</h1>{}", view.form());
    let _ = write!(
        body,
        "<p class=\"meta\">{}{} ประเด็น · หน้า {page} จาก {pages}</p>",
        if scanned_all {
            ""
        } else {
            "จาก 5,000 ประเด็นที่คะแนนสูงสุด: "
        },
        matching.len()
    );
    if candidates.is_empty() {
        body.push_str("<p>ไม่มีประเด็นรอพิจารณาที่ตรงกับตัวกรอง</p>");
    } else {
        body.push_str(
            "<table><thead><tr><th>ประเด็น</th><th>คะแนน</th><th>เกณฑ์</th><th>ข่าว / สื่อ</th>\
             <th>ความถี่ 72 ชม.</th><th>หน่วยงานที่เสนอ</th><th>อายุ</th></tr></thead><tbody>",
        );
        for c in candidates {
            let p = &c.proposal;
            let agency = p
                .agencies
                .first()
                .map_or(String::new(), |a| esc(&a.agency.name_th));
            let development = c.development.as_deref().map_or(String::new(), |d| {
                format!("<br><small class=\"badge warn\">{}</small>", esc(d))
            });
            let _ = write!(
                body,
                "<tr><td><a href=\"/candidates/{id}\">{title}</a>{development}</td><td>{score:.2}</td>\
                 <td>{badges}</td><td>{articles} / {outlets}</td><td>{spark}</td><td>{agency}</td>\
                 <td>{age}</td></tr>",
                id = c.id,
                title = esc(&p.title),
                score = p.score,
                badges = badges(c),
                articles = p.articles,
                outlets = p.outlets.len(),
                spark = sparkline(times.get(&c.id).map_or(&[][..], |v| v), now),
                age = age_th(p.first_seen, now),
            );
        }
        body.push_str("</tbody></table>");
    }
    if pages > 1 {
        body.push_str("<nav class=\"pager\" aria-label=\"หน้าของคิว\">");
        if page > 1 {
            let _ = write!(
                body,
                "<a href=\"/queue?{}\" rel=\"prev\">ก่อนหน้า</a> ",
                view.query(page - 1)
            );
        }
        let _ = write!(body, "หน้า {page} จาก {pages}");
        if page < pages {
            let _ = write!(
                body,
                " <a href=\"/queue?{}\" rel=\"next\">ถัดไป</a>",
                view.query(page + 1)
            );
        }
        body.push_str("</nav>");
    }
    Ok(Html(shell(Some(&who), "/queue", "คิวประเด็น", &body)))
}

fn documents_html(docs: &[DocumentSummary]) -> String {
    let mut groups: BTreeMap<(&str, &str), Vec<&DocumentSummary>> = BTreeMap::new();
    for d in docs {
        groups.entry((&d.kind, &d.outlet)).or_default().push(d);
    }
    let mut out = String::new();
    let mut last_kind = "";
    for ((kind, outlet), docs) in groups {
        if kind != last_kind {
            let _ = write!(out, "<h3>{}</h3>", kind_th(kind));
            last_kind = kind;
        }
        let _ = write!(out, "<p><b>{}</b> ({} ชิ้น)</p><ul>", esc(outlet), docs.len());
        for d in docs {
            let title = esc(&d.title);
            let link = match &d.url {
                Some(u) => format!("<a href=\"{}\" rel=\"noopener\">{title}</a>", esc(u)),
                None => title,
            };
            let when = d.published_at.map_or(String::new(), moment);
            let _ = write!(
                out,
                "<li id=\"doc-{}\">{link} <span class=\"meta\">{when}</span></li>",
                d.id
            );
        }
        out.push_str("</ul>");
    }
    out
}

/// Escaped evidence with every "ข่าว #ID" (how detection names a document) made a link to
/// that document in the page's coverage list.
fn linked(escaped: &str) -> String {
    const MARK: &str = "ข่าว #";
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped;
    while let Some(at) = rest.find(MARK) {
        let after = &rest[at + MARK.len()..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            out.push_str(&rest[..at + MARK.len()]);
            rest = after;
            continue;
        }
        let id = &after[..digits];
        out.push_str(&rest[..at]);
        let _ = write!(out, "<a href=\"#doc-{id}\">{MARK}{id}</a>");
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

fn agency_options(state: &AppState, c: &Candidate) -> String {
    let suggested: Vec<&str> = c
        .proposal
        .agencies
        .iter()
        .map(|a| a.agency.name_th.as_str())
        .collect();
    let mut out = String::from("<optgroup label=\"ที่ระบบเสนอ\">");
    for (i, a) in c.proposal.agencies.iter().enumerate() {
        let _ = write!(
            out,
            "<option value=\"{v}\"{sel}>{v} ({abbr}) · {score:.2}</option>",
            v = esc(&a.agency.name_th),
            sel = if i == 0 { " selected" } else { "" },
            abbr = esc(&a.agency.abbr),
            score = a.score,
        );
    }
    out.push_str("</optgroup><optgroup label=\"ทุกหน่วยงาน\">");
    for a in state.agencies.iter() {
        if suggested.contains(&a.name_th.as_str()) {
            continue;
        }
        let _ = write!(
            out,
            "<option value=\"{v}\">{v}{abbr}</option>",
            v = esc(&a.name_th),
            abbr = if a.abbr.is_empty() {
                String::new()
            } else {
                format!(" ({})", esc(&a.abbr))
            },
        );
    }
    out.push_str("</optgroup>");
    out
}

pub async fn candidate(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(id): Path<i64>,
) -> Result<Html<String>, ApiError> {
    let c = load_candidate(&state, id).await?;
    let docs = documents_of(&state, id).await?;
    let now = OffsetDateTime::now_utc();
    let p = &c.proposal;
    let mut body = format!(
        "<h1>{title}</h1><p class=\"meta\">ประเด็นที่ {id} · สถานะ: {status} · คะแนน {score:.2} · \
         ข่าว {articles} ชิ้นจาก {outlets} แหล่ง · พบครั้งแรก {first} · ล่าสุด {last}</p>\
         <p>{badges}</p><p>{summary}</p>",
        title = esc(&p.title),
        id = c.id,
        status = c.status.label_th(),
        score = p.score,
        articles = p.articles,
        outlets = p.outlets.len(),
        first = moment(p.first_seen),
        last = moment(p.last_seen),
        badges = badges(&c),
        summary = esc(&p.summary),
    );
    if let Some(d) = &c.development {
        let _ = write!(body, "<p class=\"notice\">{}</p>", esc(d));
    }
    if let Some(reason) = &c.reject_reason {
        let _ = write!(body, "<p class=\"meta\">เหตุผลที่ไม่รับ: {}</p>", esc(reason));
    }
    if let Some(into) = c.merged_into {
        let _ = write!(
            body,
            "<p class=\"notice\">รวมเข้ากับ <a href=\"/candidates/{into}\">ประเด็นที่ {into}</a> แล้ว</p>"
        );
    }
    if let Some(issue) = c.issue_id {
        let _ = write!(
            body,
            "<p class=\"notice\">อนุมัติแล้วเป็นประเด็นเลขที่ {issue} \
             (<a href=\"/issues/{issue}\">เปิดประเด็น แก้ไขหรือถอน</a>)</p>"
        );
    }

    body.push_str("<h2>เหตุผลตามเกณฑ์</h2><table><thead><tr><th>เกณฑ์</th><th>คะแนน</th><th>หลักฐาน</th></tr></thead><tbody>");
    for criterion in Criterion::ALL {
        let Some(r) = p.criteria.iter().find(|r| r.criterion == criterion) else {
            continue;
        };
        let evidence: Vec<String> = r.evidence.iter().map(|e| linked(&esc(e))).collect();
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{:.2}</td><td>{}</td></tr>",
            criterion.label_th(),
            r.score,
            evidence.join("<br>")
        );
    }
    if let Some(why) = &p.public_matter {
        let _ = write!(
            body,
            "<tr><td>เป็นเรื่องสาธารณะ</td><td></td><td>{}</td></tr>",
            linked(&esc(why))
        );
    }
    if let Some(m) = &p.misleading {
        let evidence: Vec<String> = m.iter().map(|e| linked(&esc(e))).collect();
        let _ = write!(
            body,
            "<tr><td>อาจคลาดเคลื่อน</td><td></td><td>{}</td></tr>",
            evidence.join("<br>")
        );
    }
    body.push_str("</tbody></table>");

    body.push_str("<h2>หน่วยงานที่ควรชี้แจง (ระบบเสนอ)</h2><ol>");
    for a in &p.agencies {
        let reasons: Vec<String> = a.reasons.iter().map(|r| esc(r)).collect();
        let _ = write!(
            body,
            "<li>{} ({}) · {} · {:.2}<br><small class=\"meta\">{}</small></li>",
            esc(&a.agency.name_th),
            esc(&a.agency.abbr),
            esc(&a.agency.ministry_th),
            a.score,
            reasons.join(" · ")
        );
    }
    body.push_str("</ol>");

    if CandidateStatus::DECIDABLE.contains(&c.status) {
        body.push_str(&action_forms(&state, &c, &who, now).await?);
    }
    let _ = write!(
        body,
        "<h2>ข่าวทั้งหมด ({} ชิ้น)</h2>{}",
        docs.len(),
        documents_html(&docs)
    );
    Ok(Html(shell(
        Some(&who),
        &format!("/candidates/{id}"),
        &p.title,
        &body,
    )))
}

async fn action_forms(
    state: &AppState,
    c: &Candidate,
    who: &Identity,
    now: OffsetDateTime,
) -> Result<String, ApiError> {
    let csrf = who.csrf.as_deref().map_or(String::new(), |t| {
        format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(t))
    });
    let hidden = format!(
        "{csrf}<input type=\"hidden\" name=\"version\" value=\"{}\">",
        c.version
    );
    let others = state
        .store
        .candidates(
            &CandidateFilter {
                statuses: vec![CandidateStatus::Pending, CandidateStatus::Approved],
                limit: 100,
                offset: 0,
            },
            now,
        )
        .await?;
    let mut merge_options = String::new();
    for o in others.iter().filter(|o| o.id != c.id) {
        let _ = write!(
            merge_options,
            "<option value=\"{}:{}\">{} · {}</option>",
            o.id,
            o.version,
            o.id,
            esc(&o.proposal.title)
        );
    }
    let id = c.id;
    Ok(format!(
        r#"<h2>ดำเนินการ</h2>
<form class="action" method="post" action="/candidates/{id}/approve"><h3>อนุมัติเป็นประเด็น</h3>{hidden}
<label>ชื่อประเด็น<input type="text" name="title" value="{title}" required></label>
<label>หน่วยงานที่ต้องชี้แจง<select name="agency">{agencies}</select></label>
<label>ภายใน (วัน)<input type="number" name="deadline_days" min="1" max="90" value="{deadline}" required></label>
<label>ที่มา<input type="text" name="source" value="{source}" required></label>
<button type="submit">อนุมัติ</button></form>
<form class="action" method="post" action="/candidates/{id}/reject"><h3>ไม่รับ</h3>{hidden}
<label>เหตุผล<input type="text" name="reason" required></label>
<button type="submit">ไม่รับประเด็นนี้</button></form>
<form class="action" method="post" action="/candidates/{id}/snooze"><h3>พักไว้</h3>{hidden}
<label>พักไว้นาน<select name="hours"><option value="2">2 ชั่วโมง</option><option value="6">6 ชั่วโมง</option><option value="24" selected>1 วัน</option><option value="72">3 วัน</option></select></label>
<button type="submit">พักไว้</button></form>
{merge}"#,
        title = esc(&c.proposal.title),
        merge = if merge_options.is_empty() {
            String::new()
        } else {
            format!(
                r#"<form class="action" method="post" action="/candidates/{id}/merge"><h3>รวมกับประเด็นอื่น</h3>{hidden}
<label>รวมเข้ากับ<select name="into" required><option value="" disabled selected>เลือกประเด็นที่จะรวมเข้าด้วย</option>{merge_options}</select></label>
<button type="submit">รวม</button></form>"#
            )
        },
        agencies = agency_options(state, c),
        deadline = c.proposal.deadline_days,
        source = esc(&default_source(c)),
    ))
}

/// A refused action, with the way back to the candidate and the queue.
fn refused(who: &Identity, id: i64, e: ApiError) -> Response {
    let back = format!(
        "<a href=\"/candidates/{id}\">เปิดประเด็นนี้อีกครั้ง</a> · <a href=\"/queue\">กลับไปที่คิว</a>"
    );
    crate::html::refused(who, &format!("/candidates/{id}"), e, &back)
}

#[derive(Deserialize)]
pub struct ApproveForm {
    version: i64,
    title: String,
    agency: String,
    deadline_days: u32,
    source: String,
}

pub async fn approve(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<ApproveForm>,
) -> Response {
    let result = async {
        let c = load_candidate(&state, id).await?;
        let body = ApproveBody {
            version: f.version,
            title: Some(f.title),
            agency: Some(f.agency),
            deadline_days: Some(f.deadline_days),
            source: Some(f.source),
        };
        let approval = approval_from(&state, &c, &body)?;
        Ok::<_, ApiError>(
            state
                .store
                .approve_candidate(id, f.version, &approval, &context(&who, &headers))
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/candidates/{id}")).into_response(),
        Err(e) => refused(&who, id, e),
    }
}

#[derive(Deserialize)]
pub struct RejectForm {
    version: i64,
    reason: String,
}

pub async fn reject(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<RejectForm>,
) -> Response {
    match state
        .store
        .reject_candidate(id, f.version, &f.reason, &context(&who, &headers))
        .await
    {
        Ok(_) => Redirect::to("/queue").into_response(),
        Err(e) => refused(&who, id, e.into()),
    }
}

#[derive(Deserialize)]
pub struct SnoozeForm {
    version: i64,
    hours: i64,
}

pub async fn snooze(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<SnoozeForm>,
) -> Response {
    let result = async {
        let until = snooze_until(f.hours)?;
        Ok::<_, ApiError>(
            state
                .store
                .snooze_candidate(id, f.version, until, &context(&who, &headers))
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/queue").into_response(),
        Err(e) => refused(&who, id, e),
    }
}

#[derive(Deserialize)]
pub struct MergeForm {
    version: i64,
    /// `ID:VERSION` of the candidate to merge into.
    into: String,
}

pub async fn merge(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<MergeForm>,
) -> Response {
    let result = async {
        let (into, into_version) = f
            .into
            .split_once(':')
            .and_then(|(a, b)| Some((a.parse::<i64>().ok()?, b.parse::<i64>().ok()?)))
            .ok_or_else(|| {
                ApiError::BadParameter(format!("into {:?} is not ID:VERSION", f.into))
            })?;
        Ok::<_, ApiError>(
            state
                .store
                .merge_candidates(id, f.version, into, into_version, &context(&who, &headers))
                .await?,
        )
    }
    .await;
    match result {
        Ok(kept) => Redirect::to(&format!("/candidates/{}", kept.id)).into_response(),
        Err(e) => refused(&who, id, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_sparkline_puts_recent_coverage_on_the_right() {
        let now = datetime!(2026-11-23 12:00 UTC);
        let svg = sparkline(&[now - Duration::hours(1), now - Duration::hours(2)], now);
        assert!(svg.contains("ข่าว 2 ชิ้น"), "{svg}");
        // Last point (the newest bucket) is at the top, the first at the bottom.
        assert!(svg.contains("96.0,1.0"), "{svg}");
        assert!(svg.contains("0.0,19.0"), "{svg}");
    }

    #[test]
    fn evidence_names_documents_as_links() {
        assert_eq!(
            linked("พบ \"ครม.มีมติ\" ในหัวข่าวของข่าว #42; ข่าว #x"),
            "พบ \"ครม.มีมติ\" ในหัวข่าวของ<a href=\"#doc-42\">ข่าว #42</a>; ข่าว #x"
        );
    }

    #[test]
    fn ages_read_in_thai() {
        let now = datetime!(2026-11-23 12:00 UTC);
        assert_eq!(age_th(now - Duration::minutes(5), now), "5 นาที");
        assert_eq!(age_th(now - Duration::hours(5), now), "5 ชม.");
        assert_eq!(age_th(now - Duration::days(3), now), "3 วัน");
    }
}
