"""The admin API: credentials, every change audited, invalid definitions refused on save,
hostile bodies answered with 4xx, and the store's rules (archived is final, revisions)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from core.config import load_settings
from core.credentials import CredentialError, secret
from tests.touchpoints.builders import campaign_dict
from tests.touchpoints.conftest import ADMIN, ADMIN_TOKEN

pytestmark = pytest.mark.integration

ENDPOINTS = [
    ("GET", "/v1/admin/campaigns"),
    ("POST", "/v1/admin/campaigns"),
    ("GET", "/v1/admin/campaigns/arrears_pay_now"),
    ("PUT", "/v1/admin/campaigns/arrears_pay_now"),
    ("POST", "/v1/admin/campaigns/arrears_pay_now/pause"),
    ("GET", "/v1/admin/slots"),
    ("POST", "/v1/admin/slots"),
    ("GET", "/v1/admin/slots/app.banner"),
    ("PUT", "/v1/admin/slots/app.banner"),
    ("POST", "/v1/admin/slots/app.banner/archive"),
    ("GET", "/v1/admin/audit"),
    ("POST", "/v1/admin/audiences/check"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_no_token_is_401_and_a_wrong_one_403(client: FlaskClient, method: str, path: str) -> None:
    body = {"json": campaign_dict("x")} if method in ("POST", "PUT") else {}
    response = client.open(path, method=method, headers={"X-Operator": "eve"}, **body)
    assert response.status_code == 401 and response.json["reason"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    for wrong in (
        "Bearer nope",
        f"Bearer {ADMIN_TOKEN}x",
        f"Bearer {ADMIN_TOKEN[:-1]}",
        f"Basic {ADMIN_TOKEN}",
        "Bearer ",
        ADMIN_TOKEN,
        "Bearer " + "A" * 10_000,
    ):
        response = client.open(path, method=method, headers={"Authorization": wrong, "X-Operator": "eve"}, **body)
        assert response.status_code == 403, (wrong[:20], response.json)
        assert response.json["reason"] == "forbidden"
    # nothing changed
    audit = client.get("/v1/admin/audit", headers=ADMIN)
    assert audit.status_code == 200, audit.json
    assert all(e["actor"] != "eve" for e in audit.json["entries"])


def test_generated_token_file_is_private_and_stable(tmp_path: Path) -> None:
    settings = load_settings(env={}, home=tmp_path / "home")
    first = secret(None, settings.touchpoints_admin_token_file)
    assert len(first) >= 32
    assert stat.S_IMODE(os.stat(settings.touchpoints_admin_token_file).st_mode) == 0o600
    assert secret(None, settings.touchpoints_admin_token_file) == first
    assert secret("configured", settings.touchpoints_admin_token_file) == "configured"
    settings.touchpoints_admin_token_file.chmod(0o644)
    with pytest.raises(CredentialError, match="readable by others"):
        secret(None, settings.touchpoints_admin_token_file)


def test_create_update_pause_resume_archive_with_an_audit_trail(client: FlaskClient) -> None:
    raw = campaign_dict("spring", priority=5)
    created = client.post("/v1/admin/campaigns", json=raw, headers=ADMIN)
    assert created.status_code == 201
    assert created.json["revision"] == 1 and created.json["updated_by"] == "alice" and created.json["origin"] == "admin"
    assert client.post("/v1/admin/campaigns", json=raw, headers=ADMIN).json["reason"] == "exists"
    raw["priority"] = 9
    updated = client.put("/v1/admin/campaigns/spring", json=raw, headers={**ADMIN, "X-Operator": "bob"})
    assert updated.status_code == 200 and updated.json["revision"] == 2 and updated.json["campaign"]["priority"] == 9
    stale = client.put("/v1/admin/campaigns/spring", json=raw, headers={**ADMIN, "If-Match": "1"})
    assert stale.status_code == 412 and stale.json["reason"] == "revision_conflict"
    assert client.put("/v1/admin/campaigns/spring", json=raw, headers={**ADMIN, "If-Match": "2"}).status_code == 200
    assert client.post("/v1/admin/campaigns/spring/pause", headers=ADMIN).json["campaign"]["status"] == "paused"
    assert client.post("/v1/admin/campaigns/spring/resume", headers=ADMIN).json["campaign"]["status"] == "active"
    assert client.post("/v1/admin/campaigns/spring/archive", headers=ADMIN).json["campaign"]["status"] == "archived"
    for action in ("resume", "pause", "archive"):
        assert client.post(f"/v1/admin/campaigns/spring/{action}", headers=ADMIN).json["reason"] == "archived"
    assert client.put("/v1/admin/campaigns/spring", json=raw, headers=ADMIN).json["reason"] == "archived"
    listed = client.get("/v1/admin/campaigns?status=archived", headers=ADMIN).json["campaigns"]
    assert [c["campaign"]["id"] for c in listed] == ["spring"]

    entries = client.get("/v1/admin/audit?id=spring", headers=ADMIN).json["entries"]
    assert [e["action"] for e in entries] == ["archive", "resume", "pause", "update", "update", "create"]
    assert [e["actor"] for e in entries][-2:] == ["bob", "alice"]
    update = entries[-2]
    assert update["before"]["priority"] == 5 and update["after"]["priority"] == 9 and update["revision"] == 2
    assert entries[-1]["before"] is None and entries[-1]["ip"] and entries[-1]["at"] > 0


def test_file_campaigns_are_loaded_and_audited_as_such(client: FlaskClient) -> None:
    client.get("/v1/touchpoints?user_id=u1&channel=app&slot=banner")  # the first request loads the data files
    stored = client.get("/v1/admin/campaigns/arrears_pay_now", headers=ADMIN).json
    assert stored["origin"] == "file:campaigns.yaml" and stored["updated_by"] == "file:campaigns.yaml"
    entries = client.get("/v1/admin/audit?id=arrears_pay_now", headers=ADMIN).json["entries"]
    assert [e["action"] for e in entries] == ["load"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"audience": "used_pct >="}, "invalid_audience"),
        ({"audience": "orderer:spaceships"}, "invalid_audience"),
        ({"audience": "__import__('os').system('touch /tmp/pwned')"}, "invalid_audience"),
        ({"slots": ["app.nowhere"]}, "unknown_slot"),
        ({"trigger": {"event": "click", "within_minutes": 5}}, "invalid_trigger"),
        ({"priority": "high"}, "invalid_campaign"),
        ({"id": "../../etc"}, "invalid_campaign"),
    ],
)
def test_invalid_campaigns_are_refused_on_save(client: FlaskClient, changes: dict, reason: str) -> None:
    response = client.post("/v1/admin/campaigns", json=campaign_dict("bad", **changes), headers=ADMIN)
    assert response.status_code == 400 and response.json["reason"] == reason, response.json
    assert not Path("/tmp/pwned").exists()
    assert client.get("/v1/admin/campaigns/bad", headers=ADMIN).status_code == 404


def test_hostile_bodies_and_headers(client: FlaskClient) -> None:
    post = "/v1/admin/campaigns"
    assert (
        client.post(post, json=campaign_dict("c"), headers={"Authorization": ADMIN["Authorization"]}).json["reason"]
        == "operator_required"
    )
    bad_operator = {**ADMIN, "X-Operator": "alice; rm -rf /"}
    assert client.post(post, json=campaign_dict("c"), headers=bad_operator).json["reason"] == "invalid_operator"
    assert client.post(post, data="{}", headers=ADMIN, content_type="text/plain").status_code == 415
    assert (
        client.post(post, data="{not json", headers=ADMIN, content_type="application/json").json["reason"]
        == "invalid_json"
    )
    deep = "[" * 100_000 + "]" * 100_000
    assert client.post(post, data=deep, headers=ADMIN, content_type="application/json").status_code in (400, 413)
    big = b'{"id": "' + b"x" * 300_000 + b'"}'
    response = client.post(post, data=big, headers=ADMIN, content_type="application/json")
    assert response.status_code == 413 and response.json["reason"] == "body_too_large"
    for body in ("[]", '"text"', "1", "null", '{"id": null}'):
        response = client.post(post, data=body, headers=ADMIN, content_type="application/json")
        assert response.status_code == 400 and response.json["reason"] == "invalid_campaign", body
    mismatch = client.put("/v1/admin/campaigns/arrears_pay_now", json=campaign_dict("other"), headers=ADMIN)
    assert mismatch.status_code in (400, 404)
    assert client.put(
        "/v1/admin/campaigns/x", json=campaign_dict("x"), headers={**ADMIN, "If-Match": "abc"}
    ).status_code in (
        400,
        404,
    )
    assert client.get("/v1/admin/campaigns/NOT%20AN%20ID", headers=ADMIN).status_code == 404
    assert client.get("/v1/admin/campaigns?status=deleted", headers=ADMIN).json["reason"] == "invalid_status"
    assert client.post("/v1/admin/campaigns/x/explode", headers=ADMIN).json["reason"] == "unknown_action"
    assert client.get("/v1/admin/campaigns?state=active", headers=ADMIN).json["reason"] == "unknown_parameter"
    assert client.get("/v1/admin/slots?x=1", headers=ADMIN).json["reason"] == "unknown_parameter"
    assert client.get("/v1/admin/audit?limit=1&limit=2", headers=ADMIN).json["reason"] == "repeated_parameter"
    for limit in ("0", "1001", "-1", "ten", "1e3"):
        assert client.get(f"/v1/admin/audit?limit={limit}", headers=ADMIN).json["reason"] == "invalid_limit"


def test_put_with_a_mismatched_id_is_refused(client: FlaskClient) -> None:
    client.post("/v1/admin/campaigns", json=campaign_dict("mine"), headers=ADMIN)
    response = client.put("/v1/admin/campaigns/mine", json=campaign_dict("theirs"), headers=ADMIN)
    assert response.status_code == 400 and response.json["reason"] == "id_mismatch"
    body = campaign_dict("mine")
    del body["id"]
    assert client.put("/v1/admin/campaigns/mine", json=body, headers=ADMIN).status_code == 200


def test_slots_are_the_contracts_with_served_settings(client: FlaskClient) -> None:
    slots = client.get("/v1/admin/slots", headers=ADMIN).json["slots"]
    assert {s["slot"]["id"] for s in slots} >= {"app.login_popup", "wechat.menu_banner"}
    changed = client.put("/v1/admin/slots/app.home_floor", json={"capacity": 2}, headers=ADMIN)
    assert changed.status_code == 200 and changed.json["slot"]["capacity"] == 2
    assert changed.json["slot"]["contract_capacity"] == 4
    answer = client.get("/v1/touchpoints?user_id=u1&channel=app&slot=home_floor&context=bill_query").json
    assert len(answer["slots"][0]["items"]) == 2
    assert (
        client.put("/v1/admin/slots/app.home_floor", json={"capacity": 0}, headers=ADMIN).json["reason"]
        == "invalid_slot"
    )
    assert client.put("/v1/admin/slots/app.brand_new", json={}, headers=ADMIN).json["reason"] == "unknown_slot"
    assert client.get("/v1/admin/slots/app.brand_new", headers=ADMIN).status_code == 404
    assert client.post("/v1/admin/slots/app.banner/archive", headers=ADMIN).json["slot"]["status"] == "archived"
    assert client.post("/v1/admin/slots/app.banner/resume", headers=ADMIN).json["reason"] == "archived"
    answer = client.get("/v1/touchpoints?user_id=u1&channel=app&slot=banner").json
    assert answer["slots"][0]["reason"] == "slot_archived"
    entries = client.get("/v1/admin/audit?id=app.home_floor", headers=ADMIN).json["entries"]
    assert entries[0]["kind"] == "slot" and entries[0]["after"]["capacity"] == 2


def test_audience_check(client: FlaskClient) -> None:
    check = "/v1/admin/audiences/check"
    assert client.post(check, json={"expression": "used_pct >= 80 and not orderer:data_pack"}, headers=ADMIN).json == {
        "ok": True
    }
    bad = client.post(check, json={"expression": "used_pct >>= 80"}, headers=ADMIN)
    assert bad.status_code == 400 and bad.json["reason"] == "invalid_audience" and "column" in bad.json["error"]
    assert client.post(check, json={"expr": "x"}, headers=ADMIN).json["reason"] == "invalid_body"
