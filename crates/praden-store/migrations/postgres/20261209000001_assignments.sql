-- The 10:30 assignment messages (IA-Chat), published like the 09:30 briefs: one row per
-- revision of a slot (a Bangkok day), revision 1 inserted with ON CONFLICT DO NOTHING so
-- several praden processes publish one message per day, rows never updated (the trigger
-- refuses), and a delivery row per target: the IA-Chat webhooks, and each agency contact's
-- e-mail address or LINE id for the agency's own issues.
CREATE TABLE assignments (
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
CREATE FUNCTION assignments_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a published assignment message is immutable: add a revision';
END;
$$;
CREATE TRIGGER assignments_immutable BEFORE UPDATE OR DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION assignments_immutable();

CREATE TABLE assignment_deliveries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    publication_id   BIGINT NOT NULL REFERENCES assignments (id),
    target           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    last_error       TEXT,
    next_attempt_at  TIMESTAMPTZ,
    delivered_at     TIMESTAMPTZ,
    UNIQUE (publication_id, target)
);
CREATE INDEX assignment_deliveries_due ON assignment_deliveries (status, next_attempt_at);

-- When the assignment scheduler first ran here: the catch-up goes back no further.
CREATE TABLE assignment_schedule_origin (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    started_at  TIMESTAMPTZ NOT NULL
);
