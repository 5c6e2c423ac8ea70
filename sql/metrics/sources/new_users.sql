-- One row per user, dated by the user's first client event ever: the channel it came on,
-- whether it was a visit brought by a share, and whether the user came back.
SELECT
    user_id,
    day,
    channel,
    referred,
    has(days, day + 1) AS back_next_day,
    arrayExists(d -> d > day AND d <= day + 7, days) AS back_within_7_days
FROM (
    SELECT
        user_id,
        min(toDate(ts)) AS day,
        argMin(channel, ts_ms) AS channel,
        argMin(ref_share_id != '', ts_ms) AS referred,
        groupUniqArray(toDate(ts)) AS days
    FROM events
    WHERE has({client_events:Array(String)}, event) AND toDate(ts) <= toDate({to:Date}) + 7
    GROUP BY user_id
)
