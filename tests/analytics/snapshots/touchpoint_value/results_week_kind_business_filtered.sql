-- Touchpoint results per period and dimensions: exposures, reach (users exposed), clicks, attributed
--   conversions with their order amount, and handled service transactions. Every figure belongs to
--   the period of its touch, so an order after the range still counts for a touch inside it.
SELECT
    toMonday(toDateTime(intDiv(at_ms, 1000), 'UTC')) AS period,
    arrayElement({slot_kinds:Array(String)}, indexOf({slot_names:Array(String)}, slot)) AS slot_kind,
    campaign_business AS business,
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
    WHERE touch_ms >= {start_ms:UInt64} AND touch_ms < {end_ms:UInt64} AND has({campaigns:Array(String)}, campaign)
    UNION ALL
    SELECT kind AS fact, touch_ms AS at_ms, user_id, channel, slot, campaign, campaign_business, amount
    FROM (
        -- attributed: each outcome credited to at most one touch of the same user, last touch wins.
        --   An order qualifies a click of a campaign selling its business (and product, when mapped) at most
        --   click_window_ms before it, or an exposure at most exposure_window_ms before it. A service
        --   transaction qualifies a click of any campaign at most service_window_ms before it.
        --   Among qualifying touches clicks beat exposures, then the latest wins (ties: decision_id, campaign).
        SELECT
            outcome_id,
            outcome_kind AS kind,
            outcome_amount AS amount,
            outcome_user AS user_id,
            tupleElement(winner, 1) AS decision_id,
            tupleElement(winner, 2) AS campaign,
            tupleElement(winner, 3) AS touch_ms,
            tupleElement(winner, 4) AS channel,
            tupleElement(winner, 5) AS slot,
            tupleElement(winner, 6) AS campaign_business
        FROM (
            SELECT
                outcome_id,
                any(kind) AS outcome_kind,
                any(amount) AS outcome_amount,
                any(user_id) AS outcome_user,
                argMax(
                    tuple(decision_id, campaign, touch_ms, channel, slot, campaign_business),
                    tuple(is_click, touch_ms, decision_id, campaign)
                ) AS winner
            FROM (
                -- outcomes: what a touch can take credit for. Orders (kind 'conversion', marketing value) and handled
                --   service transactions (kind 'service': flow steps listed in the value parameters as 'flow:step').
                --   An outcome before the range start can only be credited to a touch before it, so none is loaded.
                SELECT event_id AS outcome_id, 'conversion' AS kind, user_id, ts_ms AS outcome_ms, business, product, amount
                FROM events
                WHERE event = 'order_success' AND ts >= toDateTime(intDiv({start_ms:UInt64}, 1000)) AND ts <= toDateTime(intDiv({outcome_to_ms:UInt64}, 1000)) AND ts_ms >= {start_ms:UInt64} AND ts_ms < {outcome_to_ms:UInt64}
                UNION ALL
                SELECT event_id AS outcome_id, 'service' AS kind, user_id, ts_ms AS outcome_ms, business, product, toFloat64(0) AS amount
                FROM events
                WHERE event = 'flow_step' AND has({service_keys:Array(String)}, concat(flow, ':', toString(step))) AND ts >= toDateTime(intDiv({start_ms:UInt64}, 1000)) AND ts <= toDateTime(intDiv({outcome_to_ms:UInt64}, 1000)) AND ts_ms >= {start_ms:UInt64} AND ts_ms < {outcome_to_ms:UInt64}
            ) AS outcome
            ALL INNER JOIN (
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
            ) AS touch USING user_id
            WHERE touch_ms <= outcome_ms
                AND (
                    (
                        kind = 'conversion'
                        AND (campaign_business = '' OR campaign_business = business)
                        AND (campaign_product = '' OR campaign_product = product)
                        AND toInt64(outcome_ms) - toInt64(touch_ms)
                            <= if(is_click, {click_window_ms:Int64}, {exposure_window_ms:Int64})
                    )
                    OR (kind = 'service' AND is_click AND toInt64(outcome_ms) - toInt64(touch_ms) <= {service_window_ms:Int64})
                )
            GROUP BY outcome_id
        )
    )
    WHERE touch_ms >= {start_ms:UInt64} AND touch_ms < {end_ms:UInt64} AND has({campaigns:Array(String)}, campaign)
)
GROUP BY period, slot_kind, business
ORDER BY period, slot_kind, business
