-- How far users get in the plan_upgrade flow within 30 minutes, per channel
-- (windowFunnel in the form ClickHouse 18.16 supports: window in seconds, DateTime).
SELECT channel, level, count() AS users
FROM (
    SELECT
        user_id,
        any(channel) AS channel,
        windowFunnel(1800)(ts, step = 1, step = 2, step = 3) AS level
    FROM events
    WHERE event = 'flow_step' AND flow = 'plan_upgrade'
    GROUP BY user_id
)
GROUP BY channel, level
ORDER BY channel, level
