-- collector_log: one narrow row per line of the collector's event log (day of the event
--   time, channel, event), loaded by the loader like any source (analytics/metrics/
--   collector_log.py), exactly once per segment (`source_file`). It is the "logged" side of
--   the duplicates metric (docs/metrics.md): a client resend is a second line in the log but
--   one row in events_store, which the stream job deduplicates; logged minus events is the
--   number of copies the job removed. Sorted and partitioned by day: a month of counts reads
--   a few compressed columns.
CREATE TABLE IF NOT EXISTS collector_log (
    day Date,
    channel String,
    event String,
    source_file String
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (day, channel, event, source_file);
