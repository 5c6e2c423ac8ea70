-- outcomes: what a touch can take credit for. Orders (kind 'conversion', marketing value) and handled
--   service transactions (kind 'service': flow steps listed in the value parameters as 'flow:step').
--   An outcome before the range start can only be credited to a touch before it, so none is loaded.
SELECT event_id AS outcome_id, 'conversion' AS kind, user_id, ts_ms AS outcome_ms, business, product, amount
FROM events
WHERE event = 'order_success' AND $outcome_period
UNION ALL
SELECT event_id AS outcome_id, 'service' AS kind, user_id, ts_ms AS outcome_ms, business, product, toFloat64(0) AS amount
FROM events
WHERE event = 'flow_step' AND has({service_keys:Array(String)}, concat(flow, ':', toString(step))) AND $outcome_period
