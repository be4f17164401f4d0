-- The 09:30 briefs. One row per published revision of a slot (a Bangkok day). Revision 1 is
-- the slot's brief: the scheduled run and the late catch-up both insert it with
-- ON CONFLICT DO NOTHING, so with several praden processes on one database exactly one
-- insert wins and the others read the winner. Rows are never updated (the triggers refuse):
-- regenerating adds revision N + 1 and keeps the first.
CREATE TABLE briefs (
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
CREATE TRIGGER briefs_no_update BEFORE UPDATE ON briefs
BEGIN SELECT RAISE(ABORT, 'a published brief is immutable: add a revision'); END;
CREATE TRIGGER briefs_no_delete BEFORE DELETE ON briefs
BEGIN SELECT RAISE(ABORT, 'a published brief is immutable: add a revision'); END;

-- Delivery of a brief revision to each configured webhook. `next_attempt_at` is when the
-- next attempt is due, or while `sending` the end of the sender's lease (a process that
-- died mid-send is taken over after it).
CREATE TABLE brief_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    brief_id         INTEGER NOT NULL REFERENCES briefs (id),
    target           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    last_error       TEXT,
    next_attempt_at  TEXT,
    delivered_at     TEXT,
    UNIQUE (brief_id, target)
);
CREATE INDEX brief_deliveries_due ON brief_deliveries (status, next_attempt_at);
