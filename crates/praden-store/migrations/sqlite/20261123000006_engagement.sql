-- Engagement of social posts as a time series: one row per observation (a poll of a platform
-- API, a vendor's push), so public-interest scoring can use how fast a post grows, not only
-- its totals. The same observation time twice is one observation (re-delivery is a no-op).
-- A count the platform does not report is NULL, not 0. Times are whole seconds, UTC.
CREATE TABLE engagement (
    document_id  INTEGER NOT NULL REFERENCES documents (id),
    observed_at  TEXT NOT NULL,
    likes        INTEGER,
    shares       INTEGER,
    comments     INTEGER,
    views        INTEGER,
    PRIMARY KEY (document_id, observed_at)
);
CREATE INDEX engagement_observed_at ON engagement (observed_at);
