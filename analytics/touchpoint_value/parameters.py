"""The value model's parameters as data (analytics/definitions/value.yaml), validated at load.

Unit values, windows and costs change with the operator's contracts, not with the code, so they
live in a file an analyst can edit; every name in it (flows, channels, businesses) is checked
against the event catalogue so a typo fails at load instead of silently valuing nothing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, model_validator

from core.clock import DAY_MS, MINUTE_MS
from core.contract.definitions import default_catalogue
from core.models import StrictModel

VALUE_FILE = Path(__file__).resolve().parent.parent / "definitions" / "value.yaml"

CostPeriod = Literal["day", "week", "month", "quarter", "year"]

MAX_WINDOW_DAYS = 90
"""Longer attribution windows would credit a touch for orders it can hardly have caused."""


class Publicity(StrictModel):
    unit_audience_value_yuan: float = Field(ge=0)


class Marketing(StrictModel):
    commission_yuan: float = Field(ge=0)


class ServiceTransaction(StrictModel):
    """A flow step that counts as a handled transaction; no ``step`` means the flow's last step."""

    flow: str
    step: int | None = Field(default=None, ge=1)

    def key(self) -> str:
        """``flow:step``, the form the SQL matches ``concat(flow, ':', toString(step))`` against."""
        flow = default_catalogue().flows[self.flow]
        return f"{self.flow}:{self.step or flow.last_step}"


class Service(StrictModel):
    unit_value_yuan: float = Field(ge=0)
    window_minutes: int = Field(gt=0, le=24 * 60)
    transactions: list[ServiceTransaction] = Field(default_factory=list)

    @property
    def window_ms(self) -> int:
        return self.window_minutes * MINUTE_MS

    def keys(self) -> list[str]:
        return sorted({t.key() for t in self.transactions})


class Attribution(StrictModel):
    click_window_days: int = Field(gt=0, le=MAX_WINDOW_DAYS)
    exposure_window_days: int = Field(ge=0, le=MAX_WINDOW_DAYS)

    @property
    def click_window_ms(self) -> int:
        return self.click_window_days * DAY_MS

    @property
    def exposure_window_ms(self) -> int:
        """-1 when exposures take no credit: no order is ever -1 ms after a touch."""
        return self.exposure_window_days * DAY_MS if self.exposure_window_days else -1

    @property
    def longest_ms(self) -> int:
        return max(self.click_window_ms, self.exposure_window_ms)


class Lift(StrictModel):
    window_days: int = Field(gt=0, le=MAX_WINDOW_DAYS)
    confidence: float = Field(gt=0.5, lt=1)

    @property
    def window_ms(self) -> int:
        return self.window_days * DAY_MS


class Cost(StrictModel):
    period: CostPeriod
    per_channel_yuan: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_channels(self) -> Cost:
        unknown = set(self.per_channel_yuan) - set(default_catalogue().channels)
        if unknown:
            raise ValueError(f"cost: unknown channel(s) {sorted(unknown)}")
        if any(v < 0 for v in self.per_channel_yuan.values()):
            raise ValueError("cost: a channel's cost cannot be negative")
        return self


SELLS_NOTHING = "none"
"""The business of a campaign that sells nothing (an announcement): no order is ever its conversion."""


class CampaignTarget(StrictModel):
    """What a campaign sells: orders of this business (and product, when given) are its conversions."""

    business: str
    product: str | None = Field(default=None, min_length=1, max_length=512)

    @model_validator(mode="after")
    def _known_business(self) -> CampaignTarget:
        if self.business not in (*default_catalogue().businesses, SELLS_NOTHING):
            raise ValueError(f"unknown business {self.business!r} (or {SELLS_NOTHING!r}: sells nothing)")
        return self

    def sells(self, product: str) -> bool:
        """Whether this campaign sells ``product``, a business line or a product id."""
        return self.business != SELLS_NOTHING and product in (self.business, self.product)


CampaignId = str


class ValueParameters(StrictModel):
    publicity: Publicity
    marketing: Marketing
    service: Service
    attribution: Attribution
    lift: Lift
    cost: Cost
    campaigns: dict[CampaignId, CampaignTarget] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_flows(self) -> ValueParameters:
        flows = default_catalogue().flows
        for t in self.service.transactions:
            if t.flow not in flows:
                raise ValueError(f"service.transactions: unknown flow {t.flow!r}")
            if t.step is not None and t.step > flows[t.flow].last_step:
                raise ValueError(f"service.transactions: flow {t.flow!r} has {flows[t.flow].last_step} steps")
        if any(not 0 < len(c) <= 512 for c in self.campaigns):
            raise ValueError("campaigns: ids are 1 to 512 characters")
        return self

    def with_campaigns(self, campaigns: dict[CampaignId, CampaignTarget] | None) -> ValueParameters:
        """These parameters with the campaign mapping replaced (e.g. from the touchpoint service)."""
        if campaigns is None:
            return self
        return ValueParameters.model_validate({**self.model_dump(), "campaigns": campaigns})


def load_parameters(path: Path = VALUE_FILE) -> ValueParameters:
    """Load and validate a value file; raises ``pydantic.ValidationError`` or ``OSError``."""
    return ValueParameters.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@cache
def default_parameters() -> ValueParameters:
    """The shipped parameters, loaded once per process."""
    return load_parameters()
