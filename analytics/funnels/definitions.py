"""Saved funnels (analytics/definitions/funnels.yaml), validated at load like every definition."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import yaml
from pydantic import Field

from analytics.funnels.spec import Exclusion, FunnelSpec, Mode, StepFilter, build_spec, parse_window
from core.models import StrictModel

DEFINITIONS_FILE = Path(__file__).resolve().parent.parent / "definitions" / "funnels.yaml"


class SavedFunnel(StrictModel):
    description: str
    window: str
    mode: Mode = "sequential"
    breakdown: str | None = None
    steps: list[StepFilter] = Field(min_length=2)
    exclusions: list[Exclusion] = Field(default_factory=list)

    def spec(self, date_from: dt.date | None = None, date_to: dt.date | None = None, **overrides: object) -> FunnelSpec:
        """This funnel over a date range; ``overrides`` (window_seconds, mode, breakdown) replace saved fields."""
        fields: dict[str, object] = {
            "steps": self.steps,
            "window_seconds": parse_window(self.window),
            "mode": self.mode,
            "breakdown": self.breakdown,
            "exclusions": self.exclusions,
            "date_from": date_from,
            "date_to": date_to,
        }
        fields.update({k: v for k, v in overrides.items() if v is not None})
        return build_spec(**fields)


class SavedFunnels(StrictModel):
    funnels: dict[str, SavedFunnel] = Field(min_length=1)


def load_saved_funnels(path: Path = DEFINITIONS_FILE) -> dict[str, SavedFunnel]:
    """Load and check every saved funnel (each must compile to a valid spec)."""
    funnels = SavedFunnels.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).funnels
    for funnel in funnels.values():
        funnel.spec()
    return funnels


@cache
def saved_funnels() -> dict[str, SavedFunnel]:
    return load_saved_funnels()
