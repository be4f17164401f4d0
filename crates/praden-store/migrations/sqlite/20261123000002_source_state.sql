-- What the pollers know about each source, so a restart resumes the schedule instead of
-- polling everything at once, and editors can see which sources are failing. Keyed by the
-- sources.toml id; a row outlives its entry being removed (the history stays readable).
CREATE TABLE source_state (
    source_id             TEXT PRIMARY KEY,
    status                TEXT NOT NULL CHECK (status IN ('ok', 'failing')),
    last_poll_at          TEXT,
    last_success_at       TEXT,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    last_error            TEXT,
    items_found_total     INTEGER NOT NULL DEFAULT 0,
    items_found_last      INTEGER NOT NULL DEFAULT 0,
    items_failed_total    INTEGER NOT NULL DEFAULT 0,
    items_failed_last     INTEGER NOT NULL DEFAULT 0,
    next_poll_at          TEXT,
    interval_ms           INTEGER NOT NULL,
    etag                  TEXT,
    last_modified         TEXT
);

-- Feed items that could not become documents, with the reason: nothing a source lists is
-- lost silently. One row per (source, item); seeing it again on a later poll updates it.
CREATE TABLE item_failures (
    source_id      TEXT NOT NULL,
    item           TEXT NOT NULL,
    reason         TEXT NOT NULL,
    first_seen_at  TEXT NOT NULL,
    last_seen_at   TEXT NOT NULL,
    times          INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (source_id, item)
);
