"""Run funnels: the functions the CLI (`touchstream funnel`) and the funnel UI share.

Each compiles the spec (analytics/funnels/compile.py), runs it with bound parameters on a
warehouse or an installation's settings (analytics/query.py) and shapes the rows. None of
them knows about Streamlit or the terminal.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable
from typing import Any, TextIO

from analytics.formatting import csv_safe
from analytics.funnels.compile import drop_off_query, funnel_query, time_to_convert_query
from analytics.funnels.dropoff import biggest_drop, breakdown_outliers
from analytics.funnels.result import NO_VALUE, BreakdownResult, FunnelResult, StepResult
from analytics.funnels.spec import FunnelInputError, FunnelSpec
from analytics.query import QueryTarget, run_sql
from core.models import StrictModel

logger = logging.getLogger(__name__)

MAX_HISTOGRAM_BINS = 200


class DropOffUser(StrictModel):
    user_id: str
    breakdown: str | None  # the user's first-touch value; None without a breakdown
    reached_at_ms: int  # when they reached the last step they did reach


class HistogramBin(StrictModel):
    start_seconds: float
    end_seconds: float
    users: int


def run_funnel(spec: FunnelSpec, target: QueryTarget) -> FunnelResult:
    """Users, conversions and time to convert per step, per breakdown value, and the drop-off."""
    query = funnel_query(spec)
    rows = run_sql(target, query.sql, query.params).as_dicts()
    names = [step.label for step in spec.steps]
    total_row = next((r for r in rows if int(r["is_total"]) == 1), None)
    total = _steps(names, total_row)
    values: dict[str, list[StepResult]] = {}
    if spec.breakdown is not None:
        for row in rows:
            if int(row["is_total"]) == 0:
                values[_value_label(row["value"])] = _steps(names, row)
    return FunnelResult(
        steps=total,
        biggest_drop=biggest_drop(total),
        breakdown_outliers=breakdown_outliers(total, values),
        breakdown={v: BreakdownResult(steps=s, biggest_drop=biggest_drop(s)) for v, s in values.items()},
    )


def drop_off_users(
    spec: FunnelSpec,
    step_index: int,
    target: QueryTarget,
    breakdown_value: str | None = None,
    limit: int | None = None,
) -> list[DropOffUser]:
    """The users who reached step ``step_index - 1`` and not ``step_index`` (the step they failed
    to reach, as in ``biggest_drop.step_index``), optionally of one breakdown value."""
    _check_step_index(spec, step_index)
    if breakdown_value is not None and spec.breakdown is None:
        raise FunnelInputError("no_breakdown", "a breakdown value needs a funnel with a breakdown")
    if limit is not None and limit < 1:
        raise FunnelInputError("bad_limit", "limit must be at least 1")
    stored_value = "" if breakdown_value == NO_VALUE else breakdown_value
    query = drop_off_query(spec, step_index, stored_value, limit)
    result = run_sql(target, query.sql, query.params)
    return [
        DropOffUser(
            user_id=str(user_id),
            breakdown=_value_label(value) if spec.breakdown is not None else None,
            reached_at_ms=int(reached),
        )
        for user_id, value, reached in result.rows
    ]


def time_to_convert(spec: FunnelSpec, step_index: int, target: QueryTarget, bins: int = 30) -> list[HistogramBin]:
    """How long users took from step ``step_index - 1`` to ``step_index``: equal bins over the window."""
    _check_step_index(spec, step_index)
    if not 1 <= bins <= MAX_HISTOGRAM_BINS:
        raise FunnelInputError("bad_bins", f"bins must be between 1 and {MAX_HISTOGRAM_BINS}")
    query = time_to_convert_query(spec, step_index, bins)
    counts = {int(b): int(n) for b, n in run_sql(target, query.sql, query.params).rows}
    width = int(query.params["bin_ms"]) / 1000
    return [
        HistogramBin(start_seconds=b * width, end_seconds=(b + 1) * width, users=counts.get(b, 0)) for b in range(bins)
    ]


def write_drop_off_csv(users: Iterable[DropOffUser], handle: TextIO) -> int:
    """Write users as CSV (user_id, breakdown, reached_at_ms); returns the number of rows.

    Cells that a spreadsheet would run as a formula (leading ``= + - @``, tab, CR) are
    prefixed with ``'`` (OWASP's CSV-injection advice): user ids come from clients."""
    writer = csv.writer(handle)
    writer.writerow(["user_id", "breakdown", "reached_at_ms"])
    count = 0
    for user in users:
        writer.writerow([csv_safe(user.user_id), csv_safe(user.breakdown or ""), user.reached_at_ms])
        count += 1
    return count


def _check_step_index(spec: FunnelSpec, step_index: int) -> None:
    if not 1 <= step_index < len(spec.steps):
        raise FunnelInputError(
            "bad_step_index", f"step_index must be between 1 and {len(spec.steps) - 1}: the step users failed to reach"
        )


def _value_label(value: Any) -> str:
    return str(value) if value not in (None, "") else NO_VALUE


def _steps(names: list[str], row: dict[str, Any] | None) -> list[StepResult]:
    users = [int(row[f"users{k}"]) if row else 0 for k in range(len(names))]
    steps = []
    for k, name in enumerate(names):
        median = p90 = None
        if k > 0 and users[k] > 0 and row is not None:
            median, p90 = (float(v) for v in row[f"seconds{k}"])
        steps.append(
            StepResult(
                name=name,
                users=users[k],
                conversion_from_start=_ratio(users[k], users[0]),
                conversion_from_previous=(users[k] / users[k - 1] if users[k - 1] else 0.0)
                if k
                else float(users[0] > 0),
                median_seconds_to_convert=median,
                p90_seconds_to_convert=p90,
            )
        )
    return steps


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
