//! The editors' search: filters, sort orders, search-after paging and facets.

use praden_core::{Document, NewDocument, SourceKind};
use praden_index::{CommitPolicy, IndexError, SearchIndex, SearchRequest, SortOrder};
use time::macros::datetime;
use time::OffsetDateTime;

fn doc(
    id: i64,
    kind: SourceKind,
    outlet: &str,
    at: Option<OffsetDateTime>,
    title: &str,
) -> Document {
    Document {
        id,
        doc: NewDocument::new(praden_core::DocumentParts {
            source_id: "s",
            kind,
            outlet,
            url: Some(&format!("https://example.th/{id}")),
            item_id: None,
            title,
            body: "รัฐบาลชี้แจงมาตรการช่วยเหลือประชาชน",
            published_at: at,
            fetched_at: datetime!(2024-03-05 03:00 UTC),
        })
        .unwrap(),
    }
}

/// 30 documents about the same thing, spread over outlets, kinds and three months; several
/// share a publication time so that paging must break ties.
async fn index() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let writer = index.start_writer(CommitPolicy::default()).unwrap();
    let mut docs = Vec::new();
    for i in 1..=30i64 {
        let (kind, outlet) = match i % 3 {
            0 => (SourceKind::News, "ไทยรัฐ"),
            1 => (SourceKind::News, "มติชน"),
            _ => (SourceKind::Social, "X"),
        };
        let month = 1 + (i % 3) as u8; // Jan, Feb, Mar 2024
        let day = 1 + (i / 6) as u8;
        let at = datetime!(2024-01-01 10:00 +7)
            .replace_month(time::Month::try_from(month).unwrap())
            .unwrap()
            .replace_day(day)
            .unwrap();
        docs.push(doc(i, kind, outlet, Some(at), &format!("ค่าไฟฟ้า ตอนที่ {i}")));
    }
    docs.push(doc(
        31,
        SourceKind::Broadcast,
        "ไทยคู่ฟ้า",
        None,
        "ค่าไฟฟ้า ไม่ระบุวัน",
    ));
    writer.add(docs).await.unwrap();
    writer.shutdown().await.unwrap();
    index
}

fn req(limit: usize) -> SearchRequest {
    SearchRequest {
        query: "ค่าไฟฟ้า".into(),
        limit,
        snippets: true,
        ..SearchRequest::default()
    }
}

fn all_pages(index: &SearchIndex, r: SearchRequest) -> Vec<i64> {
    first_pages(index, r, usize::MAX)
}

/// The ids of the first `pages` pages.
fn first_pages(index: &SearchIndex, mut r: SearchRequest, pages: usize) -> Vec<i64> {
    let mut seen = Vec::new();
    for _ in 0..pages {
        let page = index.search_with(&r).unwrap();
        seen.extend(page.hits.iter().map(|h| h.doc_id));
        match page.next_cursor {
            Some(c) => r.after = Some(c),
            None => break,
        }
    }
    seen
}

#[tokio::test]
async fn paging_by_cursor_visits_every_document_once_in_every_order() {
    let index = index().await;
    for sort in [SortOrder::Relevance, SortOrder::Newest, SortOrder::Oldest] {
        for limit in [1, 4, 7, 31, 50] {
            let ids = all_pages(&index, SearchRequest { sort, ..req(limit) });
            let mut sorted = ids.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), 31, "{sort:?} limit {limit}: {ids:?}");
            assert_eq!(
                ids.len(),
                31,
                "{sort:?} limit {limit}: a document repeated: {ids:?}"
            );
        }
    }
}

#[tokio::test]
async fn date_orders_are_by_publication_time_then_id() {
    let index = index().await;
    let newest = all_pages(
        &index,
        SearchRequest {
            sort: SortOrder::Newest,
            ..req(5)
        },
    );
    let oldest = all_pages(
        &index,
        SearchRequest {
            sort: SortOrder::Oldest,
            ..req(5)
        },
    );
    assert_eq!(*newest.last().unwrap(), 31, "undated last");
    assert_eq!(*oldest.last().unwrap(), 31, "undated last");
    // The first hit is from the latest month (March) newest first, the earliest (January)
    // oldest first.
    for (sort, month) in [
        (SortOrder::Newest, "2024-03"),
        (SortOrder::Oldest, "2024-01"),
    ] {
        let first = index
            .search_with(&SearchRequest { sort, ..req(1) })
            .unwrap();
        let hit = &first.hits[0];
        assert!(
            hit.published_at.as_deref().unwrap().starts_with(month),
            "{sort:?}: {hit:?}"
        );
    }
}

/// Title and body are matched as one text with the title counted twice: a word in the title
/// ranks a document above one that has it only in the body, the words of a query may be
/// spread over title and body, and `title:` still looks at titles alone.
#[tokio::test]
async fn a_title_word_ranks_first_and_words_may_span_title_and_body() {
    let index = SearchIndex::in_memory().unwrap();
    let writer = index.start_writer(CommitPolicy::default()).unwrap();
    let at = datetime!(2024-03-05 10:00 +7);
    let make = |id: i64, title: &str, body: &str| Document {
        id,
        doc: NewDocument::new(praden_core::DocumentParts {
            source_id: "s",
            kind: SourceKind::News,
            outlet: "มติชน",
            url: None,
            item_id: Some(&id.to_string()),
            title,
            body,
            published_at: Some(at),
            fetched_at: at,
        })
        .unwrap(),
    };
    writer
        .add(vec![
            make(1, "ประชุมคณะรัฐมนตรี", "น้ำท่วม รัฐบาลชี้แจงมาตรการช่วยเหลือประชาชน"),
            make(2, "น้ำท่วมภาคเหนือ", "ภาคเหนือ รัฐบาลชี้แจงมาตรการช่วยเหลือประชาชน"),
        ])
        .await
        .unwrap();
    writer.shutdown().await.unwrap();
    let ids = |q: &str| -> Vec<i64> {
        index
            .search(q, 10)
            .unwrap()
            .hits
            .iter()
            .map(|h| h.doc_id)
            .collect()
    };
    assert_eq!(ids("น้ำท่วม"), [2, 1], "the title match first");
    assert_eq!(ids("title:น้ำท่วม"), [2]);
    assert_eq!(
        ids("น้ำท่วม คณะรัฐมนตรี"),
        [1],
        "one word in the title, one in the body"
    );
    let snippet = &index.search("น้ำท่วม", 10).unwrap().hits[1].snippet_html;
    assert!(snippet.contains("<b>น้ำท่วม</b>"), "{snippet}");
}

/// The index tokenizer gives a compound and then its sub-words ("PM2.5", then "PM2"), and
/// tantivy's snippet code assumed token offsets only grow: where the passage ended inside
/// such a compound, building the snippet panicked. A match at every position of a body.
#[tokio::test]
async fn snippets_survive_a_compound_at_any_place_in_the_passage() {
    let index = SearchIndex::in_memory().unwrap();
    let writer = index.start_writer(CommitPolicy::default()).unwrap();
    let at = datetime!(2024-03-05 10:00 +7);
    let docs: Vec<Document> = (0..160i64)
        .map(|i| Document {
            id: i + 1,
            doc: NewDocument::new(praden_core::DocumentParts {
                source_id: "s",
                kind: SourceKind::Social,
                outlet: "X",
                url: None,
                item_id: Some(&i.to_string()),
                title: "ฝุ่นเกินมาตรฐาน",
                body: &format!(
                    "{}ปัญหาฝุ่น PM2.5 เกินมาตรฐาน <ทุกพื้นที่> & ต่อเนื่อง",
                    "ข่าว ".repeat(i as usize)
                ),
                published_at: Some(at),
                fetched_at: at,
            })
            .unwrap(),
        })
        .collect();
    writer.add(docs).await.unwrap();
    writer.shutdown().await.unwrap();
    for q in ["PM2.5", "ฝุ่น PM2.5", "\"ฝุ่น PM2.5\""] {
        let r = index.search(q, 200).unwrap();
        assert_eq!(r.hits.len(), 160, "{q}");
        for hit in &r.hits {
            let s = &hit.snippet_html;
            assert!(s.contains("<b>"), "{q}: {s}");
            assert!(!s.contains("<ทุก"), "escaped: {s}");
        }
    }
}

#[tokio::test]
async fn filters_narrow_the_results_and_the_total() {
    let index = index().await;
    let r = index
        .search_with(&SearchRequest {
            kinds: vec!["social".into()],
            ..req(50)
        })
        .unwrap();
    assert_eq!(r.total, 10);
    assert!(r.hits.iter().all(|h| h.kind == "social"));
    let r = index
        .search_with(&SearchRequest {
            outlets: vec!["ไทยรัฐ".into(), "มติชน".into()],
            ..req(50)
        })
        .unwrap();
    assert_eq!(r.total, 20);
    // February 2024 in Bangkok time: from 1 Feb 00:00 to 1 Mar 00:00.
    let r = index
        .search_with(&SearchRequest {
            from: Some(datetime!(2024-02-01 00:00 +7)),
            until: Some(datetime!(2024-03-01 00:00 +7)),
            ..req(50)
        })
        .unwrap();
    assert_eq!(r.total, 10);
    assert!(r
        .hits
        .iter()
        .all(|h| h.published_at.as_deref().unwrap().starts_with("2024-02")));
    let r = index
        .search_with(&SearchRequest {
            kinds: vec!["news".into()],
            from: Some(datetime!(2024-03-01 00:00 +7)),
            ..req(50)
        })
        .unwrap();
    assert_eq!(r.total, 0, "news is in Jan and Feb only (i % 3 = 0, 1)");
    // The filters narrow the facets too; a value no document has matches nothing.
    let r = index
        .search_with(&SearchRequest {
            kinds: vec!["social".into()],
            facets: true,
            ..req(50)
        })
        .unwrap();
    assert_eq!(r.total, 10);
    let facets = r.facets.unwrap();
    assert_eq!(facets.kinds.len(), 1);
    assert_eq!(
        (facets.kinds[0].value.as_str(), facets.kinds[0].count),
        ("social", 10)
    );
    let r = index
        .search_with(&SearchRequest {
            outlets: vec!["ไม่มีสำนักนี้".into()],
            facets: true,
            ..req(50)
        })
        .unwrap();
    assert_eq!((r.total, r.hits.len()), (0, 0));
}

#[tokio::test]
async fn facets_count_by_kind_outlet_and_bangkok_month() {
    let index = index().await;
    let r = index
        .search_with(&SearchRequest {
            facets: true,
            ..req(1)
        })
        .unwrap();
    let facets = r.facets.unwrap();
    let pairs = |v: &[praden_index::FacetCount]| {
        v.iter()
            .map(|c| (c.value.clone(), c.count))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        pairs(&facets.kinds),
        [
            ("news".into(), 20),
            ("social".into(), 10),
            ("broadcast".into(), 1)
        ]
    );
    assert_eq!(facets.outlets.len(), 4);
    assert_eq!(
        pairs(&facets.months),
        [
            ("2024-01".into(), 10),
            ("2024-02".into(), 10),
            ("2024-03".into(), 10)
        ]
    );
    assert!(index.search_with(&req(1)).unwrap().facets.is_none());
}

#[tokio::test]
async fn bad_cursors_and_queries_say_what_is_wrong() {
    let index = index().await;
    let page = index
        .search_with(&SearchRequest {
            sort: SortOrder::Newest,
            ..req(2)
        })
        .unwrap();
    let cursor = page.next_cursor.unwrap();
    let err = index
        .search_with(&SearchRequest {
            after: Some(cursor),
            ..req(2)
        })
        .unwrap_err();
    assert!(
        matches!(&err, IndexError::BadQuery { reason, .. } if reason.contains("another sort order")),
        "{err}"
    );
    let err = index
        .search_with(&SearchRequest {
            after: Some("zzz".into()),
            ..req(2)
        })
        .unwrap_err();
    assert!(err.to_string().contains("invalid cursor"), "{err}");
    let err = index
        .search_with(&SearchRequest {
            query: "\"ค่าไฟฟ้า".into(),
            ..req(2)
        })
        .unwrap_err();
    assert!(matches!(err, IndexError::BadQuery { .. }), "{err}");
}

#[tokio::test]
async fn a_long_body_gets_a_snippet_around_its_match() {
    let index = SearchIndex::in_memory().unwrap();
    let writer = index.start_writer(CommitPolicy::default()).unwrap();
    // A transcript-length body whose only mention of the query is near its end.
    let filler = "รายการวิทยุพูดคุยเรื่องทั่วไปของประชาชน ".repeat(400);
    let body = format!("{filler}ช่วงท้ายรายการกล่าวถึงน้ำท่วมภาคเหนือ");
    let mut d = doc(1, SourceKind::Broadcast, "ไทยคู่ฟ้า", None, "รายการสด");
    d.doc.body = body;
    writer.add(vec![d]).await.unwrap();
    writer.shutdown().await.unwrap();
    let r = index.search("น้ำท่วม", 5).unwrap();
    assert_eq!(r.total, 1);
    assert!(
        r.hits[0].snippet_html.contains("<b>น้ำท่วม</b>"),
        "{}",
        r.hits[0].snippet_html
    );
}

#[tokio::test]
async fn words_ending_in_a_star_match_as_prefixes() {
    let index = SearchIndex::in_memory().unwrap();
    let writer = index.start_writer(CommitPolicy::default()).unwrap();
    writer
        .add(vec![
            doc(1, SourceKind::News, "a", None, "COVID-19 cases rise"),
            doc(2, SourceKind::News, "a", None, "Covidence study"),
            doc(3, SourceKind::News, "a", None, "vaccine news"),
            doc(4, SourceKind::News, "a", None, "โควิดระบาดหนัก"),
        ])
        .await
        .unwrap();
    writer.shutdown().await.unwrap();
    let ids = |q: &str| {
        let mut ids: Vec<i64> = index
            .search(q, 10)
            .unwrap()
            .hits
            .iter()
            .map(|h| h.doc_id)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids("covi*"),
        [1, 2],
        "case-insensitive, any word starting so"
    );
    assert_eq!(ids("COVI* cases"), [1], "combined with words");
    assert_eq!(
        ids("covid"),
        Vec::<i64>::new(),
        "without the star, whole words only"
    );
    assert_eq!(
        ids("vacc* covide*"),
        Vec::<i64>::new(),
        "each prefix is required"
    );
    // Thai prefixes match the start of a word as the segmenter cuts it (ระบาด here).
    assert_eq!(ids("ระบา*"), [4], "Thai prefixes too");
    for bad in ["-covi*", "c*", "vacc* OR covi*"] {
        let err = index.search(bad, 10).unwrap_err().to_string();
        assert!(err.contains("prefix"), "{bad}: {err}");
    }
}

/// Enough documents for several posting blocks (block-WAND skips whole blocks), with most
/// scores tied: the same title, and every seventh one mentioning the word twice.
async fn many(n: i64) -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let writer = index.start_writer(CommitPolicy::default()).unwrap();
    let docs = (1..=n)
        .map(|i| {
            let title = if i % 7 == 0 {
                "ค่าไฟฟ้า ค่าไฟฟ้า แพง"
            } else if i % 5 == 0 {
                "ค่าไฟฟ้า งวดใหม่ ประกาศ แล้ว วันนี้"
            } else {
                "ค่าไฟฟ้า งวดใหม่"
            };
            doc(i, SourceKind::News, "ไทยรัฐ", None, title)
        })
        .collect();
    writer.add(docs).await.unwrap();
    writer.shutdown().await.unwrap();
    index
}

#[tokio::test]
async fn relevance_paging_over_many_tied_scores_is_ordered_and_complete() {
    let n = 1_500;
    let index = many(n).await;
    for limit in [13, 100] {
        let mut r = SearchRequest {
            query: "ไฟฟ้า".into(),
            ..req(limit)
        };
        let mut seen = Vec::new();
        let mut last: Option<(f32, i64)> = None;
        loop {
            let page = index.search_with(&r).unwrap();
            for hit in &page.hits {
                // Score first, then store id, both descending.
                if let Some((score, id)) = last {
                    assert!(
                        hit.score < score || (hit.score == score && hit.doc_id < id),
                        "limit {limit}: {} ({}) after {id} ({score})",
                        hit.doc_id,
                        hit.score
                    );
                }
                last = Some((hit.score, hit.doc_id));
                seen.push(hit.doc_id);
            }
            match page.next_cursor {
                Some(c) => r.after = Some(c),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), n as usize, "limit {limit}: documents missing");
        assert_eq!(seen.len(), n as usize, "limit {limit}: documents repeated");
        // The doubled mentions score highest, highest id first.
        assert_eq!(seen[0], 1_498, "limit {limit}");
    }
}

#[tokio::test]
async fn totals_above_the_cap_are_a_lower_bound_unless_facets_count_them() {
    let n = praden_index::TOTAL_CAP as i64 + 50;
    let index = many(n).await;
    let r = index
        .search_with(&SearchRequest {
            query: "ไฟฟ้า".into(),
            ..req(5)
        })
        .unwrap();
    assert_eq!(r.total, praden_index::TOTAL_CAP);
    assert!(!r.total_exact);
    let r = index
        .search_with(&SearchRequest {
            query: "ไฟฟ้า".into(),
            facets: true,
            ..req(5)
        })
        .unwrap();
    assert_eq!(r.total, n as usize);
    assert!(r.total_exact);
    let small = index
        .search_with(&SearchRequest {
            query: "แพง".into(),
            ..req(5)
        })
        .unwrap();
    assert_eq!(small.total, n as usize / 7);
    assert!(small.total_exact);
}

/// Searches visit the segments themselves, best dates first, skip those that cannot
/// improve a page, and share one count cap: over six segments (six writer sessions) with
/// overlapping and disjoint date ranges and undated documents, every order and filter gives
/// exactly what sorting all the documents gives.
#[tokio::test]
async fn pages_over_many_segments_are_what_sorting_everything_gives() {
    let index = SearchIndex::in_memory().unwrap();
    let base = datetime!(2024-01-01 00:00 +7);
    // (id, date in hours after base or undated, kind)
    let mut all: Vec<(i64, Option<i64>, SourceKind)> = Vec::new();
    for segment in 0..6i64 {
        let writer = index.start_writer(CommitPolicy::default()).unwrap();
        let mut docs = Vec::new();
        for i in 0..40i64 {
            let id = segment * 100 + i + 1;
            // Segments 0 and 3 are a year older than the rest; 2 and 5 overlap 1 and 4.
            let hours = match segment {
                0 | 3 => Some(-24 * 365 + i * 5 + segment),
                _ if i % 9 == 0 => None,
                _ => Some((i * 7 + segment * 13) % 200),
            };
            let kind = if i % 3 == 0 {
                SourceKind::Social
            } else {
                SourceKind::News
            };
            let at = hours.map(|h| base + time::Duration::hours(h));
            docs.push(doc(id, kind, "ไทยรัฐ", at, "ค่าไฟฟ้า งวดใหม่"));
            all.push((id, hours, kind));
        }
        writer.add(docs).await.unwrap();
        writer.shutdown().await.unwrap();
    }
    let newest = |v: &mut Vec<(i64, Option<i64>, SourceKind)>| {
        v.sort_by_key(|&(id, h, _)| (h.is_none(), std::cmp::Reverse(h), std::cmp::Reverse(id)))
    };
    let oldest = |v: &mut Vec<(i64, Option<i64>, SourceKind)>| {
        v.sort_by_key(|&(id, h, _)| (h.is_none(), h, id))
    };
    // A wide range is checked on each match; a narrow one (a few hours, a few documents a
    // segment) drives the search from the documents in it.
    for (kinds, range) in [
        (vec![], None),
        (vec!["news".to_string()], None),
        (vec![], Some((50, 120))),
        (vec![], Some((60, 67))),
        (vec!["news".to_string()], Some((60, 67))),
    ] {
        let from = range.map(|(h, _)| base + time::Duration::hours(h));
        let until = range.map(|(_, h)| base + time::Duration::hours(h));
        let mut expected: Vec<_> = all
            .iter()
            .copied()
            .filter(|(_, _, k)| kinds.is_empty() || *k == SourceKind::News)
            .filter(|(_, h, _)| range.is_none_or(|(a, b)| h.is_some_and(|h| (a..b).contains(&h))))
            .collect();
        for (sort, order) in [
            (SortOrder::Newest, &newest as &dyn Fn(&mut Vec<_>)),
            (SortOrder::Oldest, &oldest),
        ] {
            order(&mut expected);
            let ids: Vec<i64> = expected.iter().map(|e| e.0).collect();
            for limit in [1, 7, 50] {
                let r = SearchRequest {
                    sort,
                    kinds: kinds.clone(),
                    from,
                    until,
                    ..req(limit)
                };
                assert_eq!(
                    all_pages(&index, r.clone()),
                    ids,
                    "{sort:?} {kinds:?} {range:?} {limit}"
                );
                assert_eq!(index.search_with(&r).unwrap().total, ids.len());
            }
        }
        let mut relevance = all_pages(
            &index,
            SearchRequest {
                kinds: kinds.clone(),
                from,
                until,
                ..req(9)
            },
        );
        relevance.sort();
        let facets = index
            .search_with(&SearchRequest {
                kinds: kinds.clone(),
                from,
                until,
                facets: true,
                ..req(3)
            })
            .unwrap();
        assert_eq!(facets.total, expected.len());
        let social = expected
            .iter()
            .filter(|e| e.2 == SourceKind::Social)
            .count() as u64;
        let counted = |value: &str| {
            let f = facets.facets.as_ref().unwrap();
            f.kinds
                .iter()
                .find(|k| k.value == value)
                .map_or(0, |k| k.count)
        };
        assert_eq!(counted("social"), social, "{kinds:?} {range:?}");
        assert_eq!(
            counted("news"),
            expected.len() as u64 - social,
            "{kinds:?} {range:?}"
        );
        let dated = expected.iter().filter(|e| e.1.is_some()).count() as u64;
        let months: u64 = facets
            .facets
            .as_ref()
            .unwrap()
            .months
            .iter()
            .map(|m| m.count)
            .sum();
        assert_eq!(months, dated, "{kinds:?} {range:?}");
        let mut ids: Vec<i64> = expected.iter().map(|e| e.0).collect();
        ids.sort();
        assert_eq!(relevance, ids, "relevance {kinds:?} {range:?}");
    }
}

/// Every page of `r`, the hits as (store id, score) and the total of the first page.
fn pages(index: &SearchIndex, mut r: SearchRequest) -> (Vec<(i64, f32)>, usize, bool) {
    let first = index.search_with(&r).unwrap();
    let (total, exact) = (first.total, first.total_exact);
    let mut hits = Vec::new();
    let mut page = first;
    loop {
        hits.extend(page.hits.iter().map(|h| (h.doc_id, h.score)));
        match page.next_cursor {
            Some(c) => r.after = Some(c),
            None => return (hits, total, exact),
        }
        page = index.search_with(&r).unwrap();
    }
}

/// A quoted phrase ranked by relevance takes its own pass (positions read only while the
/// count needs them or the document could enter the page); it must give what the general
/// pass gives — the one a facet search still takes —: the same pages, scores, cursors and
/// count, over several segments, with deleted documents and filters.
#[tokio::test]
async fn a_phrase_ranks_and_counts_as_the_general_pass_does() {
    let index = SearchIndex::in_memory().unwrap();
    let titles = [
        "ค่าไฟฟ้า งวดใหม่ ประกาศ แล้ว",
        "งวดใหม่ ค่าไฟฟ้า ประกาศ",
        "ค่าไฟฟ้า งวดใหม่ ค่าไฟฟ้า งวดใหม่ ค่าไฟฟ้า งวดใหม่",
        "ประกาศ ค่าไฟฟ้า แพง งวดใหม่ ยัง ไม่ ประกาศ ค่าไฟฟ้า งวดใหม่ วันนี้ ครบ ทุก เขต ทั่ว ประเทศ",
        "ค่าไฟฟ้า แพง",
        "ค่าไฟฟ้า งวดใหม่",
    ];
    let mut id = 0;
    for segment in 0..4 {
        let writer = index.start_writer(CommitPolicy::default()).unwrap();
        let docs = (0..400)
            .map(|i| {
                id += 1;
                let kind = if i % 4 == 0 {
                    SourceKind::Social
                } else {
                    SourceKind::News
                };
                doc(
                    id,
                    kind,
                    "ไทยรัฐ",
                    None,
                    titles[(i * 7 + segment) % titles.len()],
                )
            })
            .collect();
        writer.add(docs).await.unwrap();
        writer.shutdown().await.unwrap();
    }
    // The same store ids again replace their documents: deletes in the older segments.
    let writer = index.start_writer(CommitPolicy::default()).unwrap();
    let again = (1..=300)
        .step_by(3)
        .map(|id| doc(id, SourceKind::News, "ไทยรัฐ", None, titles[id as usize % 2]))
        .collect();
    writer.add(again).await.unwrap();
    writer.shutdown().await.unwrap();

    for query in [
        "\"ค่าไฟฟ้า งวดใหม่\"",
        "\"งวดใหม่ ประกาศ\"",
        "\"ค่าไฟฟ้า งวดใหม่ ประกาศ\"",
        "\"ไฟฟ้า แพง\"",
    ] {
        for kinds in [vec![], vec!["news".to_string()]] {
            for limit in [1, 7, 100] {
                let r = SearchRequest {
                    query: query.into(),
                    kinds: kinds.clone(),
                    ..req(limit)
                };
                let (fast, total, exact) = pages(&index, r.clone());
                let (general, counted, _) = pages(&index, SearchRequest { facets: true, ..r });
                assert!(!fast.is_empty(), "{query}");
                assert_eq!(fast, general, "{query} {kinds:?} limit {limit}");
                assert_eq!((total, exact), (counted, true), "{query} {kinds:?}");
                assert_eq!(total, fast.len(), "{query} {kinds:?}");
            }
        }
    }
}

#[tokio::test]
async fn a_phrase_counts_up_to_the_cap_like_any_query() {
    // 6 documents in 7 hold the phrase: more than the cap.
    let n = praden_index::TOTAL_CAP as i64 * 6 / 5;
    let index = many(n).await;
    let r = index
        .search_with(&SearchRequest {
            query: "\"ค่าไฟฟ้า งวดใหม่\"".into(),
            ..req(5)
        })
        .unwrap();
    assert_eq!(r.total, praden_index::TOTAL_CAP);
    assert!(!r.total_exact);
    // Every page is what the general pass gives, those found after the count was done too.
    let r = SearchRequest {
        query: "\"ค่าไฟฟ้า งวดใหม่\"".into(),
        ..req(1000)
    };
    let (fast, _, _) = pages(&index, r.clone());
    let (general, counted, _) = pages(&index, SearchRequest { facets: true, ..r });
    assert_eq!(fast, general);
    assert_eq!(counted, fast.len());
    assert_eq!(counted, (1..=n).filter(|i| i % 7 != 0).count());
}

/// A date order walks the documents from the best-dated end and seeks the query through
/// them, leaving the rest to a pass over every match when the query matches few of them:
/// with ties on dates, undated and replaced (deleted) documents, filters and cursors, every
/// page is what sorting every match gives, for a word in every document, one in half of
/// them and two common words that seldom meet.
#[tokio::test]
async fn date_orders_walked_from_the_best_end_are_what_sorting_every_match_gives() {
    let index = SearchIndex::in_memory().unwrap();
    let base = datetime!(2024-01-01 00:00 +7);
    let title = |i: i64| match (i % 2 == 0, i % 97 == 0) {
        (true, false) => "ค่าไฟฟ้า งวดใหม่",
        (false, false) => "ค่าไฟฟ้า ประกาศ",
        (_, true) => "ค่าไฟฟ้า งวดใหม่ ประกาศ",
    };
    // Broadcast is rare: a walk asked for it seeks many documents to find few.
    let kind = |i: i64| match (i % 3, i % 47) {
        (_, 0) => SourceKind::Broadcast,
        (0, _) => SourceKind::Social,
        _ => SourceKind::News,
    };
    // id -> (hours after base or undated, kind, title)
    let mut all = std::collections::BTreeMap::new();
    let mut add = |batch: Vec<(i64, Option<i64>)>| {
        let docs: Vec<Document> = batch
            .iter()
            .map(|&(i, h)| {
                all.insert(i, (h, kind(i), title(i)));
                let at = h.map(|h| base + time::Duration::hours(h));
                doc(i, kind(i), "ไทยรัฐ", at, title(i))
            })
            .collect();
        docs
    };
    let first = add((1..=4000i64)
        .map(|i| (i, (i % 11 != 0).then_some((i * 37) % 50)))
        .collect());
    // Every 13th document again, a thousand hours later: its first copy is deleted.
    let again = add((1..=4000i64)
        .filter(|i| i % 13 == 0)
        .map(|i| (i, Some(1000 + i % 50)))
        .collect());
    for docs in [first, again] {
        let writer = index.start_writer(CommitPolicy::default()).unwrap();
        writer.add(docs).await.unwrap();
        writer.shutdown().await.unwrap();
    }
    for query in ["ค่าไฟฟ้า", "งวดใหม่", "งวดใหม่ ประกาศ"]
    {
        for (kinds, range) in [
            (vec![], None),
            (vec!["news".to_string()], None),
            (vec!["broadcast".to_string()], None),
            (vec![], Some((10, 1020))),
        ] {
            let mut expected: Vec<(i64, Option<i64>)> = all
                .iter()
                .filter(|(_, (_, _, t))| query.split(' ').all(|w| t.contains(w)))
                .filter(|(_, (_, k, _))| kinds.is_empty() || kinds.contains(&k.to_string()))
                .filter(|(_, (h, _, _))| {
                    range.is_none_or(|(a, b)| h.is_some_and(|h| (a..b).contains(&h)))
                })
                .map(|(&i, &(h, _, _))| (i, h))
                .collect();
            for sort in [SortOrder::Newest, SortOrder::Oldest] {
                if sort == SortOrder::Newest {
                    expected.sort_by_key(|&(i, h)| {
                        (h.is_none(), std::cmp::Reverse(h), std::cmp::Reverse(i))
                    });
                } else {
                    expected.sort_by_key(|&(i, h)| (h.is_none(), h, i));
                }
                let ids: Vec<i64> = expected.iter().map(|e| e.0).collect();
                // Small pages a few at a time (the walk starts at each cursor), big ones
                // to the end.
                for (limit, pages) in [(1, 3), (7, 4), (100, usize::MAX)] {
                    let r = SearchRequest {
                        query: query.into(),
                        sort,
                        kinds: kinds.clone(),
                        from: range.map(|(h, _)| base + time::Duration::hours(h)),
                        until: range.map(|(_, h)| base + time::Duration::hours(h)),
                        snippets: false,
                        ..req(limit)
                    };
                    let label = format!("{query} {sort:?} {kinds:?} {range:?} {limit}");
                    let got = first_pages(&index, r, pages);
                    let want = &ids[..ids.len().min(limit.saturating_mul(pages))];
                    assert_eq!(got, want, "{label}");
                }
            }
        }
    }
}
