"""The generated SQL, pinned per funnel shape: plain expected files in tests/analytics/snapshots/.

After an intended change to sql/funnels/, regenerate with
``UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/analytics/test_funnels_sql.py`` and
review the diff. Values never appear in the SQL: they are parameters.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from analytics.funnels import build_spec
from analytics.funnels.compile import CompiledQuery, drop_off_query, funnel_query, time_to_convert_query

SNAPSHOTS = Path(__file__).parent / "snapshots"

PLAN = [{"event": "flow_step", "where": {"flow": "plan_upgrade", "step": str(k)}} for k in (1, 2, 3)]
HOSTILE = "x'); DROP TABLE events_raw; --"
SHAPES = {
    "sequential_by_channel": lambda: funnel_query(build_spec(steps=PLAN, window_seconds=1800, breakdown="channel")),
    "strict_exclusion_prop_breakdown_dates": lambda: funnel_query(
        build_spec(
            steps=[{"event": "page_view", "where": {"ref_share_id": HOSTILE}}, {"event": "order_success"}],
            window_seconds=3600,
            mode="strict",
            breakdown="duration_ms",
            exclusions=[{"event": "arrears", "where": {"amount_due": "5"}}],
            date_from=dt.date(2026, 11, 1),
            date_to=dt.date(2026, 11, 30),
        )
    ),
    "drop_off_users_of_a_value": lambda: drop_off_query(
        build_spec(steps=PLAN, window_seconds=1800, breakdown="channel"), 2, "web", 100
    ),
    "time_to_convert": lambda: time_to_convert_query(build_spec(steps=PLAN, window_seconds=1800), 1, 30),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_sql_matches_its_snapshot(shape: str) -> None:
    query: CompiledQuery = SHAPES[shape]()
    path = SNAPSHOTS / f"{shape}.sql"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(query.sql, encoding="utf-8")
    assert query.sql == path.read_text(encoding="utf-8")


def test_values_are_parameters_never_sql_text() -> None:
    query = SHAPES["strict_exclusion_prop_breakdown_dates"]()
    assert HOSTILE not in query.sql and "duration_ms" not in query.sql and "amount_due" not in query.sql
    assert query.params["s0_v0"] == HOSTILE
    assert query.params["breakdown_key"] == "duration_ms"
    assert (query.params["x0_k0"], query.params["x0_v0"]) == ("amount_due", "5")
    assert query.params["ts_from"] == int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp())
    assert query.params["ts_to"] == int(dt.datetime(2026, 12, 1, tzinfo=dt.UTC).timestamp())
    assert query.params["window_s"] == 3_600
