"""Inputs and messages every page shares: a UTC date range, and errors shown with their reason."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from analytics.funnels import FunnelInputError
from analytics.metrics import MetricInputError
from funnel_ui.text import markdown
from warehouse.base import WarehouseError

logger = logging.getLogger(__name__)

T = TypeVar("T")

EXPECTED_ERRORS: tuple[type[Exception], ...] = (FunnelInputError, MetricInputError, WarehouseError, ValueError)
"""Bad input and refused or failed queries: shown on the page with their reason, not as a crash.
(ReportInputError and pydantic's ValidationError are ValueErrors.)"""


def reason_of(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str):
        return reason
    return "query_failed" if isinstance(exc, WarehouseError) else "bad_input"


def show_error(exc: BaseException) -> None:
    """The reason in bold, then the message as plain text (it may quote what a person typed)."""
    st.error(f"**{reason_of(exc)}**: {markdown(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}")


def load(what: str, fetch: Callable[..., T], *args: object) -> T | None:
    """``fetch(*args)`` under a spinner; on an expected error, show it and return None."""
    try:
        with st.spinner(f"Loading {what}…"):
            return fetch(*args)
    except EXPECTED_ERRORS as exc:
        logger.info("%s failed: %s", what, exc)
        show_error(exc)
        return None


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def date_range(key: str, days: int = 30, label: str = "Dates (UTC, both included)") -> tuple[dt.date, dt.date]:
    """A UTC day range, by default the ``days`` days ending today; one picked day is a range of one."""
    end = today()
    picked = st.date_input(label, value=(end - dt.timedelta(days=days - 1), end), key=key, max_value=end)
    if isinstance(picked, dt.date):
        return picked, picked
    if len(picked) == 1:
        return picked[0], picked[0]
    return picked[0], picked[1]
