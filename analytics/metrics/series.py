"""Metric series for people: checked inputs in, a model with anomaly flags out.

These are the functions the CLI (``touchstream metrics``) and the UI's Metrics page call;
none needs Streamlit. Every input is checked against the catalogue (metric names, grains,
dimensions) or parsed into a date before it reaches SQL, where dates are bound parameters.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import math
from typing import Any

from pydantic import Field

from analytics.metrics.anomalies import Anomaly, flag_anomalies
from analytics.metrics.compile import GRAINS, CompiledQuery, Grain, Period, compile_aggregate
from analytics.metrics.definitions import Metric, MetricCatalogue, default_metric_catalogue
from analytics.query import QueryTarget, run_sql
from core.contract.definitions import Catalogue, default_catalogue
from core.models import StrictModel

logger = logging.getLogger(__name__)

MIN_DATE = dt.date(1970, 1, 2)
MAX_DATE = dt.date(2105, 12, 31)
"""ClickHouse ``Date`` holds 1970..2149; a day either side keeps source arithmetic in range."""
MAX_RANGE_DAYS = 3 * 366
DEFAULT_SPAN_DAYS: dict[str, int] = {"day": 30, "week": 12 * 7, "month": 365}
ALL = "all"
"""Line key of an undivided series."""
UNSET = "(none)"
"""Line key of rows whose dimension is empty (an event without a business line, say)."""


class MetricInputError(ValueError):
    """A request the catalogue does not allow; ``reason`` is machine-readable."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class SeriesPoint(StrictModel):
    period: dt.date
    value: float | None
    anomaly: Anomaly | None = None


class SeriesLine(StrictModel):
    key: str
    """The dimension value (``all`` without a dimension)."""
    points: list[SeriesPoint]

    @property
    def anomalies(self) -> list[SeriesPoint]:
        return [p for p in self.points if p.anomaly is not None]


class MetricSeries(StrictModel):
    metric: str
    family: str
    unit: str
    description: str
    grain: Grain
    dimension: str | None
    start: dt.date
    end: dt.date
    lines: list[SeriesLine] = Field(default_factory=list)

    def line(self, key: str) -> SeriesLine:
        return next(line for line in self.lines if line.key == key)


class ChannelComparison(StrictModel):
    metric: str
    unit: str
    start: dt.date
    end: dt.date
    totals: dict[str, float | None]
    """The metric over the whole range, per channel (a rate over the range, not a sum of rates)."""
    series: MetricSeries


def list_metrics(search: str = "", family: str | None = None, catalogue: MetricCatalogue | None = None) -> list[Metric]:
    """Catalogue entries whose name, family or description contains ``search``."""
    catalogue = catalogue or default_metric_catalogue()
    return [m for m in catalogue.metrics.values() if m.matches(search) and (family is None or m.family == family)]


def find_metric(name: str, catalogue: MetricCatalogue) -> Metric:
    metric = catalogue.metrics.get(name) if isinstance(name, str) else None
    if metric is None:
        text = str(name)[:80]
        close = difflib.get_close_matches(text, list(catalogue.metrics), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `touchstream metrics list` shows them"
        raise MetricInputError("unknown_metric", f"unknown metric {text!r}{hint}")
    return metric


def check_request(
    metric: Metric, grain: str, dimension: str | None, start: dt.date | None, end: dt.date | None
) -> tuple[Grain, dt.date, dt.date]:
    """Validate grain, dimension and range; fill the default range (ending today, UTC)."""
    if not isinstance(grain, str) or grain not in GRAINS:
        raise MetricInputError("bad_grain", f"grain must be one of {', '.join(GRAINS)}")
    if dimension is not None and (not isinstance(dimension, str) or dimension not in metric.dimensions):
        allowed = ", ".join(metric.dimensions) or "none"
        message = f"metric {metric.name} cannot be split by {str(dimension)[:40]!r} (allowed: {allowed})"
        raise MetricInputError("dimension_not_allowed", message)
    for value in (start, end):
        if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
            raise MetricInputError("bad_range", f"dates must be calendar days, not {type(value).__name__}")
    end = end or dt.datetime.now(dt.UTC).date()
    start = start or end - dt.timedelta(days=DEFAULT_SPAN_DAYS[grain] - 1)
    if not (MIN_DATE <= start <= MAX_DATE and MIN_DATE <= end <= MAX_DATE):
        raise MetricInputError("bad_range", f"dates must lie between {MIN_DATE} and {MAX_DATE}")
    if start > end:
        raise MetricInputError("bad_range", f"the range starts ({start}) after it ends ({end})")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise MetricInputError("bad_range", f"a range covers at most {MAX_RANGE_DAYS} days")
    return grain, start, end  # type: ignore[return-value]


def period_starts(period: Period, start: dt.date, end: dt.date) -> list[dt.date]:
    """Every period label from ``start`` to ``end``: days, Mondays or firsts of the month."""
    if period == "range":
        return [start]
    if period == "day":
        return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    if period == "week":
        first = start - dt.timedelta(days=start.weekday())
        return [first + dt.timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
    months, current = [], start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current + dt.timedelta(days=32)).replace(day=1)
    return months


Lines = dict[str, dict[dt.date, float | None]]


class _Evaluator:
    """Computes a metric's lines, running each aggregate's query once."""

    def __init__(
        self,
        catalogue: MetricCatalogue,
        contract: Catalogue,
        target: QueryTarget | None,
        period: Period,
        dimension: str | None,
        start: dt.date,
        end: dt.date,
    ) -> None:
        self.catalogue, self.contract, self.target = catalogue, contract, target
        self.period, self.dimension, self.start, self.end = period, dimension, start, end
        self.periods = period_starts(period, start, end)
        self._cache: dict[str, Lines] = {}

    def queries(self, metric: Metric) -> list[CompiledQuery]:
        """The statements that compute ``metric`` (one per aggregate it rests on)."""
        if metric.is_aggregate:
            return [self._compile(metric)]
        return [q for name in metric.operands for q in self.queries(self.catalogue.get(name))]

    def _compile(self, metric: Metric) -> CompiledQuery:
        return compile_aggregate(
            self.catalogue, metric, self.period, self.dimension, self.start, self.end, self.contract
        )

    def lines(self, metric: Metric) -> Lines:
        if metric.name not in self._cache:
            self._cache[metric.name] = self._aggregate(metric) if metric.is_aggregate else self._formula(metric)
        return self._cache[metric.name]

    def _aggregate(self, metric: Metric) -> Lines:
        query = self._compile(metric)
        if self.target is None:
            raise ValueError("no warehouse to run on: compiling only")
        result = run_sql(self.target, query.sql, query.params)
        found: Lines = {}
        for period, key, value in result.rows:
            line = (key or UNSET) if self.dimension else ALL
            found.setdefault(line, {})[_as_date(period)] = _finite(value)
        if not found and not self.dimension:
            found = {ALL: {}}
        empty = _empty(metric)
        return {key: {p: values.get(p, empty) for p in self.periods} for key, values in found.items()}

    def _formula(self, metric: Metric) -> Lines:
        operands = [self.catalogue.get(name) for name in metric.operands]
        (left, right) = (self.lines(operand) for operand in operands)
        (left_blank, right_blank) = (dict.fromkeys(self.periods, _empty(operand)) for operand in operands)
        lines: Lines = {}
        for key in sorted(left.keys() | right.keys()):
            a, b = left.get(key, left_blank), right.get(key, right_blank)
            lines[key] = {p: _combine(metric, a[p], b[p]) for p in self.periods}
        return lines


def _empty(metric: Metric) -> float | None:
    """The value of a period (or dimension value) without rows: 0 for counts and sums."""
    return 0.0 if metric.zero_when_empty else None


def _combine(metric: Metric, a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    if metric.ratio is not None:
        return None if b == 0 else metric.scale * a / b
    return metric.scale * (a - b)


def _finite(value: Any) -> float | None:
    """Engine numbers as float; NaN and infinities (0/0, avg of nothing on 18.16) mean no value."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def metric_series(
    name: str,
    grain: str = "day",
    dimension: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    target: QueryTarget,
    catalogue: MetricCatalogue | None = None,
    contract: Catalogue | None = None,
) -> MetricSeries:
    """The metric per period (and dimension value), each point flagged if anomalous."""
    catalogue = catalogue or default_metric_catalogue()
    metric = find_metric(name, catalogue)
    grain_, start, end = check_request(metric, grain, dimension, start, end)
    evaluator = _Evaluator(catalogue, contract or default_catalogue(), target, grain_, dimension, start, end)
    lines = []
    for key, values in sorted(evaluator.lines(metric).items()):
        ordered = [values[p] for p in evaluator.periods]
        flags = flag_anomalies(ordered, grain_)
        points = [
            SeriesPoint(period=p, value=v, anomaly=f) for p, v, f in zip(evaluator.periods, ordered, flags, strict=True)
        ]
        lines.append(SeriesLine(key=key, points=points))
    return MetricSeries(
        metric=metric.name,
        family=metric.family,
        unit=metric.unit,
        description=metric.description,
        grain=grain_,
        dimension=dimension,
        start=start,
        end=end,
        lines=lines,
    )


def metric_total(
    name: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    dimension: str | None = None,
    *,
    target: QueryTarget,
    catalogue: MetricCatalogue | None = None,
    contract: Catalogue | None = None,
) -> dict[str, float | None]:
    """The metric over the whole range as one period (per dimension value): distinct users
    of the range, a rate over the range, never a sum of daily rates."""
    catalogue = catalogue or default_metric_catalogue()
    metric = find_metric(name, catalogue)
    _, start, end = check_request(metric, "day", dimension, start, end)
    lines = _Evaluator(catalogue, contract or default_catalogue(), target, "range", dimension, start, end).lines(metric)
    return {key: values[start] for key, values in sorted(lines.items())}


def compare_channels(
    name: str,
    grain: str = "day",
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    target: QueryTarget,
    catalogue: MetricCatalogue | None = None,
    contract: Catalogue | None = None,
) -> ChannelComparison:
    """The metric per channel: the series and the value over the whole range."""
    series = metric_series(name, grain, "channel", start, end, target=target, catalogue=catalogue, contract=contract)
    totals = metric_total(
        name, series.start, series.end, "channel", target=target, catalogue=catalogue, contract=contract
    )
    return ChannelComparison(
        metric=series.metric, unit=series.unit, start=series.start, end=series.end, totals=totals, series=series
    )


def metric_queries(
    name: str,
    grain: str = "day",
    dimension: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    catalogue: MetricCatalogue | None = None,
    contract: Catalogue | None = None,
) -> list[CompiledQuery]:
    """The statements (with their parameters) that :func:`metric_series` would run."""
    catalogue = catalogue or default_metric_catalogue()
    metric = find_metric(name, catalogue)
    grain_, start, end = check_request(metric, grain, dimension, start, end)
    evaluator = _Evaluator(catalogue, contract or default_catalogue(), None, grain_, dimension, start, end)
    return evaluator.queries(metric)
