-- How often each source really publishes (new items per hour, a time-decayed average over its
-- recent polls), so the adaptive schedule follows the source's rate across restarts instead of
-- relearning it. NULL until a second successful poll has measured something.
ALTER TABLE source_state ADD COLUMN rate_per_hour REAL;
