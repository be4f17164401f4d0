use crate::{IndexError, SearchIndex};
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::QueryParser;
use tantivy::schema::Value;
use tantivy::snippet::SnippetGenerator;
use tantivy::TantivyDocument;

#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    /// The document's id in the store.
    pub doc_id: i64,
    pub score: f32,
    pub title: String,
    pub url: Option<String>,
    pub outlet: String,
    pub kind: String,
    pub source_id: String,
    /// RFC 3339, UTC.
    pub published_at: Option<String>,
    /// A passage of the body with the matches in `<b>…</b>`, HTML-escaped.
    pub snippet_html: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub query: String,
    pub total: usize,
    pub hits: Vec<SearchHit>,
}

impl SearchIndex {
    /// Searches title and body. Words are all required; the query language is tantivy's
    /// (phrases in quotes, `-word` to exclude, OR).
    pub fn search(&self, query: &str, limit: usize) -> Result<SearchResults, IndexError> {
        let bad = |reason: String| IndexError::BadQuery {
            query: query.to_string(),
            reason,
        };
        if query.trim().is_empty() {
            return Err(bad("the query is empty".into()));
        }
        let f = self.fields;
        let mut parser = QueryParser::new(
            self.index.schema(),
            vec![f.title, f.body],
            crate::tokenizer::query_tokenizers(),
        );
        parser.set_conjunction_by_default();
        parser.set_field_boost(f.title, 2.0);
        let parsed = parser.parse_query(query).map_err(|e| bad(e.to_string()))?;

        let searcher = self.reader.searcher();
        let (top, total) = searcher.search(
            &parsed,
            &(TopDocs::with_limit(limit.max(1)).order_by_score(), Count),
        )?;
        let mut snippets = SnippetGenerator::create(&searcher, &*parsed, f.body)?;
        snippets.set_max_num_chars(240);

        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            hits.push(SearchHit {
                doc_id: doc
                    .get_first(f.doc_id)
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0) as i64,
                score,
                title: text(f.title).unwrap_or_default(),
                url: text(f.url),
                outlet: text(f.outlet).unwrap_or_default(),
                kind: text(f.kind).unwrap_or_default(),
                source_id: text(f.source_id).unwrap_or_default(),
                published_at: doc
                    .get_first(f.published_at)
                    .and_then(|v| v.as_datetime())
                    .and_then(|d| {
                        time::OffsetDateTime::from_unix_timestamp(d.into_timestamp_secs()).ok()
                    })
                    .and_then(|t| {
                        t.format(&time::format_description::well_known::Rfc3339)
                            .ok()
                    }),
                snippet_html: snippets.snippet_from_doc(&doc).to_html(),
            });
        }
        Ok(SearchResults {
            query: query.to_string(),
            total,
            hits,
        })
    }
}
