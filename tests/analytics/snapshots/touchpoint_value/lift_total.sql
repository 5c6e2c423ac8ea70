-- Holdout lift. A unit is a user, a campaign, and the period and dimensions of the user's decisions:
--   treated when a decision showed the campaign (its `campaigns` prop lists it), control when a decision
--   held the user out of it (its `holdout` prop lists it), excluded when both happened. A unit converts
--   when the user orders what the campaign sells (any order if unmapped) within lift_window_ms of its
--   first decision. Intention to treat: showing counts, whether or not the user saw or clicked.
SELECT
    unit_period AS period,
    campaign,
    countIf(arm = 'treated') AS treated_users,
    countIf(arm = 'treated' AND converted) AS treated_conversions,
    countIf(arm = 'control') AS control_users,
    countIf(arm = 'control' AND converted) AS control_conversions,
    countIf(arm = 'both') AS excluded_users
FROM (
    SELECT
        user_id,
        campaign,
        unit_period,
        any(arm) AS arm,
        max(
            order_ms >= entry_ms
            AND toInt64(order_ms) - toInt64(entry_ms) <= {lift_window_ms:Int64}
            AND (campaign_business = '' OR campaign_business = order_business)
            AND (campaign_product = '' OR campaign_product = order_product)
        ) AS converted
    FROM (
        SELECT
            user_id,
            campaign,
            toDate(toDateTime(intDiv({start_ms:UInt64}, 1000), 'UTC')) AS unit_period,
            if(length(groupUniqArray(decision_arm)) > 1, 'both', any(decision_arm)) AS arm,
            min(at_ms) AS entry_ms,
            arrayElement({map_businesses:Array(String)}, indexOf({map_campaigns:Array(String)}, campaign)) AS campaign_business,
            arrayElement({map_products:Array(String)}, indexOf({map_campaigns:Array(String)}, campaign)) AS campaign_product
        FROM (
            SELECT
                user_id,
                ts_ms AS at_ms,
                channel,
                slot,
                tupleElement(pair, 1) AS decision_arm,
                tupleElement(pair, 2) AS campaign
            FROM (
                SELECT
                    user_id,
                    ts_ms,
                    channel,
                    slot,
                    arrayJoin(arrayConcat(
                        arrayMap(c -> ('treated', c), splitByChar(',', prop_values[indexOf(prop_keys, 'campaigns')])),
                        arrayMap(c -> ('control', c), splitByChar(',', prop_values[indexOf(prop_keys, 'holdout')]))
                    )) AS pair
                FROM events
                WHERE event = 'touchpoint_decision' AND ts >= toDateTime(intDiv({start_ms:UInt64}, 1000)) AND ts <= toDateTime(intDiv({end_ms:UInt64}, 1000)) AND ts_ms >= {start_ms:UInt64} AND ts_ms < {end_ms:UInt64}
            )
            WHERE campaign != '' AND 1
        )
        GROUP BY user_id, campaign, unit_period
    ) AS unit
    ALL LEFT JOIN (
        SELECT user_id, ts_ms AS order_ms, business AS order_business, product AS order_product
        FROM events
        WHERE event = 'order_success' AND ts >= toDateTime(intDiv({start_ms:UInt64}, 1000)) AND ts <= toDateTime(intDiv({order_to_ms:UInt64}, 1000)) AND ts_ms >= {start_ms:UInt64} AND ts_ms < {order_to_ms:UInt64}
    ) AS purchase USING user_id
    GROUP BY user_id, campaign, unit_period
)
GROUP BY period, campaign
ORDER BY period, campaign
