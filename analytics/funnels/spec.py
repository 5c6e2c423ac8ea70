"""A funnel as data: steps, window, order mode, exclusions, breakdown and date range.

Every name and value a person types is checked here against the event catalogue
(core/contract/) before any SQL exists: event names, property keys, property values by
their declared type, breakdown dimensions. What survives still reaches SQL only as a bound
parameter (analytics/funnels/compile.py), never as text.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from core.contract import Catalogue, default_catalogue
from core.contract.definitions import PropSpec
from core.models import StrictModel
from warehouse.sources import prop_arrays

MAX_STEPS = 12
MAX_EXCLUSIONS = 5
MAX_WINDOW_SECONDS = 90 * 86_400
MAX_FILTER_VALUE_CHARS = 512
MAX_STEP_CHARS = 2048  # shlex is slow on long text (quadratic): refuse before parsing

Mode = Literal["sequential", "strict"]

EVENT_COLUMNS = ("channel", "ua_browser", "ua_os", "ua_device")
"""Event columns a step may filter on and a funnel may break down by, besides props."""

_WINDOW = re.compile(r"^\s*(\d{1,9})\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


class FunnelInputError(Exception):
    """A funnel definition or a person's input is not valid; ``reason`` is machine-readable.

    Not a ``ValueError`` on purpose: pydantic lets it through its validators unchanged, so the
    reason reaches the caller instead of a generic validation error.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class StepFilter(StrictModel):
    """One event matcher: the event name and exact property values (all must match)."""

    event: str
    where: dict[str, str] = Field(default_factory=dict)
    name: str | None = None

    _where_as_text = field_validator("where", mode="before")(lambda value: _props_as_text(value))

    @property
    def label(self) -> str:
        """The display name: ``name`` if given, else the step as typed (``EVENT k=v …``)."""
        if self.name:
            return self.name
        return " ".join([self.event, *(f"{k}={shlex.quote(v)}" for k, v in self.where.items())])


class Exclusion(StrictModel):
    """Users who do ``event`` strictly between steps ``between[0]`` and ``between[1]`` of
    their counted attempt are removed from the funnel (docs/funnels.md)."""

    event: str
    where: dict[str, str] = Field(default_factory=dict)
    between: tuple[int, int] | None = None  # None: the first and the last step

    _where_as_text = field_validator("where", mode="before")(lambda value: _props_as_text(value))

    def as_filter(self) -> StepFilter:
        return StepFilter(event=self.event, where=self.where)


class FunnelSpec(StrictModel):
    steps: list[StepFilter] = Field(min_length=2, max_length=MAX_STEPS)
    window_seconds: int = Field(gt=0, le=MAX_WINDOW_SECONDS)
    mode: Mode = "sequential"
    exclusions: list[Exclusion] = Field(default_factory=list, max_length=MAX_EXCLUSIONS)
    breakdown: str | None = None
    date_from: dt.date | None = None  # inclusive, UTC day
    date_to: dt.date | None = None  # inclusive, UTC day

    @model_validator(mode="after")
    def _check_against_catalogue(self) -> FunnelSpec:
        catalogue = default_catalogue()
        for index, step in enumerate(self.steps):
            _check_filter(catalogue, step, f"step {index}")
        last = len(self.steps) - 1
        for index, exclusion in enumerate(self.exclusions):
            _check_filter(catalogue, exclusion.as_filter(), f"exclusion {index}")
            low, high = exclusion.between or (0, last)
            if not 0 <= low < high <= last:
                raise FunnelInputError(
                    "bad_exclusion_range", f"exclusion {index}: between must be two steps 0 <= a < b <= {last}"
                )
        if self.breakdown is not None and self.breakdown not in breakdown_dimensions(self.steps[0].event, catalogue):
            allowed = ", ".join(breakdown_dimensions(self.steps[0].event, catalogue))
            raise FunnelInputError(
                "unknown_breakdown", f"cannot break down by {_shown(self.breakdown)}: use one of {allowed}"
            )
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise FunnelInputError("bad_date_range", "the date range ends before it starts")
        return self

    def exclusion_range(self, exclusion: Exclusion) -> tuple[int, int]:
        return exclusion.between or (0, len(self.steps) - 1)


def build_spec(**fields: object) -> FunnelSpec:
    """A :class:`FunnelSpec`, with pydantic's own errors (missing steps, a window of 0) turned into
    :class:`FunnelInputError` as well, so callers handle one kind of bad input."""
    try:
        return FunnelSpec.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "funnel"
        raise FunnelInputError("invalid_funnel", f"{where}: {first['msg']}") from None


def breakdown_dimensions(first_event: str, catalogue: Catalogue | None = None) -> list[str]:
    """What a funnel starting with ``first_event`` may break down by: the event columns, ``business``,
    and the props of that event (the breakdown value is read from the user's first step-0 event)."""
    catalogue = catalogue or default_catalogue()
    spec = catalogue.events.get(first_event)
    props = sorted(spec.props) if spec else []
    return list(dict.fromkeys([*EVENT_COLUMNS, "business", *props]))


def _check_filter(catalogue: Catalogue, step: StepFilter, where: str) -> None:
    spec = catalogue.events.get(step.event)
    if spec is None:
        raise FunnelInputError("unknown_event", f"{where}: {_shown(step.event)} is not an event of the catalogue")
    for key, value in step.where.items():
        if len(value) > MAX_FILTER_VALUE_CHARS:
            raise FunnelInputError("value_too_long", f"{where}: the value of {_shown(key)} is too long")
        if key == "channel":
            if value not in catalogue.channels:
                raise FunnelInputError("bad_value", f"{where}: channel must be one of {', '.join(catalogue.channels)}")
            continue
        if key in EVENT_COLUMNS:
            continue
        prop = spec.props.get(key)
        if prop is None:
            allowed = ", ".join([*sorted(spec.props), *EVENT_COLUMNS]) or "none"
            raise FunnelInputError(
                "unknown_property", f"{where}: {_shown(step.event)} has no property {_shown(key)} ({allowed})"
            )
        if normalise_value(catalogue, prop, value) != value:
            raise FunnelInputError(
                "bad_value", f"{where}: {_shown(key)}={_shown(value)} is not written as the warehouse stores it"
            )


def normalise_value(catalogue: Catalogue, prop: PropSpec, value: str) -> str:
    """``value`` as the warehouse stores it for this prop type (warehouse.sources.prop_arrays),
    or :class:`FunnelInputError` if it cannot be such a value."""
    try:
        typed: object
        if prop.type == "integer":
            typed = int(value)
        elif prop.type == "number":
            typed = float(value)
        elif prop.type == "boolean":
            if value not in ("true", "false"):
                raise ValueError("true or false")
            typed = value == "true"
        elif prop.type == "date":
            typed = dt.date.fromisoformat(value).isoformat()
        else:
            typed = value
    except ValueError as exc:
        raise FunnelInputError("bad_value", f"{_shown(value)} is not of type {prop.type} ({exc})") from None
    if prop.min is not None and isinstance(typed, int | float) and typed < prop.min:
        raise FunnelInputError("bad_value", f"{_shown(value)} is below the minimum {prop.min:g}")
    if prop.max is not None and isinstance(typed, int | float) and typed > prop.max:
        raise FunnelInputError("bad_value", f"{_shown(value)} is above the maximum {prop.max:g}")
    if prop.enum and typed not in catalogue.allowed(prop.enum):
        raise FunnelInputError("bad_value", f"{_shown(value)} is not one of the {prop.enum} of the catalogue")
    if prop.format and not catalogue.formats()[prop.format].fullmatch(str(typed)):
        raise FunnelInputError("bad_value", f"{_shown(value)} is not a well-formed {prop.format}")
    return prop_arrays({"v": typed})[1][0]


def _shown(text: object, limit: int = 60) -> str:
    """Person-supplied text quoted for an error message, cut so a huge input stays a short error."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "…" + shown[-3:]


def _props_as_text(value: object) -> object:
    """YAML gives ``step: 2`` as an int; filters compare text, as the warehouse stores props."""
    if isinstance(value, dict):
        return {str(k): v if isinstance(v, str) else prop_arrays({"v": v})[1][0] for k, v in value.items()}
    return value


def parse_step(text: str) -> StepFilter:
    """``"EVENT key=value …"`` (shell quoting for values with spaces) -> a step, values normalised
    to the warehouse's text form by the catalogue's prop types (``step=02`` -> ``2``)."""
    if len(text) > MAX_STEP_CHARS:
        raise FunnelInputError("step_too_long", f"a step is at most {MAX_STEP_CHARS} characters")
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise FunnelInputError("bad_step", f"cannot read step {_shown(text)}: {exc}") from None
    if not words:
        raise FunnelInputError("bad_step", "a step needs an event name")
    event, pairs = words[0], words[1:]
    catalogue = default_catalogue()
    spec = catalogue.events.get(event)
    if spec is None:
        raise FunnelInputError("unknown_event", f"{_shown(event)} is not an event of the catalogue")
    where: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise FunnelInputError("bad_step", f"{_shown(pair)} is not key=value")
        if key in where:
            raise FunnelInputError("bad_step", f"{_shown(key)} is given twice")
        prop = spec.props.get(key)
        where[key] = normalise_value(catalogue, prop, value) if prop is not None else value
    step = StepFilter(event=event, where=where)
    _check_filter(catalogue, step, "step")
    return step


def parse_window(text: str) -> int:
    """``"30m"`` -> 1800: digits and one unit of s, m, h, d."""
    match = _WINDOW.match(text)
    if not match:
        raise FunnelInputError("bad_window", f"window {_shown(text)}: write a number and a unit, e.g. 90s, 30m, 2h, 7d")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not 0 < seconds <= MAX_WINDOW_SECONDS:
        raise FunnelInputError(
            "bad_window", f"window {_shown(text)}: must be between 1s and {MAX_WINDOW_SECONDS // 86_400}d"
        )
    return seconds
