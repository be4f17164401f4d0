-- The exact-duplicate lookup asks for the first document with a content hash,
-- MIN(id) WHERE content_hash = $1. With an index on the hash alone PostgreSQL may walk the
-- primary key in id order and filter by hash (it did: imports ran at 68 documents/s);
-- (content_hash, id) answers it from one index entry whatever the statistics say.
DROP INDEX documents_content_hash;
CREATE INDEX documents_content_hash_id ON documents (content_hash, id);
-- Near-duplicate fingerprints and the detector's window start are read by fetch time.
CREATE INDEX documents_fetched_at ON documents (fetched_at);
