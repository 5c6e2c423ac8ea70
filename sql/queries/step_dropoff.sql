-- Users reaching each step of each flow and the share lost since the previous step:
-- the step with the largest `lost_pct` is the flow's main drop-off.
SELECT
    flow,
    step,
    users,
    if(step = 1, 0, round(100 * (1 - users / prev_users), 1)) AS lost_pct
FROM (
    SELECT flow, groupArray(step) AS steps, groupArray(users) AS counts
    FROM (
        SELECT flow, step, uniqExact(user_id) AS users
        FROM events
        WHERE event = 'flow_step'
        GROUP BY flow, step
        ORDER BY flow, step
    )
    GROUP BY flow
)
ARRAY JOIN steps AS step, counts AS users, arrayConcat([counts[1]], arraySlice(counts, 1, length(counts) - 1)) AS prev_users
ORDER BY flow, step
