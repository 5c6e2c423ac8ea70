-- touches: one row per touchpoint exposure or click, identified by (decision_id, campaign, kind, user)
--   so that a frontend resending an exposure or click counts it once (its first report wins). The
--   campaign's business and product (what it sells, '' = not mapped) come from the campaign mapping
--   bound as parallel arrays. Loaded from the range widened by the longest attribution window, so a
--   later touch outside the range can still take an order from a touch inside it.
SELECT
    decision_id,
    campaign,
    is_click,
    user_id,
    min(ts_ms) AS touch_ms,
    argMin(channel, ts_ms) AS channel,
    argMin(slot, ts_ms) AS slot,
    arrayElement({map_businesses:Array(String)}, indexOf({map_campaigns:Array(String)}, campaign)) AS campaign_business,
    arrayElement({map_products:Array(String)}, indexOf({map_campaigns:Array(String)}, campaign)) AS campaign_product
FROM (
    SELECT
        prop_values[indexOf(prop_keys, 'decision_id')] AS decision_id,
        campaign,
        event = 'touchpoint_click' AS is_click,
        ts_ms,
        user_id,
        channel,
        slot
    FROM events
    WHERE event IN ('touchpoint_exposure', 'touchpoint_click') AND $touch_period
)
GROUP BY decision_id, campaign, is_click, user_id
