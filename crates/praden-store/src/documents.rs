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
    /// Where each new document was in the batch offered, aligned with `inserted`: the caller
    /// goes on with the documents it holds instead of reading them back.
    pub positions: Vec<usize>,
}

/// A page of documents in commit order, and the place of its last one (the `after` asked
/// for when the page is empty): where the follower goes on from.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CommittedPage {
    pub documents: Vec<Document>,
    pub through: i64,
}

#[derive(sqlx::FromRow)]
struct PlacedRow {
    seq: i64,
    #[sqlx(flatten)]
    row: DocumentRow,
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
    backfill: bool,
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
                // Documents stored before players' fallback text was left out still hold it.
                body: match praden_core::document::without_player_fallbacks(&r.body) {
                    std::borrow::Cow::Borrowed(_) => r.body,
                    std::borrow::Cow::Owned(clean) => clean,
                },
                published_at: r.published_at,
                fetched_at: r.fetched_at,
                content_hash: r.content_hash,
                language: r.language,
                backfill: r.backfill,
            },
        })
    }
}

/// Inserts a document unless its item key is stored, linking it to the first stored copy of
/// the same text (same content hash) in the same statement.
///
/// `WHERE NOT EXISTS` keeps a re-offered item from taking an id: both SQLite's
/// AUTOINCREMENT and PostgreSQL's identity draw the next id before `ON CONFLICT` finds the
/// clash, so each no-op re-import used to burn as many ids as it had lines. `ON CONFLICT`
/// stays for the race of two writers inserting the same new key.
const INSERT_DOCUMENT: &str = "INSERT INTO documents \
    (source_id, kind, outlet, url, item_key, title, body, published_at, fetched_at, content_hash, \
     language, backfill, duplicate_of) \
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
        (SELECT MIN(d.id) FROM documents d WHERE d.content_hash = $10) \
    WHERE NOT EXISTS (SELECT 1 FROM documents e WHERE e.item_key = $5) \
    ON CONFLICT (item_key) DO NOTHING RETURNING id";

/// A page of documents in id order (after `SELECT_DOCUMENT`).
const AFTER_ID: &str = "WHERE id > $1 ORDER BY id LIMIT $2";
/// Takes the places of `$1` new documents in commit order (see the migration
/// `20261211000001_nodes`): the last write of an inserting transaction, so the counter's row
/// lock makes transactions commit in the order of their places.
const TAKE_PLACES: &str = "UPDATE document_seq SET last = last + $1 RETURNING last";
/// Numbers this transaction's new documents from `$1 + 1` in id order. Its own rows are the
/// only unnumbered ones it can see: every committed document has its place, and other
/// transactions' uncommitted rows are invisible to it.
const NUMBER_NEW: &str = "UPDATE documents SET seq = $1 + r.n \
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM documents WHERE seq IS NULL) AS r \
    WHERE documents.id = r.id";
/// Which item keys are stored (HTML sources, teaser feeds).
const ITEM_KEY_STORED: &str = "SELECT item_key FROM documents WHERE item_key = $1";
/// The fingerprints a new document may be a near-duplicate of. Ordered by fetch time so the
/// window is read from the `fetched_at` index; `ORDER BY id` let both databases walk the
/// whole table in id order looking for the recent rows, which sit at its end.
const RECENT_FINGERPRINTS: &str = "SELECT id, outlet, simhash, duplicate_of FROM documents \
    WHERE simhash IS NOT NULL AND fetched_at >= $1 ORDER BY fetched_at, id LIMIT $2";

/// `text` without NUL characters, which PostgreSQL cannot store in text: one in a feed
/// item failed every insert of its poll, so the feed's other items never got in. Both
/// backends drop them, so a document reads the same from either.
fn storable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        std::borrow::Cow::Owned(text.replace('\0', ""))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

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
    published_at, fetched_at, content_hash, language, backfill FROM documents";

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
            for (position, d) in docs.iter().enumerate() {
                let id: Option<i64> = sqlx::query_scalar(INSERT_DOCUMENT)
                    .bind(storable(&d.source_id))
                    .bind(d.kind.as_str())
                    .bind(storable(&d.outlet))
                    .bind(d.url.as_deref().map(storable))
                    .bind(storable(&d.item_key))
                    .bind(storable(&d.title))
                    .bind(storable(&d.body))
                    .bind(d.published_at)
                    .bind(d.fetched_at)
                    .bind(&d.content_hash)
                    .bind(&d.language)
                    .bind(d.backfill)
                    .fetch_optional(&mut *tx)
                    .await?;
                match id {
                    Some(id) => {
                        outcome.inserted.push(id);
                        outcome.positions.push(position);
                    }
                    None => outcome.existing += 1,
                }
            }
            let new = outcome.inserted.len() as i64;
            if new > 0 {
                let last: i64 = sqlx::query_scalar(TAKE_PLACES)
                    .bind(new)
                    .fetch_one(&mut *tx)
                    .await?;
                let numbered = sqlx::query(NUMBER_NEW)
                    .bind(last - new)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if numbered != new as u64 {
                    // Rolled back: a document without its place would never be followed.
                    return Err(StoreError::CorruptRow {
                        table: "documents",
                        id: outcome.inserted[0],
                        reason: format!(
                            "{numbered} unnumbered documents where this batch stored {new}"
                        ),
                    });
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
        let mut found: Vec<Fingerprint> = on_pool!(self, pool => {
            sqlx::query_as(RECENT_FINGERPRINTS)
            .bind(since)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        found.sort_by_key(|f| f.id);
        Ok(found)
    }

    /// Records documents' fingerprints, as `(id, simhash, first copy)`: for a near-duplicate,
    /// the first copy it belongs to (an exact-duplicate link already made is kept). One
    /// transaction for them all: a commit per document cost a bulk import most of its speed.
    pub async fn set_fingerprints(
        &self,
        prints: &[(i64, i64, Option<i64>)],
    ) -> Result<(), StoreError> {
        if prints.is_empty() {
            return Ok(());
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for &(id, simhash, duplicate_of) in prints {
                sqlx::query(
                    "UPDATE documents SET simhash = $2, duplicate_of = COALESCE(duplicate_of, $3) \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(simhash)
                .bind(duplicate_of)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
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
                    sqlx::query_scalar(ITEM_KEY_STORED)
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
        let sql = format!("{SELECT_DOCUMENT} {AFTER_ID}");
        let rows: Vec<DocumentRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(after_id).bind(limit).fetch_all(pool).await?
        });
        rows.into_iter().map(Document::try_from).collect()
    }

    /// Documents in the order their transactions committed: those placed after `after` and
    /// at most at `through`, at most `limit`. How the index, the detector and the
    /// clarifications job follow the store: a document committed late still comes after
    /// every place a follower has read (ids do not give that on PostgreSQL).
    pub async fn documents_committed(
        &self,
        after: i64,
        through: i64,
        limit: i64,
    ) -> Result<CommittedPage, StoreError> {
        const SQL: &str = "SELECT seq, id, source_id, kind, outlet, url, item_key, title, body, \
            published_at, fetched_at, content_hash, language, backfill FROM documents \
            WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3";
        let rows: Vec<PlacedRow> = on_pool!(self, pool => {
            sqlx::query_as(SQL).bind(after).bind(through).bind(limit).fetch_all(pool).await?
        });
        let through = rows.last().map_or(after, |r| r.seq);
        let documents = rows
            .into_iter()
            .map(|r| Document::try_from(r.row))
            .collect::<Result<_, _>>()?;
        Ok(CommittedPage { documents, through })
    }

    /// The ids of the documents placed at most at `through`, ascending: what an index whose
    /// mark is `through` must hold (8 bytes a document, 24 MB at 3M).
    pub async fn document_ids_through(&self, through: i64) -> Result<Vec<i64>, StoreError> {
        // Sorted here, not by the database: with `ORDER BY id` SQLite walks the table itself
        // (every row's text, 7 GB at 1M documents, ~20 s of CPU at each start) instead of
        // the covering index on `seq`, which holds the ids (0.2 s).
        let mut ids: Vec<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM documents WHERE seq <= $1")
                .bind(through)
                .fetch_all(pool)
                .await?
        });
        ids.sort_unstable();
        Ok(ids)
    }

    /// The last place taken in commit order (0 before the first document): where a follower
    /// that has read everything stands.
    pub async fn last_document_place(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT last FROM document_seq").fetch_one(pool).await?
        }))
    }

    /// How many documents are placed after `after`, counting at most `cap`: how far a
    /// follower is behind.
    pub async fn documents_placed_after(&self, after: i64, cap: i64) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM (SELECT 1 FROM documents WHERE seq > $1 LIMIT $2) AS behind",
            )
            .bind(after)
            .bind(cap)
            .fetch_one(pool)
            .await?
        }))
    }

    /// Documents with ids from `from` to `to` inclusive, oldest first, at most `limit`:
    /// how the index repair re-reads a run of documents it lacks.
    pub async fn documents_between(
        &self,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<Document>, StoreError> {
        let sql = format!("{SELECT_DOCUMENT} WHERE id >= $1 AND id <= $2 ORDER BY id LIMIT $3");
        let rows: Vec<DocumentRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(from).bind(to).bind(limit).fetch_all(pool).await?
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

    /// The first place (in commit order) of a document fetched at or after `since`: where a
    /// job that rebuilds a time window starts reading.
    pub async fn first_place_fetched_since(
        &self,
        since: OffsetDateTime,
    ) -> Result<Option<i64>, StoreError> {
        let id: Option<i64> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT MIN(seq) FROM documents WHERE fetched_at >= $1")
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

/// Every statement on the ingest and indexing path must be answered from an index on both
/// backends: a table scan there costs nothing in a test and everything at a million rows
/// (PostgreSQL's walk of the primary key filtered by content hash made imports 50× slower
/// than SQLite's). Checked on a table with real statistics; PostgreSQL with sequential scans
/// discouraged, so that a plan that could only scan shows it.
#[cfg(test)]
mod plans {
    use super::*;
    use crate::testing::TestPostgres;

    /// `sql` with `$N` replaced by the literals, highest N first (so $1 does not eat $10).
    fn with_literals(sql: &str, literals: &[&str]) -> String {
        let mut s = sql.to_string();
        for (i, lit) in literals.iter().enumerate().rev() {
            s = s.replace(&format!("${}", i + 1), lit);
        }
        s
    }

    fn hot_statements() -> Vec<(&'static str, String, Option<&'static str>)> {
        let ts = "'2020-03-21 00:00:00'";
        vec![
            (
                "insert: item key lookup and first copy by content hash",
                with_literals(
                    INSERT_DOCUMENT,
                    &[
                        "'s'", "'news'", "'o'", "NULL", "'k'", "'t'", "'b'", "NULL", ts, "'h'",
                        "'th'", "FALSE",
                    ],
                ),
                None,
            ),
            (
                "first copy by content hash",
                "SELECT MIN(d.id) FROM documents d WHERE d.content_hash = 'h'".into(),
                Some("content_hash"),
            ),
            (
                "item key stored",
                with_literals(ITEM_KEY_STORED, &["'k'"]),
                Some("item_key"),
            ),
            (
                "follower page",
                format!(
                    "{SELECT_DOCUMENT} {}",
                    with_literals(AFTER_ID, &["1990", "500"])
                ),
                None,
            ),
            (
                "recent fingerprints",
                with_literals(RECENT_FINGERPRINTS, &[ts, "20000"]),
                None,
            ),
        ]
    }

    /// The plan's text, one line per node.
    async fn plan(store: &Store, sql: &str) -> String {
        match store {
            Store::Sqlite(s) => {
                let rows: Vec<(i64, i64, i64, String)> =
                    sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                        .fetch_all(&s.pool)
                        .await
                        .unwrap();
                rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
            }
            Store::Postgres(p) => {
                let mut c = p.acquire().await.unwrap();
                sqlx::query("SET enable_seqscan = off")
                    .execute(&mut *c)
                    .await
                    .unwrap();
                let rows: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {sql}"))
                    .fetch_all(&mut *c)
                    .await
                    .unwrap();
                sqlx::query("RESET enable_seqscan")
                    .execute(&mut *c)
                    .await
                    .unwrap();
                rows.join("\n")
            }
        }
    }

    async fn hot_statements_use_indexes(store: Store) {
        // A table with statistics: 2,000 documents of distinct texts.
        let docs: Vec<NewDocument> = (0..2000)
            .map(|i| {
                NewDocument::new(praden_core::DocumentParts {
                    source_id: "s",
                    kind: SourceKind::News,
                    outlet: "o",
                    url: Some(&format!("https://a.th/{i}")),
                    item_id: None,
                    title: &format!("ข่าว {i}"),
                    body: &format!("เนื้อหา {i}"),
                    published_at: None,
                    // An archive of 83 days, an hour apart; the window below is its last 3.
                    fetched_at: time::macros::datetime!(2020-01-01 00:00 UTC)
                        + time::Duration::hours(i),
                })
                .unwrap()
            })
            .collect();
        store.insert_documents(&docs).await.unwrap();
        match &store {
            Store::Sqlite(s) => sqlx::query("ANALYZE").execute(&s.pool).await.map(drop),
            Store::Postgres(p) => sqlx::query("ANALYZE documents").execute(p).await.map(drop),
        }
        .unwrap();
        for (what, sql, searched_by) in hot_statements() {
            let plan = plan(&store, &sql).await;
            let scans = plan.lines().any(|l| {
                let l = l.trim();
                l.contains("Seq Scan")
                    || (l.starts_with("SCAN ") && !l.contains("USING") && l != "SCAN CONSTANT ROW")
            });
            assert!(!scans, "{what}: a table scan in\n{plan}");
            if let Some(column) = searched_by {
                let searched = match store {
                    Store::Sqlite(_) => plan.contains(&format!("{column}=?")),
                    Store::Postgres(_) => plan
                        .lines()
                        .any(|l| l.contains("Index Cond") && l.contains(column)),
                };
                assert!(
                    searched,
                    "{what}: not searched by an index on {column}:\n{plan}"
                );
            }
        }
    }

    #[tokio::test]
    async fn sqlite_hot_statements_use_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/praden.db", dir.path().display());
        hot_statements_use_indexes(Store::connect(&url).await.unwrap()).await;
    }

    #[tokio::test]
    async fn postgres_hot_statements_use_indexes() {
        let Some(db) = TestPostgres::create().await else {
            eprintln!("PRADEN_TEST_POSTGRES_URL is not set: PostgreSQL half skipped");
            return;
        };
        hot_statements_use_indexes(Store::connect(db.url()).await.unwrap()).await;
    }
}
