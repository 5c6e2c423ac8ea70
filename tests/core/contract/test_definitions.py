"""The catalogue and flow files are validated at load."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from core.contract import load_catalogue
from core.contract.definitions import CATALOGUE_FILE, FLOWS_FILE


def test_shipped_definitions_load() -> None:
    catalogue = load_catalogue()
    expected = {"broadband_renewal", "plan_upgrade", "data_pack_order", "topup", "number_card_order", "handset_order"}
    assert expected <= set(catalogue.flows)
    assert catalogue.flows["plan_upgrade"].steps == ["choose_plan", "choose_upgrade_tier", "confirm"]
    assert catalogue.channels == ["web", "app", "wechat"]


def _write(tmp_path: Path, catalogue: dict, flows: dict) -> tuple[Path, Path]:
    c, f = tmp_path / "catalogue.yaml", tmp_path / "flows.yaml"
    c.write_text(yaml.safe_dump(catalogue))
    f.write_text(yaml.safe_dump(flows))
    return c, f


def test_flow_with_unknown_business_fails_at_load(tmp_path: Path) -> None:
    catalogue = yaml.safe_load(CATALOGUE_FILE.read_text())
    flows = yaml.safe_load(FLOWS_FILE.read_text())
    flows["flows"]["bad"] = {"business": "spaceships", "steps": ["a"]}
    with pytest.raises(ValidationError, match="unknown business 'spaceships'"):
        load_catalogue(*_write(tmp_path, catalogue, flows))


def test_unknown_prop_type_fails_at_load(tmp_path: Path) -> None:
    catalogue = yaml.safe_load(CATALOGUE_FILE.read_text())
    catalogue["events"]["click"]["props"]["element"]["type"] = "colour"
    flows = yaml.safe_load(FLOWS_FILE.read_text())
    with pytest.raises(ValidationError, match="type"):
        load_catalogue(*_write(tmp_path, catalogue, flows))


def test_misspelt_key_fails_at_load(tmp_path: Path) -> None:
    catalogue = yaml.safe_load(CATALOGUE_FILE.read_text())
    catalogue["events"]["click"]["propz"] = {}
    flows = yaml.safe_load(FLOWS_FILE.read_text())
    with pytest.raises(ValidationError, match="propz"):
        load_catalogue(*_write(tmp_path, catalogue, flows))


@pytest.mark.parametrize(
    ("slot_id", "message"),
    [("web.banner2", "must be app.<name>"), ("app.Banner", "must be app.<name>"), ("app.a:b", "must be app.<name>")],
)
def test_a_slot_id_is_its_channel_and_a_plain_name(tmp_path: Path, slot_id: str, message: str) -> None:
    """Created slots (touchpoint admin API) follow the same shape: the collector accepts any such id."""
    slots = tmp_path / "slots.yaml"
    slots.write_text(yaml.safe_dump({"slots": {slot_id: {"channel": "app", "kind": "banner", "capacity": 1}}}))
    with pytest.raises(ValidationError, match=message):
        load_catalogue(CATALOGUE_FILE, FLOWS_FILE, slots)


def test_a_format_needs_a_string_prop(tmp_path: Path) -> None:
    catalogue = yaml.safe_load(CATALOGUE_FILE.read_text())
    catalogue["events"]["click"]["props"]["element"] = {"type": "integer", "format": "slot_id"}
    flows = yaml.safe_load(FLOWS_FILE.read_text())
    with pytest.raises(ValidationError, match="enum and format need type string"):
        load_catalogue(*_write(tmp_path, catalogue, flows))
