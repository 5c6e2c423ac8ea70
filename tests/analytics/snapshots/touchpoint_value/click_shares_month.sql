-- Clicks per period, channel, slot and campaign over every touchpoint (no filter): the shares by
--   which each channel's cost is allocated to its touchpoints.
SELECT toStartOfMonth(toDateTime(intDiv(at_ms, 1000), 'UTC')) AS period, channel, slot, campaign, count() AS clicks
FROM (
    SELECT touch_ms AS at_ms, channel, slot, campaign
    FROM (
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
            WHERE event IN ('touchpoint_exposure', 'touchpoint_click') AND ts >= toDateTime(intDiv({touch_from_ms:UInt64}, 1000)) AND ts <= toDateTime(intDiv({touch_to_ms:UInt64}, 1000)) AND ts_ms >= {touch_from_ms:UInt64} AND ts_ms < {touch_to_ms:UInt64}
        )
        GROUP BY decision_id, campaign, is_click, user_id
    )
    WHERE is_click AND touch_ms >= {start_ms:UInt64} AND touch_ms < {end_ms:UInt64}
)
GROUP BY period, channel, slot, campaign
ORDER BY period, channel, slot, campaign
