//! `praden import`: bulk-load documents from JSON lines (the line format: `praden_ingest::lines`)
//! through the document sink, with a progress bar. Re-running adds nothing; a bad line is
//! reported with its number and skipped.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use praden_core::NewDocument;
use praden_ingest::lines::{open_lines, to_document, Lines};
use praden_ingest::{DocumentSink, ParseBudget};
use praden_store::Store;
use std::io::BufRead;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::sync::Notify;

pub use praden_ingest::lines::ImportOptions;

const BATCH: usize = 500;
/// Bad lines beyond this many are counted but not printed one by one.
const MAX_REPORTED: usize = 50;

#[derive(Debug, Default)]
pub struct ImportReport {
    pub lines: usize,
    pub inserted: usize,
    pub already_stored: usize,
    pub invalid: Vec<(usize, String)>,
}

/// Imports `path` into `store`, waking `stored` after each batch (the index follower).
pub async fn import_file(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
    stored: Arc<Notify>,
) -> anyhow::Result<ImportReport> {
    let Lines { reader, size, read } = open_lines(path)?;

    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
            .expect("static template"),
    );
    // Imported documents go in through the sink polled ones use. A bulk import may
    // fingerprint on every core: the index follower's tokenizing fills the gaps.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let sink = DocumentSink::new(
        store.clone(),
        stored,
        ParseBudget {
            workers: cores,
            ..ParseBudget::default()
        },
    );
    let mut report = ImportReport::default();
    let mut batch = Vec::with_capacity(BATCH);
    let fetched_at = OffsetDateTime::now_utc();
    for (i, line) in reader.lines().enumerate() {
        let number = i + 1;
        report.lines = number;
        let line = line.with_context(|| format!("{}: reading line {number}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        match to_document(&line, options, fetched_at) {
            Ok(mut doc) => {
                // An archive, not arrivals: detection goes by the documents' own dates.
                doc.backfill = true;
                batch.push(doc)
            }
            Err(reason) => {
                if report.invalid.len() < MAX_REPORTED {
                    bar.suspend(|| {
                        eprintln!("{}: line {number} skipped: {reason}", path.display())
                    });
                }
                report.invalid.push((number, reason));
            }
        }
        if batch.len() >= BATCH {
            flush(&sink, &mut batch, &mut report).await?;
            bar.set_position(read.load(Ordering::Relaxed));
            bar.set_message(format!("{} new", report.inserted));
        }
    }
    flush(&sink, &mut batch, &mut report).await?;
    bar.finish_and_clear();
    Ok(report)
}

async fn flush(
    sink: &DocumentSink,
    batch: &mut Vec<NewDocument>,
    report: &mut ImportReport,
) -> anyhow::Result<()> {
    let written = sink.write(batch).await?;
    report.inserted += written.inserted.len();
    report.already_stored += written.existing;
    batch.clear();
    Ok(())
}
