"""How reports show values to people, said once for the CLI and the UI."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def duration(seconds: float | None) -> str:
    """A duration as people read it: 42 s, 3.5 min, 2.0 h."""
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def csv_safe(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula: text starting with ``= + - @``, a tab or
    a carriage return gets a leading ``'`` (OWASP's advice); other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
