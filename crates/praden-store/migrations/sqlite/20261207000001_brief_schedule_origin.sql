-- When the brief scheduler first ran on this database. The catch-up at start publishes a
-- missed slot only if it was due at or after this time: a fresh install would otherwise
-- publish the day's brief at its first start, late and empty, and send it to the chat.
-- One row, written once (ON CONFLICT DO NOTHING), so every later start reads the first.
CREATE TABLE brief_schedule_origin (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    started_at  TEXT NOT NULL
);
-- A database that published briefs before this table existed has run the scheduler since
-- its first brief's slot at least: a slot missed after that is still caught up.
INSERT INTO brief_schedule_origin (id, started_at)
SELECT 1, scheduled_for FROM briefs ORDER BY scheduled_for LIMIT 1;
