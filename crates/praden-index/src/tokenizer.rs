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
//!
//! The `pairs` field's tokenizer gives the adjacent pairs of common words of the same tokens
//! (`pairs.rs`).

use std::cell::RefCell;

use praden_thai::{Compounds, ThaiTokenStream, ThaiTokenizer};
use tantivy::tokenizer::{Token, Tokenizer, TokenizerManager};

pub const TEXT_TOKENIZER: &str = "praden_thai";
pub(crate) const PAIRS_TOKENIZER: &str = "praden_pairs";

/// Registers the index-time tokenizers on an opened index.
pub fn register(index: &tantivy::Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(TEXT_TOKENIZER, IndexTokenizer::new(false));
    tokenizers.register(PAIRS_TOKENIZER, IndexTokenizer::new(true));
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
    thai_index_tokenizer().in_text_order(true)
}

fn thai_index_tokenizer() -> ThaiTokenizer {
    ThaiTokenizer::for_indexing().compounds(Compounds::Added)
}

thread_local! {
    /// The tokens of the last texts this thread segmented for the index. tantivy indexes a
    /// document's fields one after the other on one thread, and a document gives the same
    /// title to `text` twice, to `title` and to `pairs` twice, and the same body to `text`
    /// and `pairs`: each is segmented once. Every `IndexTokenizer` segments alike (they are
    /// all `thai_index_tokenizer`), so the text alone is the key.
    static RECENT: RefCell<Recent> = RefCell::default();
}

/// The last two texts (a title and a body) with their tokens, the most recent last.
#[derive(Default)]
struct Recent {
    entries: Vec<(String, Vec<Token>)>,
}

impl Recent {
    fn tokens(&mut self, text: &str, thai: &mut ThaiTokenizer) -> &[Token] {
        if let Some(i) = self.entries.iter().position(|(t, _)| t == text) {
            let hit = self.entries.remove(i);
            self.entries.push(hit);
        } else {
            let (mut key, mut tokens) = if self.entries.len() == 2 {
                self.entries.remove(0)
            } else {
                Default::default()
            };
            key.clear();
            key.push_str(text);
            copy_tokens(thai.tokens(text), &mut tokens);
            self.entries.push((key, tokens));
        }
        &self.entries.last().expect("just pushed").1
    }
}

/// `to` becomes a copy of `from`, reusing its strings (a derived `clone_from` allocates).
fn copy_tokens(from: &[Token], to: &mut Vec<Token>) {
    to.truncate(from.len());
    for (t, f) in to.iter_mut().zip(from) {
        t.offset_from = f.offset_from;
        t.offset_to = f.offset_to;
        t.position = f.position;
        t.position_length = f.position_length;
        t.text.clone_from(&f.text);
    }
    let have = to.len();
    to.extend(from[have..].iter().cloned());
}

/// The index-time tokenizer of `text` and `title` (the segmentation with sub-words and
/// compounds) or, with `pairs`, of the `pairs` field.
#[derive(Clone)]
pub(crate) struct IndexTokenizer {
    thai: ThaiTokenizer,
    pairs: bool,
    tokens: Vec<Token>,
}

impl IndexTokenizer {
    fn new(pairs: bool) -> Self {
        Self {
            thai: thai_index_tokenizer(),
            pairs,
            tokens: Vec::new(),
        }
    }
}

impl Tokenizer for IndexTokenizer {
    type TokenStream<'a> = ThaiTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ThaiTokenStream<'a> {
        RECENT.with_borrow_mut(|recent| {
            let tokens = recent.tokens(text, &mut self.thai);
            if self.pairs {
                crate::pairs::tokens_of(tokens, &mut self.tokens);
            } else {
                copy_tokens(tokens, &mut self.tokens);
            }
        });
        ThaiTokenStream::over(&mut self.tokens)
    }
}
