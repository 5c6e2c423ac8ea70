"""Generated SQL pinned by snapshots (plain .sql files beside the tests, as ibis does).

A change to a template, a source or a definition shows up here as a diff to review. Set
``UPDATE_SNAPSHOTS=1`` to rewrite the files after an intended change.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from analytics.metrics import metric_queries
from analytics.metrics.definitions import placeholders

SNAPSHOTS = Path(__file__).parent / "snapshots" / "metrics"
START, END = dt.date(2026, 1, 1), dt.date(2026, 1, 31)

CASES = [
    ("page_views", "day", None),  # the pre-aggregate
    ("touchpoint_ctr", "week", "slot_kind"),  # a ratio; a dimension computed from bound contract lists
    ("flow_plan_upgrade_s2_choose_upgrade_tier_users", "month", "channel"),  # generated, bound args
    ("median_session_seconds", "day", "channel"),  # a subquery source
    ("next_day_retention", "week", None),  # user-days with look-back and look-ahead
    ("touchpoint_conversion_rate", "day", "campaign"),  # actions joined to later orders
    ("flow_median_seconds_to_complete", "month", "flow"),
    ("stream_rejects", "day", None),  # dated through the loader's bookkeeping
    ("duplicate_rate", "month", "channel"),  # formula of a formula
]


@pytest.mark.parametrize(("name", "grain", "dimension"), CASES)
def test_sql_snapshot(name: str, grain: str, dimension: str | None) -> None:
    queries = metric_queries(name, grain, dimension, START, END)
    text = "\n;\n".join(q.sql.strip() for q in queries) + "\n"
    path = SNAPSHOTS / f"{name}__{grain}__{dimension or 'all'}.sql"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text)
    assert text == path.read_text(), f"{path} differs: review, then UPDATE_SNAPSHOTS=1"


@pytest.mark.parametrize(("name", "grain", "dimension"), CASES)
def test_placeholders_and_parameters_match(name: str, grain: str, dimension: str | None) -> None:
    for query in metric_queries(name, grain, dimension, START, END):
        assert {n for n, _ in placeholders(query.sql)} == set(query.params)
        assert ";" not in query.sql  # the read-only path takes one statement
        assert query.params["from"] == START and query.params["to"] == END


def test_generated_metrics_share_one_statement_and_differ_in_parameters() -> None:
    (step_2,) = metric_queries("flow_plan_upgrade_s2_choose_upgrade_tier_users", "day", None, START, END)
    (step_3,) = metric_queries("flow_handset_order_s3_fill_address_users", "day", None, START, END)
    assert step_2.sql == step_3.sql
    assert (step_2.params["flow"], step_2.params["step"]) == ("plan_upgrade", 2)
    assert (step_3.params["flow"], step_3.params["step"]) == ("handset_order", 3)
