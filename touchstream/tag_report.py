"""How ``touchstream tags check`` and ``tags deploy`` show a deploy plan, and their exit status.

Plain text (no Rich markup: messages quote YAML such as ``tags[0]``), one fact per line so
a reviewer or a script can read it; ``--json`` for machines.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
import typer

from tagging.deploy import DeployPlan

EXIT_OK, EXIT_INVALID, EXIT_MISSING, EXIT_REFUSED = 0, 1, 2, 3


def exit_code(plan: DeployPlan) -> int:
    if plan.error is not None:
        return EXIT_MISSING if not plan.source.exists() else EXIT_INVALID
    return EXIT_REFUSED if plan.refusal is not None else EXIT_OK


def plan_dict(plan: DeployPlan) -> dict[str, Any]:
    return {
        "ok": plan.ok,
        "source": str(plan.source),
        "target": str(plan.target),
        "error": plan.error,
        "refusal": plan.refusal,
        "deployed_error": plan.current_error,
        "seals": plan.seals,
        "writes": plan.writes,
        "deletes": plan.deletes,
        "tags": len(plan.candidate.tags) if plan.candidate else None,
        "diff": plan.diff.to_dict() if plan.diff else None,
    }


def _names(label: str, names: tuple[str, ...] | list[str]) -> None:
    if names:
        typer.echo(f"{label} ({len(names)}): {', '.join(names)}")


def print_plan(plan: DeployPlan, *, as_json: bool = False, deployed: bool = False) -> None:
    """``deployed``: the plan was carried out (``tags deploy``), not only checked."""
    if as_json:
        sys.stdout.write(orjson.dumps(plan_dict(plan), option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    in_force = f"{len(plan.current.tags)} tags" if plan.current else "none"
    typer.echo(f"{plan.source} -> {plan.target} (deployed: {in_force})")
    if plan.current_error:
        typer.echo(f"warning: the deployed set does not load as the job loads it: {plan.current_error}")
    if plan.error:
        typer.echo(f"error: {plan.error}", err=True)
        return
    for name, state in plan.seals.items():
        if state != "sealed":
            note = "the deploy seals it" if name in plan.writes else "the job refuses it"
            typer.echo(f"seal of {name}: {state} ({note})")
    diff = plan.diff
    assert diff is not None
    _names("added", diff.added)
    _names("removed", diff.removed)
    if diff.changed:
        typer.echo(f"changed ({len(diff.changed)}):")
        for tag, what in diff.changed.items():
            typer.echo(f"  {tag}: {'; '.join(what)}")
    _names("files removed", plan.deletes)
    if diff.empty:
        typer.echo("no tag added, removed or changed")
    if plan.refusal:
        typer.echo(f"refused: {plan.refusal}", err=True)
        return
    done = "deployed" if deployed else "ok to deploy"
    counts = f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"
    typer.echo(f"{done}: {diff.after} tags ({counts})")
