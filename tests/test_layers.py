"""Imports only go down the layers (README "Layout"): a package never imports one above it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# lower number = lower layer; a package may import its own layer's packages and any below
LAYERS = {
    "core": 0,
    "ingest": 1,
    "warehouse": 1,
    "tagging": 1,
    "flink_jobs": 2,
    "touchpoints": 2,
    "analytics": 2,
    "funnel_ui": 3,
    "touchstream": 4,
}
# Same-layer imports that would make a cycle between components are refused too.
FORBIDDEN_SIDEWAYS = {
    ("ingest", "warehouse"),
    ("ingest", "tagging"),
    ("warehouse", "ingest"),
    ("warehouse", "tagging"),
    ("tagging", "ingest"),
    ("tagging", "warehouse"),
    ("flink_jobs", "touchpoints"),
    ("flink_jobs", "analytics"),
    ("touchpoints", "flink_jobs"),
    ("touchpoints", "analytics"),
    ("analytics", "touchpoints"),
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & LAYERS.keys()


def test_imports_only_go_down() -> None:
    wrong = []
    for package, layer in LAYERS.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for target in imported_packages(path):
                if LAYERS[target] > layer or (package, target) in FORBIDDEN_SIDEWAYS:
                    wrong.append(f"{path.relative_to(ROOT)} imports {target}")
    assert wrong == []
