-- Each save of each audience, oldest first: when, how many members, until when (the Tags page's
--   audience trend).
SELECT
    audience,
    saved_ms,
    count() AS members,
    any(expires_at_ms) AS expires_at_ms
FROM audiences
WHERE saved_ms >= {from_ms:UInt64} AND saved_ms < {to_ms:UInt64}
GROUP BY audience, saved_ms
ORDER BY saved_ms, audience
LIMIT {limit:UInt32}
