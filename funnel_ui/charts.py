"""Plotly figures of analytics results: pure functions, results in, a figure out.

Labels that carry client or person text go through funnel_ui.text.label. Colours: one
neutral series colour and one alarm colour for what an operator must see first (the
biggest drop-off, anomalies).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import plotly.graph_objects as go

from analytics.funnels import FunnelResult, HistogramBin, StepResult
from analytics.metrics import ChannelComparison, MetricSeries
from analytics.tag_overview import AudienceSave, TagSize
from funnel_ui.text import label, percent, seconds

BASE = "#4c78a8"
ALARM = "#d62728"
SPIKE = "#d62728"
DIP = "#ff7f0e"
PALETTE = ("#4c78a8", "#54a24b", "#b279a2", "#72b7b2", "#9d755d", "#bab0ac", "#eeca3b", "#2f4b7c", "#88d27a", "#8c6bb1")
"""Series colours: no red or orange, which mean "look here" (drop-off, anomalies, cost)."""
MAX_BREAKDOWN_LINES = 10
"""Breakdown values drawn (most users first); the table lists them all."""


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(title=title, height=height, margin={"l": 10, "r": 10, "t": 50, "b": 10}, legend_title_text="")
    return fig


def colour(k: int) -> str:
    return PALETTE[k % len(PALETTE)]


def funnel_chart(result: FunnelResult) -> go.Figure:
    """Users per step; the step most users failed to reach in the alarm colour, with the loss."""
    drop = result.biggest_drop
    names = [f"{k}. {label(s.name)}" for k, s in enumerate(result.steps)]
    colours = [ALARM if drop is not None and k == drop.step_index else BASE for k in range(len(result.steps))]
    fig = go.Figure(
        go.Funnel(
            y=names,
            x=[s.users for s in result.steps],
            marker={"color": colours},
            textinfo="value+percent initial+percent previous",
            hovertemplate="%{y}<br>%{x} users<extra></extra>",
        )
    )
    title = "Users per step"
    if drop is not None:
        title += (
            f" · biggest drop-off: {label(drop.from_step)} → {label(drop.to_step)},"
            f" {drop.lost_users} users lost ({percent(drop.drop_rate)})"
        )
    return _layout(fig, title, height=120 + 70 * len(result.steps))


def breakdown_chart(result: FunnelResult) -> go.Figure:
    """Conversion from the start per step, one bar group per breakdown value (most users first)."""
    fig = go.Figure()
    outliers = {(o.value, o.step_index) for o in result.breakdown_outliers}
    steps = [f"{k}. {label(s.name)}" for k, s in enumerate(result.steps)]
    for n, (value, part) in enumerate(list(result.breakdown.items())[:MAX_BREAKDOWN_LINES]):
        flagged = [(value, k) in outliers for k in range(len(part.steps))]
        fig.add_bar(
            name=label(value),
            x=steps,
            y=[100 * s.conversion_from_start for s in part.steps],
            marker={
                "color": [ALARM if f else colour(n) for f in flagged],
                "line": {"color": [ALARM if f else "rgba(0,0,0,0)" for f in flagged], "width": 2},
            },
            text=["▼ far below" if f else "" for f in flagged],
            textposition="outside",
            hovertemplate="%{x}<br>%{y:.1f}% of step 0<extra>" + label(value) + "</extra>",
        )
    fig.update_layout(barmode="group", yaxis_title="% of users who entered", yaxis_range=[0, 110])
    return _layout(fig, "Conversion from the start by breakdown value (red: converts far below the others)")


def time_to_convert_chart(bins: Sequence[HistogramBin], step: StepResult) -> go.Figure:
    """How long users took to reach ``step`` from the step before, with its median and p90."""
    used = [b for b in bins if b.users]
    right = max([b.end_seconds for b in used] + [step.p90_seconds_to_convert or 0]) if used else None
    fig = go.Figure(
        go.Bar(
            x=[(b.start_seconds + b.end_seconds) / 2 for b in bins],
            y=[b.users for b in bins],
            width=[b.end_seconds - b.start_seconds for b in bins],
            marker_color=BASE,
            hovertemplate="%{x:.0f} s<br>%{y} users<extra></extra>",
        )
    )
    marks = ((step.median_seconds_to_convert, "median", "top left"), (step.p90_seconds_to_convert, "p90", "top right"))
    for value, name, position in marks:
        if value is not None:
            fig.add_vline(
                x=value,
                line_dash="dash",
                line_color=ALARM,
                annotation_text=f"{name} {seconds(value)}",
                annotation_position=position,
            )
    fig.update_layout(xaxis_title="seconds from the previous step", yaxis_title="users", bargap=0.05)
    if right is not None:  # the window is an upper bound; most conversions are far quicker
        fig.update_xaxes(range=[0, right * 1.1])
    return _layout(fig, f"Time to convert into {label(step.name)}")


def metric_trend_chart(series: MetricSeries) -> go.Figure:
    """One line per dimension value; anomalous points marked (▲ spike, ▼ dip)."""
    fig = go.Figure()
    for n, line in enumerate(series.lines[:MAX_BREAKDOWN_LINES]):
        fig.add_scatter(
            x=[p.period for p in line.points],
            y=[p.value for p in line.points],
            mode="lines+markers",
            name=label(line.key),
            marker={"size": 4, "color": colour(n)},
            line={"color": colour(n)},
        )
        for direction, mark, symbol in (("spike", SPIKE, "triangle-up"), ("dip", DIP, "triangle-down")):
            points = [p for p in line.anomalies if p.anomaly and p.anomaly.direction == direction]
            if points:
                fig.add_scatter(
                    x=[p.period for p in points],
                    y=[p.value for p in points],
                    mode="markers",
                    name=f"{label(line.key)} {direction}",
                    marker={"size": 14, "color": mark, "symbol": symbol, "line": {"width": 1, "color": "black"}},
                    hovertemplate="%{x}<br>%{y}<extra>anomaly: " + direction + "</extra>",
                )
    fig.update_layout(yaxis_title=series.unit, xaxis_title=series.grain)
    return _layout(fig, f"{series.metric} by {series.grain}" + (f" and {series.dimension}" if series.dimension else ""))


def channel_totals_chart(comparison: ChannelComparison) -> go.Figure:
    channels = list(comparison.totals)
    fig = go.Figure(
        go.Bar(
            x=[label(c) for c in channels],
            y=[comparison.totals[c] for c in channels],
            marker_color=BASE,
            text=[_number(comparison.totals[c]) for c in channels],
        )
    )
    fig.update_layout(yaxis_title=comparison.unit)
    return _layout(fig, f"{comparison.metric} over the range, by channel", height=320)


def value_chart(records: Sequence[dict], dimension: str) -> go.Figure:
    """Value in yuan by ``dimension`` (summed over periods), stacked by kind, minus cost."""
    totals: dict[str, dict[str, float]] = {}
    for record in records:
        key = str(record.get(dimension) or "(none)")
        row = totals.setdefault(key, {"publicity_yuan": 0.0, "marketing_yuan": 0.0, "service_yuan": 0.0, "cost": 0.0})
        for kind in ("publicity_yuan", "marketing_yuan", "service_yuan"):
            row[kind] += float(record.get(kind) or 0)
        row["cost"] += float(record.get("cost_yuan") or 0)
    order = sorted(totals, key=lambda k: -sum(v for n, v in totals[k].items() if n != "cost"))
    fig = go.Figure()
    kinds = (("publicity_yuan", "publicity"), ("marketing_yuan", "marketing"), ("service_yuan", "service"))
    for n, (kind, name) in enumerate(kinds):
        fig.add_bar(name=name, x=[label(k) for k in order], y=[totals[k][kind] for k in order], marker_color=colour(n))
    fig.add_bar(name="cost", x=[label(k) for k in order], y=[-totals[k]["cost"] for k in order], marker_color=ALARM)
    fig.update_layout(barmode="relative", yaxis_title="yuan")
    return _layout(fig, f"Value by {dimension} (publicity + marketing + service − cost)")


def lift_chart(records: Sequence[dict]) -> go.Figure:
    """Treated minus control conversion per campaign, with its confidence interval."""
    rows = [r for r in records if r.get("difference") is not None]
    fig = go.Figure(
        go.Scatter(
            x=[100 * r["difference"] for r in rows],
            y=[label(r["campaign"]) for r in rows],
            mode="markers",
            marker={"size": 10, "color": [ALARM if r.get("significant") else BASE for r in rows]},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [100 * (r["difference_high"] - r["difference"]) for r in rows],
                "arrayminus": [100 * (r["difference"] - r["difference_low"]) for r in rows],
            },
        )
    )
    fig.add_vline(x=0, line_color="grey")
    fig.update_layout(xaxis_title="conversion lift, percentage points (treated − holdout)")
    return _layout(fig, "Lift over the holdout (red: the interval excludes 0)", height=140 + 40 * max(len(rows), 1))


def ranking_chart(records: Sequence[dict], product: str) -> go.Figure:
    rows = list(records)[:20]
    fig = go.Figure(
        go.Bar(
            x=[r["value_per_period"] for r in rows],
            y=[label(r["slot"]) for r in rows],
            orientation="h",
            marker_color=BASE,
        )
    )
    fig.update_layout(yaxis={"autorange": "reversed"}, xaxis_title="yuan per active period")
    return _layout(fig, f"Slots for {label(product)}, by value per unit of time", height=140 + 30 * max(len(rows), 1))


def tag_sizes_chart(sizes: Sequence[TagSize], top: int = 30) -> go.Figure:
    rows = list(sizes)[:top]
    fig = go.Figure(
        go.Bar(x=[s.users for s in rows], y=[label(s.tag) for s in rows], orientation="h", marker_color=BASE)
    )
    fig.update_layout(yaxis={"autorange": "reversed"}, xaxis_title="users holding the tag now")
    return _layout(fig, f"Largest tags now (top {len(rows)})", height=140 + 22 * max(len(rows), 1))


def audience_trend_chart(saves: Sequence[AudienceSave]) -> go.Figure:
    fig = go.Figure()
    by_audience: dict[str, list[AudienceSave]] = {}
    for save in saves:
        by_audience.setdefault(save.audience, []).append(save)
    for n, (audience, rows) in enumerate(by_audience.items()):
        fig.add_scatter(
            x=[_ms_to_datetime(s.saved_ms) for s in rows],
            y=[s.members for s in rows],
            mode="lines+markers",
            name=label(audience),
            marker_color=colour(n),
        )
    fig.update_layout(yaxis_title="members saved")
    return _layout(fig, "Audience saves", height=320)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


def _ms_to_datetime(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
