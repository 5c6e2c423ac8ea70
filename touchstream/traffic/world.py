"""The world's parameters (world.yaml) as a validated model."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import Field, field_validator, model_validator

from core.contract import default_catalogue
from core.models import StrictModel

WORLD_FILE = Path(__file__).with_name("world.yaml")

Probability = float


def _range(value: list[float]) -> list[float]:
    if len(value) != 2 or value[0] > value[1] or value[0] < 0:
        raise ValueError("must be [low, high] with 0 <= low <= high")
    return value


class Channels(StrictModel):
    home_mix: dict[str, float]
    other_channel_prob: Probability = Field(ge=0, le=1)


class Activity(StrictModel):
    active_day_prob: Probability = Field(ge=0, le=1)
    sessions_per_active_day: list[int]
    page_views_per_session: list[int]
    click_prob_per_view: Probability = Field(ge=0, le=1)
    seconds_between_events: list[int]
    hour_weights: list[float] = Field(min_length=24, max_length=24)
    quiet_user_fraction: Probability = Field(ge=0, le=1)

    _ranges = field_validator("sessions_per_active_day", "page_views_per_session", "seconds_between_events")(_range)


class FlowBehaviour(StrictModel):
    continue_: list[Probability] = Field(alias="continue")
    channel_factor: dict[str, float]


class Flows(StrictModel):
    start_prob_per_session: Probability = Field(ge=0, le=1)
    order_after_last_step_prob: Probability = Field(ge=0, le=1)
    behaviour: dict[str, FlowBehaviour]


class Product(StrictModel):
    names: list[str] = Field(min_length=1)
    amount: list[float]

    _amount = field_validator("amount")(_range)


class Shares(StrictModel):
    prob_per_session: Probability = Field(ge=0, le=1)
    visits_per_share: list[int]
    campaigns: list[str] = Field(min_length=1)


class Touchpoints(StrictModel):
    exposures_per_session: list[int]
    click_prob: Probability = Field(ge=0, le=1)
    campaigns: list[str] = Field(min_length=1)


class World(StrictModel):
    channels: Channels
    activity: Activity
    business_interest: dict[str, float]
    flows: Flows
    products: dict[str, Product]
    shares: Shares
    touchpoints: Touchpoints
    business_events: dict[str, Probability]

    @model_validator(mode="after")
    def _matches_the_contract(self) -> World:
        catalogue = default_catalogue()
        if set(self.channels.home_mix) != set(catalogue.channels):
            raise ValueError(f"channels.home_mix must cover exactly {catalogue.channels}")
        for name in self.business_interest.keys() | self.products.keys():
            if name not in catalogue.businesses:
                raise ValueError(f"unknown business {name!r}")
        for name, behaviour in self.flows.behaviour.items():
            flow = catalogue.flows.get(name)
            if flow is None:
                raise ValueError(f"flows.{name}: not a flow in flows.yaml")
            if len(behaviour.continue_) != flow.last_step - 1:
                raise ValueError(f"flows.{name}.continue: needs {flow.last_step - 1} transitions")
        for name in self.business_events:
            if name not in catalogue.events:
                raise ValueError(f"business_events.{name}: not an event in the catalogue")
        return self


def load_world(path: Path = WORLD_FILE) -> World:
    """Load and validate world parameters; raises ``pydantic.ValidationError``."""
    return World.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@cache
def default_world() -> World:
    return load_world()
