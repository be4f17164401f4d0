use crate::tokenizer::{PAIRS_TOKENIZER, TEXT_TOKENIZER};
use crate::IndexError;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};

/// Bump when the schema or the tokenizers change in a way that needs a rebuild.
pub const SCHEMA_VERSION: u32 = 5;

pub fn build() -> Schema {
    let mut b = Schema::builder();
    // Positions are needed because a Thai query word can segment into several tokens.
    let indexed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TEXT_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    b.add_u64_field("doc_id", INDEXED | STORED | FAST);
    // What a query matches: the title twice (a title word weighs more), then the body, in
    // one field. One field keeps a query of several words a plain intersection of term
    // postings, which tantivy prunes by block maxima; a word as an OR of a title and a body
    // term made every multi-word query score every document that has all its words.
    b.add_text_field("text", indexed.clone());
    // The title alone, for `title:` queries.
    b.add_text_field("title", indexed.set_stored());
    b.add_text_field("body", STORED);
    b.add_text_field("url", STORED);
    b.add_text_field("outlet", STRING | STORED | FAST);
    b.add_text_field("kind", STRING | STORED | FAST);
    b.add_text_field("source_id", STRING | STORED);
    b.add_date_field("published_at", INDEXED | STORED | FAST);
    // Adjacent pairs of common words of the same values as `text` (`pairs.rs`), for quoted
    // phrases: with positions, so that a phrase of three or more common words compares its
    // pairs' few positions instead of its words' many; no fieldnorms (a phrase is scored on
    // `text`'s).
    // Last, so that tantivy tokenizes it after `text` and `title` and finds their tokens
    // (`tokenizer.rs`).
    b.add_text_field(
        "pairs",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(PAIRS_TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions)
                .set_fieldnorms(false),
        ),
    );
    b.build()
}

#[derive(Clone, Copy)]
pub struct Fields {
    pub doc_id: Field,
    pub text: Field,
    pub title: Field,
    pub body: Field,
    pub url: Field,
    pub outlet: Field,
    pub kind: Field,
    pub source_id: Field,
    pub published_at: Field,
    pub pairs: Field,
}

impl Fields {
    pub fn from_schema(schema: &Schema) -> Result<Self, IndexError> {
        let f = |name: &str| {
            schema.get_field(name).map_err(|_| {
                IndexError::Tantivy(tantivy::TantivyError::SchemaError(format!(
                    "the index on disk has no field {name:?}: it was built by another version; \
                     delete the index directory and praden rebuilds it from the store"
                )))
            })
        };
        Ok(Self {
            doc_id: f("doc_id")?,
            text: f("text")?,
            title: f("title")?,
            body: f("body")?,
            url: f("url")?,
            outlet: f("outlet")?,
            kind: f("kind")?,
            source_id: f("source_id")?,
            published_at: f("published_at")?,
            pairs: f("pairs")?,
        })
    }
}
