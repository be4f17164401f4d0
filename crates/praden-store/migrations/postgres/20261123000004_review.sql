-- The review queue. A candidate is what detection proposes about one story; monitors decide
-- on it (status, version) and an approval creates an issue. Detection rewrites `proposal`
-- (JSON) as the story grows; only decisions bump `version`, so a monitor's form goes stale
-- only when another monitor decided, not when a new article arrived.
CREATE TABLE candidates (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version           BIGINT NOT NULL DEFAULT 1,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'merged', 'snoozed')),
    score             DOUBLE PRECISION NOT NULL,
    articles          BIGINT NOT NULL,
    last_seen         TIMESTAMPTZ NOT NULL,
    proposal          TEXT NOT NULL,
    development       TEXT,
    reject_reason     TEXT,
    rejected_articles BIGINT,
    merged_into       BIGINT REFERENCES candidates (id),
    snoozed_until     TIMESTAMPTZ,
    issue_id          BIGINT,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX candidates_queue ON candidates (status, score DESC);

-- Which documents a candidate covers. A document belongs to at most one candidate; this is
-- how a story keeps its candidate across restarts of the detector (its in-memory story ids
-- are not stable, its documents are).
CREATE TABLE candidate_documents (
    document_id   BIGINT PRIMARY KEY REFERENCES documents (id),
    candidate_id  BIGINT NOT NULL REFERENCES candidates (id)
);
CREATE INDEX candidate_documents_candidate ON candidate_documents (candidate_id);

CREATE TABLE issues (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    candidate_id   BIGINT NOT NULL UNIQUE REFERENCES candidates (id),
    version        BIGINT NOT NULL DEFAULT 1,
    status         TEXT NOT NULL CHECK (status IN ('approved', 'withdrawn')),
    title          TEXT NOT NULL,
    agency         TEXT NOT NULL,
    deadline_days  BIGINT NOT NULL,
    due_date       DATE NOT NULL,
    source         TEXT NOT NULL,
    criteria       TEXT NOT NULL,
    links          TEXT NOT NULL,
    approved_by    TEXT NOT NULL,
    approved_at    TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX issues_approved_at ON issues (approved_at);

-- The feed the assignment system follows. `seq` comes from the one-row counter below, taken
-- as the last write of the deciding transaction: the counter's row lock makes transactions
-- that create events commit in `seq` order, so a reader that has seen seq N has seen every
-- event before it (no gaps, even with concurrent approvals). A SEQUENCE would not do: its
-- values are handed out before commit, so a later value can become visible first.
CREATE TABLE issue_event_seq (
    only_row  INTEGER PRIMARY KEY CHECK (only_row = 1),
    last      BIGINT NOT NULL
);
INSERT INTO issue_event_seq (only_row, last) VALUES (1, 0);

CREATE TABLE issue_events (
    seq       BIGINT PRIMARY KEY,
    issue_id  BIGINT NOT NULL REFERENCES issues (id),
    kind      TEXT NOT NULL CHECK (kind IN ('approved', 'edited', 'withdrawn')),
    at        TIMESTAMPTZ NOT NULL,
    issue     TEXT NOT NULL
);

-- Every decision and edit, append-only: the trigger refuses to change or remove a row.
CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT,
    before      TEXT,
    after       TEXT,
    request_id  TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- How far background jobs (the detector) have read the documents table.
CREATE TABLE job_marks (
    job    TEXT PRIMARY KEY,
    mark   BIGINT NOT NULL
);
