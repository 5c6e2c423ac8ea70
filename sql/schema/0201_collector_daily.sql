-- collector_daily: how many rows of the collector's event log were loaded, per day of event
--   time, channel and event, counted at insert by a materialized view. It is the "logged"
--   side of the duplicates metric (docs/metrics.md): client resends are separate lines in
--   the log, so logged minus the deduplicated `events` is the number of duplicates, and
--   merges of the events table cannot change this count after the fact.
-- SummingMergeTree: rows of the same key add up when parts merge; queries use sum(rows).
CREATE TABLE IF NOT EXISTS collector_daily (
    day Date,
    channel String,
    event String,
    rows UInt64
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (day, channel, event);

INSERT INTO collector_daily
SELECT toDate(ts) AS day, channel, event, count() AS rows
FROM events_raw
WHERE (SELECT count() FROM collector_daily) = 0
GROUP BY day, channel, event;

CREATE MATERIALIZED VIEW IF NOT EXISTS collector_daily_mv TO collector_daily AS
SELECT toDate(ts) AS day, channel, event, count() AS rows
FROM events_raw
GROUP BY day, channel, event;
