"""Business and service events only with the back end's bearer key."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.config import Settings, load_settings
from core.contract import default_catalogue
from core.credentials import backend_key
from ingest.app import create_app
from tests.core.contract.examples import EXAMPLE_PROPS
from tests.ingest.conftest import event, logged, quarantined, topup

BACKEND_EVENTS = {
    name: props for name, props in EXAMPLE_PROPS.items() if default_catalogue().events[name].source != "client"
}


def test_the_catalogue_marks_exactly_these_as_back_end_or_service() -> None:
    assert set(BACKEND_EVENTS) == {
        "data_usage",
        "topup",
        "balance_low",
        "arrears",
        "broadband_contract",
        "unsubscribe",
        "touchpoint_decision",
    }


def test_without_the_credential_each_business_event_is_rejected_and_clicks_kept(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    batch = [event(0)]
    batch += [event(name, event=name, props=props) for name, props in BACKEND_EVENTS.items()]
    batch += [event(9)]
    response = client.post("/v1/collect", json=batch)
    assert response.status_code == 200
    assert response.json["accepted"] == 2
    reasons = {r["index"]: r["reason"] for r in response.json["rejected"]}
    assert sorted(reasons) == list(range(1, 1 + len(BACKEND_EVENTS)))
    assert reasons[2] == (
        "source: topup is a backend event, accepted only with the back end's credential (Authorization: Bearer <key>)"
    )
    assert reasons[7].startswith("source: touchpoint_decision is a service event")
    assert [e["event_id"] for e in logged(app, settings)] == ["e0", "e9"]
    assert len(quarantined(app, settings)) == len(BACKEND_EVENTS)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_with_the_credential_everything_is_accepted(
    app: Flask, client: FlaskClient, settings: Settings, scheme: str
) -> None:
    batch = [event(name, event=name, props=props) for name, props in BACKEND_EVENTS.items()] + [event(0)]
    headers = {"Authorization": f"{scheme}  {backend_key(settings)} "}
    assert client.post("/v1/collect", json=batch, headers=headers).json == {"accepted": len(batch), "rejected": []}
    assert len(logged(app, settings)) == len(batch)


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        ("Bearer wrong-key", "the back-end key is wrong"),
        ("Bearer " + "x" * 10_000, "the back-end key is wrong"),
        ("Bearer \u00ff\u00fe", "the back-end key is wrong"),
        ("Basic dXNlcjpwYXNz", "Authorization must be 'Bearer <back-end key>'"),
        ("Bearer", "Authorization must be 'Bearer <back-end key>'"),
        ("Bearer    ", "Authorization must be 'Bearer <back-end key>'"),
        ("Token abc", "Authorization must be 'Bearer <back-end key>'"),
    ],
)
def test_a_wrong_credential_refuses_the_whole_request(
    app: Flask, client: FlaskClient, settings: Settings, authorization: str, reason: str
) -> None:
    response = client.post("/v1/collect", json=[event(0), topup(1)], headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json == {"error": reason}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert logged(app, settings) == []  # nothing accepted, not even the click
    (record,) = quarantined(app, settings)
    assert record["index"] == -1 and record["reason"] == reason and '"topup"' in record["raw"]


def test_a_near_miss_key_is_wrong(app: Flask, client: FlaskClient, settings: Settings) -> None:
    key = backend_key(settings)
    for near in (key[:-1], key + "x", key.upper() if key.upper() != key else key.lower(), key[1:] + key[0]):
        response = client.post("/v1/collect", json=[topup(1)], headers={"Authorization": f"Bearer {near}"})
        assert response.status_code == 401


def test_the_key_comes_from_the_environment_when_set(tmp_path) -> None:
    key = "an-operator-chosen-key-0123456789"
    settings = load_settings(env={"TOUCHSTREAM_BACKEND_KEY": key}, home=tmp_path)
    app = create_app(settings)
    try:
        client = app.test_client()
        assert client.post("/v1/collect", json=[topup(1)], headers={"Authorization": f"Bearer {key}"}).json == {
            "accepted": 1,
            "rejected": [],
        }
        generated = backend_key(load_settings(env={}, home=tmp_path / "other"))
        wrong = client.post("/v1/collect", json=[topup(2)], headers={"Authorization": f"Bearer {generated}"})
        assert wrong.status_code == 401
    finally:
        app.extensions["touchstream.collector"].events.close()
        app.extensions["touchstream.collector"].quarantine.close()
