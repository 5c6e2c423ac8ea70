"""Slots created through the admin API (POST /v1/admin/slots), against a real Redis: strictly
validated, audited, served on the next request of every worker, named by campaigns, paused and
archived like the contract's, and on contract in the decision log the stream job reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.config import Settings
from core.contract import EventValidator, default_catalogue
from core.contract.validate import ENVELOPE_FIELDS
from core.processes import free_port
from ingest.segments import read_segments
from tests.touchpoints.builders import CONTENT, campaign_dict
from tests.touchpoints.conftest import ADMIN, service_settings

pytestmark = pytest.mark.integration

SLOTS = "/v1/admin/slots"
NEW = {"id": "app.topup_page_banner", "kind": "banner", "capacity": 2, "key": False}
PAGE = "/v1/touchpoints?user_id=u1&channel=app&slot=topup_page_banner"


def promo(cid: str = "topup_promo", **fields: Any) -> dict[str, Any]:
    """A campaign for the created banner slot, shown to everyone."""
    fields.setdefault("content", {"banner": {**CONTENT["banner"], "id": f"{cid}-banner"}})
    return campaign_dict(cid, slots=["app.topup_page_banner"], **fields)


def served(client: FlaskClient, url: str = PAGE) -> tuple[str, list[str]]:
    response = client.get(url)
    assert response.status_code == 200, response.json
    (slot,) = response.json["slots"]
    return slot["reason"], [item["campaign_id"] for item in slot["items"]]


def test_create_serve_pause_archive_with_an_audit_trail(client: FlaskClient) -> None:
    assert client.get(PAGE).json["reason"] == "unknown_slot"
    created = client.post(SLOTS, json=NEW, headers=ADMIN)
    assert created.status_code == 201, created.json
    assert created.json["slot"] == {
        "id": "app.topup_page_banner",
        "channel": "app",
        "kind": "banner",
        "capacity": 2,
        "status": "active",
        "contract_capacity": 2,
        "origin": "admin",
    }
    assert created.json["revision"] == 1 and created.json["updated_by"] == "alice"
    assert served(client) == ("empty", [])  # served on the next request: no restart

    # a campaign may name it, with content for its kind
    wrong_kind = promo(content={"login_popup": CONTENT["login_popup"]})
    assert client.post("/v1/admin/campaigns", json=wrong_kind, headers=ADMIN).json["reason"] == "missing_content"
    assert client.post("/v1/admin/campaigns", json=promo(), headers=ADMIN).status_code == 201
    assert served(client) == ("shown", ["topup_promo"])
    assert served(client, PAGE.replace("topup_page_banner", "app.topup_page_banner")) == ("shown", ["topup_promo"])

    listed = {s["slot"]["id"]: s for s in client.get(SLOTS, headers=ADMIN).json["slots"]}
    assert listed["app.topup_page_banner"]["slot"]["origin"] == "admin"
    assert listed["app.banner"]["slot"]["origin"] == "contract"
    assert client.get(f"{SLOTS}/app.topup_page_banner", headers=ADMIN).json["slot"]["kind"] == "banner"
    changed = client.put(f"{SLOTS}/app.topup_page_banner", json={"capacity": 1}, headers=ADMIN)
    assert changed.status_code == 200 and changed.json["slot"]["capacity"] == 1
    assert changed.json["slot"]["contract_capacity"] == 2 and changed.json["slot"]["kind"] == "banner"
    reset = client.put(f"{SLOTS}/app.topup_page_banner", json={}, headers=ADMIN).json["slot"]
    assert reset["capacity"] == 2 and reset["origin"] == "admin"  # the definition survived the update

    assert client.post(f"{SLOTS}/app.topup_page_banner/pause", headers=ADMIN).json["slot"]["status"] == "paused"
    assert served(client) == ("slot_paused", [])
    assert client.post(f"{SLOTS}/app.topup_page_banner/resume", headers=ADMIN).status_code == 200
    assert served(client) == ("shown", ["topup_promo"])
    assert client.post(f"{SLOTS}/app.topup_page_banner/archive", headers=ADMIN).json["slot"]["status"] == "archived"
    assert served(client) == ("slot_archived", [])
    assert client.post(f"{SLOTS}/app.topup_page_banner/resume", headers=ADMIN).json["reason"] == "archived"
    assert client.put(f"{SLOTS}/app.topup_page_banner", json={}, headers=ADMIN).json["reason"] == "archived"
    # the campaign naming the archived slot stays valid (and can still be edited)
    assert client.put("/v1/admin/campaigns/topup_promo", json=promo(priority=3), headers=ADMIN).status_code == 200

    entries = client.get("/v1/admin/audit?id=app.topup_page_banner", headers=ADMIN).json["entries"]
    assert [e["action"] for e in entries] == ["archive", "resume", "pause", "update", "update", "create"]
    create = entries[-1]
    assert create["actor"] == "alice" and create["kind"] == "slot" and create["before"] is None and create["at"] > 0
    assert create["after"]["definition"] == {"channel": "app", "kind": "banner", "key": False, "capacity": 2}


def test_a_campaign_cannot_name_a_slot_not_created(client: FlaskClient) -> None:
    response = client.post("/v1/admin/campaigns", json=promo(), headers=ADMIN)
    assert response.status_code == 400 and response.json["reason"] == "unknown_slot"
    client.post(SLOTS, json=NEW, headers=ADMIN)
    assert client.post("/v1/admin/campaigns", json=promo(), headers=ADMIN).status_code == 201


def test_taken_ids_are_409(client: FlaskClient) -> None:
    contract = client.post(SLOTS, json={**NEW, "id": "app.banner"}, headers=ADMIN)
    assert contract.status_code == 409 and contract.json["reason"] == "exists"
    assert "slots.yaml" in contract.json["error"]
    assert client.post(SLOTS, json=NEW, headers=ADMIN).status_code == 201
    again = client.post(SLOTS, json={**NEW, "kind": "reminder"}, headers=ADMIN)
    assert again.status_code == 409 and again.json["reason"] == "exists"
    client.post(f"{SLOTS}/app.topup_page_banner/archive", headers=ADMIN)
    assert client.post(SLOTS, json=NEW, headers=ADMIN).json["reason"] == "exists"  # never reused
    assert client.get(f"{SLOTS}/app.topup_page_banner", headers=ADMIN).json["slot"]["kind"] == "banner"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"id": "tv.banner2"}, "unknown_channel"),
        ({"id": "APP.banner2"}, "invalid_slot_id"),
        ({"id": "app.Banner"}, "invalid_slot_id"),
        ({"id": "app."}, "invalid_slot_id"),
        ({"id": "app"}, "invalid_slot_id"),
        ({"id": "app.b.c"}, "invalid_slot_id"),
        ({"id": "app.a:b"}, "invalid_slot_id"),  # ':' and '|' separate fields of the contact counters
        ({"id": "app.a|b"}, "invalid_slot_id"),
        ({"id": "app.x\n"}, "invalid_slot_id"),
        ({"id": "app.../../etc"}, "invalid_slot_id"),
        ({"id": "app.{u1}"}, "invalid_slot_id"),
        ({"id": "app.横幅"}, "invalid_slot_id"),
        ({"id": "app." + "x" * 49}, "invalid_slot_id"),
        ({"id": 5}, "invalid_slot_id"),
        ({"id": None}, "invalid_slot_id"),
        ({"kind": "carousel"}, "unknown_kind"),
        ({"kind": "Banner"}, "unknown_kind"),
        ({"kind": ["banner"]}, "unknown_kind"),
        ({"capacity": 0}, "invalid_capacity"),
        ({"capacity": 21}, "invalid_capacity"),
        ({"capacity": -1}, "invalid_capacity"),
        ({"capacity": "2"}, "invalid_capacity"),
        ({"capacity": True}, "invalid_capacity"),
        ({"capacity": 2.5}, "invalid_capacity"),
        ({"capacity": 10**30}, "invalid_capacity"),
        ({"key": True}, "key_slot"),
        ({"key": "false"}, "key_slot"),
        ({"status": "deleted"}, "invalid_slot"),
        ({"channel": "app"}, "unknown_field"),
        ({"__proto__": {"admin": True}}, "unknown_field"),
    ],
)
def test_bad_bodies_get_400_with_a_reason(client: FlaskClient, changes: dict[str, Any], reason: str) -> None:
    response = client.post(SLOTS, json={**NEW, **changes}, headers=ADMIN)
    assert response.status_code == 400 and response.json["reason"] == reason, response.json
    assert all(s["slot"]["origin"] == "contract" for s in client.get(SLOTS, headers=ADMIN).json["slots"])


def test_hostile_bodies_and_headers(client: FlaskClient) -> None:
    for missing in ("id", "kind", "capacity"):
        body = {k: v for k, v in NEW.items() if k != missing}
        assert client.post(SLOTS, json=body, headers=ADMIN).json["reason"] == "missing_field"
    for body in ("[]", '"app.x"', "1", "null", "{}"):
        response = client.post(SLOTS, data=body, headers=ADMIN, content_type="application/json")
        assert response.status_code == 400 and response.json["reason"] in ("invalid_slot", "missing_field"), body
    assert client.post(SLOTS, data="{not json", headers=ADMIN, content_type="application/json").json["reason"] == (
        "invalid_json"
    )
    assert client.post(SLOTS, data="{}", headers=ADMIN, content_type="text/plain").status_code == 415
    deep = "[" * 100_000 + "]" * 100_000
    assert client.post(SLOTS, data=deep, headers=ADMIN, content_type="application/json").status_code in (400, 413)
    huge = b'{"id": "app.' + b"x" * 300_000 + b'", "kind": "banner", "capacity": 2}'
    assert client.post(SLOTS, data=huge, headers=ADMIN, content_type="application/json").status_code == 413
    no_operator = {"Authorization": ADMIN["Authorization"]}
    assert client.post(SLOTS, json=NEW, headers=no_operator).json["reason"] == "operator_required"
    assert client.post(SLOTS, json=NEW, headers={**ADMIN, "X-Operator": "a b"}).json["reason"] == "invalid_operator"
    assert client.get(f"{SLOTS}/app.never_created", headers=ADMIN).status_code == 404
    assert client.get(f"{SLOTS}/{'x' * 5000}", headers=ADMIN).json["reason"] == "unknown_slot"
    assert client.post(f"{SLOTS}/app.never_created/pause", headers=ADMIN).json["reason"] == "unknown_slot"
    assert client.get(SLOTS, headers=ADMIN).json["slots"][-1]["slot"]["origin"] == "contract"  # nothing created


def test_a_second_worker_serves_it_on_its_next_request(client: FlaskClient, settings: Settings) -> None:
    from touchpoints.app import create_app

    other = create_app(settings, decision_log=False)  # another process on the same Redis
    second = other.test_client()
    assert second.get(PAGE).json["reason"] == "unknown_slot"  # its campaign set is now loaded
    assert client.post(SLOTS, json=NEW, headers=ADMIN).status_code == 201
    assert client.post("/v1/admin/campaigns", json=promo(), headers=ADMIN).status_code == 201
    assert served(second) == ("shown", ["topup_promo"])
    assert client.post(f"{SLOTS}/app.topup_page_banner/pause", headers=ADMIN).status_code == 200
    assert served(second) == ("slot_paused", [])


def test_a_slot_of_another_channel_or_unknown_is_refused(client: FlaskClient) -> None:
    client.post(SLOTS, json=NEW, headers=ADMIN)
    wrong = client.get("/v1/touchpoints?user_id=u1&channel=web&slot=app.topup_page_banner")
    assert wrong.json["reason"] == "slot_channel_mismatch"
    assert client.get(PAGE.replace("channel=app", "channel=web")).json["reason"] == "unknown_slot"
    both = client.get(f"{PAGE}&slot=app.not_created_yet")
    assert both.status_code == 400 and both.json["reason"] == "unknown_slot" and "not_created_yet" in both.json["error"]


def test_without_redis_a_slot_never_seen_answers_degraded(tmp_path: Path) -> None:
    from touchpoints.app import create_app

    down = service_settings(tmp_path / "home", f"redis://127.0.0.1:{free_port()}", touchpoints_redis_timeout_ms=200)
    app = create_app(down, decision_log=False)
    response = app.test_client().get(f"{PAGE}&slot=banner")
    assert response.status_code == 200 and response.json["degraded"] is True
    created, banner = response.json["slots"]
    assert created == {
        "slot": "app.topup_page_banner",
        "decision_id": created["decision_id"],
        "reason": "degraded",
        "items": [],
    }
    assert banner["reason"] == "degraded"


def test_decisions_for_it_are_on_contract(client: FlaskClient, app: Flask, settings: Settings) -> None:
    """The stream job and the warehouse read touchpoint_decision events for created slots."""
    client.post(SLOTS, json=NEW, headers=ADMIN)
    client.post("/v1/admin/campaigns", json=promo(), headers=ADMIN)
    assert served(client) == ("shown", ["topup_promo"])
    app.extensions["touchpoints"].service.log.close()
    (record,) = read_segments(settings.event_log)
    assert record["props"]["slot"] == "app.topup_page_banner"
    envelope = {k: v for k, v in record.items() if k in ENVELOPE_FIELDS}
    assert EventValidator(default_catalogue()).validate(envelope, record["received_at"])["props"]["slot"] == (
        "app.topup_page_banner"
    )
