-- One row per user and day with client activity, with the user's activity around that day
-- (42 days back, 14 forward) for retention and churn. `channel`: the day's first channel.
-- ClickHouse 18.16 lets a lambda read a column only if the outer query needs it too: `day`
-- always is (every metric query filters on it).
SELECT
    user_id,
    day,
    channel,
    has(days, day + 1) AS back_next_day,
    arrayExists(d -> d > day AND d <= day + 7, days) AS back_within_7_days,
    arrayExists(d -> d >= day - 28 AND d < day, days) AS active_previous_28_days,
    NOT arrayExists(d -> d > day AND d <= day + 14, days) AS quiet_next_14_days,
    NOT arrayExists(d -> d >= day - 14 AND d < day, days) AND arrayExists(d -> d < day - 14, days) AS reactivated
FROM (
    SELECT user_id, groupArray(active_day) AS days, groupArray(first_channel) AS channels
    FROM (
        SELECT user_id, toDate(ts) AS active_day, argMin(channel, ts_ms) AS first_channel
        FROM events
        WHERE has({client_events:Array(String)}, event)
            AND toDate(ts) >= toDate({from:Date}) - 42
            AND toDate(ts) <= toDate({to:Date}) + 14
        GROUP BY user_id, active_day
    )
    GROUP BY user_id
)
ARRAY JOIN days AS day, channels AS channel
