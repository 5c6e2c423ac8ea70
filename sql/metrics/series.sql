-- One behaviour metric as a series (analytics/metrics/compile.py fills the template from the
-- catalogue): an aggregate over a source, per period and dimension value, in a date range.
-- Only catalogue text is substituted here: the dates and every value are bound parameters.
SELECT
    $period AS period,
    $dimension AS dimension,
    $value AS value
FROM $source
WHERE $day >= toDate({from:Date}) AND $day <= toDate({to:Date}) AND ($where)
GROUP BY period, dimension
ORDER BY period, dimension
