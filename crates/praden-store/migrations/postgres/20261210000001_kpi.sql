-- The KPI's readers from outside the Spokesman Office (OPDC, ก.พ.ร.): role `evaluator`, people
-- only (no API tokens), read-only.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'monitor', 'editor', 'consumer', 'ingest', 'agency', 'evaluator'));

-- A closed fiscal quarter keeps its issues as they counted when it was closed (JSON, an array
-- of praden-core's `CountedIssue`), so its figures do not move when later reports arrive.
-- Re-opening deletes the row; both steps are in the audit trail with the kept issues.
CREATE TABLE kpi_closed_quarters (
    code           TEXT PRIMARY KEY,
    first_day      DATE NOT NULL,
    last_day       DATE NOT NULL,
    closed_at      TIMESTAMPTZ NOT NULL,
    closed_by      TEXT NOT NULL,
    deadline_rule  TEXT NOT NULL,
    issues         TEXT NOT NULL
);
