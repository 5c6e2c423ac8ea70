-- One behaviour metric as a series (analytics/metrics/compile.py fills the template from the
-- catalogue): an aggregate over a source, per period and dimension value, in a date range.
-- Only catalogue text is substituted here: the dates and every value are bound parameters.
SELECT
    toStartOfMonth(day) AS period,
    channel AS dimension,
    count() AS value
FROM collector_log
WHERE day >= toDate({from:Date}) AND day <= toDate({to:Date}) AND (1)
GROUP BY period, dimension
ORDER BY period, dimension
;
-- One behaviour metric as a series (analytics/metrics/compile.py fills the template from the
-- catalogue): an aggregate over a source, per period and dimension value, in a date range.
-- Only catalogue text is substituted here: the dates and every value are bound parameters.
SELECT
    toStartOfMonth(toDate(ts)) AS period,
    channel AS dimension,
    count() AS value
FROM events
WHERE toDate(ts) >= toDate({from:Date}) AND toDate(ts) <= toDate({to:Date}) AND (1)
GROUP BY period, dimension
ORDER BY period, dimension
;
-- One behaviour metric as a series (analytics/metrics/compile.py fills the template from the
-- catalogue): an aggregate over a source, per period and dimension value, in a date range.
-- Only catalogue text is substituted here: the dates and every value are bound parameters.
SELECT
    toStartOfMonth(day) AS period,
    channel AS dimension,
    count() AS value
FROM collector_log
WHERE day >= toDate({from:Date}) AND day <= toDate({to:Date}) AND (1)
GROUP BY period, dimension
ORDER BY period, dimension
