-- Clicks per period, channel, slot and campaign over every touchpoint (no filter): the shares by
--   which each channel's cost is allocated to its touchpoints.
SELECT $period AS period, channel, slot, campaign, count() AS clicks
FROM (
    SELECT touch_ms AS at_ms, channel, slot, campaign
    FROM (
        $touches
    )
    WHERE is_click AND touch_ms >= {start_ms:UInt64} AND touch_ms < {end_ms:UInt64}
)
GROUP BY period, channel, slot, campaign
ORDER BY period, channel, slot, campaign
