"""Touchpoint events for slots operators created through the touchpoint admin API: the collector
cannot list them (it does not read the campaign store), so it accepts any well-formed slot id
and still refuses a malformed one with a reason, keeping the rest of the batch."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from core.config import Settings
from tests.ingest.conftest import event, logged, quarantined


def exposure(i: int, slot: object, name: str = "touchpoint_exposure") -> dict[str, object]:
    props = {"slot": slot, "campaign": "topup_promo", "content_id": "topup_promo-banner", "decision_id": f"d{i}"}
    return event(i, channel="app", event=name, props=props)


def test_a_created_slot_is_accepted_and_a_malformed_one_rejected(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    batch = [
        exposure(0, "app.topup_page_banner"),
        exposure(1, "app.topup page banner"),
        exposure(2, "app.topup_page_banner", "touchpoint_click"),
        exposure(3, "moon.billboard"),
        exposure(4, "app.banner"),
        exposure(5, "app.x:y|z"),
        exposure(6, ["app.banner"]),
    ]
    response = client.post("/v1/collect", json=batch)
    assert response.status_code == 200
    assert response.json["accepted"] == 3
    rejected = {r["index"]: r["reason"] for r in response.json["rejected"]}
    assert set(rejected) == {1, 3, 5, 6}
    for index in (1, 3, 5):
        assert (
            rejected[index].startswith("props.slot: ")
            and "is not a known slot: expected <channel>.<name>" in (rejected[index])
        )
    assert rejected[6] == "props.slot: values must be strings, numbers or booleans"
    records = logged(app, settings)
    assert [(e["event_id"], e["props"]["slot"]) for e in records] == [
        ("e0", "app.topup_page_banner"),
        ("e2", "app.topup_page_banner"),
        ("e4", "app.banner"),
    ]
    assert [q["index"] for q in quarantined(app, settings)] == [1, 3, 5, 6]
