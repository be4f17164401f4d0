-- The first stored copy of the same text (same content hash), so a story knows which outlets
-- ran it and when. NULL for a first copy. Copies are kept, never dropped.
ALTER TABLE documents ADD COLUMN duplicate_of BIGINT;
CREATE INDEX documents_duplicate_of ON documents (duplicate_of);

-- SimHash of the text's Thai word shingles: near-duplicates (the same agency release rewritten
-- by several outlets) differ in a few bits and are linked through duplicate_of too.
ALTER TABLE documents ADD COLUMN simhash BIGINT;
