-- minute_metrics: per-minute counts by channel, event and business line, computed by the
--   Flink job's one-minute tumbling windows over on-time, deduplicated events.
-- Each (minute, channel, event, business) is emitted once per run; ReplacingMergeTree on
--   that key makes a re-loaded part file, or a backfill re-counting the same minutes,
--   replace the row instead of adding to it.
CREATE TABLE IF NOT EXISTS minute_metrics_raw (
    minute DateTime('UTC'),
    channel String,
    event String,
    business String,
    events UInt64,
    users UInt64,
    amount Float64
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, channel, event, business);

CREATE VIEW IF NOT EXISTS minute_metrics AS
SELECT minute, channel, event, business, events, users, amount
FROM minute_metrics_raw FINAL;
