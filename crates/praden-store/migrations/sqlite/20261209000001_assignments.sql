-- The 10:30 assignment messages (IA-Chat), published like the 09:30 briefs: one row per
-- revision of a slot (a Bangkok day), revision 1 inserted with ON CONFLICT DO NOTHING so
-- several praden processes publish one message per day, rows never updated (the triggers
-- refuse), and a delivery row per target: the IA-Chat webhooks, and each agency contact's
-- e-mail address or LINE id for the agency's own issues.
CREATE TABLE assignments (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    slot           TEXT NOT NULL,
    revision       INTEGER NOT NULL CHECK (revision >= 1),
    scheduled_for  TEXT NOT NULL,
    generated_at   TEXT NOT NULL,
    late           BOOLEAN NOT NULL,
    trigger_kind   TEXT NOT NULL CHECK (trigger_kind IN ('schedule', 'catch_up', 'manual')),
    content        TEXT NOT NULL,
    messages       TEXT NOT NULL,
    markdown       TEXT NOT NULL,
    UNIQUE (slot, revision)
);
CREATE TRIGGER assignments_no_update BEFORE UPDATE ON assignments
BEGIN SELECT RAISE(ABORT, 'a published assignment message is immutable: add a revision'); END;
CREATE TRIGGER assignments_no_delete BEFORE DELETE ON assignments
BEGIN SELECT RAISE(ABORT, 'a published assignment message is immutable: add a revision'); END;

CREATE TABLE assignment_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    publication_id   INTEGER NOT NULL REFERENCES assignments (id),
    target           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    last_error       TEXT,
    next_attempt_at  TEXT,
    delivered_at     TEXT,
    UNIQUE (publication_id, target)
);
CREATE INDEX assignment_deliveries_due ON assignment_deliveries (status, next_attempt_at);

-- When the assignment scheduler first ran here: the catch-up goes back no further.
CREATE TABLE assignment_schedule_origin (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    started_at  TEXT NOT NULL
);
