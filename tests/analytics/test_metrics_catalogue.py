"""The metric catalogue: what ships, and that a bad definition fails at load."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from analytics.metrics import default_metric_catalogue, list_metrics, load_metric_catalogue
from analytics.metrics.definitions import DEFINITIONS_DIR, SOURCES_FILE
from core.contract.definitions import default_catalogue

CATALOGUE = default_metric_catalogue()
CONTRACT = default_catalogue()


def test_at_least_150_metrics_in_every_family_of_the_issue() -> None:
    families = Counter(m.family for m in CATALOGUE.metrics.values())
    assert len(CATALOGUE.metrics) >= 150
    assert set(families) == {
        "traffic",
        "engagement",
        "flows",
        "orders",
        "touchpoints",
        "sharing",
        "retention",
        "tags",
        "business",
        "data_quality",
    }
    assert min(families.values()) >= 10
    assert list(CATALOGUE.families) == list(dict.fromkeys(m.family for m in CATALOGUE.metrics.values()))
    assert CATALOGUE.families["flows"].title == "Flow conversion"


def test_flow_metrics_exist_for_every_step_of_every_flow() -> None:
    for flow_name, flow in CONTRACT.flows.items():
        for step, step_name in enumerate(flow.steps, start=1):
            users = CATALOGUE.get(f"flow_{flow_name}_s{step}_{step_name}_users")
            assert users.args == {"flow": flow_name, "step": str(step)}
            if step > 1:
                conversion = CATALOGUE.get(f"flow_{flow_name}_s{step}_conversion")
                assert conversion.ratio == (users.name, f"flow_{flow_name}_s{step - 1}_{flow.steps[step - 2]}_users")
        assert CATALOGUE.get(f"flow_{flow_name}_completion_rate").unit == "percent"


def test_dimensions_only_where_the_source_has_them() -> None:
    for metric in CATALOGUE.metrics.values():
        if metric.is_aggregate:
            assert set(metric.dimensions) <= set(CATALOGUE.sources[metric.source or ""].dimensions)
    assert "channel" in CATALOGUE.get("page_views").dimensions
    assert "flow" not in CATALOGUE.get("page_views").dimensions
    assert CATALOGUE.get("quarantined_events").dimensions == []


def test_search_matches_name_family_and_description() -> None:
    names = {m.name for m in list_metrics("UPGRADE_TIER")}
    assert "flow_plan_upgrade_s2_choose_upgrade_tier_users" in names
    assert {m.family for m in list_metrics("", family="tags")} == {"tags"}
    assert list_metrics("no such metric anywhere") == []


@pytest.fixture
def definitions(tmp_path: Path) -> Path:
    """A writable copy of the shipped definitions."""
    target = tmp_path / "metrics"
    shutil.copytree(DEFINITIONS_DIR, target)
    return target


def _edit_family(directory: Path, family: str, change) -> None:  # type: ignore[no-untyped-def]
    path = directory / f"{family}.yaml"
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _add_metric(directory: Path, **entry: object) -> None:
    _edit_family(directory, "traffic", lambda doc: doc["metrics"].append(entry))


BASE = {"name": "probe", "description": "a probe", "unit": "events", "source": "events", "value": "count()"}


def test_the_copy_loads(definitions: Path) -> None:
    assert len(load_metric_catalogue(definitions).metrics) == len(CATALOGUE.metrics)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({**BASE, "dimensions": ["colour"]}, "unknown dimension"),
        ({**BASE, "dimensions": ["tag"]}, "has no dimension"),
        ({**BASE, "name": "page_views"}, "defined twice"),
        ({**BASE, "name": "Page-Views"}, "string_pattern_mismatch"),
        ({**BASE, "source": "nowhere"}, "unknown source"),
        ({**BASE, "where": "flow = {flow:String}"}, "has no value in `args`"),
        ({**BASE, "where": "flow = {flow:String}", "args": {"flow": "x", "spare": "y"}}, "appear in no placeholder"),
        ({**BASE, "where": "step = {step:UInt16}", "args": {"step": "two"}}, "whole number"),
        ({**BASE, "where": "day >= {from:String}"}, "must be Date"),
        ({**BASE, "where": "x = {x:Float64}", "args": {"x": "1"}}, "argument type"),
        ({**BASE, "where": "1; DROP TABLE events"}, "are not allowed in a metric SQL fragment"),
        ({**BASE, "value": "count() $source"}, "are not allowed in a metric SQL fragment"),
        ({**BASE, "ratio": ["page_views", "clicks"]}, "exactly one of"),
        ({"name": "probe", "description": "d", "unit": "ratio", "ratio": ["page_views", "nothing"]}, "unknown operand"),
        (
            {
                "name": "probe",
                "description": "d",
                "unit": "ratio",
                "ratio": ["page_views", "new_users"],
                "dimensions": ["business"],
            },
            "has no dimension",
        ),
        ({"name": "probe", "description": "d", "unit": "ratio", "ratio": ["probe", "clicks"]}, "cycle"),
        ({"name": "probe", "description": "d", "unit": "ratio", "ratio": ["a", "b"], "where": "1 = 1"}, "takes no"),
        ({**BASE, "unit": "furlongs"}, "literal_error"),
        ({**BASE, "colour": "red"}, "extra_forbidden"),
    ],
)
def test_a_bad_definition_fails_at_load(definitions: Path, entry: dict, message: str) -> None:
    _add_metric(definitions, **entry)
    with pytest.raises(ValueError, match=message):  # pydantic's ValidationError is a ValueError
        load_metric_catalogue(definitions)


def test_a_template_with_an_unknown_variable_fails(definitions: Path) -> None:
    def change(doc: dict) -> None:
        doc["generate"][0]["name"] = "flow_{flw}_s{step}_users"

    _edit_family(definitions, "flows", change)
    with pytest.raises(ValueError, match="bad variable"):
        load_metric_catalogue(definitions)


def test_a_source_with_an_unknown_dimension_fails(definitions: Path) -> None:
    path = definitions / SOURCES_FILE
    doc = yaml.safe_load(path.read_text())
    doc["sources"]["events"]["dimensions"].append("colour")
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ValueError, match="unknown dimension"):
        load_metric_catalogue(definitions)


def test_a_source_query_file_must_exist(definitions: Path) -> None:
    path = definitions / SOURCES_FILE
    doc = yaml.safe_load(path.read_text())
    doc["sources"]["ghost"] = {"description": "d", "query": "ghost", "day": "day"}
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ValueError, match="does not exist"):
        load_metric_catalogue(definitions)


def test_a_new_flow_gets_its_metrics(definitions: Path) -> None:
    flows = dict(CONTRACT.flows)
    flows["esim_activation"] = flows["bill_payment"].model_copy(update={"steps": ["scan", "activate"]})
    contract = CONTRACT.model_copy(update={"flows": flows})
    catalogue = load_metric_catalogue(definitions, contract)
    assert catalogue.get("flow_esim_activation_s2_conversion").ratio == (
        "flow_esim_activation_s2_activate_users",
        "flow_esim_activation_s1_scan_users",
    )


def test_docs_list_the_catalogue_as_it_is() -> None:
    """docs/metrics.md embeds `touchstream metrics list --markdown`; regenerate it after an edit."""
    from touchstream.metrics_cli import catalogue_markdown

    doc = (Path(__file__).parents[2] / "docs" / "metrics.md").read_text()
    embedded = doc.split("<!-- catalogue:start -->\n", 1)[1].split("<!-- catalogue:end -->", 1)[0]
    assert embedded == catalogue_markdown(list_metrics())
