-- late_events: events read after their one-minute window had closed (later than the allowed
--   lateness behind the newest event), left out of minute_metrics. Counted here, never
--   silently dropped: `SELECT count() FROM late_events` is the late-event count.
-- Keyed by event_id (already deduplicated upstream): a re-loaded file counts once.
CREATE TABLE IF NOT EXISTS late_events_raw (
    event_id String,
    user_id String,
    channel String,
    event String,
    ts DateTime('UTC'),
    ts_ms UInt64,
    received_ms UInt64
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(ts)
ORDER BY (ts, event_id);

CREATE VIEW IF NOT EXISTS late_events AS
SELECT event_id, user_id, channel, event, ts, ts_ms, received_ms
FROM late_events_raw FINAL;
