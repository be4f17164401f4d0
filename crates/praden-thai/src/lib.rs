//! Thai text engine for praden: normalisation, word segmentation and the tantivy
//! tokenizer.
//!
//! * [`normalize`] / [`matching_form`]: stored form and matching form of text.
//! * [`Segmenter`]: splits text into words with lindera's lattice over a Thai
//!   dictionary compiled from `dict/` at build time (no IO after start, no network).
//! * [`ThaiTokenizer`]: a `tantivy_tokenizer_api::Tokenizer`, query-time
//!   ([`TOKENIZER_NAME`]) and index-time with compound sub-words ([`INDEX_TOKENIZER_NAME`]).
//! * [`tokenize_stream`]: the `praden tokenize` line contract.
//!
//! ```
//! let seg = praden_thai::Segmenter::new();
//! let text = "นายกรัฐมนตรีเดินทางไปทำเนียบรัฐบาล เวลา 10.30 น.";
//! let tokens = seg.segment(text);
//! assert_eq!(tokens.concat(), text);
//! assert!(tokens.contains(&"10.30"));
//! ```

// build.rs uses the constants the library does not.
#[allow(dead_code)]
mod costs;
mod dictionary;
mod normalize;
mod prepass;
mod segmenter;
mod stream;
mod thai;
mod tokenizer;

pub use normalize::{is_matching_form, matching_form, normalize};
pub use segmenter::{Error, Segmenter, Span, TokenKind};
pub use stream::{tokenize_stream, Stats};
pub use tokenizer::{
    Compounds, ThaiTokenStream, ThaiTokenizer, INDEX_TOKENIZER_NAME, TOKENIZER_NAME,
};
