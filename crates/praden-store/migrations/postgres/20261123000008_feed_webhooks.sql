-- Push delivery of the approved-issues feed, per subscriber: how far it has been delivered,
-- the failures on the next event, and the events given up on (dead letters) until an admin
-- replays them.
CREATE TABLE webhook_cursors (
    subscriber       TEXT PRIMARY KEY,
    delivered_seq    BIGINT NOT NULL DEFAULT 0,
    attempts         BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT,
    last_attempt_at  TIMESTAMPTZ,
    next_attempt_at  TIMESTAMPTZ,
    last_success_at  TIMESTAMPTZ
);

CREATE TABLE webhook_dead_letters (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber   TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    attempts     BIGINT NOT NULL,
    last_error   TEXT NOT NULL,
    failed_at    TIMESTAMPTZ NOT NULL,
    replayed_at  TIMESTAMPTZ,
    UNIQUE (subscriber, seq)
);
