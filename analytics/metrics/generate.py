"""Metric templates expanded per flow, per flow step or per step transition of flows.yaml.

A template is a metric entry plus ``per``. Its text fields (name, description, args,
formula operands) are ``str.format`` templates over the variables of each binding; the
SQL fields (``value``, ``where``) are left alone: they hold ``{name:Type}`` placeholders
that the bound ``args`` fill at query time, so every generated metric of a template runs
the same SQL with different parameters. A new flow in flows.yaml gets its metrics for free.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import TypeAdapter

from core.contract.definitions import Catalogue

Per = Literal["flow", "flow_step", "flow_transition"]
SQL_FIELDS = frozenset({"value", "where"})


def bindings(per: Per, contract: Catalogue) -> Iterator[dict[str, Any]]:
    """The variables of each expansion: ``flow``, ``business``, ``step``, ``step_name``, ``prev_step``..."""
    for flow_name, flow in contract.flows.items():
        base = {
            "flow": flow_name,
            "flow_title": flow_name.replace("_", " "),
            "business": flow.business,
            "first_step_name": flow.steps[0],
            "last_step": flow.last_step,
            "last_step_name": flow.steps[-1],
        }
        if per == "flow":
            yield base
            continue
        for step, step_name in enumerate(flow.steps, start=1):
            if per == "flow_transition" and step == 1:
                continue
            yield {
                **base,
                "step": step,
                "step_name": step_name,
                "prev_step": step - 1,
                "prev_step_name": flow.steps[step - 2] if step > 1 else "",
            }


def _format(value: Any, variables: dict[str, Any], template_name: str) -> Any:
    if isinstance(value, str):
        try:
            return value.format_map(variables)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"metric template {template_name!r}: bad variable in {value!r}: {exc}") from None
    if isinstance(value, list | tuple):
        return [_format(v, variables, template_name) for v in value]
    if isinstance(value, dict):
        return {k: _format(v, variables, template_name) for k, v in value.items()}
    return value


def expand_templates(templates: list[dict[str, Any]], contract: Catalogue) -> list[dict[str, Any]]:
    """Metric entries for every binding of every template."""
    entries = []
    for template in templates:
        body = dict(template)
        per = TypeAdapter(Per).validate_python(body.pop("per", None))
        name = str(body.get("name", "?"))
        for variables in bindings(per, contract):
            entries.append(
                {key: value if key in SQL_FIELDS else _format(value, variables, name) for key, value in body.items()}
            )
    return entries
