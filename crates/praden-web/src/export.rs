//! `GET /api/v1/search/export`: a whole result set as CSV or JSON lines, streamed.
//!
//! Takes the parameters of `/api/v1/search` (limit excepted) plus `format` (`csv`, the default,
//! or `jsonl`). A task pages through the results by cursor and sends each page down a
//! small channel, so memory stays flat however many rows there are and a slow client slows
//! the paging instead of filling memory. CSV starts with a UTF-8 byte-order mark: without it
//! spreadsheet programs read Thai as mojibake.

use crate::extract::Query;
use crate::search::SearchParams;
use crate::{ApiError, AppState, SearchSlots};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use praden_core::thai_time::BANGKOK;
use praden_index::{SearchHit, SearchIndex, SearchRequest};
use serde::Deserialize;
use time::OffsetDateTime;

const PAGE: usize = 1000;

#[derive(Deserialize)]
pub struct ExportParams {
    format: Option<String>,
    #[serde(flatten)]
    search: SearchParams,
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Csv,
    JsonLines,
}

pub async fn export(
    State(state): State<AppState>,
    Query(params): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let format = match params.format.as_deref() {
        None | Some("csv") => Format::Csv,
        Some("jsonl") => Format::JsonLines,
        Some(other) => {
            return Err(ApiError::BadParameter(format!(
                "parameter format=“{other}” is invalid: expected csv or jsonl"
            )))
        }
    };
    let mut request = params.search.into_resolved(&state).await?;
    request.limit = PAGE;
    request.facets = false;
    request.snippets = false;
    // Check the query before answering 200: once streaming starts, errors cannot change
    // the status any more.
    let probe = SearchRequest {
        limit: 1,
        ..request.clone()
    };
    state.searches.run(&state.index, probe).await?;

    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(produce(
        state.searches.clone(),
        state.index.clone(),
        request,
        format,
        tx,
    ));
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::JsonLines => ("application/x-ndjson; charset=utf-8", "jsonl"),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"praden-export.{extension}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// Each page is a search of its own, taking its turn with the editors' searches: a long
/// export does not hold a slot between pages.
async fn produce(
    searches: SearchSlots,
    index: SearchIndex,
    mut request: SearchRequest,
    format: Format,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    if format == Format::Csv {
        let header = "\u{feff}doc_id,published_at_bangkok,title,outlet,kind,url\r\n";
        if tx.send(Ok(Bytes::from(header))).await.is_err() {
            return;
        }
    }
    loop {
        let page = match searches.run(&index, request.clone()).await {
            Ok(page) => page,
            Err(e) => {
                // The status is already sent; cutting the stream short tells the client.
                tracing::error!(error = %e, "export stopped");
                let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                return;
            }
        };
        let mut chunk = String::with_capacity(page.hits.len() * 200);
        for hit in &page.hits {
            match format {
                Format::Csv => csv_row(&mut chunk, hit),
                Format::JsonLines => {
                    chunk.push_str(&serde_json::to_string(hit).unwrap_or_default());
                    chunk.push('\n');
                }
            }
        }
        if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
            return; // the client went away
        }
        match page.next_cursor {
            Some(cursor) => request.after = Some(cursor),
            None => return,
        }
    }
}

fn csv_row(out: &mut String, hit: &SearchHit) {
    let published = hit
        .published_at
        .as_deref()
        .and_then(|t| OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
        .map(|t| {
            let t = t.to_offset(BANGKOK);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                t.month() as u8,
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default();
    let fields = [
        hit.doc_id.to_string(),
        published,
        hit.title.clone(),
        hit.outlet.clone(),
        hit.kind.clone(),
        hit.url.clone().unwrap_or_default(),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // RFC 4180, and a title that looks like a formula kept as text.
        out.push_str(&praden_report::csv::field(field));
    }
    out.push_str("\r\n");
}
