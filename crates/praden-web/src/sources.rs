//! `GET /api/v1/sources` and the `/sources` page: every source in sources.toml with its
//! polling state from the store, so monitors see which sources deliver and which are failing.

use crate::auth::Identity;
use crate::extract::Json;
use crate::html::{esc, kind_th, moment, shell};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::response::Html;
use axum::Extension;
use praden_store::SourceState;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A source as configured in sources.toml; the binary hands these over (the web crate does
/// not read sources.toml itself).
#[derive(Debug, Clone, Serialize)]
pub struct SourceConfig {
    pub id: String,
    pub name: String,
    pub outlet: String,
    pub kind: String,
    pub url: String,
    pub enabled: bool,
}

#[derive(Serialize)]
pub(crate) struct SourcesBody {
    sources: Vec<SourceView>,
}

#[derive(Serialize)]
struct SourceView {
    #[serde(flatten)]
    config: SourceConfig,
    /// `ok`, `failing` (several polls in a row failed, or its last poll did and it has never
    /// delivered; it is still retried), or `pending` (never polled yet).
    status: &'static str,
    last_poll_at: Option<String>,
    last_success_at: Option<String>,
    next_poll_at: Option<String>,
    consecutive_failures: i64,
    last_error: Option<String>,
    items_found_total: i64,
    items_found_last_poll: i64,
    items_failed_total: i64,
    items_failed_last_poll: i64,
    interval_seconds: Option<f64>,
    etag: Option<String>,
    last_modified: Option<String>,
}

fn rfc3339(t: Option<OffsetDateTime>) -> Option<String> {
    t.and_then(|t| t.format(&Rfc3339).ok())
}

impl SourceView {
    fn new(config: SourceConfig, state: Option<SourceState>) -> Self {
        let state = match state {
            Some(s) => s,
            None => {
                let mut never = SourceState::new(&config.id, 0);
                never.interval_ms = -1;
                return Self {
                    status: "pending",
                    interval_seconds: None,
                    ..Self::new(config, Some(never))
                };
            }
        };
        Self {
            config,
            status: state.status.as_str(),
            last_poll_at: rfc3339(state.last_poll_at),
            last_success_at: rfc3339(state.last_success_at),
            next_poll_at: rfc3339(state.next_poll_at),
            consecutive_failures: state.consecutive_failures,
            last_error: state.last_error,
            items_found_total: state.items_found_total,
            items_found_last_poll: state.items_found_last,
            items_failed_total: state.items_failed_total,
            items_failed_last_poll: state.items_failed_last,
            interval_seconds: Some(state.interval_ms as f64 / 1000.0),
            etag: state.etag,
            last_modified: state.last_modified,
        }
    }
}

/// Each configured source with its stored state (none: never polled).
async fn with_states(
    state: &AppState,
) -> Result<Vec<(SourceConfig, Option<SourceState>)>, ApiError> {
    let mut stored: HashMap<String, SourceState> = state
        .store
        .source_states()
        .await
        .map_err(ApiError::StoreUnavailable)?
        .into_iter()
        .map(|s| (s.source_id.clone(), s))
        .collect();
    Ok(state
        .sources
        .iter()
        .map(|c| (c.clone(), stored.remove(&c.id)))
        .collect())
}

/// `GET /api/v1/sources`: monitors and admins (mounted in lib.rs's route table).
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<SourcesBody>, ApiError> {
    let sources = with_states(&state)
        .await?
        .into_iter()
        .map(|(c, s)| SourceView::new(c, s))
        .collect();
    Ok(Json(SourcesBody { sources }))
}

/// `GET /sources`: the sources' health at a glance — what is broken first, with its last
/// error, then what has never been polled, then what delivers.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
) -> Result<Html<String>, ApiError> {
    let mut rows = with_states(&state).await?;
    let rank = |c: &SourceConfig, s: &Option<SourceState>| match (c.enabled, s) {
        (false, _) => 3,
        (true, None) => 1,
        (true, Some(s)) if s.status.as_str() == "failing" => 0,
        (true, Some(_)) => 2,
    };
    rows.sort_by_key(|(c, s)| (rank(c, s), c.id.clone()));
    let failing = rows.iter().filter(|(c, s)| rank(c, s) == 0).count();
    let mut body = format!(
        "<h1>แหล่งข่าว</h1><p class=\"meta\">{} แหล่ง · ขัดข้อง {failing} · \
         <a href=\"/api/v1/sources\">JSON</a></p>",
        rows.len()
    );
    if rows.is_empty() {
        body.push_str("<p>ยังไม่ได้กำหนดแหล่งข่าวใน sources.toml</p>");
    } else {
        body.push_str(
            "<table><thead><tr><th>แหล่งข่าว</th><th>สถานะ</th><th>ดึงสำเร็จล่าสุด</th>\
             <th>ข้อผิดพลาดล่าสุด</th><th>พบ (ครั้งล่าสุด / ทั้งหมด)</th>\
             <th>อ่านไม่ได้ (ครั้งล่าสุด / ทั้งหมด)</th><th>ดึงครั้งต่อไป</th></tr></thead><tbody>",
        );
        for (c, s) in &rows {
            let (label, warn) = match rank(c, s) {
                0 => ("ขัดข้อง", " warn"),
                1 => ("ยังไม่เคยดึง", ""),
                2 => ("ปกติ", ""),
                _ => ("ปิดใช้งาน", ""),
            };
            let at = |t: Option<OffsetDateTime>| t.map_or_else(|| "—".to_string(), moment);
            let _ = write!(
                body,
                "<tr><td><b>{name}</b><br><small class=\"meta\">{id} · {outlet} · {kind}</small></td>\
                 <td><span class=\"badge{warn}\">{label}</span>{streak}</td><td>{success}</td>\
                 <td><small>{error}</small></td><td>{found_last} / {found}</td>\
                 <td>{failed_last} / {failed}</td><td>{next}</td></tr>",
                name = esc(&c.name),
                id = esc(&c.id),
                outlet = esc(&c.outlet),
                kind = esc(kind_th(&c.kind)),
                streak = s
                    .as_ref()
                    .filter(|s| s.consecutive_failures > 0)
                    .map_or(String::new(), |s| {
                        format!("<br><small>ล้มเหลวติดกัน {} ครั้ง</small>", s.consecutive_failures)
                    }),
                success = at(s.as_ref().and_then(|s| s.last_success_at)),
                error = esc(s.as_ref().and_then(|s| s.last_error.as_deref()).unwrap_or("")),
                found_last = s.as_ref().map_or(0, |s| s.items_found_last),
                found = s.as_ref().map_or(0, |s| s.items_found_total),
                failed_last = s.as_ref().map_or(0, |s| s.items_failed_last),
                failed = s.as_ref().map_or(0, |s| s.items_failed_total),
                next = at(s.as_ref().and_then(|s| s.next_poll_at)),
            );
        }
        body.push_str("</tbody></table>");
    }
    Ok(Html(shell(Some(&who), "/sources", "แหล่งข่าว", &body)))
}
