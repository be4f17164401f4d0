//! The tokenizers of the index, registered in one place, every time an index is opened,
//! because tantivy does not persist tokenizers: an index opened without them fails at the
//! first query.
//!
//! Title and body use praden-thai's segmentation. At index time each compound also yields its
//! dictionary sub-words, so รัฐบาล finds ทำเนียบรัฐบาล; queries use the plain segmentation.
//! tantivy has one tokenizer per field, so the query side is a separate tokenizer manager
//! that maps the same name to the query-time tokenizer.

use tantivy::tokenizer::TokenizerManager;

pub const TEXT_TOKENIZER: &str = "praden_thai";

/// Registers the index-time tokenizers on an opened index.
pub fn register(index: &tantivy::Index) {
    index
        .tokenizers()
        .register(TEXT_TOKENIZER, praden_thai::ThaiTokenizer::for_indexing());
}

/// The tokenizers queries are parsed with.
pub fn query_tokenizers() -> TokenizerManager {
    let manager = TokenizerManager::default();
    manager.register(TEXT_TOKENIZER, praden_thai::ThaiTokenizer::new());
    manager
}

/// The index tokenizer with its tokens in text order, for snippets: tantivy's snippet code
/// assumes offsets only grow.
pub(crate) fn snippet_tokenizer() -> tantivy::tokenizer::TextAnalyzer {
    praden_thai::ThaiTokenizer::for_indexing()
        .in_text_order(true)
        .into()
}
