//! The timeliness KPI (ร้อยละการชี้แจงประเด็นสำคัญที่ทันต่อสถานการณ์), counted by
//! `praden_core::kpi` from the store's issues (a closed quarter's as it kept them):
//! - `/kpi` for monitors, admins and evaluators: the table by ministry with drill-down to its
//!   agencies and to the issues behind each figure, and the charts (SVG drawn here, no
//!   JavaScript); admins close and re-open quarters there;
//! - `/kpi/report`, the printable quarterly report (A4), and `/kpi/export.csv` and
//!   `/kpi/export.xlsx`;
//! - `/agency/kpi`, an agency's own figures and issues, nothing of other agencies';
//! - `GET /api/v1/kpi?period=2570Q1&by=ministry|agency` as JSON.

use crate::agency::sees_agency;
use crate::auth::{context, Identity};
use crate::extract::{Form, Json, Query};
use crate::html::{esc, moment, refused, shell, url_encode};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use praden_core::kpi::{
    quarters_ending, quarters_within, tally, CountedIssue, DeadlineDays, Figures, Kpi, Outcome,
    Period, PeriodKind, Row,
};
use praden_core::thai_time::{format_thai_date_short, to_bangkok};
use praden_core::Role;
use praden_report::csv::Level;
use praden_report::{svg, Provenance};
use praden_store::{ClosedQuarterRecord, KpiIssues, KpiVersion};
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use time::{Date, OffsetDateTime};

/// How the KPI counts deadlines, and its target (`[kpi]` in the config).
#[derive(Debug, Clone)]
pub struct KpiSettings {
    pub days: DeadlineDays,
    /// The rule in Thai, as the report's notes say it.
    pub rule_th: String,
    /// Drawn on the bars when set.
    pub target_percent: Option<f64>,
}

impl Default for KpiSettings {
    fn default() -> Self {
        Self {
            days: DeadlineDays::Calendar,
            rule_th: "นับวันตามปฏิทิน".into(),
            target_percent: None,
        }
    }
}

/// How many quarters the trend shows at least.
const TREND_QUARTERS: usize = 4;
/// How many issues a page lists; the exports hold them all.
const LIST_LIMIT: usize = 500;

/// Which issues a view covers.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    ministry: Option<String>,
    agency: Option<String>,
    /// An agency user's own agency (or ministry): only its issues, whatever else is asked.
    own: Option<String>,
}

impl Scope {
    fn covers(&self, i: &CountedIssue) -> bool {
        self.ministry.as_ref().is_none_or(|m| &i.ministry == m)
            && self.agency.as_ref().is_none_or(|a| &i.agency == a)
            && self
                .own
                .as_ref()
                .is_none_or(|o| sees_agency(o, &i.agency, &i.ministry))
    }
}

/// A period's KPI within a scope, with its trend and where its figures came from.
pub struct Gathered {
    pub period: Period,
    pub kpi: Kpi,
    pub trend: Vec<(Period, Option<f64>)>,
    /// The closed quarters within the period.
    pub closed: Vec<ClosedQuarterRecord>,
    pub produced_at: OffsetDateTime,
}

impl Gathered {
    /// Whether any of the period's days lie in no closed quarter.
    fn partly_open(&self) -> bool {
        quarters_within(&self.period)
            .iter()
            .any(|q| !self.closed.iter().any(|c| c.quarter.period == *q))
    }

    /// Where the figures came from, as the report and the workbook say it.
    pub fn provenance(&self, settings: &KpiSettings) -> Provenance {
        let mut sources: Vec<String> = self
            .closed
            .iter()
            .map(|c| {
                format!(
                    "{}: ปิดรอบเมื่อ {} โดย {} — ตัวเลขคงที่ตามข้อมูล ณ เวลาที่ปิดรอบ ({})",
                    svg::quarter_label(&c.quarter.period),
                    moment(c.closed_at),
                    c.closed_by,
                    c.deadline_rule
                )
            })
            .collect();
        if self.partly_open() {
            sources.push(format!(
                "ช่วงที่ยังไม่ปิดรอบ: ข้อมูลในระบบ praden ณ {}",
                moment(self.produced_at)
            ));
        }
        sources.push(format!(
            "ประเด็นที่นับ {} เรื่อง (ประเด็นที่อนุมัติและส่งหน่วยงานในช่วงนี้ ไม่รวมที่ถอนแล้ว)",
            self.kpi.total.assigned
        ));
        Provenance {
            produced_at: self.produced_at,
            sources,
            deadline_rule: settings.rule_th.clone(),
        }
    }
}

/// The counted issues of the quarters viewed lately, so that moving between the KPI's pages,
/// its report and its exports reads only what changed. Every use first reads the store's
/// data version (`Store::kpi_version`: a few primary-key lookups); when it has moved since the
/// last use, the quarters holding the issues changed in between
/// (`Store::kpi_days_touched_since`) are dropped, and only they are read again. So a figure
/// is never older than the request, whichever process wrote the change.
#[derive(Default)]
pub struct KpiCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    /// The data version every kept quarter is current at.
    version: Option<KpiVersion>,
    quarters: Vec<CachedQuarter>,
    uses: u64,
}

struct CachedQuarter {
    period: Period,
    today: Date,
    issues: Arc<KpiIssues>,
    last_used: u64,
}

/// How many quarters the cache keeps: five years of them.
const CACHED_QUARTERS: usize = 20;

impl KpiCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops the quarters whose data changed since the last use.
    async fn revalidate(
        &self,
        store: &praden_store::Store,
    ) -> Result<(), praden_store::StoreError> {
        let now = store.kpi_version().await?;
        let since = match self.lock().version.clone() {
            Some(v) if v == now => return Ok(()),
            since => since,
        };
        let touched = match &since {
            Some(v) => store.kpi_days_touched_since(v).await?,
            None => None,
        };
        let mut inner = self.lock();
        // Another request may have moved it on meanwhile; dropping for an older change is only
        // more reading, never a stale figure.
        match touched {
            Some(days) => inner
                .quarters
                .retain(|c| !days.iter().any(|d| c.period.contains(*d))),
            None => inner.quarters.clear(),
        }
        inner.version = Some(now);
        Ok(())
    }

    /// The issues of `quarter` as they count on `today`: kept, or read now.
    async fn quarter(
        &self,
        store: &praden_store::Store,
        days: &DeadlineDays,
        quarter: &Period,
        today: Date,
    ) -> Result<Arc<KpiIssues>, praden_store::StoreError> {
        let version = {
            let mut inner = self.lock();
            inner.uses += 1;
            let tick = inner.uses;
            if let Some(c) = inner
                .quarters
                .iter_mut()
                .find(|c| c.period == *quarter && c.today == today)
            {
                c.last_used = tick;
                return Ok(c.issues.clone());
            }
            inner.version.clone()
        };
        let issues = Arc::new(store.kpi_issues(quarter, days, today).await?);
        let mut inner = self.lock();
        if inner.version != version {
            // Another request moved the version on while this one read: what it read may
            // predate a change that request has already accounted for, so it is not kept.
            return Ok(issues);
        }
        inner.uses += 1;
        let tick = inner.uses;
        inner.quarters.retain(|c| c.period != *quarter);
        if inner.quarters.len() >= CACHED_QUARTERS {
            if let Some(oldest) =
                (0..inner.quarters.len()).min_by_key(|&i| inner.quarters[i].last_used)
            {
                inner.quarters.swap_remove(oldest);
            }
        }
        inner.quarters.push(CachedQuarter {
            period: *quarter,
            today,
            issues: issues.clone(),
            last_used: tick,
        });
        Ok(issues)
    }
}

/// Reads the quarters the cache holds — the current one and those before it, newest first,
/// five years back — so that views after a start do not wait for them (about 3 s over 100,000
/// issues on SQLite, in the background). A failure is logged and forgotten: a view reads
/// what it needs anyway.
pub async fn prewarm(store: praden_store::Store, settings: Arc<KpiSettings>, cache: Arc<KpiCache>) {
    let today = to_bangkok(OffsetDateTime::now_utc()).date();
    let mut quarters = quarters_ending(today, CACHED_QUARTERS);
    quarters.reverse();
    let read = async {
        cache.revalidate(&store).await?;
        for q in &quarters {
            cache.quarter(&store, &settings.days, q, today).await?;
        }
        Ok::<_, praden_store::StoreError>(())
    };
    if let Err(e) = read.await {
        tracing::warn!(error = %e, "the KPI's quarters could not be read ahead");
    }
}

async fn gather(state: &AppState, period: Period, scope: &Scope) -> Result<Gathered, ApiError> {
    Ok(gather_from(
        &state.store,
        &state.kpi,
        Some(&state.kpi_cache),
        period,
        scope,
    )
    .await?)
}

/// The KPI of `period` within `scope` as of now, with the trend over the quarters up to it,
/// read quarter by quarter (through `cache` when given; `praden kpi` gathers without one).
pub async fn gather_from(
    store: &praden_store::Store,
    settings: &KpiSettings,
    cache: Option<&KpiCache>,
    period: Period,
    scope: &Scope,
) -> Result<Gathered, praden_store::StoreError> {
    let produced_at = OffsetDateTime::now_utc();
    let today = to_bangkok(produced_at).date();
    let trend_quarters = quarters_ending(
        period.last,
        quarters_within(&period).len().max(TREND_QUARTERS),
    );
    let mut issues: Vec<CountedIssue> = Vec::new();
    let mut closed = Vec::new();
    let mut trend = Vec::with_capacity(trend_quarters.len());
    let mut needed = trend_quarters.clone();
    needed.extend(quarters_within(&period));
    needed.sort_by_key(|q| q.first);
    needed.dedup();
    if let Some(cache) = cache {
        cache.revalidate(store).await?;
    }
    for q in &needed {
        let found = match cache {
            Some(cache) => cache.quarter(store, &settings.days, q, today).await?,
            None => Arc::new(store.kpi_issues(q, &settings.days, today).await?),
        };
        let mine = found.issues.iter().filter(|i| scope.covers(i));
        if trend_quarters.contains(q) {
            trend.push((*q, Figures::of(mine.clone()).percent_in_time));
        }
        if q.first <= period.last && q.last >= period.first {
            issues.extend(mine.filter(|i| period.contains(i.assigned)).cloned());
            closed.extend(found.closed.iter().cloned());
        }
    }
    Ok(Gathered {
        period,
        kpi: tally(issues),
        trend,
        closed,
        produced_at,
    })
}

#[derive(Deserialize, Default)]
pub struct KpiParams {
    period: Option<String>,
    by: Option<String>,
    ministry: Option<String>,
    agency: Option<String>,
    outcome: Option<String>,
    level: Option<String>,
    /// On an agency's page: one of its agencies.
    only: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl KpiParams {
    /// The period asked for, or the current fiscal quarter (Bangkok).
    fn period(&self) -> Result<Period, ApiError> {
        match self
            .period
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(t) => Period::parse(t).map_err(|e| ApiError::BadParameter(e.to_string())),
            None => Ok(Period::quarter_of(
                to_bangkok(OffsetDateTime::now_utc()).date(),
            )),
        }
    }

    fn scope(&self) -> Scope {
        Scope {
            ministry: nonempty(&self.ministry),
            agency: nonempty(&self.agency),
            own: None,
        }
    }

    fn outcome(&self) -> Result<Option<&'static str>, ApiError> {
        match nonempty(&self.outcome).as_deref() {
            None => Ok(None),
            Some(o) => Outcome::KEYS
                .into_iter()
                .map(|(k, _)| k)
                .find(|k| *k == o)
                .map(Some)
                .ok_or_else(|| {
                    ApiError::BadParameter(format!(
                        "outcome: {o:?} is not known (expected in_time, late, not_clarified or pending)"
                    ))
                }),
        }
    }
}

#[derive(Serialize)]
pub struct KpiResponse {
    period: String,
    label_th: String,
    first: String,
    last: String,
    #[serde(with = "time::serde::rfc3339")]
    as_of: OffsetDateTime,
    deadline_rule: String,
    /// The closed quarters whose kept figures are used: code, when and by whom.
    closed: Vec<ClosedInfo>,
    by: &'static str,
    total: Figures,
    rows: Vec<Row>,
    issues: Vec<CountedIssue>,
}

#[derive(Serialize)]
struct ClosedInfo {
    quarter: String,
    #[serde(with = "time::serde::rfc3339")]
    closed_at: OffsetDateTime,
    closed_by: String,
}

/// `GET /api/v1/kpi`: the KPI of `period` (default: the current fiscal quarter) by ministry
/// or agency, optionally of one ministry or agency.
pub async fn api(
    State(state): State<AppState>,
    Query(p): Query<KpiParams>,
) -> Result<Json<KpiResponse>, ApiError> {
    let period = p.period()?;
    let by_agency = match p.by.as_deref().unwrap_or("ministry") {
        "ministry" => false,
        "agency" => true,
        other => {
            return Err(ApiError::BadParameter(format!(
                "by: {other:?} is not known (expected ministry or agency)"
            )))
        }
    };
    let g = gather(&state, period, &p.scope()).await?;
    Ok(Json(KpiResponse {
        period: period.code(),
        label_th: period.label_th(),
        first: period.first.to_string(),
        last: period.last.to_string(),
        as_of: g.produced_at,
        deadline_rule: state.kpi.rule_th.clone(),
        closed: g
            .closed
            .iter()
            .map(|c| ClosedInfo {
                quarter: c.quarter.period.code(),
                closed_at: c.closed_at,
                closed_by: c.closed_by.clone(),
            })
            .collect(),
        by: if by_agency { "agency" } else { "ministry" },
        total: g.kpi.total,
        rows: if by_agency {
            g.kpi.by_agency
        } else {
            g.kpi.by_ministry
        },
        issues: g.kpi.issues,
    }))
}

/// A percentage as the pages print it.
fn pct(p: Option<f64>) -> String {
    p.map_or_else(|| "–".into(), |p| format!("{p:.1}%"))
}

/// The cells of one row's figures; each count links to its issues when `link` gives a base.
fn figure_cells(f: &Figures, link: Option<&str>) -> String {
    let cell = |n: u32, outcome: Option<&str>| match (link, n) {
        (Some(base), n) if n > 0 => {
            let filter = outcome.map_or(String::new(), |o| format!("&amp;outcome={o}"));
            format!("<td class=\"n\"><a href=\"{base}{filter}#issues\">{n}</a></td>")
        }
        _ => format!("<td class=\"n\">{n}</td>"),
    };
    format!(
        "{}{}{}{}{}<td class=\"n\"><b>{}</b></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
        cell(f.assigned, None),
        cell(f.in_time, Some("in_time")),
        cell(f.late, Some("late")),
        cell(f.not_clarified, Some("not_clarified")),
        cell(f.pending, Some("pending")),
        pct(f.percent_in_time),
        share(f.multi_channel, f.clarified()),
        share(f.complete, f.clarified()),
        share(f.evidence_on_time, f.clarified()),
    )
}

/// `part` of the clarified issues, as "3 (75.0%)".
fn share(part: u32, of: u32) -> String {
    match praden_core::kpi::percent(part, of) {
        Some(p) => format!("{part} <span class=\"meta\">({p:.1}%)</span>"),
        None => "–".into(),
    }
}

const TABLE_HEAD: &str = "<th class=\"n\">มอบหมาย</th><th class=\"n\">ทันเวลา</th>\
<th class=\"n\">ล่าช้า</th><th class=\"n\">ไม่ได้ชี้แจง</th><th class=\"n\">ยังไม่ถึงกำหนด</th>\
<th class=\"n\">ร้อยละที่ทันเวลา</th><th class=\"n\">มากกว่า 1 ช่องทาง</th>\
<th class=\"n\">ครบถ้วนตรงประเด็น</th><th class=\"n\">หลักฐานภายใน 2 วัน</th>";

/// The page's own styles: numbers right-aligned, charts side by side on screen, and an A4
/// page without the bar and the controls in print.
const KPI_CSS: &str = "<style>td.n,th.n{text-align:right;white-space:nowrap}\
.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:.8rem 0}.cards div{border:1px solid #ccc;padding:.5rem .8rem;min-width:7rem}\
.cards b{display:block;font-size:1.5rem}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:1rem}\
.charts figure{margin:0}.charts figure.wide{grid-column:1/-1;max-width:60rem}\
.charts svg{width:100%;height:auto}tr.total td{font-weight:bold;border-top:2px solid #999}td:first-child{min-width:12rem}\
.closed{padding:.5rem;background:#e8f4e8;border:1px solid #8b8;margin:.6rem 0}\
@page{size:A4;margin:15mm}@media print{header.bar,.controls,form{display:none}body{max-width:none;padding:0;font-size:11pt}\
.charts{grid-template-columns:1fr 1fr}.charts figure{break-inside:avoid;margin:0 0 6mm}a{color:inherit;text-decoration:none}\
table{font-size:9.5pt}h1{font-size:15pt}}</style>";

/// Links to the period before and after, and to its quarters, halves and year.
fn period_links(base: &str, period: &Period, extra: &str) -> String {
    let link = |p: &Period, text: &str| {
        let current = if p == period {
            " aria-current=\"page\""
        } else {
            ""
        };
        format!(
            "<a href=\"{base}?period={}{extra}\"{current}>{}</a>",
            url_encode(&p.code()),
            esc(text)
        )
    };
    let q = Period::quarter_of(period.first);
    let year = match q.kind {
        PeriodKind::Quarter { year, .. } => year,
        _ => unreachable!("quarter_of gives a quarter"),
    };
    let mut out = String::from("<p class=\"controls\">");
    let before = Period::quarter_of(q.first - time::Duration::days(1));
    let after = Period::quarter_of(Period::quarter_of(period.last).last + time::Duration::days(1));
    let _ = write!(out, "{} · ", link(&before, "‹ ไตรมาสก่อน"));
    for n in 1..=4 {
        if let Some(p) = Period::quarter(year, n) {
            let _ = write!(out, "{} · ", link(&p, &format!("ไตรมาส {n}")));
        }
    }
    for n in 1..=2 {
        if let Some(p) = Period::half(year, n) {
            let _ = write!(out, "{} · ", link(&p, &format!("รอบ 6 เดือนที่ {n}")));
        }
    }
    let _ = write!(
        out,
        "{} · {}</p>",
        link(&Period::fiscal_year(year), &format!("ปีงบประมาณ {year}")),
        link(&after, "ไตรมาสถัดไป ›")
    );
    out
}

/// The three charts of a view.
fn charts(state: &AppState, g: &Gathered, rows: &[Row], rows_title: &str) -> String {
    format!(
        "<div class=\"charts\"><figure class=\"wide\">{}</figure><figure>{}</figure><figure>{}</figure></div>",
        svg::bars(rows_title, rows, state.kpi.target_percent),
        svg::trend("แนวโน้มร้อยละที่ทันเวลา รายไตรมาส", &g.trend),
        svg::lateness("ชี้แจงล่าช้ากี่วัน", &g.kpi.total.late_days),
    )
}

/// The summary figures as cards.
fn cards(f: &Figures) -> String {
    format!(
        "<div class=\"cards\"><div>ร้อยละที่ทันเวลา<b>{}</b></div><div>มอบหมาย<b>{}</b></div>\
         <div>ทันเวลา<b>{}</b></div><div>ล่าช้า<b>{}</b></div><div>ไม่ได้ชี้แจง<b>{}</b></div>\
         <div>ยังไม่ถึงกำหนด<b>{}</b></div></div>",
        pct(f.percent_in_time),
        f.assigned,
        f.in_time,
        f.late,
        f.not_clarified,
        f.pending
    )
}

/// The issues behind a figure, linked to the page the viewer may open.
fn issue_list(issues: &[&CountedIssue], link: Option<&str>) -> String {
    let mut out = String::from(
        "<table id=\"issues\"><thead><tr><th>เลขที่</th><th>ประเด็น</th><th>หน่วยงาน</th>\
         <th>มอบหมาย</th><th>กำหนดชี้แจง</th><th>ชี้แจงเมื่อ</th><th>ผล</th></tr></thead><tbody>",
    );
    for i in issues.iter().take(LIST_LIMIT) {
        let title = match link {
            Some(base) => format!("<a href=\"{base}{}\">{}</a>", i.issue_id, esc(&i.title)),
            None => esc(&i.title),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{title}</td><td>{}<br><span class=\"meta\">{}</span></td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i.issue_id,
            esc(&i.agency),
            esc(&i.ministry),
            format_thai_date_short(i.assigned),
            format_thai_date_short(i.due),
            i.clarified.map_or("–".into(), format_thai_date_short),
            esc(&i.outcome.label_th()),
        );
    }
    out.push_str("</tbody></table>");
    if issues.len() > LIST_LIMIT {
        let _ = write!(
            out,
            "<p class=\"meta\">แสดง {LIST_LIMIT} จาก {} เรื่อง ดาวน์โหลดรายการทั้งหมดได้จาก CSV หรือ Excel</p>",
            issues.len()
        );
    }
    out
}

/// The rows table: each name drills down, each count lists its issues.
fn rows_table(
    rows: &[Row],
    total: &Figures,
    first: &str,
    drill: &dyn Fn(&Row) -> (String, String),
) -> String {
    let mut out = format!("<table><thead><tr><th>{first}</th>{TABLE_HEAD}</tr></thead><tbody>");
    for r in rows {
        let (name_link, issues_link) = drill(r);
        let _ = write!(
            out,
            "<tr><td><a href=\"{name_link}\">{}</a></td>{}</tr>",
            esc(&r.name),
            figure_cells(&r.figures, Some(&issues_link))
        );
    }
    let _ = write!(
        out,
        "<tr class=\"total\"><td>รวม</td>{}</tr></tbody></table>",
        figure_cells(total, None)
    );
    out
}

fn closed_notice(who: &Identity, g: &Gathered) -> String {
    let mut out = String::new();
    for c in &g.closed {
        let _ = write!(
            out,
            "<div class=\"closed\">{} ปิดรอบแล้วเมื่อ {} โดย {}: ตัวเลขของไตรมาสนี้คงที่ ไม่เปลี่ยนตามข้อมูลที่เข้ามาภายหลัง",
            esc(&svg::quarter_label(&c.quarter.period)),
            moment(c.closed_at),
            esc(&c.closed_by)
        );
        if who.role == Role::Admin {
            let _ = write!(
                out,
                "<form method=\"post\" action=\"/kpi/reopen\" class=\"controls\">{}\
                 <input type=\"hidden\" name=\"quarter\" value=\"{}\">\
                 <button>เปิดรอบ {} ใหม่</button></form>",
                who.csrf_input(),
                esc(&c.quarter.period.code()),
                esc(&svg::quarter_label(&c.quarter.period))
            );
        }
        out.push_str("</div>");
    }
    if who.role == Role::Admin {
        for q in quarters_within(&g.period)
            .iter()
            .filter(|q| !g.closed.iter().any(|c| c.quarter.period == **q))
        {
            let _ = write!(
                out,
                "<form method=\"post\" action=\"/kpi/close\" class=\"controls\">{}\
                 <input type=\"hidden\" name=\"quarter\" value=\"{}\">\
                 <button>ปิดรอบ {}</button> <span class=\"meta\">ตัวเลขของไตรมาสจะคงที่จนกว่าผู้ดูแลระบบจะเปิดรอบใหม่</span></form>",
                who.csrf_input(),
                esc(&q.code()),
                esc(&svg::quarter_label(q))
            );
        }
    }
    out
}

/// `GET /kpi`: the KPI page, by ministry or, with `ministry`, by its agencies; with a
/// ministry, an agency or an outcome chosen, the issues behind the figure.
pub async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Query(p): Query<KpiParams>,
) -> Result<Html<String>, ApiError> {
    let period = p.period()?;
    let outcome = p.outcome()?;
    let scope = p.scope();
    let g = gather(&state, period, &scope).await?;
    let code = url_encode(&period.code());
    let mut body = format!(
        "{KPI_CSS}<h1>ร้อยละการชี้แจงประเด็นสำคัญที่ทันต่อสถานการณ์</h1>\
         <p><b>{}</b> · <span class=\"meta\">{} · ข้อมูล ณ {}</span></p>",
        esc(&period.label_th()),
        esc(&state.kpi.rule_th),
        moment(g.produced_at)
    );
    let mut extra = String::new();
    for (key, value) in [("ministry", &scope.ministry), ("agency", &scope.agency)] {
        if let Some(v) = value {
            let _ = write!(extra, "&amp;{key}={}", url_encode(v));
        }
    }
    body.push_str(&period_links("/kpi", &period, &extra));
    body.push_str(&format!(
        "<form class=\"filters controls\" method=\"get\" action=\"/kpi\"><label>ช่วงเวลา \
         <input type=\"text\" name=\"period\" value=\"{}\" size=\"24\" \
         title=\"เช่น 2570Q1, 2570H1, 2570 หรือ 1/10/2569..31/12/2569\"></label><button>แสดง</button></form>",
        esc(&period.code())
    ));
    body.push_str(&closed_notice(&who, &g));
    if let Some(m) = &scope.ministry {
        let _ = write!(
            body,
            "<p><a href=\"/kpi?period={code}\">ทุกกระทรวง</a> › <b>{}</b>{}</p>",
            esc(m),
            scope
                .agency
                .as_ref()
                .map_or(String::new(), |a| format!(" › <b>{}</b>", esc(a)))
        );
    } else if let Some(a) = &scope.agency {
        let _ = write!(
            body,
            "<p><a href=\"/kpi?period={code}\">ทุกกระทรวง</a> › <b>{}</b></p>",
            esc(a)
        );
    }
    body.push_str(&cards(&g.kpi.total));
    let (rows, first, chart_title) = if scope.ministry.is_some() || scope.agency.is_some() {
        (
            g.kpi.by_agency.clone(),
            "หน่วยงาน",
            "ร้อยละที่ทันเวลา รายหน่วยงาน",
        )
    } else {
        (
            g.kpi.by_ministry.clone(),
            "กระทรวง",
            "ร้อยละที่ทันเวลา รายกระทรวง",
        )
    };
    body.push_str(&charts(&state, &g, &rows, chart_title));
    let drill = |r: &Row| {
        let m = url_encode(&r.ministry);
        if scope.ministry.is_some() || scope.agency.is_some() {
            let a = url_encode(&r.name);
            let link = format!("/kpi?period={code}&amp;ministry={m}&amp;agency={a}");
            (format!("{link}#issues"), link)
        } else {
            let link = format!("/kpi?period={code}&amp;ministry={m}");
            (link.clone(), link)
        }
    };
    body.push_str(&rows_table(&rows, &g.kpi.total, first, &drill));
    let _ = write!(
        body,
        "<p class=\"controls\"><a href=\"/kpi/report?period={code}\">รายงานสำหรับพิมพ์ (A4)</a> · \
         ดาวน์โหลด CSV: <a href=\"/kpi/export.csv?period={code}&amp;level=ministry{extra}\">รายกระทรวง</a>, \
         <a href=\"/kpi/export.csv?period={code}&amp;level=agency{extra}\">รายหน่วยงาน</a>, \
         <a href=\"/kpi/export.csv?period={code}&amp;level=issues{extra}\">รายประเด็น</a> · \
         <a href=\"/kpi/export.xlsx?period={code}{extra}\">Excel (XLSX)</a> · \
         <a href=\"/api/v1/kpi?period={code}{extra}\">JSON</a></p>"
    );
    if scope.ministry.is_some() || scope.agency.is_some() || outcome.is_some() {
        let shown: Vec<&CountedIssue> = g
            .kpi
            .issues
            .iter()
            .filter(|i| outcome.is_none_or(|o| i.outcome.key() == o))
            .collect();
        let what = outcome
            .and_then(|o| Outcome::KEYS.iter().find(|(k, _)| *k == o))
            .map_or("ทั้งหมด", |(_, th)| th);
        let _ = write!(
            body,
            "<h2>ประเด็น: {} ({} เรื่อง)</h2>",
            esc(what),
            shown.len()
        );
        let link = (who.role != Role::Evaluator).then_some("/issues/");
        body.push_str(&issue_list(&shown, link));
    }
    Ok(Html(shell(Some(&who), "/kpi", "ตัวชี้วัดการชี้แจง", &body)))
}

/// `GET /agency/kpi`: an agency user's own figures (a ministry's user: its departments', row
/// by row) and the issues behind them; admins may name any agency or ministry.
pub async fn agency_page(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Query(p): Query<KpiParams>,
) -> Result<Html<String>, ApiError> {
    let period = p.period()?;
    let outcome = p.outcome()?;
    let own = match (who.role, who.agency.clone(), nonempty(&p.agency)) {
        (Role::Agency, Some(a), _) => a,
        (_, _, Some(a)) => a,
        // An admin names the agency whose view to see.
        _ => return Ok(Html(agency_chooser(&state, &who))),
    };
    let scope = Scope {
        own: Some(own.clone()),
        agency: nonempty(&p.only),
        ministry: None,
    };
    let g = gather(&state, period, &scope).await?;
    let mut body = format!(
        "{KPI_CSS}<h1>ตัวชี้วัดการชี้แจงของ{}</h1>\
         <p><b>{}</b> · <span class=\"meta\">{} · ข้อมูล ณ {}</span></p>",
        esc(&own),
        esc(&period.label_th()),
        esc(&state.kpi.rule_th),
        moment(g.produced_at)
    );
    let extra = if who.role == Role::Agency {
        String::new()
    } else {
        format!("&amp;agency={}", url_encode(&own))
    };
    body.push_str(&period_links("/agency/kpi", &period, &extra));
    for c in &g.closed {
        let _ = write!(
            body,
            "<div class=\"closed\">{} ปิดรอบแล้วเมื่อ {}: ตัวเลขคงที่</div>",
            esc(&svg::quarter_label(&c.quarter.period)),
            moment(c.closed_at)
        );
    }
    body.push_str(&cards(&g.kpi.total));
    body.push_str(&charts(
        &state,
        &g,
        &g.kpi.by_agency,
        "ร้อยละที่ทันเวลา รายหน่วยงาน",
    ));
    let code = url_encode(&period.code());
    let drill = |r: &Row| {
        let link = format!(
            "/agency/kpi?period={code}{extra}&amp;only={}",
            url_encode(&r.name)
        );
        (format!("{link}#issues"), link)
    };
    body.push_str(&rows_table(
        &g.kpi.by_agency,
        &g.kpi.total,
        "หน่วยงาน",
        &drill,
    ));
    let shown: Vec<&CountedIssue> = g
        .kpi
        .issues
        .iter()
        .filter(|i| outcome.is_none_or(|o| i.outcome.key() == o))
        .collect();
    let _ = write!(body, "<h2>ประเด็นที่นับ ({} เรื่อง)</h2>", shown.len());
    body.push_str(&issue_list(&shown, Some("/agency/issues/")));
    Ok(Html(shell(
        Some(&who),
        "/agency/kpi",
        "ตัวชี้วัดของหน่วยงาน",
        &body,
    )))
}

/// What an admin opening `/agency/kpi` chooses from: every ministry and agency of the
/// registry.
fn agency_chooser(state: &AppState, who: &Identity) -> String {
    let mut names: Vec<&str> = Vec::new();
    for a in state.agencies.iter() {
        for n in [a.ministry_th.as_str(), a.name_th.as_str()] {
            if !n.is_empty() && !names.contains(&n) {
                names.push(n);
            }
        }
    }
    let mut body = String::from(
        "<h1>ตัวชี้วัดของหน่วยงาน</h1><p>ดูตัวชี้วัดอย่างที่หน่วยงานเห็น: เลือกหน่วยงานหรือกระทรวง</p>\
         <form class=\"filters\" method=\"get\" action=\"/agency/kpi\"><label>หน่วยงาน \
         <select name=\"agency\">",
    );
    for n in names {
        let _ = write!(body, "<option>{}</option>", esc(n));
    }
    body.push_str("</select></label><button>แสดง</button></form>");
    shell(Some(who), "/agency/kpi", "ตัวชี้วัดของหน่วยงาน", &body)
}

/// `GET /kpi/report`: the quarterly report to attach to the letter to the Prime Minister —
/// title, period, the table by ministry, the charts, the notes on method and where the
/// figures came from; printed on A4.
pub async fn report(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Query(p): Query<KpiParams>,
) -> Result<Html<String>, ApiError> {
    let period = p.period()?;
    let g = gather(&state, period, &Scope::default()).await?;
    let provenance = g.provenance(&state.kpi);
    let mut body = format!(
        "{KPI_CSS}<h1>รายงานผลการชี้แจงประเด็นสำคัญที่ทันต่อสถานการณ์</h1>\
         <p><b>ตัวชี้วัด:</b> ร้อยละการชี้แจงประเด็นสำคัญที่ทันต่อสถานการณ์<br>\
         <b>ช่วงเวลา:</b> {}<br><b>จัดทำเมื่อ:</b> {}</p>\
         <p class=\"controls\"><a href=\"/kpi?period={}\">กลับหน้าตัวชี้วัด</a> · สั่งพิมพ์จากเบราว์เซอร์ (กระดาษ A4)</p>",
        esc(&period.label_th()),
        moment(g.produced_at),
        url_encode(&period.code())
    );
    body.push_str(&cards(&g.kpi.total));
    body.push_str("<h2>ผลรายกระทรวง</h2>");
    let mut table = format!("<table><thead><tr><th>กระทรวง</th>{TABLE_HEAD}</tr></thead><tbody>");
    for r in &g.kpi.by_ministry {
        let _ = write!(
            table,
            "<tr><td>{}</td>{}</tr>",
            esc(&r.name),
            figure_cells(&r.figures, None)
        );
    }
    let _ = write!(
        table,
        "<tr class=\"total\"><td>รวม</td>{}</tr></tbody></table>",
        figure_cells(&g.kpi.total, None)
    );
    body.push_str(&table);
    body.push_str("<h2>แผนภูมิ</h2>");
    body.push_str(&charts(
        &state,
        &g,
        &g.kpi.by_ministry,
        "ร้อยละที่ทันเวลา รายกระทรวง",
    ));
    body.push_str("<h2>วิธีนับ</h2><ol>");
    for line in praden_report::METHOD_TH {
        let _ = write!(body, "<li>{}</li>", esc(line));
    }
    let _ = write!(
        body,
        "<li>{}</li></ol><h2>ที่มาของข้อมูล</h2><ul>",
        esc(&provenance.deadline_rule)
    );
    for line in &provenance.sources {
        let _ = write!(body, "<li>{}</li>", esc(line));
    }
    body.push_str("</ul>");
    Ok(Html(shell(
        Some(&who),
        "/kpi/report",
        &format!("รายงานตัวชี้วัด {}", period.code()),
        &body,
    )))
}

fn download(bytes: Vec<u8>, content_type: &'static str, file: &str) -> Response {
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// `GET /kpi/export.csv?level=ministry|agency|issues`: UTF-8 with a BOM, for Excel.
pub async fn export_csv(
    State(state): State<AppState>,
    Query(p): Query<KpiParams>,
) -> Result<Response, ApiError> {
    let period = p.period()?;
    let level = match p.level.as_deref().unwrap_or("ministry") {
        "ministry" => Level::Ministry,
        "agency" => Level::Agency,
        "issues" => Level::Issues,
        other => {
            return Err(ApiError::BadParameter(format!(
                "level: {other:?} is not known (expected ministry, agency or issues)"
            )))
        }
    };
    let g = gather(&state, period, &p.scope()).await?;
    let name = format!(
        "kpi-{}-{}.csv",
        period.code().replace("..", "_"),
        p.level.as_deref().unwrap_or("ministry")
    );
    Ok(download(
        praden_report::csv::csv(&g.kpi, level),
        "text/csv; charset=utf-8",
        &name,
    ))
}

/// `GET /kpi/export.xlsx`: one sheet per level, the issues, and the notes.
pub async fn export_xlsx(
    State(state): State<AppState>,
    Query(p): Query<KpiParams>,
) -> Result<Response, ApiError> {
    let period = p.period()?;
    let g = gather(&state, period, &p.scope()).await?;
    let bytes = praden_report::xlsx::workbook(&g.kpi, &period, &g.provenance(&state.kpi))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("kpi-{}.xlsx", period.code().replace("..", "_")),
    ))
}

#[derive(Deserialize)]
pub struct QuarterForm {
    quarter: String,
}

/// The quarter a close or re-open form names.
fn quarter_of_form(f: &QuarterForm) -> Result<Period, ApiError> {
    let p = Period::parse(&f.quarter).map_err(|e| ApiError::BadParameter(e.to_string()))?;
    match p.kind {
        PeriodKind::Quarter { .. } => Ok(p),
        _ => Err(ApiError::BadParameter(format!(
            "quarter: {:?} is not a fiscal quarter (e.g. 2570Q1): quarters are closed one by one",
            f.quarter
        ))),
    }
}

/// `POST /kpi/close`: an admin closes a quarter that has ended and whose issues are all
/// decided; its figures stay as they are now.
pub async fn close(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Form(f): Form<QuarterForm>,
) -> Response {
    let done = close_quarter(&state, &who, &headers, &f).await;
    answer(&who, &f, done)
}

/// A close or re-open form's answer: back to the quarter, or the reason it was refused.
fn answer(who: &Identity, f: &QuarterForm, done: Result<Period, ApiError>) -> Response {
    match done {
        Ok(q) => Redirect::to(&format!("/kpi?period={}", url_encode(&q.code()))).into_response(),
        Err(e) => refused(
            who,
            "/kpi",
            e,
            &format!(
                "<a href=\"/kpi?period={}\">กลับหน้าตัวชี้วัด</a>",
                url_encode(&f.quarter)
            ),
        ),
    }
}

async fn close_quarter(
    state: &AppState,
    who: &Identity,
    headers: &HeaderMap,
    f: &QuarterForm,
) -> Result<Period, ApiError> {
    let q = quarter_of_form(f)?;
    let ctx = context(who, headers);
    let today = to_bangkok(ctx.now).date();
    if today <= q.last {
        return Err(ApiError::Conflict(format!(
            "quarter {} ends on {}: it can be closed from the day after",
            q.code(),
            q.last
        )));
    }
    let found = state.store.kpi_issues(&q, &state.kpi.days, today).await?;
    if !found.closed.is_empty() {
        return Err(ApiError::Conflict(format!(
            "quarter {} is closed already",
            q.code()
        )));
    }
    if let Some(last_due) = found
        .issues
        .iter()
        .filter(|i| i.outcome == Outcome::Pending)
        .map(|i| i.due)
        .max()
    {
        return Err(ApiError::Conflict(format!(
            "quarter {} has issues still within their deadline (the last is due on {last_due}): \
             close it after that day, when every issue is decided",
            q.code()
        )));
    }
    if !state
        .store
        .close_kpi_quarter(&q, &state.kpi.rule_th, &found.issues, &ctx)
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "quarter {} is closed already",
            q.code()
        )));
    }
    Ok(q)
}

/// `POST /kpi/reopen`: an admin re-opens a closed quarter; its figures follow the data again.
pub async fn reopen(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Form(f): Form<QuarterForm>,
) -> Response {
    let done = async {
        let q = quarter_of_form(&f)?;
        if !state
            .store
            .reopen_kpi_quarter(&q.code(), &context(&who, &headers))
            .await?
        {
            return Err(ApiError::Conflict(format!(
                "quarter {} is not closed",
                q.code()
            )));
        }
        Ok(q)
    }
    .await;
    answer(&who, &f, done)
}
