"""Tags: how many users hold each behaviour tag now, how tags are set and cleared over time, and the
audiences operators saved from funnels (docs/tags.md, docs/funnels.md)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from funnel_ui import charts, data
from funnel_ui.text import markdown
from funnel_ui.widgets import date_range, load, today

AUDIENCE_TREND_DAYS = 365
TREND_METRICS = {
    "tag_first_sets": "tags set on users who did not have them",
    "tag_clears": "tags cleared",
    "tagged_users": "distinct users who had a tag set",
}


def render() -> None:
    st.title("Tags")
    _live_sizes()
    _trend()
    _audiences()


def _live_sizes() -> None:
    st.subheader("Tag sizes now")
    sizes = load("tag sizes", data.tag_sizes)
    if sizes is None:
        return
    if not sizes:
        st.info("No behaviour tag is held by anyone yet (tags follow the stream job's watermark).")
        return
    families = sorted({s.family for s in sizes})
    chosen = st.multiselect("Families", families, key="tags_families")
    shown = [s for s in sizes if not chosen or s.family in chosen]
    cols = st.columns(3)
    cols[0].metric("Tags held", f"{len(shown):,}")
    cols[1].metric("Largest", f"{shown[0].users:,} users" if shown else "-")
    cols[2].metric("Tag holdings", f"{sum(s.users for s in shown):,}")
    st.plotly_chart(charts.tag_sizes_chart(shown), key="tags_sizes")
    st.dataframe(pd.DataFrame([s.model_dump() for s in shown]), hide_index=True, key="tags_sizes_table")


def _trend() -> None:
    st.subheader("Tag changes over time, by family")
    left, right = st.columns([1, 2])
    metric = left.selectbox("Metric", list(TREND_METRICS), format_func=lambda m: f"{m}: {TREND_METRICS[m]}")
    with right:
        start, end = date_range("tags_trend_dates", 30)
    series = load("the tag trend", data.metric_trend, metric, "day", "tag_family", start, end)
    if series is None:
        return
    if not series.lines:
        st.info("No tag was set or cleared in these dates.")
        return
    st.plotly_chart(charts.metric_trend_chart(series), key="tags_trend")


def _audiences() -> None:
    st.subheader("Saved audiences")
    audiences = load("saved audiences", data.saved_audiences)
    if audiences is None:
        return
    if not audiences:
        st.info("No audience saved yet: save the users who dropped off a funnel on the Funnels page.")
        return
    rows = [
        {
            "tag": f"audience:{a.audience}",
            "live members": a.live_members,
            "members ever": a.members,
            "last saved (UTC)": _when(a.last_saved_ms),
            "expires (UTC)": _when(a.expires_at_ms),
            "from funnel": a.funnel,
            "step": a.step_name,
            "breakdown value": a.breakdown_value,
        }
        for a in audiences
    ]
    # st.table renders Markdown: every text cell escaped (names and values come from people and clients)
    st.table(
        pd.DataFrame([{k: markdown(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]),
        hide_index=True,
    )
    end = today()
    saves = load("audience saves", data.audience_trend, end - dt.timedelta(days=AUDIENCE_TREND_DAYS - 1), end)
    if saves and len(saves) > 1:
        st.plotly_chart(charts.audience_trend_chart(saves), key="tags_audience_trend")


def _when(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")
