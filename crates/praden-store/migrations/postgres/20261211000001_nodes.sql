-- Several praden processes on one database (issue 28).

-- Documents in commit order. On PostgreSQL concurrent transactions commit their identity ids
-- out of order, so a follower reading `id > mark` could pass an id that commits later. Each
-- inserting transaction numbers its documents from this one-row counter as its last write;
-- the counter's row lock makes those transactions commit in `seq` order, so a follower
-- reading `seq > mark` never skips one (the feed's `issue_event_seq` does the same).
-- Documents stored before keep their id as their place.
ALTER TABLE documents ADD COLUMN seq BIGINT;
UPDATE documents SET seq = id;
CREATE UNIQUE INDEX documents_seq ON documents (seq);
-- The inserting transaction finds its own unnumbered rows through this (tiny) index.
CREATE INDEX documents_unsequenced ON documents (id) WHERE seq IS NULL;
CREATE TABLE document_seq (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    last     BIGINT NOT NULL
);
INSERT INTO document_seq (only_row, last) SELECT 1, COALESCE(MAX(id), 0) FROM documents;

-- Leases: who runs a job that must run once (the detector, a webhook subscriber's pusher, a
-- publication's scheduler), who polls a source now, who is fetching from a host. A lease is
-- free when `until` has passed; its holder renews it while working and releases it (sets
-- `until`, with no holder) when done. `since` is when the current holder took it.
CREATE TABLE leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    until   TIMESTAMPTZ NOT NULL,
    since   TIMESTAMPTZ NOT NULL
);
CREATE INDEX leases_holder ON leases (holder);

-- Failed logins, by user name (`user:NAME`) and by client address (`ip:ADDR`): the rate
-- limit every process behind the reverse proxy shares.
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);
CREATE INDEX login_failures_at ON login_failures (at);
