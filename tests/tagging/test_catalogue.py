"""Definitions load, validate strictly and name file and tag in errors (reloading: test_watcher.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagging.catalogue import DEFINITIONS_DIR, MAX_FILES, TagCatalogue, TagDefinitionError, load_tag_catalogue
from tagging.families import FAMILIES


def test_shipped_catalogue_covers_every_family_business_flow_and_key_slot(catalogue: TagCatalogue) -> None:
    assert len(catalogue.tags) >= 61
    assert {t.family for t in catalogue.tags.values()} == set(FAMILIES)
    contract = catalogue.contract
    subjects = {(t.family, t.subject) for t in catalogue.tags.values()}
    for family in ("browser", "orderer", "sharer", "referrer"):
        assert {(family, b) for b in contract.businesses} <= subjects
    assert {("abandoned_mid_flow", f) for f in contract.flows} <= subjects
    assert {("key_touchpoint_clicker", s) for s in contract.key_slots} <= subjects


def test_the_shipped_definitions_are_sealed() -> None:
    """The job loads only sealed files; after editing tags.yaml, re-seal it with
    `touchstream tags deploy tagging/definitions/tags.yaml`."""
    assert load_tag_catalogue(DEFINITIONS_DIR, require_seal=True).tags


def test_family_defaults_and_per_tag_overrides(catalogue: TagCatalogue) -> None:
    assert catalogue.tags["browser:plan"].params.min_views == 3  # type: ignore[attr-defined]
    hot = catalogue.tags["browser:plan/hot"].params
    assert (hot.min_views, hot.window_days) == (5, 1)  # type: ignore[attr-defined]
    assert catalogue.tags["abandoned_mid_flow:topup"].params.window_minutes == 30  # type: ignore[attr-defined]


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "tags.yaml").write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tags:\n  - name: browser:plan\n    colour: red\n", "tags.yaml: tags.0.colour: Extra inputs"),
        ("tags:\n  - name: window_shopper:plan\n", "tag 'window_shopper:plan' (tags[0]): unknown family"),
        ("tags:\n  - name: browser:pets\n", "tag 'browser:pets' (tags[0]): unknown business line 'pets'"),
        (
            "tags:\n  - name: abandoned_mid_flow:plan\n",
            "tag 'abandoned_mid_flow:plan' (tags[0]): unknown flow",
        ),
        ("tags:\n  - name: key_touchpoint_clicker:app.nowhere\n", "unknown slot 'app.nowhere'"),
        ("tags:\n  - name: key_touchpoint_clicker:web.reminder\n", "slot 'web.reminder' is not a key slot"),
        ("tags:\n  - name: orderer\n", "family orderer needs a subject"),
        ("tags:\n  - name: silent_churn_risk:plan\n", "takes no subject"),
        (
            "tags:\n  - name: browser:plan\n    params: {min_views: 0}\n",
            "tag 'browser:plan' (tags[0]): params: min_views",
        ),
        ("tags:\n  - name: browser:plan\n    params: {window: 3}\n", "params: window: Extra inputs"),
        (
            "tags:\n  - name: orderer:plan\n  - name: orderer:plan\n",
            "tag 'orderer:plan' (tags[1]): defined twice",
        ),
        (
            "families:\n  browser: {min_views: -1}\ntags:\n  - name: orderer:plan\n",
            "families.browser: params",
        ),
        ("families:\n  shopper: {}\ntags:\n  - name: orderer:plan\n", "families.shopper: unknown family"),
        ("tags:\n  - name: 'Browser plan'\n", "bad name 'Browser plan'"),
        ("tags: [\n", "tags.yaml: cannot read"),
        ("tags: []\n", "no tag definitions"),
        (
            "tags:\n  - name: orderer:plan\nretired: [orderer:plan]\n",
            "tags.yaml retired: 'orderer:plan' is retired and still defined",
        ),
        ("tags:\n  - name: orderer:plan\n    params: {window_days: 3661}\n", "less than or equal to 3660"),
        ("families:\n  browser: &b {min_views: 3}\n  orderer: *b\ntags: []\n", "aliases (*name) are not allowed"),
    ],
)
def test_bad_definitions_fail_with_file_and_tag(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(TagDefinitionError) as info:
        load_tag_catalogue(write(tmp_path, text))
    assert message in str(info.value)
    assert "tags.yaml" in str(info.value) or "no tag definitions" in str(info.value)


def test_a_directory_of_too_many_files_is_refused(tmp_path: Path) -> None:
    for index in range(MAX_FILES + 1):
        (tmp_path / f"t{index:03d}.yaml").write_text(f"tags:\n  - name: orderer:plan/v{index}\n")
    with pytest.raises(TagDefinitionError, match=f"more than {MAX_FILES}"):
        load_tag_catalogue(tmp_path)
