"""Touchpoints: what each slot and campaign achieved (exposures, clicks, CTR, attributed orders,
value in yuan), the lift over the holdout, and slots ranked for a product (docs/touchpoint_value.md)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analytics.touchpoint_value import DIMENSIONS, GRAINS, default_parameters
from analytics.touchpoint_value.parameters import SELLS_NOTHING
from analytics.touchpoint_value.report import Report, display
from funnel_ui import charts, data
from funnel_ui.text import markdown
from funnel_ui.widgets import date_range, load


def render() -> None:
    st.title("Touchpoints")
    st.caption(
        "Value = exposures × 0.05 + attributed orders × 3 + handled transactions × 1.08 − allocated cost (yuan; "
        "analytics/definitions/value.yaml)."
    )
    start, end = date_range("touchpoints_dates", 30)
    results, lift, rank = st.tabs(["Slot and campaign results", "Lift over holdout", "Slots for a product"])
    with results:
        _results(start, end)
    with lift:
        _lift(start, end)
    with rank:
        _rank(start, end)


def _table(report: Report, key: str) -> None:
    frame = pd.DataFrame(
        [{c: display(c, r.get(c)) for c in report.columns} for r in report.records], columns=report.columns
    )
    st.dataframe(frame, hide_index=True, key=key)


def _results(start: dt.date, end: dt.date) -> None:
    left, right = st.columns([1, 3])
    grain = left.selectbox("Grain", GRAINS, index=GRAINS.index("total"), key="tp_grain")
    dims = right.multiselect("By", DIMENSIONS, default=["slot"], key="tp_dims", max_selections=3)
    report = load("touchpoint results", data.touchpoints, "results", start, end, grain, tuple(dims or ["slot"]))
    if report is None:
        return
    if not report.records:
        st.info("No touchpoint exposures or clicks in these dates.")
        return
    st.plotly_chart(charts.value_chart(report.records, (dims or ["slot"])[0]), key="tp_value")
    _table(report, "tp_results")
    unallocated = report.notes.get("unallocated_cost_yuan")
    if unallocated:
        st.caption(f"Cost not allocated (a channel without clicks in a period): {unallocated:,.2f} yuan")


def _lift(start: dt.date, end: dt.date) -> None:
    report = load("holdout lift", data.touchpoints, "lift", start, end, "total")
    if report is None:
        return
    if not report.records:
        st.info("No campaign with a holdout group in these dates.")
        return
    st.plotly_chart(charts.lift_chart(report.records), key="tp_lift")
    confidence = report.notes.get("confidence")
    if confidence:
        st.caption(f"Intervals at {100 * confidence:.0f}%: Wilson per group, Newcombe for the difference.")
    _table(report, "tp_lift_table")


def _rank(start: dt.date, end: dt.date) -> None:
    targets = default_parameters().campaigns.values()
    products = sorted(
        {t.business for t in targets if t.business != SELLS_NOTHING} | {t.product for t in targets if t.product}
    )
    if not products:
        st.info("No campaign is mapped to a product (analytics/definitions/value.yaml).")
        return
    left, right = st.columns(2)
    product = left.selectbox("Product or business line", products, key="tp_product")
    unit = right.selectbox("Per", [g for g in GRAINS if g != "total"], key="tp_unit")
    report = load("the slot ranking", data.touchpoints, "rank", start, end, unit, (), (), product)
    if report is None:
        return
    if not report.records:
        st.info(f"No slot showed a campaign selling {markdown(product)} in these dates.")
        return
    st.plotly_chart(charts.ranking_chart(report.records, product), key="tp_rank")
    _table(report, "tp_rank_table")
