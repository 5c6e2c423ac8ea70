-- One behaviour metric as a series (analytics/metrics/compile.py fills the template from the
-- catalogue): an aggregate over a source, per period and dimension value, in a date range.
-- Only catalogue text is substituted here: the dates and every value are bound parameters.
SELECT
    toStartOfMonth(day) AS period,
    flow AS dimension,
    quantileExact(0.5)(seconds_to_complete) AS value
FROM (
-- One row per user, flow and day on which the user reached step 1: the run starts at the
-- day's first step 1 and completes at the first last step within an hour after it.
-- The lambda gets the start as a second array instead of reading the column: ClickHouse
-- 18.16 drops a subquery column that only a lambda reads.
SELECT
    user_id,
    flow,
    business,
    channel,
    day,
    started_ms,
    arrayReduce('min', arrayFilter(
        (t, start) -> t >= start AND t <= start + 3600000,
        last_step_times, arrayResize(emptyArrayUInt64(), length(last_step_times), started_ms)
    )) AS completed_ms,
    completed_ms > 0 AS completed,
    (completed_ms - started_ms) / 1000 AS seconds_to_complete
FROM (
    SELECT user_id, flow, any(business) AS business, toDate(ts) AS day,
        argMin(channel, ts_ms) AS channel, min(ts_ms) AS started_ms
    FROM events
    WHERE event = 'flow_step' AND step = 1
        AND toDate(ts) >= toDate({from:Date}) AND toDate(ts) <= toDate({to:Date})
    GROUP BY user_id, flow, day
) AS starts
ANY LEFT JOIN (
    SELECT user_id, flow, groupArray(ts_ms) AS last_step_times
    FROM events
    WHERE event = 'flow_step'
        AND step = toUInt16(transform(flow, {flow_names:Array(String)}, {flow_last_steps:Array(String)}, '0'))
        AND toDate(ts) >= toDate({from:Date}) AND toDate(ts) <= toDate({to:Date}) + 1
    GROUP BY user_id, flow
) AS completions USING (user_id, flow)
)
WHERE day >= toDate({from:Date}) AND day <= toDate({to:Date}) AND (completed)
GROUP BY period, dimension
ORDER BY period, dimension
