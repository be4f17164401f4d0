-- Documents loaded by `praden import` from an archive: their fetched_at is the import's time,
-- not when the item appeared, so detection never takes an undated one for current news.
-- Rows stored before this column existed count as live.
ALTER TABLE documents ADD COLUMN backfill BOOLEAN NOT NULL DEFAULT FALSE;
