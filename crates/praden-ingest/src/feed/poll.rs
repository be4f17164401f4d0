//! Polling a feed source: the feed fetched with the last poll's validators and parsed on the
//! parse pool; its items stored, the summary-only ones with the text of their page.

use super::{parse_feed_items, FeedItem, ItemError};
use crate::adapter::{allowed, Context};
use crate::budget::{Job, Markup};
use crate::fetch::{Fetched, Validators};
use crate::report::{PollError, PollReport};
use crate::sources::{FeedFormat, FeedParams, Source};
use std::collections::HashMap;
use time::OffsetDateTime;

/// Polls a feed source once; the validators are returned only when the next poll may be
/// answered 304 (the body was used, and no item of it is left for later).
pub(crate) async fn poll(
    cx: &Context,
    source: &Source,
    feed: &FeedParams,
    validators: &Validators,
) -> (Result<PollReport, PollError>, Option<Validators>) {
    let body = match cx.fetch_body(source, validators).await {
        Ok(Some(body)) => body,
        Ok(None) => return (Ok(PollReport::not_modified()), None),
        Err(e) => return (Err(e.into()), None),
    };
    let items = match parse(cx, source, feed, body.bytes).await {
        Ok(items) => items,
        // Validators of a body we could not use must not make the next poll a 304.
        Err(e) => return (Err(e), None),
    };
    let mut report = PollReport {
        found: items.len(),
        feed_problems: body.problems,
        ..PollReport::default()
    };
    let mut feed_items = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Ok(item) => feed_items.push(item),
            Err(e) => {
                tracing::warn!(source = %source.id, error = %e, "feed item skipped");
                report.skipped.push(e);
            }
        }
    }
    let mut inserted = Vec::new();
    let stored = store_feed_items(cx, source, feed, feed_items, &mut report, &mut inserted).await;
    // Whatever was stored before a failure is linked all the same.
    cx.sink().link_near_duplicates(&inserted).await;
    if let Err(e) = stored {
        return (Err(e), None);
    }
    // Items left for the next poll are in this body: a 304 next time would hide them.
    let validators = (report.deferred == 0).then_some(body.validators);
    (Ok(report), validators)
}

/// Parses a feed already decoded to UTF-8, on the parse pool.
async fn parse(
    cx: &Context,
    source: &Source,
    feed: &FeedParams,
    bytes: Vec<u8>,
) -> Result<Vec<Result<FeedItem, ItemError>>, PollError> {
    let (owned, format, fetch_article) = (source.clone(), feed.format, feed.fetch_article);
    let parsed = cx
        .parse_pool()
        .run(Job::new(&source.id, "the feed"), move |budget| {
            // Already UTF-8 (decoded, with its problems recorded, before dispatch).
            match format {
                FeedFormat::JsonFeed => budget.check_size(&bytes)?,
                FeedFormat::Rss | FeedFormat::Atom => budget.check_markup(&bytes, Markup::Xml)?,
            }
            Ok(parse_feed_items(
                &owned,
                fetch_article,
                &bytes,
                OffsetDateTime::now_utc(),
            ))
        })
        .await?;
    Ok(parsed?)
}

/// Stores the feed's items, the summary-only ones that are not stored yet with the main
/// text of their page instead of the teaser. Items needing no page are stored at once;
/// each fetched item as soon as its page is in, so a long poll loses nothing when it is
/// stopped. At most `max_article_fetches` pages are fetched per poll: the other new items
/// wait (unstored, counted in `report.deferred`) for the next poll, which finds them again
/// because they are not in the store. The pages go through the same gate as every request
/// (robots.txt of their host, per-host gap, private-address refusal, size cap) and are
/// parsed on the parse pool; a page that cannot be fetched or read leaves its item with
/// the summary, noted in `report.article_failures`.
async fn store_feed_items(
    cx: &Context,
    source: &Source,
    feed: &FeedParams,
    items: Vec<FeedItem>,
    report: &mut PollReport,
    inserted: &mut Vec<i64>,
) -> Result<(), PollError> {
    let wanted: Vec<String> = items
        .iter()
        .filter(|i| i.fetch_article.is_some())
        .map(|i| i.doc.item_key.clone())
        .collect();
    // Pages of stored items are not fetched again: re-polling costs one request.
    let existing = if wanted.is_empty() {
        Default::default()
    } else {
        cx.store().existing_item_keys(&wanted).await?
    };
    let mut ready = Vec::with_capacity(items.len());
    let mut pages = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let FeedItem { doc, fetch_article } = item;
        match fetch_article.filter(|_| !existing.contains(&doc.item_key)) {
            Some(page) => pages.push((i, doc, page)),
            None => ready.push(doc),
        }
    }
    cx.store_now(&ready, report, inserted).await?;
    let mut robots_by_host: HashMap<String, Option<String>> = HashMap::new();
    let mut fetches = 0;
    for (i, doc, page) in pages {
        if fetches >= feed.max_article_fetches {
            report.deferred += 1;
            continue;
        }
        let host = page.host_str().unwrap_or_default().to_string();
        if !robots_by_host.contains_key(&host) {
            let robots = cx.robots_txt_of(source, &page).await;
            robots_by_host.insert(host.clone(), robots);
        }
        let failure = |reason: String| ItemError {
            position: i + 1,
            what: page.to_string(),
            reason,
        };
        if !allowed(robots_by_host[&host].as_deref(), &page) {
            report
                .article_failures
                .push(failure("robots.txt disallows its page".into()));
            cx.store_now(&[doc], report, inserted).await?;
            continue;
        }
        fetches += 1;
        let text = match cx
            .fetch_politely(source, &page, &Validators::default())
            .await
        {
            Ok(Fetched::Body {
                bytes,
                content_type,
                ..
            }) => {
                let body_selector = feed.article_body.clone();
                cx.parse_pool()
                    .run(
                        Job::new(&source.id, format!("the page {page}")),
                        move |budget| {
                            let (bytes, _) =
                                crate::charset::to_utf8(&bytes, content_type.as_deref());
                            budget.check_markup(&bytes, Markup::Html)?;
                            let html = String::from_utf8_lossy(&bytes);
                            Ok(crate::html::page_main_text(&html, body_selector.as_deref()))
                        },
                    )
                    .await
                    .map_err(|e| e.to_string())
            }
            Ok(Fetched::NotModified) => Err("its page answered 304 to a plain GET".into()),
            Err(e) => Err(e.to_string()),
        };
        let doc = match text {
            // A page whose text is no longer than the teaser adds nothing (a paywall, a
            // page of links): the summary stays.
            Ok(text) if text.chars().count() > doc.body.chars().count() => {
                report.articles_fetched += 1;
                with_body(doc, &text)
            }
            Ok(_) => {
                report
                    .article_failures
                    .push(failure(match &feed.article_body {
                        Some(sel) => {
                            format!("its page has no more text than the summary under {sel:?}")
                        }
                        None => "its page has no more text than the summary".into(),
                    }));
                doc
            }
            Err(reason) => {
                report.article_failures.push(failure(reason));
                doc
            }
        };
        cx.store_now(&[doc], report, inserted).await?;
    }
    if report.deferred > 0 {
        tracing::info!(source = %source.id, deferred = report.deferred, limit = feed.max_article_fetches, "article fetches per poll used up; the rest waits for the next poll");
    }
    Ok(())
}

/// `doc` with `body` in place of its text; the content hash follows the text.
fn with_body(doc: praden_core::NewDocument, body: &str) -> praden_core::NewDocument {
    praden_core::NewDocument {
        body: body.trim().to_string(),
        content_hash: praden_core::content_hash(&doc.title, body.trim()),
        ..doc
    }
}
