"""Print values that come from people or data with rich, never as markup.

Rich reads ``[...]`` in plain strings as style tags, so a ``user_id`` such as ``[/x]`` would
crash the printer and ``[bold]`` would restyle it; :class:`rich.text.Text` is printed as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text


def result_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> Table:
    table = Table(title=None if title is None else Text(title))
    for name in columns:
        table.add_column(Text(str(name)))
    for row in rows:
        table.add_row(*(Text(str(value)) for value in row))
    return table


def error_line(message: object) -> Text:
    """``error: <message>`` in red, the message verbatim."""
    return Text.assemble(("error:", "red"), " ", str(message))
