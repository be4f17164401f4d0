-- Transcript files a source has read, with what each looked like then (size, modification
-- time, sidecar): kept here rather than in the poller's memory, so a restart does not read
-- every file of a watched directory or listing again.
CREATE TABLE transcript_files (
    source_id TEXT NOT NULL,
    file_key TEXT NOT NULL,
    stamp TEXT NOT NULL,
    PRIMARY KEY (source_id, file_key)
);
