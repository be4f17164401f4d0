//! Snippets on real Thai text: 300 government news articles and 300 social-media messages
//! from ../shared.

use praden_core::{Document, NewDocument, SourceKind};
use praden_index::{CommitPolicy, SearchIndex};
use praden_thai::{Compounds, ThaiTokenizer};
use std::io::BufRead;
use time::OffsetDateTime;

fn read(path: &str, field: &str) -> Vec<String> {
    let path = format!("{}/../../../shared/data/{path}", env!("CARGO_MANIFEST_DIR"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file))
        .lines()
        .take(300)
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            v[field].as_str().unwrap_or("").to_string()
        })
        .collect()
}

/// Every hit whose body holds a query word (as the index tokenizer finds words) gets a
/// snippet with that word highlighted, whatever the body's spaces, digits and punctuation.
#[tokio::test]
async fn every_hit_with_the_word_in_its_body_has_it_highlighted() {
    let mut bodies = read("corpus/thaigov-news-2020-2024h1.jsonl.gz", "body");
    bodies.extend(read("social/wisesight-messages.jsonl.gz", "text"));
    let index = SearchIndex::in_memory().unwrap();
    let writer = index.start_writer(CommitPolicy::default()).unwrap();
    let now = OffsetDateTime::now_utc();
    let docs: Vec<Document> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| Document {
            id: i as i64 + 1,
            doc: NewDocument::new(praden_core::DocumentParts {
                source_id: "s",
                kind: SourceKind::News,
                outlet: "thaigov.go.th",
                url: None,
                item_id: Some(&i.to_string()),
                title: "ข่าว",
                body,
                published_at: Some(now),
                fetched_at: now,
            })
            .unwrap(),
        })
        .collect();
    writer.add(docs).await.unwrap();
    writer.shutdown().await.unwrap();

    let mut tokenizer = ThaiTokenizer::for_indexing().compounds(Compounds::Added);
    let mut checked = 0;
    for word in [
        "รัฐบาล",
        "ประชาชน",
        "โครงการ",
        "นายกรัฐมนตรี",
        "ค่าไฟฟ้า",
        "2564",
        "โควิด",
        "covid",
        "ครม.",
    ] {
        let r = index.search(word, 600).unwrap();
        for hit in &r.hits {
            let body = &bodies[hit.doc_id as usize - 1];
            if tokenizer.tokens(body).iter().any(|t| t.text == word) {
                assert!(
                    hit.snippet_html.contains("<b>"),
                    "{word} in document {}: {:?}",
                    hit.doc_id,
                    hit.snippet_html
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "only {checked} hits checked");
}
