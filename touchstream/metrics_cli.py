"""``touchstream metrics``: the behaviour-metric catalogue and its series, in a terminal.

``list`` shows the catalogue (``--markdown`` renders the table docs/metrics.md embeds);
``show`` computes one metric through the read-only warehouse path and flags anomalies.
A request the catalogue does not allow exits with code 2 and a machine-readable reason
(``--json`` prints it as ``{"error", "reason"}``); a warehouse failure exits with 1.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from analytics.metrics import GRAINS, Metric, MetricInputError, MetricSeries, SeriesPoint, list_metrics, metric_queries
from core.clock import parse_day
from touchstream.render import error_line, result_table

metrics_app = typer.Typer(help="Behaviour metrics: the catalogue and each metric's series.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return parse_day(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def _fail(code: int, reason: str, message: str, as_json: bool) -> typer.Exit:
    if as_json:
        _print_json({"error": message, "reason": reason})
    else:
        err_console.print(error_line(f"{message} ({reason})"))
    return typer.Exit(code)


def catalogue_markdown(metrics: list[Metric]) -> str:
    """The catalogue as one markdown table per family (embedded in docs/metrics.md)."""
    lines: list[str] = []
    for family in dict.fromkeys(m.family for m in metrics):
        lines += [
            f"### {family}",
            "",
            "| metric | unit | dimensions | description | computed as |",
            "|---|---|---|---|---|",
        ]
        for m in (m for m in metrics if m.family == family):
            cells = [f"`{m.name}`", m.unit, ", ".join(m.dimensions) or "-", m.description, _definition(m)]
            lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _definition(metric: Metric) -> str:
    if metric.ratio:
        scale = f" × {metric.scale:g}" if metric.scale != 1 else ""
        return f"`{metric.ratio[0]}` / `{metric.ratio[1]}`{scale}"
    if metric.difference:
        return f"`{metric.difference[0]}` − `{metric.difference[1]}`"
    where = "" if metric.where == "1" else f" where `{' '.join(metric.where.split())}`"
    args = f" ({', '.join(f'{k}={v}' for k, v in metric.args.items())})" if metric.args else ""
    return f"`{metric.value}` over {metric.source}{where}{args}"


@metrics_app.command("list")
def list_command(
    search: Annotated[str, typer.Option(help="Only metrics whose name, family or description contains this.")] = "",
    family: Annotated[str | None, typer.Option(help="Only this family.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the markdown tables of docs/metrics.md.")] = False,
) -> None:
    """List the catalogue."""
    metrics = list_metrics(search, family)
    if as_json:
        _print_json([m.model_dump(exclude_none=True) for m in metrics])
        return
    if markdown:
        sys.stdout.write(catalogue_markdown(metrics))
        return
    for family in dict.fromkeys(m.family for m in metrics):
        members = [m for m in metrics if m.family == family]
        console.print(Text(f"{family} ({len(members)})", style="bold"))
        for m in members:
            split = f"  by {', '.join(m.dimensions)}" if m.dimensions else ""
            console.print(Text.assemble("  ", (m.name, "cyan"), f"  {m.unit}{split}"), overflow="ignore", crop=False)
            console.print(Text(f"      {m.description}"))
    console.print(Text(f"{len(metrics)} metrics"))


@metrics_app.command("show")
def show_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A metric name (`touchstream metrics list`).")],
    by: Annotated[str, typer.Option("--by", help=f"Period: {', '.join(GRAINS)}.")] = "day",
    dim: Annotated[str | None, typer.Option("--dim", help="Split by a dimension the metric allows.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day YYYY-MM-DD (UTC).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day YYYY-MM-DD (UTC); default today.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    show_sql: Annotated[bool, typer.Option("--sql", help="Print the queries and their parameters instead.")] = False,
) -> None:
    """Show one metric per period, anomalies flagged (docs/metrics.md)."""
    from analytics.metrics import metric_series
    from warehouse.base import WarehouseError

    first, last = _day(start), _day(end)
    try:
        if show_sql:
            for query in metric_queries(name, by, dim, first, last):
                params = orjson.dumps(query.params).decode()
                sys.stdout.write(f"{query.sql.strip()}\n-- params: {params}\n\n")
            return
        series = metric_series(name, by, dim, first, last, target=ctx.obj)
    except MetricInputError as exc:
        raise _fail(2, exc.reason, str(exc), as_json) from None
    except WarehouseError as exc:
        raise _fail(1, exc.reason, str(exc), as_json) from None
    if as_json:
        _print_json(series.model_dump(mode="json"))
        return
    console.print(_series_table(series))
    for line in series.lines:
        for point in line.anomalies:
            a = point.anomaly
            assert a is not None
            console.print(
                Text(
                    f"anomaly: {line.key} {point.period} {a.direction} "
                    f"(change {a.change:+.4g}, z {a.z:+.1f}, {a.check} z {a.check_z:+.1f})"
                )
            )


def _series_table(series: MetricSeries) -> Table:
    split = f" and {series.dimension}" if series.dimension else ""
    title = f"{series.metric} ({series.unit}) by {series.grain}{split}"
    periods = [p.period for p in series.lines[0].points] if series.lines else []
    rows = [(period, *(_cell(line.points[i]) for line in series.lines)) for i, period in enumerate(periods)]
    return result_table(("period", *(line.key for line in series.lines)), rows, title)


def _cell(point: SeriesPoint) -> str:
    if point.anomaly is None:
        return _number(point.value)
    return _number(point.value) + (" ▲" if point.anomaly.direction == "spike" else " ▼")


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
