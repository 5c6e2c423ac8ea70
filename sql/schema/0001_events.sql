-- events_raw: every accepted event, as the collector recorded it (docs/CONTRACTS.md).
-- Engine ReplacingMergeTree(received_ms): an event sent twice (client retry) or a file
--   loaded twice (crash between insert and bookkeeping) collapses to one row when parts
--   merge; the `events` view reads with FINAL so no query double counts before that.
-- Sort key (user_id, ts, event_id): per-user time order is what funnels, sessions and
--   profiles scan; event_id last puts duplicates side by side for the replacing merge.
-- Partition by month of client time: small number of parts, whole months dropped cheaply.
-- Props are parallel arrays (no Map on ClickHouse 18.16); the common ones are
--   MATERIALIZED columns, computed once at insert, so analysts filter on plain columns.
CREATE TABLE IF NOT EXISTS events_raw (
    event_id String,
    user_id String,
    channel String,
    event String,
    ts DateTime('UTC'),
    ts_ms UInt64,
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
    business String MATERIALIZED prop_values[indexOf(prop_keys, 'business')],
    flow String MATERIALIZED prop_values[indexOf(prop_keys, 'flow')],
    step UInt16 MATERIALIZED toUInt16OrZero(prop_values[indexOf(prop_keys, 'step')]),
    product String MATERIALIZED prop_values[indexOf(prop_keys, 'product')],
    campaign String MATERIALIZED prop_values[indexOf(prop_keys, 'campaign')],
    slot String MATERIALIZED prop_values[indexOf(prop_keys, 'slot')],
    amount Float64 MATERIALIZED toFloat64OrZero(prop_values[indexOf(prop_keys, 'amount')]),
    ref_share_id String MATERIALIZED prop_values[indexOf(prop_keys, 'ref_share_id')]
) ENGINE = ReplacingMergeTree(received_ms)
PARTITION BY toYYYYMM(ts)
ORDER BY (user_id, ts, event_id);

-- events: what analysts query. FINAL applies the dedup at read time; the columns are
-- listed because ClickHouse 18.16 leaves MATERIALIZED columns out of `SELECT *`.
CREATE VIEW IF NOT EXISTS events AS
SELECT
    event_id, user_id, channel, event, ts, ts_ms, received_at, received_ms, session_id, page,
    prop_keys, prop_values, ip, ua_browser, ua_os, ua_device,
    business, flow, step, product, campaign, slot, amount, ref_share_id
FROM events_raw FINAL;
