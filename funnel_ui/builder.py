"""The Funnels page's builder: editable rows and form fields in, a checked FunnelSpec out.

It parses with the funnel engine's own functions (``parse_step``, ``parse_window``,
``build_spec``), so the page accepts exactly what ``touchstream funnel`` accepts and refuses
the rest with the same reasons (FunnelInputError).
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from analytics.funnels import FunnelInputError, FunnelSpec, SavedFunnel, build_spec, parse_step, parse_window
from core.clock import DAY_MS

MAX_NAME_CHARS = 80
MAX_ROWS = 12
COLUMNS = ("name", "event", "filters")


def filters_text(where: Mapping[str, str]) -> str:
    """A step's filters as the builder shows them: ``key=value …``, shell-quoted."""
    return " ".join(f"{key}={shlex.quote(value)}" for key, value in where.items())


def rows_of(saved: SavedFunnel) -> list[dict[str, str]]:
    """A saved funnel's steps as the builder's editable rows."""
    return [{"name": s.name or "", "event": s.event, "filters": filters_text(s.where)} for s in saved.steps]


def exclusions_text(saved: SavedFunnel) -> str:
    return "\n".join(f"{e.event} {filters_text(e.where)}".strip() for e in saved.exclusions)


def build_funnel(
    rows: Sequence[Mapping[str, Any]],
    window: str,
    mode: str,
    breakdown: str | None,
    exclusions: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> FunnelSpec:
    """The funnel the builder describes; blank rows are skipped, every other mistake is a
    FunnelInputError naming the row."""
    filled = [(n, r) for n, r in enumerate(rows, start=1) if any(str(r.get(k) or "").strip() for k in COLUMNS)]
    if len(filled) > MAX_ROWS:  # before parsing any: a pasted table of thousands costs nothing
        raise FunnelInputError("too_many_steps", f"a funnel has at most {MAX_ROWS} steps")
    steps = []
    for number, row in filled:
        event = str(row.get("event") or "").strip()
        filters = str(row.get("filters") or "").strip()
        name = str(row.get("name") or "").strip()
        if not event:
            raise FunnelInputError("bad_step", f"row {number}: choose an event")
        if len(name) > MAX_NAME_CHARS:
            raise FunnelInputError("bad_step", f"row {number}: a step name is at most {MAX_NAME_CHARS} characters")
        try:
            step = parse_step(f"{shlex.quote(event)} {filters}")
        except FunnelInputError as exc:
            raise FunnelInputError(exc.reason, f"row {number}: {exc}") from None
        steps.append(step.model_copy(update={"name": name or None}))
    excluded = []
    for number, line in enumerate(exclusions.splitlines(), start=1):
        if line.strip():
            try:
                excluded.append(parse_step(line).model_dump(exclude={"name"}))
            except FunnelInputError as exc:
                raise FunnelInputError(exc.reason, f"exclusion line {number}: {exc}") from None
    return build_spec(
        steps=steps,
        window_seconds=parse_window(window),
        mode=mode,
        breakdown=breakdown or None,
        exclusions=excluded,
        date_from=date_from,
        date_to=date_to,
    )


def expiry_ms(last_day: dt.date) -> int:
    """An audience chosen to hold through ``last_day`` (UTC) expires at the next midnight."""
    return ((last_day - dt.date(1970, 1, 1)).days + 1) * DAY_MS
