-- The near-duplicate candidates (recent_fingerprints) are read after every stored batch.
-- From the fetch-time index each row was looked up in the table, and a document's row holds
-- its whole text: reading 20,000 fingerprints read the bodies too (165 ms a batch of an
-- import). This index holds everything that query reads, only for fingerprinted rows.
CREATE INDEX documents_fingerprints ON documents (fetched_at, id, simhash, outlet, duplicate_of)
    WHERE simhash IS NOT NULL;
