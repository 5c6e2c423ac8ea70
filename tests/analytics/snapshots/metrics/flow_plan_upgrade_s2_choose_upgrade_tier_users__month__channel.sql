-- One behaviour metric as a series (analytics/metrics/compile.py fills the template from the
-- catalogue): an aggregate over a source, per period and dimension value, in a date range.
-- Only catalogue text is substituted here: the dates and every value are bound parameters.
SELECT
    toStartOfMonth(day) AS period,
    channel AS dimension,
    uniqExactMerge(users) AS value
FROM events_daily
WHERE day >= toDate({from:Date}) AND day <= toDate({to:Date}) AND (event = 'flow_step' AND flow = {flow:String} AND step = {step:UInt16})
GROUP BY period, dimension
ORDER BY period, dimension
