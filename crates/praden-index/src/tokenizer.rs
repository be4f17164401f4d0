//! The tokenizers of the index, registered in one place, every time an index is opened,
//! because tantivy does not persist tokenizers: an index opened without them fails at the
//! first query.
//!
//! Title and body use praden-thai's segmentation. At index time each compound also yields its
//! dictionary sub-words, so รัฐบาล finds ทำเนียบรัฐบาล; queries use the plain segmentation.
//! tantivy has one tokenizer per field, so the query side is a separate tokenizer manager
//! that maps the same name to the query-time tokenizer.
//!
//! Both join compounds (praden_thai::Compounds): the index adds each dictionary word that a
//! run of tokens spells, and a query uses it in place of the run, so ค่าไฟฟ้า (ค่า|ไฟฟ้า) is
//! one term, not a phrase of two very common words.

use praden_thai::{Compounds, ThaiTokenizer};
use tantivy::tokenizer::TokenizerManager;

pub const TEXT_TOKENIZER: &str = "praden_thai";

/// Registers the index-time tokenizers on an opened index.
pub fn register(index: &tantivy::Index) {
    index
        .tokenizers()
        .register(TEXT_TOKENIZER, index_tokenizer());
}

/// The tokenizers queries are parsed with.
pub fn query_tokenizers() -> TokenizerManager {
    let manager = TokenizerManager::default();
    manager.register(
        TEXT_TOKENIZER,
        ThaiTokenizer::new().compounds(Compounds::Instead),
    );
    manager
}

/// The index tokenizer with its tokens in text order, for snippets (`snippet.rs`).
pub(crate) fn snippet_tokenizer() -> ThaiTokenizer {
    index_tokenizer().in_text_order(true)
}

fn index_tokenizer() -> ThaiTokenizer {
    ThaiTokenizer::for_indexing().compounds(Compounds::Added)
}
