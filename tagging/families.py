"""The tag families: what each one's subject is and which parameters it takes (with defaults).

A family is behaviour implemented once in the engine; a definition picks a family, a
subject and parameters. Every parameter has the documented default and can be overridden
per definition.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SubjectKind = Literal["flow", "business", "slot", "none"]

# Upper bounds keep every instant the engine computes (ts + window) a 64-bit millisecond value
# and the per-user state small (a count rule keeps up to its minimum of timestamps per tag).
MAX_DAYS = 3660
MAX_COUNT = 1000

# Events a person does (not the operator's back end nor the touchpoint service's own
# exposures): only these count as activity for silent churn.
USER_ACTIVITY_EVENTS = ("page_view", "click", "flow_step", "order_success", "share", "touchpoint_click")


class FamilyParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AbandonedParams(FamilyParams):
    window_minutes: int = Field(
        30, gt=0, le=MAX_DAYS * 1440, description="time after the latest step to reach the last step"
    )
    retention_days: int = Field(7, gt=0, le=MAX_DAYS, description="the tag clears itself this long after it was set")


class BrowserParams(FamilyParams):
    min_views: int = Field(3, ge=1, le=MAX_COUNT)
    window_days: int = Field(7, gt=0, le=MAX_DAYS)


class RecentParams(FamilyParams):
    """Orderer, sharer and key touchpoint clicker: one matching event within the window."""

    window_days: int = Field(30, gt=0, le=MAX_DAYS)


class ReferrerParams(FamilyParams):
    min_visits: int = Field(1, ge=1, le=MAX_COUNT, description="page views by other users through the user's shares")
    window_days: int = Field(30, gt=0, le=MAX_DAYS)


class ChurnParams(FamilyParams):
    min_active_days: int = Field(3, ge=1, le=MAX_DAYS)
    lookback_days: int = Field(28, gt=0, le=MAX_DAYS, description="UTC days, ending with the day of the last activity")
    quiet_days: int = Field(7, gt=0, le=MAX_DAYS, description="no activity for this long sets the tag")
    activity_events: tuple[str, ...] = Field(USER_ACTIVITY_EVENTS, min_length=1, max_length=64)


FAMILIES: dict[str, tuple[SubjectKind, type[FamilyParams]]] = {
    "abandoned_mid_flow": ("flow", AbandonedParams),
    "browser": ("business", BrowserParams),
    "orderer": ("business", RecentParams),
    "sharer": ("business", RecentParams),
    "referrer": ("business", ReferrerParams),
    "key_touchpoint_clicker": ("slot", RecentParams),
    "silent_churn_risk": ("none", ChurnParams),
}
