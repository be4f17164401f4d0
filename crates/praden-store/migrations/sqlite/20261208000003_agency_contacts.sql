-- The agency directory: who at each registry agency receives its issues and reminders. An
-- agency is named as the registry names it (Thai); a contact is unique by name per agency, so
-- importing the same list again updates it.
CREATE TABLE agency_contacts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    agency      TEXT NOT NULL,
    name        TEXT NOT NULL,
    position    TEXT NOT NULL,
    email       TEXT,
    line_id     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (agency, name)
);
