CREATE TABLE documents (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id     TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('news', 'social', 'broadcast', 'official')),
    outlet        TEXT NOT NULL,
    url           TEXT,
    item_key      TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    published_at  TIMESTAMPTZ,
    fetched_at    TIMESTAMPTZ NOT NULL,
    content_hash  TEXT NOT NULL,
    language      TEXT NOT NULL
);
CREATE INDEX documents_content_hash ON documents (content_hash);
CREATE INDEX documents_published_at ON documents (published_at);
CREATE INDEX documents_source ON documents (source_id, id);
