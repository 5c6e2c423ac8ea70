"""Funnels: definitions as data, one SQL formulation for ClickHouse 18.16 and chDB, drop-off finding.

The public functions (what the CLI and the funnel UI use):
``run_funnel(spec, target)``, ``drop_off_users(spec, step_index, target)``,
``time_to_convert(spec, step_index, target)``, ``write_drop_off_csv(users, handle)``;
``build_spec(...)``, ``parse_step("EVENT k=v")``, ``parse_window("30m")`` and the saved funnels
of analytics/definitions/funnels.yaml (``saved_funnels()``). Audiences: analytics/audiences.py.
"""

from analytics.funnels.definitions import SavedFunnel, saved_funnels
from analytics.funnels.engine import (
    DropOffUser,
    HistogramBin,
    drop_off_users,
    run_funnel,
    time_to_convert,
    write_drop_off_csv,
)
from analytics.funnels.result import BreakdownOutlier, BreakdownResult, DropOff, FunnelResult, StepResult
from analytics.funnels.spec import (
    Exclusion,
    FunnelInputError,
    FunnelSpec,
    StepFilter,
    build_spec,
    parse_step,
    parse_window,
)

__all__ = [
    "BreakdownOutlier",
    "BreakdownResult",
    "DropOff",
    "DropOffUser",
    "Exclusion",
    "FunnelInputError",
    "FunnelResult",
    "FunnelSpec",
    "HistogramBin",
    "SavedFunnel",
    "StepFilter",
    "StepResult",
    "build_spec",
    "drop_off_users",
    "parse_step",
    "parse_window",
    "run_funnel",
    "saved_funnels",
    "time_to_convert",
    "write_drop_off_csv",
]
