-- One behaviour metric as a series (analytics/metrics/compile.py fills the template from the
-- catalogue): an aggregate over a source, per period and dimension value, in a date range.
-- Only catalogue text is substituted here: the dates and every value are bound parameters.
SELECT
    day AS period,
    '' AS dimension,
    countMerge(events) AS value
FROM events_daily
WHERE day >= toDate({from:Date}) AND day <= toDate({to:Date}) AND (event = 'page_view')
GROUP BY period, dimension
ORDER BY period, dimension
