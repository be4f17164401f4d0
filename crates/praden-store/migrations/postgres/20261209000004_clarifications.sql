-- Clarifications praden found in the coverage (พบการชี้แจง): an official or news document
-- published after an issue's approval that the clarification matcher takes for the
-- responsible agency's clarification of it. Found by the clarifications job, shown to the
-- monitors and to the agency (which may confirm it as its report); one row per issue and
-- document, so a job that re-reads a batch after a restart attaches nothing twice.
CREATE TABLE issue_clarifications (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issue_id     BIGINT NOT NULL REFERENCES issues (id),
    document_id  BIGINT NOT NULL REFERENCES documents (id),
    score        DOUBLE PRECISION NOT NULL,
    speaker      TEXT,
    excerpt      TEXT,
    found_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (issue_id, document_id)
);
