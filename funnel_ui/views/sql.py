"""SQL: a read-only console for analysts. Statements run through warehouse/client.py ``run_query``,
where the engine enforces ``readonly=1`` and the TOUCHSTREAM_SQL_* limits; a refusal or a limit
shows its reason. Results are not cached: an analyst runs a statement to see the data as it is."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from funnel_ui import data
from funnel_ui.text import csv_text
from funnel_ui.widgets import EXPECTED_ERRORS, reason_of

EXAMPLE = (
    "SELECT channel, count() AS events, uniqExact(user_id) AS users\nFROM events\nGROUP BY channel\nORDER BY channel"
)
MAX_SQL_CHARS = 100_000
SHOWN_ROWS = 10_000


def render() -> None:
    st.title("SQL")
    limits = data.limits()
    st.caption(
        f"Read-only (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN). Each statement stops after "
        f"{limits['max_execution_s']} s, {limits['max_rows_to_read']:,} rows read or {limits['max_result_rows']:,} "
        f"rows returned. Tables: events, tag_changes, audiences, late_events, quarantine, … (docs/warehouse.md)."
    )
    with st.form("sql_console"):
        sql = st.text_area("Statement", value=EXAMPLE, height=160, max_chars=MAX_SQL_CHARS, key="sql_text")
        submitted = st.form_submit_button("Run", type="primary", icon=":material/play_arrow:")
    if not submitted and st.session_state.get("sql_ran"):
        return
    st.session_state["sql_ran"] = True  # the example runs once on arrival, so the page shows data
    try:
        result, took = data.console_query(sql)
    except EXPECTED_ERRORS as exc:
        st.error(f"Refused or failed: **{reason_of(exc)}**")
        st.code(str(exc), language=None)
        return
    frame = pd.DataFrame(result.rows, columns=result.columns)
    st.caption(
        f"{len(frame):,} rows in {took:.2f} s" + (f" (first {SHOWN_ROWS:,} shown)" if len(frame) > SHOWN_ROWS else "")
    )
    st.dataframe(frame.head(SHOWN_ROWS).astype(str), hide_index=True, key="sql_result")
    st.download_button(
        "Download CSV",
        csv_text(result.columns, result.rows),
        file_name="result.csv",
        mime="text/csv",
        on_click="ignore",
    )
