-- The 09:30 briefs. One row per published revision of a slot (a Bangkok day). Revision 1 is
-- the slot's brief: the scheduled run and the late catch-up both insert it with
-- ON CONFLICT DO NOTHING, so with several praden processes on one database exactly one
-- insert wins and the others read the winner. Rows are never updated (the trigger refuses):
-- regenerating adds revision N + 1 and keeps the first.
CREATE TABLE briefs (
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
CREATE FUNCTION briefs_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a published brief is immutable: add a revision';
END;
$$;
CREATE TRIGGER briefs_immutable BEFORE UPDATE OR DELETE ON briefs
    FOR EACH ROW EXECUTE FUNCTION briefs_immutable();

-- Delivery of a brief revision to each configured webhook. `next_attempt_at` is when the
-- next attempt is due, or while `sending` the end of the sender's lease (a process that
-- died mid-send is taken over after it).
CREATE TABLE brief_deliveries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    brief_id         BIGINT NOT NULL REFERENCES briefs (id),
    target           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    last_error       TEXT,
    next_attempt_at  TIMESTAMPTZ,
    delivered_at     TIMESTAMPTZ,
    UNIQUE (brief_id, target)
);
CREATE INDEX brief_deliveries_due ON brief_deliveries (status, next_attempt_at);
