"""What a funnel run returns: per step and per breakdown value, users, conversions and time to
convert, plus the biggest drop-off (analytics/funnels/dropoff.py). ``to_json`` is the shape
``touchstream funnel --json`` prints (docs/funnels.md)."""

from __future__ import annotations

from typing import Any

from core.models import StrictModel

NO_VALUE = "(none)"
"""The breakdown value shown for users whose first step-0 event lacks the breakdown property."""


class StepResult(StrictModel):
    name: str
    users: int
    conversion_from_start: float
    conversion_from_previous: float
    median_seconds_to_convert: float | None  # None for step 0 and for steps nobody reached
    p90_seconds_to_convert: float | None

    def to_json(self) -> dict[str, Any]:
        return _rounded(self.model_dump())


class DropOff(StrictModel):
    """Users lost between ``from_step`` and ``to_step``; ``step_index`` is the step they failed to reach."""

    step_index: int
    from_step: str
    to_step: str
    lost_users: int
    drop_rate: float

    def to_json(self) -> dict[str, Any]:
        return _rounded(self.model_dump())


class BreakdownOutlier(StrictModel):
    """A breakdown value whose conversion into ``step_index`` is far below the other values'."""

    step_index: int
    to_step: str
    value: str
    users: int  # of this value at the step before
    conversion_from_previous: float
    others_conversion_from_previous: float
    z_score: float

    def to_json(self) -> dict[str, Any]:
        return _rounded(self.model_dump())


class BreakdownResult(StrictModel):
    steps: list[StepResult]
    biggest_drop: DropOff | None

    def to_json(self) -> dict[str, Any]:
        return {
            "steps": [s.to_json() for s in self.steps],
            "biggest_drop": self.biggest_drop.to_json() if self.biggest_drop else None,
        }


class FunnelResult(StrictModel):
    steps: list[StepResult]
    biggest_drop: DropOff | None
    breakdown_outliers: list[BreakdownOutlier]
    breakdown: dict[str, BreakdownResult]  # value -> result, most users at step 0 first

    def to_json(self) -> dict[str, Any]:
        biggest = None
        if self.biggest_drop is not None:
            biggest = self.biggest_drop.to_json() | {
                "breakdown_outliers": [o.to_json() for o in self.breakdown_outliers]
            }
        return {
            "steps": [s.to_json() for s in self.steps],
            "biggest_drop": biggest,
            "breakdown": {value: result.to_json() for value, result in self.breakdown.items()},
        }


def _rounded(fields: dict[str, Any]) -> dict[str, Any]:
    """Floats to 4 decimals for the JSON (rates; seconds are whole): readable, and stable in tests."""
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in fields.items()}
