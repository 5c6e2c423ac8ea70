-- audiences: who was put in which saved audience, and when (analytics/audiences.py). One row per
--   member and save, from the JSON-lines files the operator's save writes; the Tags page reads
--   sizes and trends from here, the live tags themselves are in Redis.
-- ReplacingMergeTree on (audience, saved_ms, user_id): a file loaded twice counts once.
CREATE TABLE IF NOT EXISTS audiences_raw (
    audience String,
    user_id String,
    saved_at DateTime('UTC'),
    saved_ms UInt64,
    expires_at_ms UInt64,
    funnel String,
    step_index UInt16,
    step_name String,
    breakdown_value String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(saved_at)
ORDER BY (audience, saved_ms, user_id);

CREATE VIEW IF NOT EXISTS audiences AS
SELECT audience, user_id, saved_at, saved_ms, expires_at_ms, funnel, step_index, step_name, breakdown_value
FROM audiences_raw FINAL;
