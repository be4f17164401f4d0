use crate::{on_pool, Store, StoreError};
use praden_core::{Document, NewDocument, SourceKind};
use time::OffsetDateTime;

/// What happened to a batch of documents offered to the store.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct InsertOutcome {
    /// Ids of the documents that were new, in the order offered.
    pub inserted: Vec<i64>,
    /// How many were already stored (same item key) and so left untouched.
    pub existing: usize,
}

#[derive(sqlx::FromRow)]
pub(crate) struct DocumentRow {
    id: i64,
    source_id: String,
    kind: String,
    outlet: String,
    url: Option<String>,
    item_key: String,
    title: String,
    body: String,
    published_at: Option<OffsetDateTime>,
    fetched_at: OffsetDateTime,
    content_hash: String,
    language: String,
}

impl TryFrom<DocumentRow> for Document {
    type Error = StoreError;
    fn try_from(r: DocumentRow) -> Result<Self, StoreError> {
        let kind: SourceKind = r
            .kind
            .parse()
            .map_err(|e: praden_core::UnknownSourceKind| StoreError::CorruptRow {
                table: "documents",
                id: r.id,
                reason: e.to_string(),
            })?;
        Ok(Document {
            id: r.id,
            doc: NewDocument {
                source_id: r.source_id,
                kind,
                outlet: r.outlet,
                url: r.url,
                item_key: r.item_key,
                title: r.title,
                body: r.body,
                published_at: r.published_at,
                fetched_at: r.fetched_at,
                content_hash: r.content_hash,
                language: r.language,
            },
        })
    }
}

const INSERT_DOCUMENT: &str = "INSERT INTO documents \
    (source_id, kind, outlet, url, item_key, title, body, published_at, fetched_at, content_hash, language) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
    ON CONFLICT (item_key) DO NOTHING RETURNING id";

/// Links a new document to the first stored copy of the same text, if there is one.
const LINK_EXACT_DUPLICATE: &str = "UPDATE documents SET duplicate_of = \
    (SELECT MIN(d.id) FROM documents d WHERE d.content_hash = $1 AND d.id < $2) WHERE id = $2";

/// One outlet's copy of a story.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DocumentCopy {
    pub id: i64,
    pub source_id: String,
    pub outlet: String,
    pub url: Option<String>,
    pub published_at: Option<OffsetDateTime>,
    pub fetched_at: OffsetDateTime,
}

/// The stored document that holds an item key: which outlet it is from and the first copy of
/// its story it is linked to, if any.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyHolder {
    pub item_key: String,
    pub id: i64,
    pub outlet: String,
    pub duplicate_of: Option<i64>,
}

/// A stored document's near-duplicate fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Fingerprint {
    pub id: i64,
    pub outlet: String,
    pub simhash: i64,
    pub duplicate_of: Option<i64>,
}

pub(crate) const SELECT_DOCUMENT: &str =
    "SELECT id, source_id, kind, outlet, url, item_key, title, body, \
    published_at, fetched_at, content_hash, language FROM documents";

impl Store {
    /// Stores the documents that are new, in one transaction; a document whose item key is
    /// already stored is left as it is, so offering the same item twice is a no-op.
    pub async fn insert_documents(
        &self,
        docs: &[NewDocument],
    ) -> Result<InsertOutcome, StoreError> {
        let mut outcome = InsertOutcome::default();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for d in docs {
                let id: Option<i64> = sqlx::query_scalar(INSERT_DOCUMENT)
                    .bind(&d.source_id)
                    .bind(d.kind.as_str())
                    .bind(&d.outlet)
                    .bind(&d.url)
                    .bind(&d.item_key)
                    .bind(&d.title)
                    .bind(&d.body)
                    .bind(d.published_at)
                    .bind(d.fetched_at)
                    .bind(&d.content_hash)
                    .bind(&d.language)
                    .fetch_optional(&mut *tx)
                    .await?;
                match id {
                    Some(id) => {
                        sqlx::query(LINK_EXACT_DUPLICATE)
                            .bind(&d.content_hash)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        outcome.inserted.push(id)
                    }
                    None => outcome.existing += 1,
                }
            }
            tx.commit().await?;
        });
        Ok(outcome)
    }

    /// Every stored copy of the story that document `id` belongs to (the first copy and the
    /// ones linked to it), oldest first; empty if there is no such document.
    pub async fn copies_of(&self, id: i64) -> Result<Vec<DocumentCopy>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, source_id, outlet, url, published_at, fetched_at FROM documents \
                 WHERE id = (SELECT COALESCE(duplicate_of, id) FROM documents WHERE id = $1) \
                 OR duplicate_of = (SELECT COALESCE(duplicate_of, id) FROM documents WHERE id = $1) \
                 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Fingerprints of the documents fetched since `since`, oldest first: the candidates a new
    /// document may be a near-duplicate of.
    pub async fn recent_fingerprints(
        &self,
        since: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<Fingerprint>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, outlet, simhash, duplicate_of FROM documents \
                 WHERE simhash IS NOT NULL AND fetched_at >= $1 ORDER BY id LIMIT $2",
            )
            .bind(since)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Records a document's fingerprint and, if it is a near-duplicate, the first copy it
    /// belongs to (an exact-duplicate link already made is kept).
    pub async fn set_fingerprint(
        &self,
        id: i64,
        simhash: i64,
        duplicate_of: Option<i64>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE documents SET simhash = $2, duplicate_of = COALESCE(duplicate_of, $3) \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(simhash)
            .bind(duplicate_of)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Which of `item_keys` are already stored: an HTML source fetches only the article pages
    /// it does not have yet.
    pub async fn existing_item_keys(
        &self,
        item_keys: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut found = std::collections::HashSet::new();
        on_pool!(self, pool => {
            for key in item_keys {
                let hit: Option<String> =
                    sqlx::query_scalar("SELECT item_key FROM documents WHERE item_key = $1")
                        .bind(key)
                        .fetch_optional(pool)
                        .await?;
                found.extend(hit);
            }
        });
        Ok(found)
    }

    /// The stored documents that hold these item keys (keys not stored are absent): the
    /// ingester checks whose a listed URL is before storing another outlet's copy of it.
    pub async fn item_key_holders(
        &self,
        item_keys: &[String],
    ) -> Result<std::collections::HashMap<String, KeyHolder>, StoreError> {
        let mut found = std::collections::HashMap::new();
        on_pool!(self, pool => {
            for key in item_keys {
                let hit: Option<KeyHolder> = sqlx::query_as(
                    "SELECT item_key, id, outlet, duplicate_of FROM documents WHERE item_key = $1",
                )
                .bind(key)
                .fetch_optional(pool)
                .await?;
                if let Some(h) = hit {
                    found.insert(h.item_key.clone(), h);
                }
            }
        });
        Ok(found)
    }

    /// Links the document holding `item_key` to `first_copy` as a copy of the same story,
    /// unless it is linked already (an exact-text link made on insert stays) or is that copy.
    pub async fn link_duplicate(&self, item_key: &str, first_copy: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE documents SET duplicate_of = COALESCE(duplicate_of, $2) \
                 WHERE item_key = $1 AND id <> $2",
            )
            .bind(item_key)
            .bind(first_copy)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Documents with an id above `after_id`, oldest first: how the search index follows the
    /// store.
    pub async fn documents_after(
        &self,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<Document>, StoreError> {
        let sql = format!("{SELECT_DOCUMENT} WHERE id > $1 ORDER BY id LIMIT $2");
        let rows: Vec<DocumentRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(after_id).bind(limit).fetch_all(pool).await?
        });
        rows.into_iter().map(Document::try_from).collect()
    }

    pub async fn document(&self, id: i64) -> Result<Option<Document>, StoreError> {
        let sql = format!("{SELECT_DOCUMENT} WHERE id = $1");
        let row: Option<DocumentRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.map(Document::try_from).transpose()
    }

    /// The first document fetched at or after `since`: where a job that rebuilds a time
    /// window starts reading.
    pub async fn first_document_fetched_since(
        &self,
        since: OffsetDateTime,
    ) -> Result<Option<i64>, StoreError> {
        let id: Option<i64> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT MIN(id) FROM documents WHERE fetched_at >= $1")
            .bind(since)
            .fetch_one(p)
            .await?);
        Ok(id)
    }

    pub async fn count_documents(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM documents").fetch_one(pool).await?
        }))
    }

    /// The highest document id, 0 when there is none.
    pub async fn max_document_id(&self) -> Result<i64, StoreError> {
        let max: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT MAX(id) FROM documents").fetch_one(pool).await?
        });
        Ok(max.unwrap_or(0))
    }
}
