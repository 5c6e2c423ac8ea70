-- Users holding each tag now, from the tag engine's history (tag_changes): a user holds a tag
--   when their latest change of it (by the user's change number, seq) set it and its expiry,
--   if any, is after {now_ms}. Audience tags saved from the UI live in Redis and the audiences
--   table (sql/tags/audience_sizes.sql), not here.
SELECT
    tag,
    splitByChar(':', tag)[1] AS family,
    count() AS users
FROM (
    SELECT
        user_id,
        tag,
        argMax(action, seq) AS last_action,
        argMax(ifNull(expires_at_ms, 0), seq) AS expires_ms
    FROM tag_changes
    GROUP BY user_id, tag
)
WHERE last_action = 'set' AND (expires_ms = 0 OR expires_ms > {now_ms:UInt64})
GROUP BY tag
ORDER BY users DESC, tag
LIMIT {limit:UInt32}
