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
        $outcomes
    ) AS outcome
    ALL INNER JOIN (
        $touches
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
