"""`touchstream funnel` without --json: a table per funnel with a bar per step.

Step names and breakdown values come from people and clients, so they are rendered as rich
``Text`` (never parsed as markup): a value such as ``[bold]`` or ``[/x]`` prints as written.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from analytics.formatting import duration
from analytics.funnels import FunnelResult, StepResult

BAR_WIDTH = 30


def _bar(share: float) -> Text:
    filled = round(BAR_WIDTH * max(0.0, min(1.0, share)))
    return Text("█" * filled + "░" * (BAR_WIDTH - filled), style="cyan")


def _steps_table(title: str, steps: list[StepResult], drop_index: int | None) -> Table:
    table = Table(title=Text(title), title_justify="left")
    for column in ("#", "step", "users", "from start", "from previous", "median", "p90", ""):
        table.add_column(column, justify="right" if column not in ("step", "") else "left")
    for index, step in enumerate(steps):
        marked = index == drop_index
        table.add_row(
            str(index),
            Text(step.name, style="bold red" if marked else ""),
            f"{step.users:,}",
            f"{step.conversion_from_start:.1%}",
            f"{step.conversion_from_previous:.1%}",
            duration(step.median_seconds_to_convert),
            duration(step.p90_seconds_to_convert),
            Text.assemble(_bar(step.conversion_from_start), (" ◀ biggest drop" if marked else "", "bold red")),
        )
    return table


def render_funnel(result: FunnelResult, console: Console) -> None:
    drop = result.biggest_drop
    console.print(_steps_table("funnel", result.steps, drop.step_index if drop else None))
    if drop is None:
        console.print(Text("nobody entered the funnel"))
        return
    console.print(
        Text.assemble(
            ("biggest drop: ", "bold"),
            f"{drop.lost_users:,} users ({drop.drop_rate:.1%}) lost between ",
            (drop.from_step, "bold"),
            " and ",
            (drop.to_step, "bold"),
            f" (step_index {drop.step_index})",
        )
    )
    for outlier in result.breakdown_outliers:
        console.print(
            Text.assemble(
                ("far below the others: ", "bold yellow"),
                (outlier.value, "bold"),
                f" converts {outlier.conversion_from_previous:.1%} into ",
                (outlier.to_step, "bold"),
                f" vs {outlier.others_conversion_from_previous:.1%} (z = {outlier.z_score:.1f})",
            )
        )
    for value, breakdown in result.breakdown.items():
        console.print(
            _steps_table(
                f"breakdown: {value}",
                breakdown.steps,
                breakdown.biggest_drop.step_index if breakdown.biggest_drop else None,
            )
        )
