use crate::columns::UNDATED;
use crate::facets::{FacetCollector, Facets};
use crate::filter::DocFilter;
use crate::phrase::PairedPhrase;
use crate::snippet::Highlighter;
use crate::stored;
use crate::tokenizer::TEXT_TOKENIZER;
use crate::top::{count_up_to, SortKey, TopByKey};
use crate::{IndexError, SearchIndex};
use serde::{Deserialize, Serialize};
use std::ops::Bound;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, PhraseQuery, Query, QueryParser, RangeQuery,
    TermSetQuery,
};
use tantivy::schema::{Term, Value};
use tantivy::TantivyDocument;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Relevance,
    Newest,
    Oldest,
}

impl SortOrder {
    fn tag(self) -> char {
        match self {
            Self::Relevance => 'r',
            Self::Newest => 'n',
            Self::Oldest => 'o',
        }
    }
}

/// What an editor asks for. `from` is inclusive and `until` exclusive, so a date range of
/// whole Bangkok days is `[first day 00:00, day after the last 00:00)`.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    pub kinds: Vec<String>,
    pub outlets: Vec<String>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    pub sort: SortOrder,
    pub limit: usize,
    /// The `next_cursor` of the previous page: search-after, so deep pages cost what the
    /// first page costs.
    pub after: Option<String>,
    pub facets: bool,
    /// Highlighted passages cost a pass over each hit's body; exports do without.
    pub snippets: bool,
    /// Only these store documents (a story's or an issue's coverage), when given.
    pub documents: Option<Vec<i64>>,
    /// Only documents naming at least one of these (an agency's names and abbreviations),
    /// each matched as a phrase in the title or body.
    pub mentions: Vec<String>,
}

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
    /// A passage of the body with the matching words in `<b>…</b>`, HTML-escaped.
    pub snippet_html: String,
    /// The review-queue candidate (story) the document belongs to; the index does not know
    /// it, the HTTP layer fills it in from the store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub query: String,
    /// Documents matching the query and filters (all pages), counted up to `TOTAL_CAP`
    /// unless facets were asked for.
    pub total: usize,
    /// False when `total` is a lower bound: more than `TOTAL_CAP` documents match.
    pub total_exact: bool,
    pub hits: Vec<SearchHit>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
}

/// Above this many matches a search without facets reports "more than TOTAL_CAP" instead of
/// counting them all: the count would cost more than the page (a common word matches most of
/// a million documents), and nobody reads past the first thousands.
pub const TOTAL_CAP: usize = 10_000;

impl SearchIndex {
    /// Searches title and body: all words required; `"a phrase"`, `-word`, `a OR b`.
    pub fn search(&self, query: &str, limit: usize) -> Result<SearchResults, IndexError> {
        self.search_with(&SearchRequest {
            query: query.to_string(),
            limit,
            snippets: true,
            ..SearchRequest::default()
        })
    }

    pub fn search_with(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        let bad = |reason: String| IndexError::BadQuery {
            query: req.query.clone(),
            reason,
        };
        // An empty query lists a story's coverage; elsewhere it is a mistake.
        let browsing = req.query.trim().is_empty();
        if browsing && req.documents.is_none() {
            return Err(bad("the query is empty".into()));
        }
        let cursor = req
            .after
            .as_deref()
            .map(|c| parse_cursor(c, req.sort))
            .transpose()
            .map_err(bad)?;
        let f = self.fields;
        let parser = self.parser();
        // Words ending in `*` are prefixes: the query parser has no single-word prefix, so
        // they become term-dictionary range queries of their own.
        let (rest, prefixes) = split_prefixes(&req.query).map_err(bad)?;
        let text: Box<dyn Query> = if rest.trim().is_empty() {
            Box::new(AllQuery)
        } else {
            parser.parse_query(&rest).map_err(|e| bad(e.to_string()))?
        };
        // A quoted phrase alone: its words with their offsets, and the pairs of its adjacent
        // common words, through which every pass matches it (`phrase.rs`).
        let phrase = self.plain_phrase(&rest, &*text);
        let pairs = match &phrase {
            Some(words) if self.phrase_pairs => crate::pairs::terms_of_phrase(words, f.pairs),
            _ => Vec::new(),
        };
        let text: Box<dyn Query> = match &phrase {
            Some(words) if !pairs.is_empty() => Box::new(PairedPhrase {
                phrase: words.clone(),
                pairs: pairs.clone(),
            }),
            _ => text,
        };
        let mut query = self.with_documents(text.box_clone(), req);
        for prefix in &prefixes {
            // Every term that starts with the prefix sorts in [prefix, prefix + U+10FFFF).
            let upper = format!("{prefix}\u{10FFFF}");
            let words = RangeQuery::new(
                Bound::Included(Term::from_field_text(f.text, prefix)),
                Bound::Excluded(Term::from_field_text(f.text, &upper)),
            );
            query = Box::new(BooleanQuery::new(vec![
                (Occur::Must, query),
                (Occur::Must, Box::new(words) as Box<dyn Query>),
            ]));
        }
        if !req.mentions.is_empty() {
            // Quotes inside a name cannot be expressed in the query language; drop them.
            let any: Vec<String> = req
                .mentions
                .iter()
                .map(|m| format!("\"{}\"", m.replace('"', " ")))
                .collect();
            let mentions = parser
                .parse_query(&any.join(" OR "))
                .map_err(|e| bad(format!("mentions: {e}")))?;
            query = Box::new(BooleanQuery::new(vec![
                (Occur::Must, query),
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(mentions, 0.0)) as Box<dyn Query>,
                ),
            ]));
        }

        let secs = |t: OffsetDateTime| t.unix_timestamp();
        let filter = DocFilter {
            kinds: req.kinds.clone(),
            outlets: req.outlets.clone(),
            from: req.from.map(secs),
            until: req.until.map(secs),
        };
        let limit = req.limit.max(1);
        let searcher = self.reader.searcher();
        self.columns.prune(&searcher);
        let top = TopByKey {
            limit,
            sort: req.sort,
            cursor,
            filter: filter.clone(),
        };
        // A quoted phrase alone, by relevance: one pass gives the page and the count.
        let phrase = phrase.filter(|_| {
            req.sort == SortOrder::Relevance
                && !req.facets
                && prefixes.is_empty()
                && req.mentions.is_empty()
                && req.documents.is_none()
        });
        let (page, total, total_exact, facets) = if let Some(phrase) = phrase {
            let (page, counted) =
                top.search_phrase(&searcher, &phrase, &pairs, &self.columns, TOTAL_CAP + 1)?;
            (page, counted.min(TOTAL_CAP), counted <= TOTAL_CAP, None)
        } else {
            let page = top.search(&searcher, &*query, &self.columns)?;
            let (total, total_exact, facets) = self.count(&searcher, &*query, req, filter)?;
            (page, total, total_exact, facets)
        };
        let sort = req.sort;
        let next_cursor = (page.len() == limit)
            .then(|| page.last().map(|(k, _)| format_cursor(sort, *k)))
            .flatten();

        let snippets = if req.snippets {
            Some(self.highlighter(&searcher, &*text)?)
        } else {
            None
        };
        let mut hits = Vec::with_capacity(page.len());
        for (key, addr) in page {
            let columns = self.columns.of(searcher.segment_reader(addr.segment_ord))?;
            let d = addr.doc_id as usize;
            let bytes = columns.store.get_document_bytes(addr.doc_id)?;
            // The stored strings as slices of the block (`stored.rs`), or through tantivy
            // should the layout ever be one `stored::parse` does not know.
            let full: TantivyDocument;
            let fields = match stored::parse(bytes.as_slice()) {
                Some(fields) => fields,
                None => {
                    full = searcher.doc(addr)?;
                    full.field_values()
                        .filter_map(|(field, v)| v.as_str().map(|s| (field, s)))
                        .collect()
                }
            };
            let text = |field| fields.iter().find(|(f, _)| *f == field).map(|(_, v)| *v);
            let owned = |field| text(field).unwrap_or_default().to_string();
            hits.push(SearchHit {
                doc_id: columns.ids[d] as i64,
                score: if sort == SortOrder::Relevance {
                    key.0 as f32
                } else {
                    0.0
                },
                title: owned(f.title),
                url: text(f.url).map(str::to_string),
                outlet: owned(f.outlet),
                kind: owned(f.kind),
                source_id: owned(f.source_id),
                published_at: Some(columns.dates[d])
                    .filter(|&t| t != UNDATED)
                    .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
                    .and_then(|t| {
                        t.format(&time::format_description::well_known::Rfc3339)
                            .ok()
                    }),
                // No body here holds a player's fallback text: the index is built from the
                // store's documents, which are read without it, and an index of a schema
                // before that (4 and older) is rebuilt when opened.
                snippet_html: snippets
                    .as_ref()
                    .map(|g| g.html(text(f.body).unwrap_or("")))
                    .unwrap_or_default(),
                candidate_id: None,
            });
        }
        Ok(SearchResults {
            query: req.query.clone(),
            total,
            total_exact,
            hits,
            next_cursor,
            facets,
        })
    }

    /// The query language's parser: title and body, all words required.
    fn parser(&self) -> QueryParser {
        let mut parser = QueryParser::new(
            self.index.schema(),
            vec![self.fields.text],
            self.query_tokenizers.clone(),
        );
        parser.set_conjunction_by_default();
        parser
    }

    /// The total of a results page, and the facets when asked for. Facets need every match
    /// anyway, so they give the exact total; without them the count stops at TOTAL_CAP (see
    /// `SearchResults::total_exact`).
    fn count(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        req: &SearchRequest,
        filter: DocFilter,
    ) -> Result<(usize, bool, Option<Facets>), IndexError> {
        Ok(if req.facets {
            let facets = FacetCollector {
                filter,
                columns: self.columns.clone(),
            };
            let (facets, matched) = searcher.search(query, &facets)?;
            (matched, true, Some(facets))
        } else {
            let counted = count_up_to(searcher, query, TOTAL_CAP + 1, &filter, &self.columns)?;
            (counted.min(TOTAL_CAP), counted <= TOTAL_CAP, None)
        })
    }

    /// The words of `parsed` with their offsets when the query is one quoted phrase without
    /// slop, as `TopByKey::search_phrase` takes them. tantivy does not give a phrase query's
    /// offsets back, so they are built again from the text as the query parser builds them
    /// (the same tokenizer, a token's position as its offset) and used only when the query
    /// built from them is the parser's.
    fn plain_phrase(&self, text: &str, parsed: &dyn Query) -> Option<Vec<(usize, Term)>> {
        let parsed = parsed.downcast_ref::<PhraseQuery>()?;
        let inner = text.trim().strip_prefix('"')?.strip_suffix('"')?;
        if inner.contains('"') {
            return None;
        }
        let mut analyzer = self.query_tokenizers.get(TEXT_TOKENIZER)?;
        let mut words = Vec::new();
        analyzer.token_stream(inner).process(&mut |token| {
            words.push((
                token.position,
                Term::from_field_text(self.fields.text, &token.text),
            ));
        });
        if words.len() < 2 {
            return None;
        }
        words.sort_by_key(|(offset, _)| *offset);
        let rebuilt = PhraseQuery::new_with_offset(words.clone());
        (format!("{rebuilt:?}") == format!("{parsed:?}")).then_some(words)
    }

    /// Highlights the query's terms of the `text` field, weighted 1 / (1 + document
    /// frequency) as tantivy's snippets weigh them.
    fn highlighter(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
    ) -> Result<Highlighter, IndexError> {
        let mut terms: Vec<Term> = Vec::new();
        query.query_terms(&mut |term, _| {
            if term.field() == self.fields.text {
                terms.push(term.clone());
            }
        });
        let mut weighted = std::collections::HashMap::new();
        for term in terms {
            let Some(text) = term.value().as_str().map(str::to_string) else {
                continue;
            };
            let df = searcher.doc_freq(&term)?;
            if df > 0 {
                weighted.insert(text, 1.0 / (1.0 + df as f32));
            }
        }
        Ok(Highlighter::new(weighted))
    }

    /// The text query narrowed to the request's store documents, if it names them (a
    /// story's coverage: the few documents drive the search). The other filters are
    /// `DocFilter`s.
    fn with_documents(&self, text: Box<dyn Query>, req: &SearchRequest) -> Box<dyn Query> {
        let Some(ids) = &req.documents else {
            return text;
        };
        let terms = ids
            .iter()
            .filter_map(|id| u64::try_from(*id).ok())
            .map(|id| Term::from_field_u64(self.fields.doc_id, id));
        // Scores nothing, so it does not change the ranking.
        let documents = ConstScoreQuery::new(Box::new(TermSetQuery::new(terms)), 0.0);
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, text),
            (Occur::Must, Box::new(documents) as Box<dyn Query>),
        ]))
    }
}

/// Splits the words that end in `*` (outside quotes) off the query, in the form the index
/// keeps terms in (normalised, Thai digits folded, lower case).
fn split_prefixes(query: &str) -> Result<(String, Vec<String>), String> {
    let mut rest = String::new();
    let mut prefixes = Vec::new();
    let mut in_quotes = false;
    let mut word = String::new();
    let flush = |word: &mut String, rest: &mut String, prefixes: &mut Vec<String>| {
        if let Some(stem) = word.strip_suffix('*') {
            if stem.starts_with('-') {
                return Err(format!("the prefix {word} cannot be excluded"));
            }
            let stem = praden_thai::matching_form(stem.trim_start_matches('+')).to_lowercase();
            if stem.chars().count() < 2 {
                return Err(format!(
                    "the prefix {word} is too short (at least 2 letters)"
                ));
            }
            prefixes.push(stem);
        } else {
            rest.push_str(word);
        }
        word.clear();
        Ok(())
    };
    for c in query.chars() {
        if c == '"' {
            in_quotes = !in_quotes;
        }
        if c.is_whitespace() && !in_quotes {
            flush(&mut word, &mut rest, &mut prefixes)?;
            rest.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut rest, &mut prefixes)?;
    if !prefixes.is_empty() && rest.split_whitespace().any(|w| w == "OR") {
        return Err("a prefix (word*) is always required; it cannot be one side of an OR".into());
    }
    Ok((rest, prefixes))
}

/// Opaque to clients: the sort order, then the last key of the page, in hex.
fn format_cursor(sort: SortOrder, (primary, tie): SortKey) -> String {
    format!("{}{:016x}{:016x}", sort.tag(), primary.to_bits(), tie)
}

fn parse_cursor(s: &str, sort: SortOrder) -> Result<SortKey, String> {
    let invalid =
        || format!("invalid cursor {s:?}: pass the next_cursor of the previous page unchanged");
    let mut chars = s.chars();
    let tag = chars.next().ok_or_else(invalid)?;
    let hex = chars.as_str();
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    if tag != sort.tag() {
        return Err(format!(
            "the cursor {s:?} belongs to another sort order; start again from the first page"
        ));
    }
    let primary = u64::from_str_radix(&hex[..16], 16).map_err(|_| invalid())?;
    let tie = u64::from_str_radix(&hex[16..], 16).map_err(|_| invalid())?;
    Ok((f64::from_bits(primary), tie))
}

#[cfg(test)]
mod tests {
    use crate::SearchIndex;

    #[test]
    fn only_a_quoted_phrase_alone_takes_the_phrase_pass() {
        let index = SearchIndex::in_memory().unwrap();
        let phrase_pass = |q: &str| {
            let parsed = index.parser().parse_query(q).unwrap();
            index.plain_phrase(q, &*parsed).is_some()
        };
        assert!(phrase_pass("\"ค่าไฟฟ้า งวดใหม่\""));
        assert!(phrase_pass(" \"ราคา น้ำมัน ดีเซล\" "));
        // One word is a term query; slop, other words or a second phrase take the general pass.
        assert!(!phrase_pass("\"ค่าไฟฟ้า\""));
        assert!(!phrase_pass("\"ค่าไฟฟ้า งวดใหม่\"~2"));
        assert!(!phrase_pass("ค่าไฟฟ้า งวดใหม่"));
        assert!(!phrase_pass("\"ค่าไฟฟ้า งวดใหม่\" แพง"));
        assert!(!phrase_pass("\"ค่าไฟฟ้า งวดใหม่\" \"ราคา น้ำมัน\""));
    }
}
