-- Touchpoint results per period and dimensions: exposures, reach (users exposed), clicks, attributed
--   conversions with their order amount, and handled service transactions. Every figure belongs to
--   the period of its touch, so an order after the range still counts for a touch inside it.
SELECT
    $period AS period,$dimensions
    countIf(fact = 'exposure') AS exposures,
    uniqExactIf(user_id, fact = 'exposure') AS reach,
    countIf(fact = 'click') AS clicks,
    countIf(fact = 'conversion') AS conversions,
    sumIf(amount, fact = 'conversion') AS order_amount,
    countIf(fact = 'service') AS service_transactions
FROM (
    SELECT
        if(is_click, 'click', 'exposure') AS fact,
        touch_ms AS at_ms,
        user_id,
        channel,
        slot,
        campaign,
        campaign_business,
        toFloat64(0) AS amount
    FROM (
        $touches
    )
    WHERE touch_ms >= {start_ms:UInt64} AND touch_ms < {end_ms:UInt64} AND $campaign_filter
    UNION ALL
    SELECT kind AS fact, touch_ms AS at_ms, user_id, channel, slot, campaign, campaign_business, amount
    FROM (
        $attributed
    )
    WHERE touch_ms >= {start_ms:UInt64} AND touch_ms < {end_ms:UInt64} AND $campaign_filter
)
GROUP BY period$group_dimensions
ORDER BY period$group_dimensions
