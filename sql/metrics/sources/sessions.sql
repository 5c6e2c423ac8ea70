-- One row per session (client events sharing a session_id), dated by its first event.
-- Read one day either side of the range so sessions crossing midnight are whole.
SELECT
    user_id,
    session_id,
    toDate(min(ts)) AS day,
    argMin(channel, ts_ms) AS channel,
    (max(ts_ms) - min(ts_ms)) / 1000 AS duration_seconds,
    count() AS events,
    countIf(event = 'page_view') AS page_views,
    countIf(event = 'order_success') AS orders
FROM events
WHERE session_id != ''
    AND has({client_events:Array(String)}, event)
    AND toDate(ts) >= toDate({from:Date}) - 1
    AND toDate(ts) <= toDate({to:Date}) + 1
GROUP BY user_id, session_id
