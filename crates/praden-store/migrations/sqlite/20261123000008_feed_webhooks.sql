-- Push delivery of the approved-issues feed, per subscriber: how far it has been delivered,
-- the failures on the next event, and the events given up on (dead letters) until an admin
-- replays them.
CREATE TABLE webhook_cursors (
    subscriber       TEXT PRIMARY KEY,
    delivered_seq    INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    last_attempt_at  TEXT,
    next_attempt_at  TEXT,
    last_success_at  TEXT
);

CREATE TABLE webhook_dead_letters (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber   TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    attempts     INTEGER NOT NULL,
    last_error   TEXT NOT NULL,
    failed_at    TEXT NOT NULL,
    replayed_at  TEXT,
    UNIQUE (subscriber, seq)
);
