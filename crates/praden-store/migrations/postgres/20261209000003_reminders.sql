-- The daily reminder rounds: each agency contact is reminded of its agency's issues that are
-- due soon or overdue and not yet reported, by e-mail and LINE. Published and delivered like
-- the briefs and the assignment messages: one round per day even with several processes,
-- immutable, a delivery row per contact.
CREATE TABLE reminders (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slot           DATE NOT NULL,
    revision       BIGINT NOT NULL CHECK (revision >= 1),
    scheduled_for  TIMESTAMPTZ NOT NULL,
    generated_at   TIMESTAMPTZ NOT NULL,
    late           BOOLEAN NOT NULL,
    trigger_kind   TEXT NOT NULL CHECK (trigger_kind IN ('schedule', 'catch_up', 'manual')),
    content        TEXT NOT NULL,
    messages       TEXT NOT NULL,
    markdown       TEXT NOT NULL,
    UNIQUE (slot, revision)
);
CREATE FUNCTION reminders_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a published reminder round is immutable: add a revision';
END;
$$;
CREATE TRIGGER reminders_immutable BEFORE UPDATE OR DELETE ON reminders
    FOR EACH ROW EXECUTE FUNCTION reminders_immutable();

CREATE TABLE reminder_deliveries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    publication_id   BIGINT NOT NULL REFERENCES reminders (id),
    target           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    last_error       TEXT,
    next_attempt_at  TIMESTAMPTZ,
    delivered_at     TIMESTAMPTZ,
    UNIQUE (publication_id, target)
);
CREATE INDEX reminder_deliveries_due ON reminder_deliveries (status, next_attempt_at);

-- When the reminder scheduler first ran here: the catch-up goes back no further.
CREATE TABLE reminder_schedule_origin (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    started_at  TIMESTAMPTZ NOT NULL
);
