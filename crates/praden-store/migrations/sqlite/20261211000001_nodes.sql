-- Several praden processes on one database (issue 28); on SQLite, which serialises its
-- writers, ids already commit in order, and the same columns keep one code path.

-- Documents in commit order: see the PostgreSQL migration.
ALTER TABLE documents ADD COLUMN seq INTEGER;
UPDATE documents SET seq = id;
CREATE UNIQUE INDEX documents_seq ON documents (seq);
CREATE INDEX documents_unsequenced ON documents (id) WHERE seq IS NULL;
CREATE TABLE document_seq (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    last     INTEGER NOT NULL
);
INSERT INTO document_seq (only_row, last) SELECT 1, COALESCE(MAX(id), 0) FROM documents;

-- Leases: see the PostgreSQL migration.
CREATE TABLE leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    until   TEXT NOT NULL,
    since   TEXT NOT NULL
);
CREATE INDEX leases_holder ON leases (holder);

-- Failed logins: see the PostgreSQL migration.
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  TEXT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);
CREATE INDEX login_failures_at ON login_failures (at);
