"""Metrics: search the behaviour-metric catalogue, follow a metric's trend with its anomalies marked,
and compare it across channels (docs/metrics.md)."""

from __future__ import annotations

from typing import get_args

import pandas as pd
import streamlit as st

from analytics.metrics import GRAINS, MetricSeries, list_metrics
from analytics.metrics.definitions import Family
from funnel_ui import charts, data
from funnel_ui.text import markdown
from funnel_ui.widgets import date_range, load

DEFAULT_METRIC = "active_users"
ALL = "all families"
NO_DIMENSION = "(none)"
DAYS_BY_GRAIN = {"day": 30, "week": 12 * 7, "month": 365}


def render() -> None:
    st.title("Metrics")
    left, right = st.columns([3, 1])
    search = left.text_input("Search the catalogue", max_chars=80, placeholder="conversion, ctr, churn, plan_upgrade …")
    family = right.selectbox("Family", [ALL, *get_args(Family)])
    found = list_metrics(search, None if family == ALL else family)
    st.caption(f"{len(found)} of {len(list_metrics())} metrics")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "name": m.name,
                    "family": m.family,
                    "unit": m.unit,
                    "dimensions": ", ".join(m.dimensions),
                    "description": m.description,
                }
                for m in found
            ],
            columns=["name", "family", "unit", "dimensions", "description"],
        ),
        hide_index=True,
        height=240,
        key="metrics_catalogue",
    )
    if not found:
        return
    names = [m.name for m in found]
    chosen = st.selectbox(
        "Metric", names, index=names.index(DEFAULT_METRIC) if DEFAULT_METRIC in names else 0, key="metrics_chosen"
    )
    metric = next(m for m in found if m.name == chosen)
    st.markdown(f"**{markdown(metric.name)}** ({metric.unit}): {markdown(metric.description)}")
    left, middle, right = st.columns([1, 1, 2])
    grain = left.radio("By", GRAINS, horizontal=True, key="metrics_grain")
    dimension = middle.selectbox("Split by", [NO_DIMENSION, *metric.dimensions], key=f"metrics_dim_{chosen}")
    with right:
        start, end = date_range(f"metrics_dates_{grain}", DAYS_BY_GRAIN[grain])
    series = load(
        "the metric", data.metric_trend, chosen, grain, None if dimension == NO_DIMENSION else dimension, start, end
    )
    if series is not None:
        st.plotly_chart(charts.metric_trend_chart(series), key="metrics_trend")
        _anomalies(series)
    if "channel" in metric.dimensions:
        st.subheader("By channel")
        comparison = load("the channel comparison", data.channel_comparison, chosen, grain, start, end)
        if comparison is not None:
            left, right = st.columns([1, 2])
            left.plotly_chart(charts.channel_totals_chart(comparison), key="metrics_channels")
            right.plotly_chart(charts.metric_trend_chart(comparison.series), key="metrics_channel_trend")


def _anomalies(series: MetricSeries) -> None:
    rows = [
        {
            "line": line.key,
            "period": p.period.isoformat(),
            "value": p.value,
            "anomaly": p.anomaly.direction,
            "change": p.anomaly.change,
            "z": p.anomaly.z,
            "check": p.anomaly.check,
            "check z": p.anomaly.check_z,
        }
        for line in series.lines
        for p in line.anomalies
        if p.anomaly is not None
    ]
    if not rows:
        st.caption("No anomalies: a point is flagged when its change and a second view both pass |z| > 3.5.")
        return
    st.caption(f"{len(rows)} anomalies (robust z of the change, median and MAD of the previous 28; docs/metrics.md)")
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="metrics_anomalies")
