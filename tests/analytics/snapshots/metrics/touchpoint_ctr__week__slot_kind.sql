-- One behaviour metric as a series (analytics/metrics/compile.py fills the template from the
-- catalogue): an aggregate over a source, per period and dimension value, in a date range.
-- Only catalogue text is substituted here: the dates and every value are bound parameters.
SELECT
    toMonday(day) AS period,
    transform(slot, {slot_names:Array(String)}, {slot_kinds:Array(String)}, '') AS dimension,
    countMerge(events) AS value
FROM events_daily
WHERE day >= toDate({from:Date}) AND day <= toDate({to:Date}) AND (event = 'touchpoint_click')
GROUP BY period, dimension
ORDER BY period, dimension
;
-- One behaviour metric as a series (analytics/metrics/compile.py fills the template from the
-- catalogue): an aggregate over a source, per period and dimension value, in a date range.
-- Only catalogue text is substituted here: the dates and every value are bound parameters.
SELECT
    toMonday(day) AS period,
    transform(slot, {slot_names:Array(String)}, {slot_kinds:Array(String)}, '') AS dimension,
    countMerge(events) AS value
FROM events_daily
WHERE day >= toDate({from:Date}) AND day <= toDate({to:Date}) AND (event = 'touchpoint_exposure')
GROUP BY period, dimension
ORDER BY period, dimension
