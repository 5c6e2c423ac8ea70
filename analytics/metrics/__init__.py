"""Behaviour metrics: the catalogue (data), its SQL, series with anomaly flags, comparisons."""

from analytics.metrics.compile import GRAINS, CompiledQuery, Grain
from analytics.metrics.definitions import Metric, MetricCatalogue, default_metric_catalogue, load_metric_catalogue
from analytics.metrics.series import (
    ChannelComparison,
    MetricInputError,
    MetricSeries,
    SeriesLine,
    SeriesPoint,
    compare_channels,
    list_metrics,
    metric_queries,
    metric_series,
    metric_total,
)

__all__ = [
    "GRAINS",
    "ChannelComparison",
    "CompiledQuery",
    "Grain",
    "Metric",
    "MetricCatalogue",
    "MetricInputError",
    "MetricSeries",
    "SeriesLine",
    "SeriesPoint",
    "compare_channels",
    "default_metric_catalogue",
    "list_metrics",
    "load_metric_catalogue",
    "metric_queries",
    "metric_series",
    "metric_total",
]
