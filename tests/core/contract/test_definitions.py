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
