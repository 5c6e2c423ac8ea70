-- events_daily: the behaviour metrics' pre-aggregate, one row per (day, event, channel,
--   business, flow, step, slot, campaign, referred) with the event count, the amount and
--   the set of users as ClickHouse aggregate states. Traffic, flow-step, order, touchpoint,
--   sharing and business-event metrics read it instead of scanning `events`: a month of
--   charts reads a few thousand rows, not millions of events.
-- Why states: `uniqExactMerge(users)` over the days of a week gives the exact distinct users
--   of the week (a sum of daily distinct counts would not), on ClickHouse 18.16 and chDB.
-- Filled by the materialized view below at every insert into events_store (the table the
--   loader writes the stream job's deduplicated events to, exactly once per file), so each
--   event is aggregated once. Existing events are aggregated once when this migration runs.
CREATE TABLE IF NOT EXISTS events_daily (
    day Date,
    event String,
    channel String,
    business String,
    flow String,
    step UInt16,
    slot String,
    campaign String,
    referred UInt8,
    events AggregateFunction(count),
    amount AggregateFunction(sum, Float64),
    users AggregateFunction(uniqExact, String)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (day, event, channel, business, flow, step, slot, campaign, referred);

-- Backfill, before the view exists (the owner migrates before its loader starts); skipped
-- when the table already has rows, so running this file again never counts twice.
INSERT INTO events_daily
SELECT
    toDate(ts) AS day, event, channel, business, flow, step, slot, campaign, ref_share_id != '' AS referred,
    countState() AS events, sumState(amount) AS amount, uniqExactState(user_id) AS users
FROM events_store
WHERE (SELECT count() FROM events_daily) = 0
GROUP BY day, event, channel, business, flow, step, slot, campaign, referred;

CREATE MATERIALIZED VIEW IF NOT EXISTS events_daily_mv TO events_daily AS
SELECT
    toDate(ts) AS day, event, channel, business, flow, step, slot, campaign, ref_share_id != '' AS referred,
    countState() AS events, sumState(amount) AS amount, uniqExactState(user_id) AS users
FROM events_store
GROUP BY day, event, channel, business, flow, step, slot, campaign, referred;
