-- The agencies' clarification reports (IR-Chat) and their evidence. Every report is kept: a
-- correction is a new report, the latest is read first. Channels are a JSON array of
-- {channel, link} (the set is small and always read whole with its report).
CREATE TABLE issue_reports (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id      INTEGER NOT NULL REFERENCES issues (id),
    agency        TEXT NOT NULL,
    reporter      TEXT NOT NULL,
    clarified_at  TEXT NOT NULL,
    speaker       TEXT NOT NULL,
    content       TEXT NOT NULL,
    channels      TEXT NOT NULL,
    at            TEXT NOT NULL,
    by_user       TEXT NOT NULL
);
CREATE INDEX issue_reports_issue ON issue_reports (issue_id, id);

-- One evidence item: a file kept in the object store under its SHA-256 (the name it came
-- with is for display only; the media type is sniffed from its bytes), or a link.
CREATE TABLE evidence (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id    INTEGER NOT NULL REFERENCES issues (id),
    report_id   INTEGER REFERENCES issue_reports (id),
    kind        TEXT NOT NULL CHECK (kind IN ('photo', 'pdf', 'clip', 'link')),
    file_name   TEXT,
    media_type  TEXT,
    size_bytes  INTEGER NOT NULL DEFAULT 0,
    sha256      TEXT,
    link        TEXT,
    at          TEXT NOT NULL,
    by_user     TEXT NOT NULL,
    CHECK ((kind = 'link') = (link IS NOT NULL)),
    CHECK ((kind = 'link') = (sha256 IS NULL))
);
CREATE INDEX evidence_issue ON evidence (issue_id, id);
