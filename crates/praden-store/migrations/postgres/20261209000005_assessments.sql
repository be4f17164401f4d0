-- Monitors' assessments of the agencies' clarification reports: the facts praden measured
-- when the assessment was made (in time, channels, evidence on time) and the monitor's
-- judgement (complete and to the point: yes, partly, no) with a note. A report may be
-- assessed again (a later look, a correction): every assessment is kept, the latest counts.
CREATE TABLE report_assessments (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id         BIGINT NOT NULL REFERENCES issue_reports (id),
    issue_id          BIGINT NOT NULL REFERENCES issues (id),
    in_time           BOOLEAN NOT NULL,
    channels          BIGINT NOT NULL CHECK (channels >= 0),
    -- NULL: the evidence could still come when the report was assessed.
    evidence_on_time  BOOLEAN,
    completeness      TEXT NOT NULL CHECK (completeness IN ('yes', 'partly', 'no')),
    note              TEXT NOT NULL,
    at                TIMESTAMPTZ NOT NULL,
    by_user           TEXT NOT NULL
);
CREATE INDEX report_assessments_issue ON report_assessments (issue_id, id);
