-- Saved audiences (analytics/audiences.py, table audiences): per audience, members ever saved,
--   members whose latest save has not expired at {now_ms} (the tag each holds in Redis: a save
--   refreshes a member's expiry), and where the latest save came from (funnel, step, breakdown value).
SELECT
    audience,
    uniqExact(user_id) AS members,
    countIf(expires_ms > {now_ms:UInt64}) AS live_members,
    max(member_saved_ms) AS last_saved_ms,
    max(expires_ms) AS expires_at_ms,
    argMax(member_funnel, member_saved_ms) AS funnel,
    argMax(member_step_name, member_saved_ms) AS step_name,
    argMax(member_breakdown_value, member_saved_ms) AS breakdown_value
FROM (
    SELECT
        audience,
        user_id,
        max(saved_ms) AS member_saved_ms,
        argMax(expires_at_ms, saved_ms) AS expires_ms,
        argMax(funnel, saved_ms) AS member_funnel,
        argMax(step_name, saved_ms) AS member_step_name,
        argMax(breakdown_value, saved_ms) AS member_breakdown_value
    FROM audiences
    GROUP BY audience, user_id
)
GROUP BY audience
ORDER BY last_saved_ms DESC, audience
LIMIT {limit:UInt32}
