-- events_store: THE events table. Each row is one accepted event exactly once: the stream job
--   deduplicates by (user_id, event_id) within its dedup horizon (6 h, flink_jobs/options.py
--   dedup_ttl_ms) and writes through Flink's exactly-once FileSink; the loader inserts each
--   committed file exactly once (warehouse/loader.py: a file interrupted mid-insert is deleted by
--   `source_file` and loaded again). So a plain MergeTree, read without FINAL. A client retry
--   more than the dedup horizon after the first copy, or a backfill over a period the live job
--   already covered, is counted twice (docs/warehouse.md).
-- Columns: the event-log record (docs/CONTRACTS.md). `ts` is the event time the collector
--   derived and vouches for; `client_ts_ms` the client's raw clock; `late` = 1 when the job read
--   the event behind its watermark (docs/time.md). Props are parallel arrays (no Map on 18.16);
--   common ones are MATERIALIZED columns computed once at insert.
-- Sort key (day, event, user_id, ts): analysts and funnels filter by date range and event names
--   and then group per user in time order; PostHog orders its events the same way.
-- Partition by month of event time: few parts, whole months dropped cheaply.
CREATE TABLE IF NOT EXISTS events_store (
    event_id String,
    user_id String,
    channel String,
    event String,
    ts DateTime('UTC'),
    ts_ms UInt64,
    client_ts_ms UInt64,
    received_at DateTime('UTC'),
    received_ms UInt64,
    session_id String,
    page String,
    prop_keys Array(String),
    prop_values Array(String),
    ip String,
    ua_browser String,
    ua_os String,
    ua_device String,
    late UInt8,
    source_file String,
    business String MATERIALIZED prop_values[indexOf(prop_keys, 'business')],
    flow String MATERIALIZED prop_values[indexOf(prop_keys, 'flow')],
    step UInt16 MATERIALIZED toUInt16OrZero(prop_values[indexOf(prop_keys, 'step')]),
    product String MATERIALIZED prop_values[indexOf(prop_keys, 'product')],
    campaign String MATERIALIZED prop_values[indexOf(prop_keys, 'campaign')],
    slot String MATERIALIZED prop_values[indexOf(prop_keys, 'slot')],
    amount Float64 MATERIALIZED toFloat64OrZero(prop_values[indexOf(prop_keys, 'amount')]),
    ref_share_id String MATERIALIZED prop_values[indexOf(prop_keys, 'ref_share_id')],
    decision_id String MATERIALIZED prop_values[indexOf(prop_keys, 'decision_id')]
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(ts)
ORDER BY (toDate(ts), event, user_id, ts);

-- Events loaded by earlier versions (from the collector's log into events_raw) move over once.
INSERT INTO events_store (
    event_id, user_id, channel, event, ts, ts_ms, client_ts_ms, received_at, received_ms, session_id, page,
    prop_keys, prop_values, ip, ua_browser, ua_os, ua_device, late, source_file
)
SELECT
    event_id, user_id, channel, event, ts, ts_ms, ts_ms, received_at, received_ms, session_id, page,
    prop_keys, prop_values, ip, ua_browser, ua_os, ua_device, 0, 'migrated:events_raw'
FROM events_raw FINAL
WHERE (SELECT count() FROM events_store) = 0;

-- events: what analysts query. A plain view (no FINAL): it lists the columns because ClickHouse
-- 18.16 leaves MATERIALIZED columns out of `SELECT *`. Replaces the view over events_raw.
DROP TABLE IF EXISTS events;

CREATE VIEW IF NOT EXISTS events AS
SELECT
    event_id, user_id, channel, event, ts, ts_ms, client_ts_ms, received_at, received_ms, session_id, page,
    prop_keys, prop_values, ip, ua_browser, ua_os, ua_device, late,
    business, flow, step, product, campaign, slot, amount, ref_share_id, decision_id
FROM events_store;

-- The two copies it replaces: the collector's log (events_raw) and the job's narrower output.
DROP TABLE IF EXISTS stream_events;

DROP TABLE IF EXISTS stream_events_raw;

DROP TABLE IF EXISTS events_raw;
