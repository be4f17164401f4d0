-- Clarifications praden found in the coverage (พบการชี้แจง): an official or news document
-- published after an issue's approval that the clarification matcher takes for the
-- responsible agency's clarification of it. Found by the clarifications job, shown to the
-- monitors and to the agency (which may confirm it as its report); one row per issue and
-- document, so a job that re-reads a batch after a restart attaches nothing twice.
CREATE TABLE issue_clarifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id     INTEGER NOT NULL REFERENCES issues (id),
    document_id  INTEGER NOT NULL REFERENCES documents (id),
    score        REAL NOT NULL,
    speaker      TEXT,
    excerpt      TEXT,
    found_at     TEXT NOT NULL,
    UNIQUE (issue_id, document_id)
);
