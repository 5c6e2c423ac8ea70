-- Daily events and active users per channel.
SELECT toDate(ts) AS day, channel, count() AS events, uniqExact(user_id) AS users
FROM events
GROUP BY day, channel
ORDER BY day, channel
