//! The search index. Only this crate and praden-thai use tantivy (see ARCHITECTURE.md).
//!
//! The index follows the store: every indexed document carries its store id, and each commit
//! records in its payload the highest store id it contains (the high-water mark). After a
//! crash, whoever opens the writer catches up from that mark, and re-adding a document replaces
//! it (delete-then-add on the id), so catching up twice duplicates nothing.

mod columns;
mod facets;
mod filter;
mod merges;
mod pairs;
mod phrase;
pub mod priority;
mod schema;
mod search;
mod snippet;
mod stored;
pub mod tokenizer;
mod top;
mod writer;

pub use facets::{FacetCount, Facets};
pub use search::{SearchHit, SearchRequest, SearchResults, SortOrder, TOTAL_CAP};
pub use writer::{
    CommitPolicy, IndexWriterHandle, MAX_INDEXED_BODY_BYTES, MAX_INDEXED_TITLE_BYTES,
};

use schema::Fields;
use std::path::Path;
use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, ReloadPolicy};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot open the search index in {path}: {source}")]
    Open {
        path: String,
        source: tantivy::TantivyError,
    },
    #[error("the search index in {path} is being written by another praden process (its writer lock is held)")]
    Locked { path: String },
    #[error("invalid query “{query}”: {reason}")]
    BadQuery { query: String, reason: String },
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("the index writer has stopped")]
    WriterGone,
}

/// Bytes of stored documents compressed together. A hit's stored fields cost decompressing
/// its whole block, and a block is closed once it passes this size: with tantivy's 16 KB a
/// hit decompressed 16–30 KB where its block was not cached (without the block caches the
/// 1M-document search bench spent 15% more CPU a request). With 4 KB a news article (8 KB
/// on average) is a block of its own and short social posts still share one; the doc store
/// grew 6% (2.25 to 2.39 GB at 1M documents). Indexes made before keep their blocks.
const DOC_STORE_BLOCK_BYTES: usize = 4096;

fn settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_blocksize: DOC_STORE_BLOCK_BYTES,
        ..Default::default()
    }
}

/// An open index: a reader for searching, and the means to start the single writer.
#[derive(Clone)]
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Built once: the query-side tokenizers (see `tokenizer`).
    query_tokenizers: tantivy::tokenizer::TokenizerManager,
    columns: columns::ColumnCache,
    path: String,
    /// The directory of an index on disk (none in memory).
    dir: Option<std::path::PathBuf>,
    /// Whether quoted phrases of common words are matched through the `pairs` field
    /// (`pairs.rs`); off only to compare with matching by positions.
    phrase_pairs: bool,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if the directory holds none.
    pub fn open_or_create(dir: &Path) -> Result<Self, IndexError> {
        let path = dir.display().to_string();
        let open_err = |source| IndexError::Open {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.into()))?;
        let directory = MmapDirectory::open(dir).map_err(|e| open_err(e.into()))?;
        let index = Index::builder()
            .schema(schema::build())
            .settings(settings())
            .open_or_create(directory);
        let stale = match &index {
            Err(tantivy::TantivyError::SchemaError(_)) => true,
            Ok(index) => {
                let metas = index.load_metas().map_err(open_err)?;
                let version = writer::payload_schema_version(metas.payload.as_deref());
                version.is_some_and(|v| v != schema::SCHEMA_VERSION)
            }
            Err(_) => false,
        };
        if stale {
            // The store is the source of truth: an index built with another schema or
            // tokenizer is thrown away and rebuilt from it by the catch-up.
            tracing::warn!(
                path,
                "the search index was built by another version; rebuilding it"
            );
            drop(index);
            std::fs::remove_dir_all(dir).map_err(|e| open_err(e.into()))?;
            return Self::open_or_create(dir);
        }
        let mut opened = Self::from_index(index.map_err(open_err)?, path)?;
        opened.dir = Some(dir.to_path_buf());
        Ok(opened)
    }

    /// An index that lives in memory, for tests and tools.
    pub fn in_memory() -> Result<Self, IndexError> {
        let index = Index::builder()
            .schema(schema::build())
            .settings(settings())
            .create_in_ram()?;
        Self::from_index(index, "(memory)".into())
    }

    fn from_index(index: Index, path: String) -> Result<Self, IndexError> {
        tokenizer::register(&index);
        let fields = Fields::from_schema(&index.schema())?;
        // Commits by another process show up on their own; our own writer also reloads
        // explicitly after each commit so that a document is searchable at once.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            fields,
            query_tokenizers: tokenizer::query_tokenizers(),
            columns: columns::ColumnCache::default(),
            path,
            dir: None,
            phrase_pairs: true,
        })
    }

    /// This index with quoted phrases matched by their words' positions alone, as tantivy's
    /// phrase query does: the reference the `pairs` field is checked against.
    #[doc(hidden)]
    pub fn without_phrase_pairs(mut self) -> Self {
        self.phrase_pairs = false;
        self
    }

    /// The highest store id contained in the last commit (0 for a new index).
    pub fn high_water_mark(&self) -> Result<i64, IndexError> {
        let metas = self.index.load_metas()?;
        Ok(writer::parse_payload(metas.payload.as_deref()))
    }

    /// The store ids of every document visible to searches now, ascending, with repeats
    /// if a store id is indexed twice (which a consistent index never has).
    pub fn indexed_ids(&self) -> Result<Vec<i64>, IndexError> {
        let searcher = self.reader.searcher();
        let mut ids = Vec::with_capacity(searcher.num_docs() as usize);
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().u64("doc_id")?;
            let alive = segment.alive_bitset();
            for doc in 0..segment.max_doc() {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    if let Some(id) = column.first(doc) {
                        ids.push(id as i64);
                    }
                }
            }
        }
        ids.sort_unstable();
        Ok(ids)
    }

    /// Reloads the reader now rather than when the commit is noticed: for a tool that
    /// checks the index right after another process committed.
    pub fn reload(&self) -> Result<(), IndexError> {
        Ok(self.reader.reload()?)
    }

    /// Documents visible to searches now.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The segments searched (as of the last commit the reader has seen).
    pub fn segment_count(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Whether the index's disk has room for a merge of all its segments, which writes a
    /// copy of them before it drops them, and still keeps `reserve` bytes free for the store
    /// that shares the disk: `Err((needed, available))` when it has not. An index in memory
    /// always has room.
    pub fn room_for_full_merge(&self, reserve: u64) -> Result<(), (u64, u64)> {
        let Some(dir) = &self.dir else { return Ok(()) };
        // Every file of the directory: segments, and any a crash left for the next writer to
        // remove, which take disk all the same.
        let size: u64 = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum();
        let needed = size.saturating_add(reserve);
        match fs4::available_space(dir) {
            Ok(available) if available < needed => Err((needed, available)),
            // A disk that cannot be asked is not refused: the merge was the rule before.
            _ => Ok(()),
        }
    }

    /// Starts the one writer of this index on a thread of its own. Fails with
    /// `IndexError::Locked` if another process holds the writer.
    pub fn start_writer(&self, policy: CommitPolicy) -> Result<IndexWriterHandle, IndexError> {
        writer::start(self.clone(), policy)
    }
}
