"""Touchpoint results and value (seed 004): reach, CTR, attributed conversions, holdout lift, value, ranking.

Plain functions over a warehouse or the installation's settings, for the CLI
(``touchstream report touchpoints``) and the UI alike; docs/touchpoint_value.md has the rules.
"""

from analytics.touchpoint_value.dimensions import DIMENSIONS, GRAINS, DateRange, ReportInputError
from analytics.touchpoint_value.lift import LiftRow, lift
from analytics.touchpoint_value.parameters import CampaignTarget, ValueParameters, default_parameters, load_parameters
from analytics.touchpoint_value.ranking import RankedSlot, rank_slots
from analytics.touchpoint_value.results import (
    TouchpointReport,
    TouchpointRow,
    campaign_results,
    slot_results,
    touchpoint_results,
    value,
)

__all__ = [
    "DIMENSIONS",
    "GRAINS",
    "CampaignTarget",
    "DateRange",
    "LiftRow",
    "RankedSlot",
    "ReportInputError",
    "TouchpointReport",
    "TouchpointRow",
    "ValueParameters",
    "campaign_results",
    "default_parameters",
    "lift",
    "load_parameters",
    "rank_slots",
    "slot_results",
    "touchpoint_results",
    "value",
]
