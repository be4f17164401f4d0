-- The review queue. A candidate is what detection proposes about one story; monitors decide
-- on it (status, version) and an approval creates an issue. Detection rewrites `proposal`
-- (JSON) as the story grows; only decisions bump `version`, so a monitor's form goes stale
-- only when another monitor decided, not when a new article arrived.
CREATE TABLE candidates (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    version           INTEGER NOT NULL DEFAULT 1,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'merged', 'snoozed')),
    score             REAL NOT NULL,
    articles          INTEGER NOT NULL,
    last_seen         TEXT NOT NULL,
    proposal          TEXT NOT NULL,
    development       TEXT,
    reject_reason     TEXT,
    rejected_articles INTEGER,
    merged_into       INTEGER REFERENCES candidates (id),
    snoozed_until     TEXT,
    issue_id          INTEGER,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX candidates_queue ON candidates (status, score DESC);

-- Which documents a candidate covers. A document belongs to at most one candidate; this is
-- how a story keeps its candidate across restarts of the detector (its in-memory story ids
-- are not stable, its documents are).
CREATE TABLE candidate_documents (
    document_id   INTEGER PRIMARY KEY REFERENCES documents (id),
    candidate_id  INTEGER NOT NULL REFERENCES candidates (id)
);
CREATE INDEX candidate_documents_candidate ON candidate_documents (candidate_id);

CREATE TABLE issues (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    candidate_id   INTEGER NOT NULL UNIQUE REFERENCES candidates (id),
    version        INTEGER NOT NULL DEFAULT 1,
    status         TEXT NOT NULL CHECK (status IN ('approved', 'withdrawn')),
    title          TEXT NOT NULL,
    agency         TEXT NOT NULL,
    deadline_days  INTEGER NOT NULL,
    due_date       TEXT NOT NULL,
    source         TEXT NOT NULL,
    criteria       TEXT NOT NULL,
    links          TEXT NOT NULL,
    approved_by    TEXT NOT NULL,
    approved_at    TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX issues_approved_at ON issues (approved_at);

-- The feed the assignment system follows. `seq` comes from the one-row counter below, taken
-- as the last write of the deciding transaction: the counter's row lock makes transactions
-- that create events commit in `seq` order, so a reader that has seen seq N has seen every
-- event before it (no gaps, even with concurrent approvals).
CREATE TABLE issue_event_seq (
    only_row  INTEGER PRIMARY KEY CHECK (only_row = 1),
    last      INTEGER NOT NULL
);
INSERT INTO issue_event_seq (only_row, last) VALUES (1, 0);

CREATE TABLE issue_events (
    seq       INTEGER PRIMARY KEY,
    issue_id  INTEGER NOT NULL REFERENCES issues (id),
    kind      TEXT NOT NULL CHECK (kind IN ('approved', 'edited', 'withdrawn')),
    at        TEXT NOT NULL,
    issue     TEXT NOT NULL
);

-- Every decision and edit, append-only: the triggers refuse to change or remove a row.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT,
    before      TEXT,
    after       TEXT,
    request_id  TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- How far background jobs (the detector) have read the documents table.
CREATE TABLE job_marks (
    job    TEXT PRIMARY KEY,
    mark   INTEGER NOT NULL
);
