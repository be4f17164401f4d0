-- When each person last used praden (a login, or a request in a session): the admins'
-- accounts page and `praden user list` show it, so an unused account is seen and disabled.
-- Sessions are deleted when they end, so it is kept on the user.
ALTER TABLE users ADD COLUMN last_seen_at TEXT;
UPDATE users SET last_seen_at = (SELECT MAX(s.last_seen) FROM sessions s WHERE s.user_id = users.id);
