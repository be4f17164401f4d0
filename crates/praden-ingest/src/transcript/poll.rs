//! Polling a transcripts source: the files of a watched directory or an HTTP listing that
//! are new or changed since they were read (kept in the store), each read into documents.

use super::*;

/// What a file looked like when it was read: a file is read again only when it, or its
/// sidecar, changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    sidecar: Option<(u64, Option<std::time::SystemTime>)>,
}

impl FileStamp {
    /// The stamp as the store keeps it (`transcript_files.stamp`): sizes and modification
    /// times in nanoseconds since 1970, `-` where there is none.
    fn as_text(&self) -> String {
        let time = |m: Option<std::time::SystemTime>| {
            m.and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or("-".to_string(), |d| d.as_nanos().to_string())
        };
        let sidecar = self
            .sidecar
            .map_or("-".to_string(), |(len, m)| format!("{len}@{}", time(m)));
        format!("{}@{};sidecar={sidecar}", self.len, time(self.modified))
    }
}

/// Reads the new or changed transcripts of a watched directory or an HTTP listing.
pub(crate) async fn poll(
    cx: &Context,
    source: &Source,
    config: &TranscriptsConfig,
    validators: &Validators,
) -> (Result<PollReport, PollError>, Option<Validators>) {
    match &config.dir {
        Some(dir) => (poll_directory(cx, source, config, dir).await, None),
        None => poll_listing(cx, source, config, validators).await,
    }
}

async fn poll_directory(
    cx: &Context,
    source: &Source,
    config: &TranscriptsConfig,
    dir: &Path,
) -> Result<PollReport, PollError> {
    let dir_err = |e: std::io::Error| TranscriptError::Dir {
        dir: dir.display().to_string(),
        reason: e.to_string(),
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(dir_err)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| TranscriptFormat::of_file(n).is_some())
        .collect();
    names.sort();
    let stamp_of = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .map(|m| (m.len(), m.modified().ok()))
    };
    let seen = cx.store().read_files(&source.id).await?;
    let now = OffsetDateTime::now_utc();
    let mut report = PollReport::default();
    let mut docs = Vec::new();
    let mut read = Vec::new();
    for name in names {
        if read.len() >= config.max_files {
            break;
        }
        let path = dir.join(&name);
        let sidecar_path = path.with_extension("json");
        let Some((len, modified)) = stamp_of(&path) else {
            continue;
        };
        let stamp = FileStamp {
            len,
            modified,
            sidecar: stamp_of(&sidecar_path),
        };
        if already_read(&seen, &name, &stamp) {
            continue;
        }
        read.push((name.clone(), stamp.clone()));
        let result = if len > MAX_FILE_BYTES {
            Err(TranscriptError::Read {
                file: name.clone(),
                reason: format!("larger than {MAX_FILE_BYTES} bytes"),
            })
        } else {
            // Reading and parsing are blocking work: on the parse pool, within its budget.
            let (owned, owned_config, file) = (source.clone(), config.clone(), name.clone());
            let has_sidecar = stamp.sidecar.is_some();
            let job = crate::budget::Job::new(&source.id, format!("the transcript {name}"));
            cx.parse_pool()
                .run(job, move |budget| {
                    let sidecar = has_sidecar.then(|| std::fs::read(&sidecar_path));
                    Ok(match std::fs::read(&path) {
                        Ok(bytes) => {
                            budget.check_size(&bytes)?;
                            transcript_file(
                                &owned,
                                &owned_config,
                                &file,
                                &bytes,
                                sidecar.map(|s| s.map_err(|e| e.to_string())),
                                None,
                                now,
                            )
                        }
                        Err(e) => Err(TranscriptError::Read {
                            file,
                            reason: e.to_string(),
                        }),
                    })
                })
                .await
                .unwrap_or_else(|e| {
                    Err(TranscriptError::Read {
                        file: name.clone(),
                        reason: e.to_string(),
                    })
                })
        };
        collect(&name, result, &mut docs, &mut report);
    }
    cx.store_new_documents(&docs, &mut report).await?;
    remember(cx, &source.id, read).await;
    Ok(report)
}

async fn poll_listing(
    cx: &Context,
    source: &Source,
    config: &TranscriptsConfig,
    validators: &Validators,
) -> (Result<PollReport, PollError>, Option<Validators>) {
    let (bytes, new_validators) = match cx
        .fetch_politely_with(source, &source.url, validators, &[])
        .await
    {
        Ok(Fetched::NotModified) => return (Ok(PollReport::not_modified()), None),
        Ok(Fetched::Body {
            bytes, validators, ..
        }) => (bytes, validators),
        Err(e) => return (Err(e.into()), None),
    };
    let base = source.url.clone();
    let listing = cx
        .parse_pool()
        .run(
            crate::budget::Job::new(&source.id, "the transcript listing"),
            move |budget| {
                let text = decode(&bytes);
                budget.check_markup(text.as_bytes(), crate::budget::Markup::Html)?;
                Ok(read_listing(&base, &text))
            },
        )
        .await;
    let entries = match listing {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => return (Err(e.into()), None),
        Err(e) => return (Err(e.into()), None),
    };
    let seen = match cx.store().read_files(&source.id).await {
        Ok(seen) => seen,
        Err(e) => return (Err(e.into()), None),
    };
    let now = OffsetDateTime::now_utc();
    let mut report = PollReport::default();
    let mut docs = Vec::new();
    let mut read = Vec::new();
    // A listing's files are remembered by URL: a changed file at the same URL is not read
    // again (publish corrections under a new name).
    let unchanged = FileStamp {
        len: 0,
        modified: None,
        sidecar: None,
    };
    for entry in entries {
        if read.len() >= config.max_files {
            break;
        }
        let key = entry.url.to_string();
        if already_read(&seen, &key, &unchanged) {
            continue;
        }
        let name = entry
            .url
            .path_segments()
            .and_then(|mut s| s.next_back())
            .unwrap_or("transcript")
            .to_string();
        let file = cx
            .fetch_politely_with(source, &entry.url, &Validators::default(), &[])
            .await;
        let bytes = match file {
            Ok(Fetched::Body { bytes, .. }) => bytes,
            Ok(Fetched::NotModified) => continue,
            Err(e) => {
                // Not remembered: tried again next poll.
                report.found += 1;
                report.skipped.push(ItemError {
                    position: report.found,
                    what: key.clone(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let sidecar = match &entry.sidecar {
            None => None,
            Some(url) => match cx
                .fetch_politely_with(source, url, &Validators::default(), &[])
                .await
            {
                Ok(Fetched::Body { bytes, .. }) => Some(Ok(bytes)),
                // No sidecar at the conventional place: the file-name fallback applies.
                Err(crate::FetchError::Status { status: 404, .. }) => None,
                Ok(Fetched::NotModified) => None,
                Err(e) => Some(Err(e.to_string())),
            },
        };
        let missing_sidecar = sidecar.is_none() && entry.inline.is_none();
        let (owned, owned_config, inline) = (source.clone(), config.clone(), entry.inline.clone());
        let job = crate::budget::Job::new(&source.id, format!("the transcript {key}"));
        let file_name = name.clone();
        let result = cx
            .parse_pool()
            .run(job, move |budget| {
                budget.check_size(&bytes)?;
                Ok(transcript_file(
                    &owned,
                    &owned_config,
                    &file_name,
                    &bytes,
                    sidecar,
                    inline,
                    now,
                ))
            })
            .await
            .unwrap_or_else(|e| {
                Err(TranscriptError::Read {
                    file: name.clone(),
                    reason: e.to_string(),
                })
            });
        // A file waiting for its sidecar is tried again; everything else is read once.
        if !(missing_sidecar && result.is_err()) {
            read.push((key.clone(), unchanged.clone()));
        }
        collect(&key, result, &mut docs, &mut report);
    }
    if let Err(e) = cx.store_new_documents(&docs, &mut report).await {
        return (Err(e), None);
    }
    remember(cx, &source.id, read).await;
    (Ok(report), Some(new_validators))
}

/// Records the files read in the store, after their documents: a crash in between only
/// means reading them once more, which their item keys make a no-op. Best effort, for
/// the same reason.
async fn remember(cx: &Context, source_id: &str, read: Vec<(String, FileStamp)>) {
    let read: Vec<(String, String)> = read
        .into_iter()
        .map(|(key, stamp)| (key, stamp.as_text()))
        .collect();
    if let Err(e) = cx.store().remember_read_files(source_id, &read).await {
        tracing::warn!(source = source_id, error = %e, "transcript files read not recorded");
    }
}

/// Whether the file `key` was read before, when it looked as it does now.
pub(super) fn already_read(seen: &HashMap<String, String>, key: &str, stamp: &FileStamp) -> bool {
    seen.get(key).is_some_and(|s| *s == stamp.as_text())
}

/// One transcript with its sidecar (bytes, or the error reading them), or the sidecar
/// fields a listing gave, or neither (the file-name fallback).
#[allow(clippy::too_many_arguments)]
pub(super) fn transcript_file(
    source: &Source,
    config: &TranscriptsConfig,
    name: &str,
    bytes: &[u8],
    sidecar: Option<Result<Vec<u8>, String>>,
    inline: Option<Sidecar>,
    now: OffsetDateTime,
) -> Result<FileDocuments, TranscriptError> {
    let sidecar_name = format!("{}.json", file_stem(name));
    let programme = match (sidecar, inline) {
        (Some(Ok(s)), _) => read_sidecar(source, &sidecar_name, &s, name, now)?,
        (Some(Err(reason)), _) => {
            return Err(TranscriptError::Sidecar {
                name: sidecar_name,
                reason,
            })
        }
        (None, Some(fields)) => programme_from(source, fields, name, now).map_err(|reason| {
            TranscriptError::Sidecar {
                name: "the listing's entry".into(),
                reason,
            }
        })?,
        (None, None) => {
            programme_from_file_name(source, name).ok_or(TranscriptError::NoSidecar {
                sidecar: sidecar_name,
            })?
        }
    };
    file_documents(source, config, name, &decode(bytes), &programme, now)
}

/// Adds one file's outcome to the poll: its documents, its unusable cues, or its failure.
pub(super) fn collect(
    what: &str,
    result: Result<FileDocuments, TranscriptError>,
    docs: &mut Vec<NewDocument>,
    report: &mut PollReport,
) {
    match result {
        Ok(file) => {
            report.found += file.documents.len() + file.problems.len();
            docs.extend(file.documents);
            for p in file.problems {
                tracing::warn!(error = %p, "transcript cue skipped");
                report.skipped.push(p);
            }
        }
        Err(e) => {
            report.found += 1;
            tracing::warn!(file = what, error = %e, "transcript skipped");
            report.skipped.push(ItemError {
                position: report.found,
                what: what.to_string(),
                reason: e.to_string(),
            });
        }
    }
}
