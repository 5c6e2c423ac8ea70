-- One behaviour metric as a series (analytics/metrics/compile.py fills the template from the
-- catalogue): an aggregate over a source, per period and dimension value, in a date range.
-- Only catalogue text is substituted here: the dates and every value are bound parameters.
SELECT
    day AS period,
    campaign AS dimension,
    100 * countIf(ordered_within_1_day) / count() AS value
FROM (
-- Actions that should lead to an order, each with whether the same user placed an order
-- within a day and within 7 days after it: touchpoint clicks, visits brought by a share
-- (`page_view` with ref_share_id) and behaviour tags set on the user (`tag_set`).
-- The lambdas get the action's time as a second array instead of reading the column:
-- ClickHouse 18.16 drops a subquery column that only a lambda reads.
SELECT
    user_id,
    kind,
    day,
    ts_ms,
    channel,
    business,
    slot,
    campaign,
    tag,
    arrayResize(emptyArrayUInt64(), length(order_times), ts_ms) AS action_times,
    arrayExists((t, at) -> t >= at AND t <= at + 86400000, order_times, action_times) AS ordered_within_1_day,
    arrayExists((t, at) -> t >= at AND t <= at + 604800000, order_times, action_times) AS ordered_within_7_days
FROM (
    SELECT user_id, event AS kind, toDate(ts) AS day, ts_ms, channel, business, slot, campaign, '' AS tag
    FROM events
    WHERE (event = 'touchpoint_click' OR (event = 'page_view' AND ref_share_id != ''))
        AND toDate(ts) >= toDate({from:Date}) AND toDate(ts) <= toDate({to:Date})
    UNION ALL
    SELECT user_id, 'tag_set' AS kind, toDate(ts) AS day, ts_ms, '' AS channel, '' AS business,
        '' AS slot, '' AS campaign, tag
    FROM tag_changes
    WHERE action = 'set' AND toDate(ts) >= toDate({from:Date}) AND toDate(ts) <= toDate({to:Date})
) AS actions
ANY LEFT JOIN (
    SELECT user_id, groupArray(ts_ms) AS order_times
    FROM events
    WHERE event = 'order_success'
        AND toDate(ts) >= toDate({from:Date}) AND toDate(ts) <= toDate({to:Date}) + 7
    GROUP BY user_id
) AS orders USING user_id
)
WHERE day >= toDate({from:Date}) AND day <= toDate({to:Date}) AND (kind = 'touchpoint_click')
GROUP BY period, dimension
ORDER BY period, dimension
