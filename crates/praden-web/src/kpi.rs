//! The timeliness KPI as JSON: `GET /api/v1/kpi?period=2570Q1&by=ministry|agency` — the
//! period, the figures of all, one row per ministry (or agency) and the issues behind them,
//! counted by `praden_core::kpi` from the store's facts.

use crate::extract::{Json, Query};
use crate::{ApiError, AppState};
use axum::extract::State;
use praden_core::kpi::{compute, CountedIssue, DeadlineDays, Figures, Period};
use praden_core::thai_time::to_bangkok;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Deserialize)]
pub struct KpiParams {
    period: Option<String>,
    by: Option<String>,
}

#[derive(Serialize)]
pub struct Row {
    name: String,
    #[serde(flatten)]
    figures: Figures,
}

#[derive(Serialize)]
pub struct KpiResponse {
    period: String,
    label_th: String,
    first: String,
    last: String,
    #[serde(with = "time::serde::rfc3339")]
    as_of: OffsetDateTime,
    by: &'static str,
    total: Figures,
    rows: Vec<Row>,
    issues: Vec<CountedIssue>,
}

/// The KPI of `period` (default: the current fiscal quarter) by ministry or agency.
pub async fn api(
    State(state): State<AppState>,
    Query(p): Query<KpiParams>,
) -> Result<Json<KpiResponse>, ApiError> {
    let now = OffsetDateTime::now_utc();
    let today = to_bangkok(now).date();
    let period = match p.period.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => Period::parse(text).map_err(|e| ApiError::BadParameter(e.to_string()))?,
        None => Period::quarter_of(today),
    };
    let by_agency = match p.by.as_deref().unwrap_or("ministry") {
        "ministry" => false,
        "agency" => true,
        other => {
            return Err(ApiError::BadParameter(format!(
                "by: {other:?} is not known (expected ministry or agency)"
            )))
        }
    };
    let facts = state.store.kpi_facts(period.first, period.last).await?;
    let kpi = compute(&facts, &period, &DeadlineDays::Calendar, today);
    let rows = if by_agency {
        kpi.by_agency
    } else {
        kpi.by_ministry
    };
    Ok(Json(KpiResponse {
        period: period.code(),
        label_th: period.label_th(),
        first: period.first.to_string(),
        last: period.last.to_string(),
        as_of: now,
        by: if by_agency { "agency" } else { "ministry" },
        total: kpi.total,
        rows: rows
            .into_iter()
            .map(|(name, figures)| Row { name, figures })
            .collect(),
        issues: kpi.issues,
    }))
}
