"""The generated SQL, pinned: a change to a template or a fragment shows up in review as a diff.

Regenerate after an intended change with ``UPDATE_SNAPSHOTS=1 pytest tests/analytics/test_touchpoint_value_sql.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analytics.touchpoint_value.compile import Query, click_shares_query, lift_query, results_query
from tests.analytics.touchpoint_world import SEPTEMBER_1_TO_7, mapped

SNAPSHOTS = Path(__file__).parent / "snapshots" / "touchpoint_value"

CASES = {
    "results_day_slot": lambda: results_query(SEPTEMBER_1_TO_7, "day", ("slot",), mapped()),
    "results_week_kind_business_filtered": lambda: results_query(
        SEPTEMBER_1_TO_7, "week", ("slot_kind", "business"), mapped(), ["bb", "dp"]
    ),
    "results_total": lambda: results_query(SEPTEMBER_1_TO_7, "total", (), mapped()),
    "click_shares_month": lambda: click_shares_query(SEPTEMBER_1_TO_7, "month", mapped()),
    "lift_total": lambda: lift_query(SEPTEMBER_1_TO_7, "total", (), mapped()),
    "lift_day_channel_slot_filtered": lambda: lift_query(
        SEPTEMBER_1_TO_7, "day", ("channel", "slot"), mapped(), ["bb"]
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_sql_matches_its_snapshot(name: str) -> None:
    query: Query = CASES[name]()
    path = SNAPSHOTS / f"{name}.sql"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(query.sql + "\n", encoding="utf-8")
    assert query.sql + "\n" == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_placeholder_has_a_value_and_every_value_a_placeholder(name: str) -> None:
    query: Query = CASES[name]()
    assert query.params
    assert Query.using(query.sql, query.params | {"unused": 1}).params == query.params
