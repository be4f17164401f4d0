-- Agencies become users (role `agency`, bound to one registry agency or ministry by its Thai
-- name), and the issue feed gains the agencies' steps. SQLite cannot change a CHECK
-- constraint, so `users` and `issue_events` are rebuilt with their rows and ids; `sessions`
-- refers to `users` and is set aside and put back around the rebuild.
CREATE TABLE users_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'monitor', 'editor', 'consumer', 'ingest', 'agency')),
    password_hash  TEXT NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    last_seen_at   TEXT,
    -- The agency (or ministry) an agency user speaks for; only they have one.
    agency         TEXT,
    CHECK ((role = 'agency') = (agency IS NOT NULL))
);
INSERT INTO users_new (id, username, display_name, role, password_hash, disabled, created_at,
                       updated_at, last_seen_at)
SELECT id, username, display_name, role, password_hash, disabled, created_at, updated_at,
       last_seen_at
FROM users;
CREATE TABLE sessions_kept AS SELECT * FROM sessions;
DROP TABLE sessions;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    last_seen   TEXT NOT NULL
);
INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at, last_seen)
SELECT id, user_id, csrf_token, created_at, expires_at, last_seen FROM sessions_kept;
DROP TABLE sessions_kept;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE issue_events_new (
    seq       INTEGER PRIMARY KEY,
    issue_id  INTEGER NOT NULL REFERENCES issues (id),
    kind      TEXT NOT NULL CHECK (kind IN ('approved', 'edited', 'withdrawn', 'acknowledged',
                                            'declined', 'reported', 'assessed')),
    at        TEXT NOT NULL,
    issue     TEXT NOT NULL,
    -- The step's own record (an agency's response), JSON; none for the monitors' steps.
    detail    TEXT
);
INSERT INTO issue_events_new (seq, issue_id, kind, at, issue)
SELECT seq, issue_id, kind, at, issue FROM issue_events;
DROP TABLE issue_events;
ALTER TABLE issue_events_new RENAME TO issue_events;

-- An agency's answer to an issue assigned to it: it takes it on (the person, position and
-- agency who do), or says it is not theirs, with the reason (the monitors then reassign it).
-- Kept per agency: a reassigned issue is answered again by its new agency.
CREATE TABLE issue_responses (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id   INTEGER NOT NULL REFERENCES issues (id),
    agency     TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('acknowledged', 'declined')),
    person     TEXT NOT NULL,
    position   TEXT NOT NULL,
    reason     TEXT,
    at         TEXT NOT NULL,
    by_user    TEXT NOT NULL
);
CREATE INDEX issue_responses_issue ON issue_responses (issue_id, id);
