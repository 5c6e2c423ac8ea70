"""Every query the pages make: the analytics functions, cached for a short time.

Pages call these and nothing else that touches the warehouse. Arguments are plain values
(a funnel travels as its JSON) so Streamlit can key the cache on them; results are the
analytics models. Queries run through the people-facing read-only path
(warehouse/client.py ``run_query``: the warehouse owner while ``make run`` is up). An
embedded warehouse without an owner can be opened by one session at a time, so queries
then take turns. Failed queries are not cached: a person sees the error and can retry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import threading
import time
from collections.abc import Iterator
from typing import Any

import streamlit as st

from analytics.audiences import AudienceOrigin, SavedAudience, save_audience
from analytics.funnels import (
    DropOffUser,
    FunnelResult,
    FunnelSpec,
    HistogramBin,
    drop_off_users,
    run_funnel,
    time_to_convert,
)
from analytics.metrics import ChannelComparison, MetricSeries, compare_channels, metric_series
from analytics.tag_overview import AudienceSave, AudienceSize, TagSize, audience_saves, audience_sizes, live_tag_sizes
from analytics.touchpoint_value.dimensions import DateRange
from analytics.touchpoint_value.report import Report, touchpoint_report
from core.config import Settings, load_settings
from warehouse.base import QueryResult
from warehouse.client import live_owner, run_query

QUERY_TTL_S = 60
"""How long a chart's data is reused: fresh enough to follow a live stack, cheap on reruns."""

_embedded_turns = threading.Lock()


@functools.cache
def settings() -> Settings:
    """The installation's settings, from the environment ``touchstream ui`` gives the app."""
    return load_settings()


@contextlib.contextmanager
def _turn() -> Iterator[None]:
    """Take turns on an embedded warehouse that no owner process holds (one opener at a time)."""
    s = settings()
    if s.warehouse_url.startswith("chdb:") and live_owner(s) is None:
        with _embedded_turns:
            yield
    else:
        yield


# --- funnels ---------------------------------------------------------------------------------


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def funnel_result(spec_json: str) -> FunnelResult:
    with _turn():
        return run_funnel(FunnelSpec.model_validate_json(spec_json), settings())


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def funnel_histogram(spec_json: str, step_index: int, bins: int = 30) -> list[HistogramBin]:
    with _turn():
        return time_to_convert(FunnelSpec.model_validate_json(spec_json), step_index, settings(), bins)


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def funnel_drop_offs(spec_json: str, step_index: int, breakdown_value: str | None) -> list[DropOffUser]:
    with _turn():
        return drop_off_users(FunnelSpec.model_validate_json(spec_json), step_index, settings(), breakdown_value)


def save_drop_offs_as_audience(
    name: str, users: list[DropOffUser], expires_at_ms: int, origin: AudienceOrigin
) -> SavedAudience:
    """Tag the users ``audience:<name>`` in the live profiles now; the Tags page's caches are cleared."""
    saved = save_audience(settings(), name, [u.user_id for u in users], expires_at_ms, origin)
    saved_audiences.clear()
    audience_trend.clear()
    return saved


# --- metrics ---------------------------------------------------------------------------------


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def metric_trend(name: str, grain: str, dimension: str | None, start: dt.date, end: dt.date) -> MetricSeries:
    with _turn():
        return metric_series(name, grain, dimension, start, end, target=settings())


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def channel_comparison(name: str, grain: str, start: dt.date, end: dt.date) -> ChannelComparison:
    with _turn():
        return compare_channels(name, grain, start, end, target=settings())


# --- touchpoints -----------------------------------------------------------------------------


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def touchpoints(
    view: str,
    start: dt.date,
    end: dt.date,
    grain: str | None = None,
    dims: tuple[str, ...] = (),
    campaigns: tuple[str, ...] = (),
    product: str | None = None,
) -> Report:
    with _turn():
        period = DateRange(start=start, end=end)
        return touchpoint_report(settings(), view, period, grain, dims, campaigns or None, product)


# --- tags and audiences ----------------------------------------------------------------------


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def tag_sizes() -> list[TagSize]:
    with _turn():
        return live_tag_sizes(settings())


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def saved_audiences() -> list[AudienceSize]:
    with _turn():
        return audience_sizes(settings())


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def audience_trend(start: dt.date, end: dt.date) -> list[AudienceSave]:
    with _turn():
        return audience_saves(settings(), start, end)


# --- SQL console -----------------------------------------------------------------------------


def console_query(sql: str) -> tuple[QueryResult, float]:
    """An analyst's statement, never cached (they run it to see the data as it is), and its seconds."""
    started = time.perf_counter()
    with _turn():
        result = run_query(settings(), sql)
    return result, time.perf_counter() - started


def limits() -> dict[str, Any]:
    """The read-only limits every statement of a person runs under (shown on the SQL page)."""
    return settings().sql_limits.model_dump()
