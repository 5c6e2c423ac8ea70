"""Metric page speed: every metric of the catalogue over generated events, in one run.

    .venv/bin/python -m benchmarks.metrics --events 10000000 [--days 30] [--only NAME,...]

One embedded chDB warehouse in a temporary directory. Events are synthesised by the engine
(``INSERT … SELECT … FROM numbers``, in chunks, so the pre-aggregates' materialized views
fill as they would from the loader) with the shape of the generated world: sessions of 16
events of a user on one channel, a third of them running a flow of core/contract/flows.yaml
step by step with the world's continuation probabilities (touchstream/traffic/world.yaml),
orders after completed flows, page views (some through shares), clicks, touchpoint
decisions, exposures and clicks on the channel's slots, shares, back-end business events,
and tag changes.

A metric page is what the UI's Metrics page runs for one metric: the daily series of the
last 30 days (:func:`metric_series`) and the channel comparison (:func:`compare_channels`)
when the metric has a channel dimension. Each page is timed once after one warm-up page.
The baseline, in the same run: the metrics that read the pre-aggregate computed instead
from ``events`` (same filters, plain aggregates), to show what pre-aggregation buys; their
values must agree. Also, for one count and one distinct-user metric, the single daily
query from each (best of 5), to separate what the aggregate states cost. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from analytics.metrics import compare_channels, default_metric_catalogue, metric_series
from analytics.metrics.definitions import Metric, MetricCatalogue
from core.contract.definitions import default_catalogue
from touchstream.traffic.world import default_world
from warehouse import Warehouse, connect
from warehouse.migrations import migrate

SESSION_EVENTS = 16
CHUNK_ROWS = 2_000_000
COLUMNS = (
    "event_id, user_id, channel, event, ts, ts_ms, client_ts_ms, received_at, received_ms, session_id, page, "
    "prop_keys, prop_values, ip, ua_browser, ua_os, ua_device, late, source_file"
)
TAGS = ["browser:plan", "browser:broadband", "orderer:plan", "sharer:plan", "silent_churn_risk", "audience:winback"]
RAW_VALUES = {
    "countMerge(events)": "count()",
    "uniqExactMerge(users)": "uniqExact(user_id)",
    "sumMerge(amount)": "sum(amount)",
}


def _u(salt: int, key: str = "s") -> str:
    """A deterministic uniform [0, 1) per session (or per event with key n)."""
    return f"(cityHash64({key}, {salt}) % 1000000) / 1000000.0"


def _array(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def synthesis_sql(first: int, rows: int, users: int, start_ms: int, days: int) -> str:
    """INSERT … SELECT of ``rows`` events numbered from ``first`` (all literals from the definition files)."""
    contract, world = default_catalogue(), default_world()
    flows = list(world.flows.behaviour)
    reach_cases = []
    for index, name in enumerate(flows):
        behaviour = world.flows.behaviour[name]
        conts = [f"({_u(20 + k)} < {p})" for k, p in enumerate(behaviour.continue_)]
        reach = " + ".join(["1"] + [f"({' AND '.join(conts[: k + 1])})" for k in range(len(conts))])
        reach_cases.append(f"flow_i = {index}, {reach},")
    slots = {ch: [s for s, spec in contract.slots.items() if spec.channel == ch] for ch in contract.channels}
    backend = [name for name, spec in contract.events.items() if spec.source == "backend"]
    mix = world.channels.home_mix
    return f"""
INSERT INTO events_store ({COLUMNS})
SELECT
    concat('b', toString(n)) AS event_id, user_id, channel, event,
    toDateTime(intDiv(ts_ms, 1000)) AS ts, ts_ms, ts_ms AS client_ts_ms,
    toDateTime(intDiv(ts_ms + delay, 1000)) AS received_at,
    ts_ms + delay AS received_ms, if(service_or_backend, '', concat('s', toString(s))) AS session_id,
    concat('/', business, '/', event) AS page,
    multiIf(
        event = 'flow_step', ['flow', 'step', 'business'],
        event = 'order_success', ['business', 'product', 'flow', 'amount'],
        event IN ('touchpoint_exposure', 'touchpoint_click'), ['slot', 'campaign', 'content_id', 'decision_id'],
        event = 'touchpoint_decision', ['decision_id', 'request_id', 'slot', 'campaigns', 'tiers', 'reason',
                                        'suppressed', 'holdout', 'degraded'],
        event = 'share', ['business', 'campaign', 'share_id'],
        event = 'page_view' AND referred, ['business', 'ref_share_id', 'duration_ms'],
        event = 'page_view', ['business', 'duration_ms'],
        event = 'data_usage', ['used_pct'],
        event IN ('topup', 'arrears'), ['amount', 'amount_due'],
        event = 'balance_low', ['balance'],
        event = 'broadband_contract', ['expires_on'],
        event = 'unsubscribe', ['product'],
        ['element', 'business']) AS prop_keys,
    multiIf(
        event = 'flow_step', [flow, toString(pos - 2), flow_business],
        event = 'order_success', [flow_business, 'p1', flow, toString(50 + cityHash64(s, 9) % 500)],
        event IN ('touchpoint_exposure', 'touchpoint_click'), [slot, campaign, 'c1', concat('d', toString(s))],
        event = 'touchpoint_decision', [concat('d', toString(s)), concat('r', toString(s)), slot,
                                        if(cityHash64(n, 11) % 10 < 3, '', campaign), 'precision', 'targeted',
                                        if(cityHash64(n, 12) % 4 = 0, 'bb-renew-2026:cap', ''),
                                        if(cityHash64(n, 13) % 20 = 0, campaign, ''), 'false'],
        event = 'share', [business, campaign, concat('sh', toString(s))],
        event = 'page_view' AND referred, [business, concat('sh', toString(cityHash64(n, 14) % {rows})),
                                           toString(cityHash64(n, 15) % 60000)],
        event = 'page_view', [business, toString(cityHash64(n, 15) % 60000)],
        event = 'data_usage', [toString(80 + 10 * (cityHash64(n, 16) % 5))],
        event IN ('topup', 'arrears'), ['50', '30'],
        event = 'balance_low', ['3.5'],
        event = 'broadband_contract', [toString(toDate(intDiv(ts_ms, 1000)) + cityHash64(n, 17) % 90)],
        event = 'unsubscribe', ['video-vip'],
        ['buy', business]) AS prop_values,
    '127.0.0.1' AS ip, if(service_or_backend, '', 'Chrome') AS ua_browser, 'Android' AS ua_os, 'phone' AS ua_device,
    delay > 60000 AS late, 'benchmark' AS source_file
FROM (
    SELECT
        number AS n, intDiv(number, {SESSION_EVENTS}) AS s, number % {SESSION_EVENTS} AS pos,
        cityHash64(s, 1) % {users} AS user_n, concat('u', toString(user_n)) AS user_id,
        multiIf({_u(2, "user_n")} < {mix["app"]}, 'app', {_u(2, "user_n")} < {mix["app"] + mix["web"]}, 'web',
                'wechat') AS channel,
        {start_ms} + (cityHash64(s, 3) % {days * 86_400_000}) + pos * 20000 + cityHash64(number) % 15000 AS ts_ms,
        if(cityHash64(number, 4) % 100 = 0, 600000, 500) AS delay,
        {_u(5)} < {world.flows.start_prob_per_session} AS has_flow,
        toUInt32(cityHash64(s, 6) % {len(flows)}) AS flow_i,
        {_array(flows)}[flow_i + 1] AS flow,
        {_array([contract.flows[f].business for f in flows])}[flow_i + 1] AS flow_business,
        [{", ".join(str(contract.flows[f].last_step) for f in flows)}][flow_i + 1] AS steps,
        multiIf({" ".join(reach_cases)} 1) AS reach,
        {_array(contract.businesses)}[1 + cityHash64(n, 7) % {len(contract.businesses)}] AS business,
        multiIf(channel = 'app', {_array(slots["app"])}, channel = 'web', {_array(slots["web"])},
                {_array(slots["wechat"])}) AS channel_slots,
        channel_slots[1 + cityHash64(n, 8) % length(channel_slots)] AS slot,
        {_array(world.touchpoints.campaigns)}[1 + cityHash64(s, 10) % {len(world.touchpoints.campaigns)}] AS campaign,
        cityHash64(n, 18) % 1000 AS dice,
        has_flow AND pos >= 3 AND pos < 3 + reach AS is_step,
        has_flow AND reach = steps AND pos = 3 + reach AND {_u(19)} < 0.95 AS is_order,
        multiIf(is_step, 'flow_step', is_order, 'order_success',
                pos = 0 OR dice < 500, 'page_view', dice < 700, 'click', dice < 800, 'touchpoint_decision',
                dice < 920, 'touchpoint_exposure', dice < 940, 'touchpoint_click', dice < 950, 'share',
                dice < 980, {_array(backend)}[1 + dice % {len(backend)}], 'page_view') AS event,
        event = 'page_view' AND cityHash64(n, 21) % 30 = 0 AS referred,
        event IN {tuple([*backend, "touchpoint_decision"])} AS service_or_backend
    FROM numbers({first}, {rows})
)
"""


def tag_changes_sql(rows: int, users: int, start_ms: int, days: int) -> str:
    return f"""
INSERT INTO tag_changes_raw (user_id, tag, action, ts, ts_ms, expires_at_ms, seq, set_at_ms)
SELECT concat('u', toString(cityHash64(number, 1) % {users})) AS user_id,
    {_array(TAGS)}[1 + cityHash64(number, 2) % {len(TAGS)}] AS tag,
    if(cityHash64(number, 3) % 3 = 0, 'cleared', 'set') AS action,
    toDateTime(intDiv(ts_ms, 1000)) AS ts, {start_ms} + cityHash64(number, 4) % {days * 86_400_000} AS ts_ms,
    NULL AS expires_at_ms, number AS seq, if(action = 'set', ts_ms, NULL) AS set_at_ms
FROM numbers({rows})
"""


def load(wh: Warehouse, events: int, users: int, start_ms: int, days: int) -> float:
    started = time.perf_counter()
    for first in range(0, events, CHUNK_ROWS):
        wh.execute(synthesis_sql(first, min(CHUNK_ROWS, events - first), users, start_ms, days))
    wh.execute(tag_changes_sql(max(1, events // 50), users, start_ms, days))
    wh.execute("OPTIMIZE TABLE events_store FINAL")
    return time.perf_counter() - started


def raw_catalogue(catalogue: MetricCatalogue) -> tuple[MetricCatalogue, list[str]]:
    """The catalogue with every pre-aggregate metric rewritten to scan ``events``."""
    metrics: dict[str, Metric] = dict(catalogue.metrics)
    rewritten = []
    for name, metric in catalogue.metrics.items():
        if metric.source == "daily":
            value = RAW_VALUES[metric.value or ""]
            where = metric.where.replace("referred = 1", "ref_share_id != ''")
            metrics[name] = metric.model_copy(update={"source": "events", "value": value, "where": where})
            rewritten.append(name)
    return catalogue.model_copy(update={"metrics": metrics}), rewritten


def page(name: str, wh: Warehouse, catalogue: MetricCatalogue, start: Any, end: Any) -> tuple[float, Any]:
    """One metric page: the daily series and, where it can be split by channel, the comparison."""
    began = time.perf_counter()
    series = metric_series(name, "day", None, start, end, target=wh, catalogue=catalogue)
    if "channel" in catalogue.get(name).dimensions:
        compare_channels(name, "day", start, end, target=wh, catalogue=catalogue)
    return time.perf_counter() - began, [p.value for p in series.lines[0].points] if series.lines else []


PROBES = ("page_views", "page_view_users")


def best_query_s(name: str, wh: Warehouse, catalogue: MetricCatalogue, start: Any, end: Any) -> float:
    """The daily series of ``name`` (one statement), best of 5."""
    times = []
    for _ in range(5):
        began = time.perf_counter()
        metric_series(name, "day", None, start, end, target=wh, catalogue=catalogue)
        times.append(time.perf_counter() - began)
    return round(min(times), 3)


def _summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "total_s": round(sum(ordered), 2),
        "median_s": round(statistics.median(ordered), 3),
        "p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
        "max_s": round(ordered[-1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=0, help="default: events / 50")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--only", default="", help="comma-separated metric names (default: all)")
    args = parser.parse_args()
    users = args.users or max(1, args.events // 50)
    catalogue = default_metric_catalogue()
    names = [n for n in args.only.split(",") if n] or list(catalogue.metrics)
    end = dt.date(2026, 1, 31)
    start = end - dt.timedelta(days=args.days - 1)
    start_ms = int(dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC).timestamp() * 1000)
    raw, rewritten = raw_catalogue(catalogue)
    with tempfile.TemporaryDirectory(prefix="ts-bench-metrics-") as tmp:
        wh = connect(f"chdb://{Path(tmp) / 'warehouse'}")
        try:
            migrate(wh)
            load_s = load(wh, args.events, users, start_ms, args.days)
            rows = wh.query("SELECT count() FROM events").scalar()
            daily_rows = wh.query("SELECT count() FROM events_daily").scalar()
            page(names[0], wh, catalogue, start, end)  # warm-up
            times: dict[str, float] = {}
            values: dict[str, Any] = {}
            for name in names:
                times[name], values[name] = page(name, wh, catalogue, start, end)
            compared = [n for n in names if n in rewritten]
            raw_times: dict[str, float] = {}
            disagree: list[str] = []
            for name in compared:
                raw_times[name], raw_values = page(name, wh, raw, start, end)
                if raw_values != values[name]:
                    disagree.append(name)
            probes = {
                name: {
                    "preaggregate": best_query_s(name, wh, catalogue, start, end),
                    "events": best_query_s(name, wh, raw, start, end),
                }
                for name in PROBES
            }
        finally:
            wh.close()
    by_source: dict[str, list[float]] = {}
    for name, seconds in times.items():
        by_source.setdefault(catalogue.get(name).source or "formula", []).append(seconds)
    pre_s, raw_s = sum(times[n] for n in compared), sum(raw_times.values())
    line = {
        "benchmark": "metrics",
        "events": int(rows),
        "users": users,
        "days": args.days,
        "events_daily_rows": int(daily_rows),
        "cores": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "load_seconds": round(load_s, 1),
        "metric_pages": len(times),
        "pages": _summary(list(times.values())),
        "slowest": sorted(((round(s, 3), n) for n, s in times.items()), reverse=True)[:5],
        "median_s_by_source": {s: round(statistics.median(v), 3) for s, v in sorted(by_source.items())},
        "preaggregated_pages": len(compared),
        "preaggregated_total_s": round(pre_s, 2),
        "same_pages_from_events_total_s": round(raw_s, 2),
        "speedup_from_preaggregation": round(raw_s / pre_s, 1) if pre_s else None,
        "preaggregate_disagrees_with_events": disagree,
        "single_query_s": probes,
    }
    sys.stdout.write(orjson.dumps(line).decode() + "\n")


if __name__ == "__main__":
    main()
