//! Polling an html source: the listing page fetched (robots.txt permitting) and read with the
//! source's selectors; each new article page fetched, read and stored.

use super::{article_document, article_links, ItemError};
use crate::adapter::{allowed, Context};
use crate::budget::{Job, Markup};
use crate::fetch::{Fetched, Validators};
use crate::report::{PollError, PollReport};
use crate::sources::{HtmlSelectors, Source};
use time::OffsetDateTime;

/// Polls an html source once; the listing's validators are returned when the poll worked.
pub(crate) async fn poll(
    cx: &Context,
    source: &Source,
    sel: &HtmlSelectors,
    validators: &Validators,
) -> (Result<PollReport, PollError>, Option<Validators>) {
    let robots = cx.robots_txt(source).await;
    if !allowed(robots.as_deref(), &source.url) {
        return (Err(PollError::Disallowed(source.url.to_string())), None);
    }
    let body = match cx.fetch_body(source, validators).await {
        Ok(Some(body)) => body,
        Ok(None) => return (Ok(PollReport::not_modified()), None),
        Err(e) => return (Err(e.into()), None),
    };
    let result = poll_listing(
        cx,
        source,
        sel,
        body.bytes,
        body.content_type,
        robots.as_deref(),
    )
    .await;
    match result {
        Ok(report) => (
            Ok(PollReport {
                feed_problems: body.problems,
                ..report
            }),
            Some(body.validators),
        ),
        Err(e) => (Err(e), None),
    }
}

/// The new articles of an HTML listing page: each page not stored yet is fetched (at most
/// `max_items`, robots.txt permitting), read with the source's selectors and stored at
/// once. Both the listing and the articles are parsed on the parse pool; a listing that
/// cannot be parsed within the budget fails the poll, an article page that cannot be
/// fetched or read is an item failure.
async fn poll_listing(
    cx: &Context,
    source: &Source,
    sel: &HtmlSelectors,
    listing: Vec<u8>,
    content_type: Option<String>,
    robots: Option<&str>,
) -> Result<PollReport, PollError> {
    let (owned_sel, base) = (sel.clone(), source.url.clone());
    let links = cx
        .parse_pool()
        .run(Job::new(&source.id, "the listing page"), move |budget| {
            let (bytes, _) = crate::charset::to_utf8(&listing, content_type.as_deref());
            budget.check_markup(&bytes, Markup::Html)?;
            let page = String::from_utf8_lossy(&bytes);
            Ok(article_links(&owned_sel, &page, &base))
        })
        .await?;
    let keys: Vec<String> = links
        .iter()
        .map(|u| praden_core::canonical_url(u.as_str()))
        .collect();
    let existing = cx.stored_for_outlet(&source.outlet, &keys).await?;
    let mut report = PollReport {
        found: links.len(),
        ..PollReport::default()
    };
    let mut inserted = Vec::new();
    let stored = store_html_articles(
        cx,
        source,
        sel,
        &links,
        &keys,
        &existing,
        robots,
        &mut report,
        &mut inserted,
    )
    .await;
    cx.sink().link_near_duplicates(&inserted).await;
    stored.map(|()| report)
}

#[allow(clippy::too_many_arguments)]
async fn store_html_articles(
    cx: &Context,
    source: &Source,
    sel: &HtmlSelectors,
    links: &[url::Url],
    keys: &[String],
    existing: &std::collections::HashSet<String>,
    robots: Option<&str>,
    report: &mut PollReport,
    inserted: &mut Vec<i64>,
) -> Result<(), PollError> {
    for (i, (link, key)) in links.iter().zip(keys).enumerate() {
        if existing.contains(key) {
            report.already_stored += 1;
            continue;
        }
        let item_err = |reason: String| ItemError {
            position: i + 1,
            what: link.to_string(),
            reason,
        };
        if !allowed(robots, link) {
            report
                .skipped
                .push(item_err("robots.txt disallows it".into()));
            continue;
        }
        let fetched = cx
            .fetch_politely(source, link, &Validators::default())
            .await;
        let (bytes, content_type) = match fetched {
            Ok(Fetched::Body {
                bytes,
                content_type,
                ..
            }) => (bytes, content_type),
            Ok(Fetched::NotModified) => {
                report
                    .skipped
                    .push(item_err("answered 304 to a plain GET".into()));
                continue;
            }
            Err(e) => {
                report.skipped.push(item_err(e.to_string()));
                continue;
            }
        };
        let (owned, owned_sel, owned_link) = (source.clone(), sel.clone(), link.clone());
        let parsed = cx
            .parse_pool()
            .run(
                Job::new(&source.id, format!("the page {link}")),
                move |budget| {
                    let (bytes, _) = crate::charset::to_utf8(&bytes, content_type.as_deref());
                    budget.check_markup(&bytes, Markup::Html)?;
                    let article = String::from_utf8_lossy(&bytes);
                    Ok(article_document(
                        &owned,
                        &owned_sel,
                        &owned_link,
                        &article,
                        OffsetDateTime::now_utc(),
                    ))
                },
            )
            .await;
        match parsed {
            Ok(Ok(doc)) => cx.store_now(&[doc], report, inserted).await?,
            Ok(Err(mut e)) => {
                e.position = i + 1;
                report.skipped.push(e);
            }
            Err(e) => report.skipped.push(item_err(e.to_string())),
        }
    }
    Ok(())
}
