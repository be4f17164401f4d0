-- The KPI's readers from outside the Spokesman Office (OPDC, ก.พ.ร.): role `evaluator`, people
-- only (no API tokens), read-only. SQLite cannot change a CHECK constraint, so `users` is
-- rebuilt with its rows and ids; `sessions` refers to it and is set aside and put back.
CREATE TABLE users_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'monitor', 'editor', 'consumer', 'ingest', 'agency', 'evaluator')),
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
                       updated_at, last_seen_at, agency)
SELECT id, username, display_name, role, password_hash, disabled, created_at, updated_at,
       last_seen_at, agency
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

-- A closed fiscal quarter keeps its issues as they counted when it was closed (JSON, an array
-- of praden-core's `CountedIssue`), so its figures do not move when later reports arrive.
-- Re-opening deletes the row; both steps are in the audit trail with the kept issues.
CREATE TABLE kpi_closed_quarters (
    code           TEXT PRIMARY KEY,
    first_day      TEXT NOT NULL,
    last_day       TEXT NOT NULL,
    closed_at      TEXT NOT NULL,
    closed_by      TEXT NOT NULL,
    deadline_rule  TEXT NOT NULL,
    issues         TEXT NOT NULL
);
