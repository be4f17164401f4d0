-- The daily reminder rounds: each agency contact is reminded of its agency's issues that are
-- due soon or overdue and not yet reported, by e-mail and LINE. Published and delivered like
-- the briefs and the assignment messages: one round per day even with several processes,
-- immutable, a delivery row per contact.
CREATE TABLE reminders (
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
CREATE TRIGGER reminders_no_update BEFORE UPDATE ON reminders
BEGIN SELECT RAISE(ABORT, 'a published reminder round is immutable: add a revision'); END;
CREATE TRIGGER reminders_no_delete BEFORE DELETE ON reminders
BEGIN SELECT RAISE(ABORT, 'a published reminder round is immutable: add a revision'); END;

CREATE TABLE reminder_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    publication_id   INTEGER NOT NULL REFERENCES reminders (id),
    target           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    last_error       TEXT,
    next_attempt_at  TEXT,
    delivered_at     TEXT,
    UNIQUE (publication_id, target)
);
CREATE INDEX reminder_deliveries_due ON reminder_deliveries (status, next_attempt_at);

-- When the reminder scheduler first ran here: the catch-up goes back no further.
CREATE TABLE reminder_schedule_origin (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    started_at  TEXT NOT NULL
);
