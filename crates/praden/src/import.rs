//! `praden import`: bulk-load documents from JSON lines (the line format: `praden_ingest::lines`)
//! through the document sink, with a progress bar on a terminal (lines read, stored, indexed,
//! rate, and the time left by bytes read), a second one while the index catches up, and a
//! one-line summary at the end wherever the output goes. Re-running adds nothing; a bad line is reported with its number and skipped.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use praden_core::NewDocument;
use praden_ingest::lines::{open_lines, to_document, Lines};
use praden_ingest::{DocumentSink, ParseBudget};
use praden_store::Store;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
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

impl ImportReport {
    /// The skipped lines counted by kind of reason, most frequent first. A reason's kind is
    /// what precedes its first colon, with quoted parts left out: the detail after it (the
    /// serde message, the date, the title) differs from line to line.
    pub fn skipped_by_reason(&self) -> Vec<(String, usize)> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for (_, reason) in &self.invalid {
            *counts.entry(reason_kind(reason)).or_default() += 1;
        }
        let mut counts: Vec<_> = counts.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts
    }

    /// The line `praden import` ends with, on a terminal or not. `indexed`: documents the
    /// index gained, `None` when a running server owns the index and indexes them itself.
    pub fn summary(&self, file: &Path, indexed: Option<u64>, elapsed: Duration) -> String {
        let skipped = match self.skipped_by_reason().as_slice() {
            [] => "0 skipped".to_string(),
            reasons => format!(
                "{} skipped ({})",
                self.invalid.len(),
                reasons
                    .iter()
                    .map(|(reason, n)| format!("{n} {reason}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        };
        let indexed = match indexed {
            Some(n) => format!("{n} indexed"),
            None => "indexing left to the running server".to_string(),
        };
        let secs = elapsed.as_secs_f64();
        format!(
            "{}: {} lines read, {} stored new, {} already present, {skipped}, {indexed}; \
             {secs:.1} s, {:.0} documents/s",
            file.display(),
            self.lines,
            self.inserted,
            self.already_stored,
            (self.inserted + self.already_stored) as f64 / secs.max(1e-9),
        )
    }
}

fn reason_kind(reason: &str) -> String {
    let head = reason.split(':').next().unwrap_or(reason);
    let mut kind = String::with_capacity(head.len());
    let mut quoted = false;
    for c in head.chars() {
        match (c, quoted) {
            ('“', _) | ('"', false) => {
                kind.push('…');
                quoted = true;
            }
            ('”', _) | ('"', true) => quoted = false,
            (_, false) => kind.push(c),
            (_, true) => {}
        }
    }
    kind.trim().to_string()
}

/// What the progress bar shows beside the bytes: how many documents the index holds now.
pub type IndexedCount<'a> = &'a (dyn Fn() -> u64 + Sync);

/// Imports `path` into `store`, waking `stored` after each batch (the index follower).
pub async fn import_file(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
    stored: Arc<Notify>,
) -> anyhow::Result<ImportReport> {
    import_file_showing(store, path, options, stored, None).await
}

/// [`import_file`], its progress bar also showing `indexed()` (documents indexed since the
/// import began). The bar draws on a terminal only; elsewhere it is hidden and the caller's
/// summary is the one trace.
pub async fn import_file_showing(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
    stored: Arc<Notify>,
    indexed: Option<IndexedCount<'_>>,
) -> anyhow::Result<ImportReport> {
    let Lines { reader, size, read } = open_lines(path)?;

    let bar = ProgressBar::new(size);
    // The length is the file's bytes (compressed bytes for a .gz): the one measure known
    // before reading it all, so the time left is estimated from it.
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {msg} (ETA {eta})")
            .expect("static template"),
    );
    let started = Instant::now();
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
            let stored = report.inserted + report.already_stored;
            bar.set_message(format!(
                "{} lines read, {} stored ({} new), {}{:.0} documents/s",
                report.lines,
                stored,
                report.inserted,
                indexed.map_or(String::new(), |n| format!("{} indexed, ", n())),
                stored as f64 / started.elapsed().as_secs_f64().max(1e-9),
            ));
        }
    }
    flush(&sink, &mut batch, &mut report).await?;
    bar.finish_and_clear();
    Ok(report)
}

/// Waits for `indexing` (the index follower, told to finish) to index what the import
/// stored and stop. Indexing is slower than storing, so on a terminal a second bar shows the
/// tail: documents indexed of the `to_index` the import stored new.
pub async fn finish_indexing<T>(
    indexing: tokio::task::JoinHandle<T>,
    to_index: u64,
    indexed: IndexedCount<'_>,
) -> Result<T, tokio::task::JoinError> {
    let bar = ProgressBar::new(to_index);
    bar.set_style(
        ProgressStyle::with_template("indexing {bar:30} {pos}/{len} documents (ETA {eta})")
            .expect("static template"),
    );
    bar.set_position(indexed().min(to_index));
    tokio::pin!(indexing);
    loop {
        tokio::select! {
            done = &mut indexing => {
                bar.finish_and_clear();
                return done;
            }
            () = tokio::time::sleep(Duration::from_millis(250)) => {
                bar.set_position(indexed().min(to_index));
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_skipped_lines_by_kind_of_reason() {
        let report = ImportReport {
            lines: 1_000,
            inserted: 900,
            already_stored: 96,
            invalid: vec![
                (
                    3,
                    "not a JSON object of the expected shape: expected value at line 1".into(),
                ),
                (7, "pub_date: invalid date “2563-13-01”: month".into()),
                (
                    9,
                    "not a JSON object of the expected shape: EOF while parsing".into(),
                ),
                (11, "it has neither a title nor a body".into()),
                (
                    12,
                    "item “ข่าว” from source x has neither a URL nor an id, so it cannot be \
                     deduplicated"
                        .into(),
                ),
            ],
        };
        assert_eq!(
            report.summary(Path::new("news.jsonl"), Some(900), Duration::from_secs(2)),
            "news.jsonl: 1000 lines read, 900 stored new, 96 already present, 5 skipped \
             (2 not a JSON object of the expected shape; 1 it has neither a title nor a body; \
             1 item … from source x has neither a URL nor an id, so it cannot be deduplicated; \
             1 pub_date), 900 indexed; 2.0 s, 498 documents/s"
        );
        let clean = ImportReport {
            lines: 2,
            inserted: 2,
            ..Default::default()
        };
        assert_eq!(
            clean.summary(Path::new("a.jsonl"), None, Duration::from_secs(1)),
            "a.jsonl: 2 lines read, 2 stored new, 0 already present, 0 skipped, indexing left \
             to the running server; 1.0 s, 2 documents/s"
        );
    }
}
