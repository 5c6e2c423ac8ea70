"""Client text made inert for Streamlit's Markdown, Plotly's labels and spreadsheets (funnel_ui/text.py)."""

from __future__ import annotations

import csv
import io

from funnel_ui.text import csv_text, label, markdown, percent, seconds


def test_markdown_escapes_everything_markdown_or_latex_acts_on() -> None:
    hostile = "[x](javascript:alert(1)) ![i](http://127.0.0.1:9/b) <img src=x onerror=alert(1)> **b** $x$ `c` # h"
    escaped = markdown(hostile)
    for token in ("[", "]", "(", ")", "!", "<", ">", "*", "$", "`", "#"):
        assert all(escaped[i - 1] == "\\" for i, ch in enumerate(escaped) if ch == token), token
    assert "\n" not in markdown("a\nb")
    assert len(markdown("y" * 10_000)) <= 121


def test_label_is_html_escaped_and_short() -> None:
    assert label("<b onmouseover=x>&") == "&lt;b onmouseover=x&gt;&amp;"
    assert len(label("z" * 1000)) == 120


def test_csv_defuses_formulas_and_keeps_values() -> None:
    text = csv_text(["user_id", "n"], [['=HYPERLINK("http://x")', 1], ["+1", 2], ["-2", 3], ["@SUM(A1)", 4], ["ok", 5]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["user_id", "n"]
    assert [r[0] for r in rows[1:]] == ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", "ok"]
    assert [r[1] for r in rows[1:]] == ["1", "2", "3", "4", "5"]


def test_numbers_read_as_people_read_them() -> None:
    assert (percent(0.6514), percent(None)) == ("65.14%", "-")
    assert (seconds(42), seconds(210), seconds(7200), seconds(None)) == ("42 s", "3.5 min", "2.0 h", "-")
