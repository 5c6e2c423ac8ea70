-- stream_events: the events the Flink job accepted after dedup, with the fields it parsed and
--   whether it read them late (their one-minute window had closed; docs/pipeline.md).
-- ReplacingMergeTree keyed by (user_id, ts, event_id) like events_raw: a FileSink part file
--   loaded twice, or a backfill over a period the live job already covered, collapses to one
--   row per event; the view reads with FINAL so no query double counts before the merge.
CREATE TABLE IF NOT EXISTS stream_events_raw (
    event_id String,
    user_id String,
    channel String,
    event String,
    ts DateTime('UTC'),
    ts_ms UInt64,
    received_ms UInt64,
    session_id String,
    page String,
    business String,
    flow String,
    step UInt16,
    amount Float64,
    late UInt8
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(ts)
ORDER BY (user_id, ts, event_id);

CREATE VIEW IF NOT EXISTS stream_events AS
SELECT event_id, user_id, channel, event, ts, ts_ms, received_ms, session_id, page, business, flow, step,
    amount, late
FROM stream_events_raw FINAL;
