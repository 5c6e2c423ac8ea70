"""Funnel engine speed on 10M generated events, against two baselines on the same rows.

    .venv/bin/python -m benchmarks.funnel --events 10000000 [--repeat 5]

One run, one embedded chDB warehouse in a temporary directory:
(a) the engine: the saved 5-step ``handset_order`` funnel (4 flow steps + the order) with a
    channel breakdown, through ``run_funnel`` on the analyst-facing ``events`` table;
(b) the bare ``windowFunnel`` query (levels only, no breakdown, no times) over a plain
    MergeTree copy of the same rows, with the same row filter;
(c) a PostHog-style array funnel over that copy: ``groupArray`` + ``arraySort`` per user, each
    step the first matching event after the previous one (``arrayFilter(...)[1]``).
The engine's own query is also timed on the plain copy, with and without the breakdown,
which separates what the engine costs from what reading the ``events`` view costs, and gives
(c) a like-for-like rival (neither computes a breakdown), and once more over no rows at all
(``WHERE 0 AND …``): its fixed cost of analysis and planning, whatever the scan.
Events are synthesised by the engine itself (``INSERT … SELECT … FROM numbers``) with the
structure of the generated world: sessions of 20 events per user and channel, a third of
them running one of the flows of core/contract/flows.yaml, each step continued with the
world's probability times its channel factor (touchstream/traffic/world.yaml), an order after
most completed flows, page views, clicks and touchpoint exposures around them.
Each query runs once to warm up, then ``--repeat`` times, interleaved; the median and the
fastest run are reported (the fastest is the steadier figure on a machine shared with other
work). Prints one JSON line with the times, the ratios and whether (a) and (b) agree on the
users per step.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from analytics.funnels import run_funnel, saved_funnels
from analytics.funnels.compile import funnel_query
from core.contract import default_catalogue
from touchstream.traffic.world import default_world
from warehouse import Warehouse, connect
from warehouse.migrations import migrate
from warehouse.sources import EVENTS_TABLE

FUNNEL = "handset_order"
SESSION_EVENTS = 20
FLOW_START = 3  # the flow's first step is the 4th event of a session
DAYS = 7
START_S = 1_788_000_000
CHUNK_ROWS = 2_000_000
COLUMNS = (
    "event_id, user_id, channel, event, ts, ts_ms, client_ts_ms, received_at, received_ms, session_id, page, "
    "prop_keys, prop_values, ip, ua_browser, ua_os, ua_device, late, source_file"
)


def _uniform(salt: int) -> str:
    """A deterministic uniform [0, 1) per session."""
    return f"(cityHash64(s, {salt}) % 1000000) / 1000000.0"


def synthesis_sql(first: int, rows: int, users: int) -> str:
    """INSERT … SELECT of ``rows`` events numbered from ``first``, all SQL built from world.yaml."""
    catalogue, world = default_catalogue(), default_world()
    flows = list(world.flows.behaviour)
    lengths, reach_cases = [], []
    for index, name in enumerate(flows):
        behaviour = world.flows.behaviour[name]
        lengths.append(str(catalogue.flows[name].last_step))
        conts = []
        for k, p in enumerate(behaviour.continue_):
            factor = " ".join(f"channel = '{ch}', {f}," for ch, f in behaviour.channel_factor.items())
            conts.append(f"({_uniform(20 + k)} < least(0.98, {p} * multiIf({factor} 1.0)))")
        reach = " + ".join(["1"] + [f"({' AND '.join(conts[: k + 1])})" for k in range(len(conts))])
        reach_cases.append(f"flow_i = {index}, {reach},")
    flow_names = "[" + ", ".join(f"'{n}'" for n in flows) + "]"
    businesses = "[" + ", ".join(f"'{catalogue.flows[n].business}'" for n in flows) + "]"
    mix = world.channels.home_mix
    app, web = mix["app"], mix["web"]
    return f"""
INSERT INTO {EVENTS_TABLE} ({COLUMNS})
SELECT
    concat('b', toString(n)) AS event_id, user_id, channel, event,
    toDateTime(intDiv(ts_ms, 1000)) AS ts, ts_ms, ts_ms AS client_ts_ms, toDateTime(intDiv(ts_ms, 1000)) AS received_at,
    ts_ms + 50 AS received_ms, concat('s', toString(s)) AS session_id, '/' AS page,
    multiIf(is_step, ['flow', 'step', 'business'], is_order, ['business', 'product', 'flow', 'amount'],
            ['business']) AS prop_keys,
    multiIf(is_step, [flow, toString(pos - {FLOW_START} + 1), business],
            is_order, [business, 'p1', flow, '100'], [business]) AS prop_values,
    '127.0.0.1' AS ip, 'Chrome' AS ua_browser, 'Android' AS ua_os, 'phone' AS ua_device, 0 AS late,
    'benchmark' AS source_file
FROM (
    SELECT
        number AS n, intDiv(number, {SESSION_EVENTS}) AS s, number % {SESSION_EVENTS} AS pos,
        concat('u', toString(cityHash64(s, 1) % {users})) AS user_id,
        multiIf({_uniform(2)} < {app}, 'app', {_uniform(2)} < {app + web}, 'web', 'wechat') AS channel,
        {START_S * 1000} + (cityHash64(s, 3) % {DAYS * 86_400_000}) + pos * 20000 + cityHash64(n) % 15000 AS ts_ms,
        {_uniform(4)} < {world.flows.start_prob_per_session} AS has_flow,
        toUInt32(cityHash64(s, 5) % {len(flows)}) AS flow_i,
        {flow_names}[flow_i + 1] AS flow, {businesses}[flow_i + 1] AS business,
        [{", ".join(lengths)}][flow_i + 1] AS steps,
        multiIf({" ".join(reach_cases)} 1) AS reach,
        has_flow AND pos >= {FLOW_START} AND pos < {FLOW_START} + reach AS is_step,
        has_flow AND reach = steps AND pos = {FLOW_START} + reach
            AND {_uniform(6)} < {world.flows.order_after_last_step_prob} AS is_order,
        multiIf(is_step, 'flow_step', is_order, 'order_success',
                cityHash64(n, 7) % 10 < 7, 'page_view', cityHash64(n, 7) % 10 < 9, 'click',
                'touchpoint_exposure') AS event
    FROM numbers({first}, {rows})
)
"""


def bare_window_funnel_sql(conditions: list[str], window_s: int) -> str:
    where = " OR ".join(conditions)
    return f"""
SELECT level, count() AS users FROM (
    SELECT user_id, windowFunnel({window_s})(ts, {", ".join(conditions)}) AS level
    FROM events_plain WHERE {where} GROUP BY user_id
) GROUP BY level ORDER BY level"""


def posthog_array_sql(conditions: list[str], window_s: int) -> str:
    mask = " + ".join(f"toUInt32({c}) * {2**k}" for k, c in enumerate(conditions))
    steps = ["arrayFilter(x_ -> bitAnd(x_.2, 1) > 0, ev_)[1].1 AS st0"]
    for k in range(1, len(conditions)):
        steps.append(
            f"arrayFilter(x_ -> bitAnd(x_.2, {2**k}) > 0 AND st{k - 1} > 0 AND x_.1 >= st{k - 1} "
            f"AND x_.1 <= st0 + {window_s * 1000}, ev_)[1].1 AS st{k}"
        )
    levels = ", ".join(f"st{k} > 0, {k}" for k in reversed(range(len(conditions))))
    return f"""
SELECT level, count() AS users FROM (
    SELECT user_id, {", ".join(steps)}, multiIf({levels}, -1) AS level
    FROM (
        SELECT user_id, arraySort(groupArray((ts_ms, mask_))) AS ev_
        FROM (SELECT user_id, ts_ms, {mask} AS mask_ FROM events_plain WHERE {" OR ".join(conditions)})
        GROUP BY user_id
    )
) WHERE level >= 0 GROUP BY level ORDER BY level"""


def literal_conditions(steps: int) -> list[str]:
    """The funnel's step conditions as literals, for the baseline queries (ours binds them)."""
    return [f"(event = 'flow_step' AND flow = '{FUNNEL}' AND step = {k})" for k in range(1, steps)] + [
        f"(event = 'order_success' AND flow = '{FUNNEL}')"
    ]


def timed(runs: dict[str, Callable[[], object]], repeat: int) -> tuple[dict[str, list[float]], dict[str, object]]:
    """Seconds of each run of each query, the queries interleaved so that they share the
    machine's load (2 cores shared with other work) instead of meeting it one after the other."""
    results = {name: run() for name, run in runs.items()}  # warm-up
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            started = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - started)
    return times, results


def load(wh: Warehouse, events: int, users: int) -> float:
    started = time.perf_counter()
    for first in range(0, events, CHUNK_ROWS):
        wh.execute(synthesis_sql(first, min(CHUNK_ROWS, events - first), users))
    wh.execute(f"OPTIMIZE TABLE {EVENTS_TABLE} FINAL")
    # the same layout as events_store (sql/schema/0106_events_store.sql), so that (a) and (b)
    # differ only by the query, not by how the rows are sorted
    wh.execute(
        "CREATE TABLE events_plain ENGINE = MergeTree PARTITION BY toYYYYMM(ts) "
        "ORDER BY (toDate(ts), event, user_id, ts) AS SELECT * FROM events"
    )
    return time.perf_counter() - started


def cumulative(levels: dict[int, int], steps: int) -> list[int]:
    """Users per level -> users who reached each step."""
    return [sum(n for level, n in levels.items() if level >= k) for k in range(steps)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=0, help="default: events / 50")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    users = args.users or max(1, args.events // 50)
    spec = saved_funnels()[FUNNEL].spec()
    steps = len(spec.steps)
    conditions = literal_conditions(steps)
    with tempfile.TemporaryDirectory(prefix="ts-bench-funnel-") as tmp:
        wh = connect(f"chdb://{Path(tmp) / 'warehouse'}")
        try:
            migrate(wh)
            load_s = load(wh, args.events, users)
            rows = wh.query("SELECT count() FROM events").scalar()
            on_plain = funnel_query(spec)
            plain_sql = on_plain.sql.replace("FROM events\n", "FROM events_plain\n")
            # the same query over no rows: what analysing and planning it costs, whatever the scan
            no_rows_sql = plain_sql.replace("\n            WHERE ", "\n            WHERE 0 AND ", 1)
            assert no_rows_sql != plain_sql, "the funnel SQL's row filter moved: update the benchmark"
            bare_spec = funnel_query(saved_funnels()[FUNNEL].spec().model_copy(update={"breakdown": None}))
            bare_spec_sql = bare_spec.sql.replace("FROM events\n", "FROM events_plain\n")
            seconds, results = timed(
                {
                    "engine": lambda: run_funnel(spec, wh),
                    "engine_on_plain": lambda: wh.query(plain_sql, on_plain.params),
                    "engine_on_plain_no_breakdown": lambda: wh.query(bare_spec_sql, bare_spec.params),
                    "engine_no_rows": lambda: wh.query(no_rows_sql, on_plain.params),
                    "bare": lambda: wh.query(bare_window_funnel_sql(conditions, spec.window_seconds)),
                    "posthog": lambda: wh.query(posthog_array_sql(conditions, spec.window_seconds)),
                },
                args.repeat,
            )
        finally:
            wh.close()
    median = {name: statistics.median(t) for name, t in seconds.items()}
    best = {name: min(t) for name, t in seconds.items()}
    engine_s, bare_s, posthog_s = median["engine"], median["bare"], median["posthog"]
    engine_users = [s.users for s in results["engine"].steps]  # type: ignore[attr-defined]
    bare_levels = {int(lv): int(n) for lv, n in results["bare"].rows if int(lv) > 0}  # type: ignore[attr-defined]
    bare_users = cumulative(bare_levels, steps + 1)[1:]  # windowFunnel's level 1 is step 0
    posthog_levels = {int(lv): int(n) for lv, n in results["posthog"].rows}  # type: ignore[attr-defined]
    posthog_users = cumulative(posthog_levels, steps)
    line = {
        "benchmark": "funnel",
        "events": int(rows),
        "users": users,
        "funnel": FUNNEL,
        "steps": steps,
        "breakdown": spec.breakdown,
        "cores": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "load_seconds": round(load_s, 1),
        "engine_s": round(engine_s, 3),
        "engine_on_plain_copy_s": round(median["engine_on_plain"], 3),
        "engine_on_plain_copy_no_breakdown_s": round(median["engine_on_plain_no_breakdown"], 3),
        "engine_no_rows_s": round(median["engine_no_rows"], 3),
        "bare_window_funnel_s": round(bare_s, 3),
        "posthog_array_s": round(posthog_s, 3),
        "events_view_vs_plain_copy": round(engine_s / median["engine_on_plain"], 2),  # the view costs nothing
        "engine_vs_bare": round(engine_s / bare_s, 2),
        "engine_vs_posthog": round(engine_s / posthog_s, 2),
        "engine_no_rows_vs_bare": round(median["engine_no_rows"] / bare_s, 2),  # fixed cost alone
        "fastest_s": {name: round(t, 3) for name, t in best.items()},
        "fastest_engine_vs_bare": round(best["engine"] / best["bare"], 2),
        "fastest_engine_vs_posthog": round(best["engine"] / best["posthog"], 2),
        "users_per_step": {"engine": engine_users, "bare": bare_users, "posthog": posthog_users},
        "engine_agrees_with_bare": engine_users == bare_users,
        "sql_chars": len(funnel_query(spec).sql),
    }
    sys.stdout.write(orjson.dumps(line).decode() + "\n")


if __name__ == "__main__":
    main()
