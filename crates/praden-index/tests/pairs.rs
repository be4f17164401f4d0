//! Quoted phrases of common words are served from the `pairs` field (adjacent pairs of
//! common words as terms); they must give exactly what tantivy's phrase query over the
//! words' positions gives — the pass a search with facets still takes — on real Thai text
//! from ../shared: news, radio transcripts and social posts, in several segments, with
//! replaced documents.

use std::collections::HashSet;
use std::io::BufRead;

use praden_core::{Document, NewDocument, SourceKind};
use praden_index::{CommitPolicy, Facets, SearchIndex, SearchRequest, SortOrder};
use praden_thai::ThaiTokenizer;
use time::OffsetDateTime;

/// The first `n` records of a shared set, as (title, body).
fn read(path: &str, title: &str, body: &str, n: usize) -> Vec<(String, String)> {
    let path = format!("{}/../../../shared/data/{path}", env!("CARGO_MANIFEST_DIR"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file))
        .lines()
        .take(n)
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            (s(title), s(body))
        })
        .collect()
}

fn document(id: i64, kind: SourceKind, title: &str, body: &str) -> Document {
    let now = OffsetDateTime::now_utc();
    Document {
        id,
        doc: NewDocument::new(praden_core::DocumentParts {
            source_id: "s",
            kind,
            outlet: "thaigov.go.th",
            url: None,
            item_id: Some(&id.to_string()),
            title: if title.is_empty() {
                "โพสต์"
            } else {
                title
            },
            body,
            published_at: Some(now),
            fetched_at: now,
        })
        .unwrap(),
    }
}

/// Every page of `r`: the hits as (store id, score, snippet), and the first page's total
/// and facets.
type Pages = (Vec<(i64, f32, String)>, usize, bool, Option<Facets>);

fn pages(index: &SearchIndex, mut r: SearchRequest) -> Pages {
    let mut page = index.search_with(&r).unwrap();
    let (total, exact, facets) = (page.total, page.total_exact, page.facets.clone());
    let mut hits = Vec::new();
    loop {
        hits.extend(
            page.hits
                .iter()
                .map(|h| (h.doc_id, h.score, h.snippet_html.clone())),
        );
        match page.next_cursor {
            Some(c) => r.after = Some(c),
            None => return (hits, total, exact, facets),
        }
        page = index.search_with(&r).unwrap();
    }
}

#[tokio::test]
async fn phrases_of_common_words_match_as_their_positions_do() {
    let mut texts = Vec::new();
    for (path, title, body, kind) in [
        (
            "corpus/thaigov-news-2020-2024h1.jsonl.gz",
            "title",
            "body",
            SourceKind::News,
        ),
        (
            "broadcast/thaikufah-radio-2020-2024h1.jsonl.gz",
            "title",
            "body",
            SourceKind::Broadcast,
        ),
        (
            "social/wisesight-messages.jsonl.gz",
            "",
            "text",
            SourceKind::Social,
        ),
    ] {
        texts.extend(read(path, title, body, 400).into_iter().map(|t| (t, kind)));
    }
    let index = SearchIndex::in_memory().unwrap();
    let docs: Vec<Document> = texts
        .iter()
        .enumerate()
        .map(|(i, ((title, body), kind))| document(i as i64 + 1, *kind, title, body))
        .collect();
    // Three segments, then a tenth of the documents added again: deletes in the old ones.
    for chunk in docs.chunks(docs.len() / 3 + 1) {
        let writer = index.start_writer(CommitPolicy::default()).unwrap();
        writer.add(chunk.to_vec()).await.unwrap();
        writer.shutdown().await.unwrap();
    }
    let writer = index.start_writer(CommitPolicy::default()).unwrap();
    writer
        .add(docs.iter().step_by(10).cloned().collect())
        .await
        .unwrap();
    writer.shutdown().await.unwrap();

    // Phrases of two and three adjacent words of the titles and the posts, as an editor
    // would quote them; those whose words are all common are the ones served from pairs.
    let common: HashSet<&str> = include_str!("../data/common_words.txt").lines().collect();
    let mut tokenizer = ThaiTokenizer::new();
    let mut phrases = Vec::new();
    let mut seen = HashSet::new();
    for ((title, body), _) in &texts {
        let text = if title.is_empty() { body } else { title };
        let words: Vec<String> = tokenizer
            .tokens(text)
            .iter()
            .map(|t| t.text.clone())
            .collect();
        for n in [2, 3] {
            for w in words.windows(n).step_by(3) {
                let all_common = w.iter().all(|w| common.contains(w.as_str()));
                let phrase = format!("\"{}\"", w.join(" "));
                if seen.insert(phrase.clone()) {
                    phrases.push((phrase, all_common));
                }
            }
        }
    }
    // The same index matching phrases by their words' positions alone.
    let reference = index.clone().without_phrase_pairs();
    let mut checked = (0, 0);
    for (i, (phrase, all_common)) in phrases.iter().step_by(7).take(600).enumerate() {
        let kinds = if i % 2 == 0 {
            vec![]
        } else {
            vec!["news".to_string()]
        };
        let r = SearchRequest {
            query: phrase.clone(),
            kinds,
            limit: 50,
            snippets: true,
            ..SearchRequest::default()
        };
        // Relevance alone takes the phrase's own pass; facets and date orders take the
        // general one. Both against tantivy's phrase query over positions.
        let expected = pages(
            &reference,
            SearchRequest {
                facets: true,
                ..r.clone()
            },
        );
        let fast = pages(&index, r.clone());
        assert_eq!(fast.0, expected.0, "{phrase}");
        assert_eq!(fast.1, expected.1, "{phrase}");
        assert_eq!(
            pages(
                &index,
                SearchRequest {
                    facets: true,
                    ..r.clone()
                }
            ),
            expected,
            "{phrase}"
        );
        let newest = SearchRequest {
            sort: SortOrder::Newest,
            ..r
        };
        assert_eq!(
            pages(&index, newest.clone()),
            pages(&reference, newest),
            "{phrase}"
        );
        if !expected.0.is_empty() {
            if *all_common {
                checked.0 += 1;
            } else {
                checked.1 += 1;
            }
        }
    }
    // Enough of both kinds were compared for the test to mean something.
    assert!(
        checked.0 >= 100,
        "phrases of common words with matches: {}",
        checked.0
    );
    assert!(
        checked.1 >= 100,
        "other phrases with matches: {}",
        checked.1
    );
}
