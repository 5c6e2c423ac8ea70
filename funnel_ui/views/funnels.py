"""Funnels: build a funnel, see where users leave (biggest drop highlighted), how long they take,
how each breakdown value fares, and turn the users who left into an audience."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import redis
import streamlit as st

from analytics.audiences import AudienceOrigin, check_audience_name
from analytics.funnels import FunnelInputError, FunnelResult, FunnelSpec, saved_funnels, write_drop_off_csv
from analytics.funnels.spec import breakdown_dimensions
from core.contract import default_catalogue
from funnel_ui import charts, data
from funnel_ui.builder import COLUMNS, build_funnel, exclusions_text, expiry_ms, rows_of
from funnel_ui.text import markdown, percent, seconds
from funnel_ui.widgets import EXPECTED_ERRORS, date_range, load, show_error, today

DEFAULT_FUNNEL = "plan_upgrade"
NO_BREAKDOWN = "(none)"
SHOWN_USERS = 1000
HISTOGRAM_BINS = 120
SPEC = "funnel_spec"
NAME = "funnel_name"


def render() -> None:
    st.title("Funnels")
    st.caption("Where users leave a flow, by channel, and who they are (docs/funnels.md).")
    spec_json = _builder()
    if spec_json is None:
        return
    result = load("the funnel", data.funnel_result, spec_json)
    if result is None:
        return
    spec = FunnelSpec.model_validate_json(spec_json)
    if not result.steps or result.steps[0].users == 0:
        st.info("Nobody entered this funnel in the chosen dates.")
        return
    _summary(result)
    st.plotly_chart(charts.funnel_chart(result), key="funnel_chart")
    _steps_table(result)
    _outliers(result)
    if result.breakdown:
        _breakdown(result, spec)
    _time_to_convert(result, spec_json)
    _drop_offs(result, spec, spec_json)


def _builder() -> str | None:
    """The builder form; returns the JSON of the funnel to show (the saved default at first)."""
    funnels = saved_funnels()
    names = list(funnels)
    chosen = st.selectbox(
        "Start from a saved funnel",
        names,
        index=names.index(DEFAULT_FUNNEL) if DEFAULT_FUNNEL in names else 0,
        format_func=lambda n: f"{n} — {funnels[n].description}",
        key="funnel_saved",
    )
    saved = funnels[chosen]
    if st.session_state.get(NAME) != chosen:  # a new choice shows that funnel at once
        st.session_state[NAME] = chosen
        st.session_state[SPEC] = saved.spec().model_dump_json()
    events = sorted(default_catalogue().events)
    dimensions = [NO_BREAKDOWN, *breakdown_dimensions(saved.steps[0].event)]
    with (
        st.expander("Funnel definition: steps, window, order, breakdown, dates, exclusions"),
        st.form("funnel_builder"),
    ):
        st.caption(
            "Steps in order: an event of the catalogue and exact property values, e.g. `flow=plan_upgrade step=2`."
        )
        rows = st.data_editor(
            pd.DataFrame(rows_of(saved), columns=list(COLUMNS)),
            num_rows="dynamic",
            hide_index=True,
            key=f"funnel_steps_{chosen}",
            column_config={
                "name": st.column_config.TextColumn("Step name", max_chars=80),
                "event": st.column_config.SelectboxColumn("Event", options=events, required=True),
                "filters": st.column_config.TextColumn("Filters (key=value …)", max_chars=2048),
            },
        )
        left, middle, right = st.columns(3)
        window = left.text_input("Conversion window", value=saved.window, max_chars=12, help="90s, 30m, 2h, 7d")
        mode = middle.radio(
            "Order",
            ["sequential", "strict"],
            index=0 if saved.mode == "sequential" else 1,
            horizontal=True,
            help="strict: no other funnel event may come between two steps",
        )
        breakdown = right.selectbox(
            "Breakdown (first touch)",
            dimensions,
            index=dimensions.index(saved.breakdown) if saved.breakdown in dimensions else 0,
        )
        whole = st.checkbox("All dates", value=True, key=f"funnel_all_dates_{chosen}")
        first, last = date_range(f"funnel_dates_{chosen}", label="Dates (UTC, both included) when not all dates")
        exclusions = st.text_area(
            "Exclusions (one per line: EVENT key=value …)", value=exclusions_text(saved), max_chars=4096, height=68
        )
        submitted = st.form_submit_button("Run funnel", type="primary")
    if submitted:
        try:
            spec = build_funnel(
                rows.fillna("").to_dict("records"),
                window,
                mode,
                None if breakdown == NO_BREAKDOWN else breakdown,
                exclusions,
                None if whole else first,
                None if whole else last,
            )
        except EXPECTED_ERRORS as exc:
            show_error(exc)
            return None
        st.session_state[SPEC] = spec.model_dump_json()
    return st.session_state.get(SPEC)


def _summary(result: FunnelResult) -> None:
    entered, completed = result.steps[0].users, result.steps[-1].users
    cols = st.columns(4)
    cols[0].metric("Entered", f"{entered:,}")
    cols[1].metric("Completed", f"{completed:,}")
    cols[2].metric("Conversion", percent(completed / entered if entered else None))
    drop = result.biggest_drop
    if drop is not None:
        cols[3].metric(
            "Biggest drop-off",
            f"{drop.lost_users:,} users",
            delta=f"-{percent(drop.drop_rate)} at step {drop.step_index}",
            delta_color="normal",
        )
        st.error(
            f"**Biggest drop-off**: {markdown(drop.from_step)} → {markdown(drop.to_step)} (step {drop.step_index}): "
            f"{drop.lost_users:,} users lost, {percent(drop.drop_rate)} of those who reached it."
        )


def _steps_table(result: FunnelResult) -> None:
    """The figures ``touchstream funnel --json`` prints, as a table (st.table renders Markdown: escaped)."""
    frame = pd.DataFrame(
        [
            {
                "step": markdown(f"{k}. {s.name}"),
                "users": s.users,
                "from start": markdown(percent(s.conversion_from_start)),
                "from previous": markdown(percent(s.conversion_from_previous)),
                "median time": markdown(seconds(s.median_seconds_to_convert)),
                "p90 time": markdown(seconds(s.p90_seconds_to_convert)),
            }
            for k, s in enumerate(result.steps)
        ]
    )
    st.table(frame, hide_index=True)


def _outliers(result: FunnelResult) -> None:
    for o in result.breakdown_outliers:
        st.warning(
            f"**{markdown(o.value)}** converts {percent(o.conversion_from_previous)} into {markdown(o.to_step)} "
            f"(step {o.step_index}) against {percent(o.others_conversion_from_previous)} for the others "
            f"({o.users:,} users, z = {o.z_score:.1f})."
        )


def _breakdown(result: FunnelResult, spec: FunnelSpec) -> None:
    st.subheader(f"By {spec.breakdown}")
    st.plotly_chart(charts.breakdown_chart(result), key="funnel_breakdown")
    rows = []
    for value, part in result.breakdown.items():
        row: dict[str, object] = {spec.breakdown or "value": value}
        for k, s in enumerate(part.steps):
            row[f"{k}. {s.name}"] = s.users
        row["conversion"] = percent(part.steps[-1].conversion_from_start)
        row["biggest drop"] = f"step {part.biggest_drop.step_index}" if part.biggest_drop else "-"
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="funnel_breakdown_table")


def _step_choice(result: FunnelResult, label: str, key: str) -> int:
    """A step users failed to reach (1..n-1), the biggest drop-off's by default."""
    choices = list(range(1, len(result.steps)))
    default = result.biggest_drop.step_index if result.biggest_drop else 1
    return st.selectbox(
        label,
        choices,
        index=choices.index(default),
        format_func=lambda k: f"{k}. {result.steps[k - 1].name} → {result.steps[k].name}",
        key=key,
    )


def _time_to_convert(result: FunnelResult, spec_json: str) -> None:
    st.subheader("Time to convert")
    step_index = _step_choice(result, "Into step", "funnel_ttc_step")
    bins = load("the time to convert", data.funnel_histogram, spec_json, step_index, HISTOGRAM_BINS)
    if bins is not None:
        st.plotly_chart(charts.time_to_convert_chart(bins, result.steps[step_index]), key="funnel_ttc")


def _drop_offs(result: FunnelResult, spec: FunnelSpec, spec_json: str) -> None:
    st.subheader("Users who dropped off")
    left, right = st.columns(2)
    with left:
        step_index = _step_choice(result, "Failed to reach", "funnel_drop_step")
    value = None
    if result.breakdown:
        with right:
            chosen = st.selectbox(
                f"{spec.breakdown} (first touch)", ["all", *result.breakdown], key="funnel_drop_value"
            )
            value = None if chosen == "all" else chosen
    users = load("the drop-off users", data.funnel_drop_offs, spec_json, step_index, value)
    if users is None:
        return
    st.write(f"{len(users):,} users reached step {step_index - 1} and not step {step_index}.")
    if not users:
        return
    shown = [
        {
            "user_id": u.user_id,
            spec.breakdown or "breakdown": u.breakdown,
            "reached their last step (UTC)": dt.datetime.fromtimestamp(u.reached_at_ms / 1000, dt.UTC),
        }
        for u in users[:SHOWN_USERS]
    ]
    st.dataframe(pd.DataFrame(shown), hide_index=True, key="funnel_drop_users")
    if len(users) > SHOWN_USERS:
        st.caption(f"First {SHOWN_USERS:,} shown; the CSV and the audience hold all {len(users):,}.")
    csv = io.StringIO()
    write_drop_off_csv(users, csv)
    st.download_button(
        "Download CSV",
        csv.getvalue(),
        file_name=f"dropped-step{step_index}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
    with st.form("save_audience"):
        st.caption("Save them as an audience: the tag `audience:<name>` is set in the live profiles at once.")
        left, right = st.columns(2)
        name = left.text_input("Audience name (a-z, 0-9, _)", max_chars=48)
        last_day = right.date_input(
            "Holds through (UTC day)", value=today() + dt.timedelta(days=30), min_value=today(), key="audience_expiry"
        )
        if st.form_submit_button("Save audience"):
            _save(name, users, last_day, step_index, value, result)


def _save(name: str, users: list, last_day: dt.date, step_index: int, value: str | None, result: FunnelResult) -> None:
    origin = AudienceOrigin(
        funnel=st.session_state.get(NAME, ""),
        step_index=step_index,
        step_name=result.steps[step_index].name,
        breakdown_value=value or "",
    )
    try:
        check_audience_name(name)
        saved = data.save_drop_offs_as_audience(name, users, expiry_ms(last_day), origin)
    except (FunnelInputError, redis.RedisError, OSError, *EXPECTED_ERRORS) as exc:
        show_error(exc)
        return
    st.success(f"Saved {markdown(saved.tag)} on {saved.users:,} users, holding through {last_day.isoformat()}.")
