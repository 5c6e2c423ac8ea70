"""Text that came from clients or people, made inert before Streamlit or Plotly renders it.

Breakdown values, user ids, tag and campaign names are whatever a client sent. Streamlit
renders Markdown in messages (links, images, LaTeX) and Plotly renders a subset of HTML in
labels, so such text goes through :func:`markdown` or :func:`label` first; tables and
dataframes show values as text already.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Sequence

from analytics.formatting import csv_safe, duration

seconds = duration  # the pages' name for it

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")
MAX_SHOWN_CHARS = 120


def shorten(text: object, limit: int = MAX_SHOWN_CHARS) -> str:
    shown = str(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def markdown(text: object) -> str:
    """``text`` as literal Markdown: every character Markdown or LaTeX could act on is escaped,
    and it is cut short (a huge value stays a short message)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", shorten(text).replace("\n", " "))


def label(text: object) -> str:
    """``text`` for a Plotly label: HTML-escaped (Plotly decodes entities and shows them as text)."""
    return html.escape(shorten(text), quote=True)


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.2f}%"


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV, text cells a spreadsheet would run as a formula (leading ``= + - @``, tab, CR)
    prefixed with ``'``, as the funnel engine writes its drop-off CSV (OWASP's advice)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_safe(c) for c in columns])
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
    return out.getvalue()
