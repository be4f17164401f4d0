-- Agencies become users (role `agency`, bound to one registry agency or ministry by its Thai
-- name), and the issue feed gains the agencies' steps.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'monitor', 'editor', 'consumer', 'ingest', 'agency'));
-- The agency (or ministry) an agency user speaks for; only they have one.
ALTER TABLE users ADD COLUMN agency TEXT;
ALTER TABLE users ADD CONSTRAINT users_agency_bound CHECK ((role = 'agency') = (agency IS NOT NULL));

ALTER TABLE issue_events DROP CONSTRAINT issue_events_kind_check;
ALTER TABLE issue_events ADD CONSTRAINT issue_events_kind_check
    CHECK (kind IN ('approved', 'edited', 'withdrawn', 'acknowledged', 'declined', 'reported',
                    'assessed'));
-- The step's own record (an agency's response), JSON; none for the monitors' steps.
ALTER TABLE issue_events ADD COLUMN detail TEXT;

-- An agency's answer to an issue assigned to it: it takes it on (the person, position and
-- agency who do), or says it is not theirs, with the reason (the monitors then reassign it).
-- Kept per agency: a reassigned issue is answered again by its new agency.
CREATE TABLE issue_responses (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issue_id   BIGINT NOT NULL REFERENCES issues (id),
    agency     TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('acknowledged', 'declined')),
    person     TEXT NOT NULL,
    position   TEXT NOT NULL,
    reason     TEXT,
    at         TIMESTAMPTZ NOT NULL,
    by_user    TEXT NOT NULL
);
CREATE INDEX issue_responses_issue ON issue_responses (issue_id, id);
