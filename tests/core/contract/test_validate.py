"""The event contract: what is accepted, what is rejected and with which reason."""

from __future__ import annotations

import pytest

from core.clock import DAY_MS
from core.contract import EventRejected, EventValidator, default_catalogue

NOW = 1_790_000_000_000


@pytest.fixture(scope="module")
def validator() -> EventValidator:
    return EventValidator(default_catalogue())


def event(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "event_id": "e-1",
        "user_id": "u-1",
        "channel": "app",
        "event": "page_view",
        "ts": NOW - 1000,
        "props": {"business": "broadband"},
    }
    base.update(overrides)
    return base


def test_valid_event_is_normalised(validator: EventValidator) -> None:
    out = validator.validate(event(page="/home"), NOW)
    assert out == {
        "event_id": "e-1",
        "user_id": "u-1",
        "channel": "app",
        "event": "page_view",
        "ts": NOW - 1000,
        "session_id": "",
        "page": "/home",
        "props": {"business": "broadband"},
    }


def test_every_catalogue_event_has_a_valid_example(validator: EventValidator) -> None:
    examples = {
        "click": {"element": "buy"},
        "flow_step": {"flow": "plan_upgrade", "step": 3, "business": "plan"},
        "order_success": {"business": "plan", "product": "5g-199", "flow": "plan_upgrade", "amount": 199.0},
        "share": {"business": "broadband", "campaign": "bb-renew", "share_id": "s1"},
        "touchpoint_exposure": {"slot": "app.banner", "campaign": "c", "content_id": "x", "decision_id": "d"},
        "touchpoint_click": {"slot": "app.banner", "campaign": "c", "content_id": "x", "decision_id": "d"},
        "data_usage": {"used_pct": 82.5},
        "topup": {"amount": 50},
        "balance_low": {"balance": 3.2},
        "arrears": {},
        "broadband_contract": {"expires_on": "2026-12-01"},
        "unsubscribe": {"product": "video-vip"},
        "page_view": {"ref_share_id": "s1"},
        "touchpoint_decision": {
            "decision_id": "d1",
            "request_id": "r1",
            "slot": "app.home_floor",
            "campaigns": "broadband_expiry_renew",
            "tiers": "precision",
            "reason": "shown",
            "suppressed": "data_threshold_pack:cap_day",
        },
    }
    assert set(examples) == set(default_catalogue().events)
    for name, props in examples.items():
        assert validator.validate(event(event=name, props=props), NOW)["event"] == name


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"event_id": ""}, "event_id: must be a string of 1-64"),
        ({"event_id": "x" * 65}, "event_id: must be a string of 1-64"),
        ({"user_id": 7}, "user_id: must be a string"),
        ({"channel": "fax"}, "channel: must be one of app, web, wechat"),
        ({"event": "teleport"}, "event: 'teleport' is not in the catalogue"),
        ({"ts": "yesterday"}, "ts: must be an integer"),
        ({"ts": True}, "ts: must be an integer"),
        ({"ts": NOW + 2 * 3_600_000}, "is absurd"),
        ({"ts": NOW - 40 * DAY_MS}, "is absurd"),
        ({"colour": "red"}, "unknown envelope field(s): colour"),
        ({"props": []}, "props: must be an object"),
        ({"props": {"business": "spaceships"}}, "props.business: 'spaceships' is not a known business"),
        ({"props": {"nested": {"a": 1}}}, "props.nested: values must be strings, numbers or booleans"),
        ({"props": {f"k{i}": i for i in range(40)}}, "props: 40 props, at most 32"),
        ({"props": {"note": "x" * 600}}, "props.note: longer than 512"),
        ({"event": "flow_step", "props": {"flow": "plan_upgrade", "business": "plan"}}, "requires step"),
        ({"event": "flow_step", "props": {"flow": "plan_upgrade", "step": 4, "business": "plan"}}, "has 3 steps"),
        ({"event": "flow_step", "props": {"flow": "plan_upgrade", "step": 1, "business": "topup"}}, "belongs to plan"),
        ({"event": "flow_step", "props": {"flow": "plan_upgrade", "step": 1.5, "business": "plan"}}, "integer"),
        ({"event": "flow_step", "props": {"flow": "nope", "step": 1, "business": "plan"}}, "not a known flow"),
        ({"event": "topup", "props": {"amount": -5}}, "props.amount: must be >= 0"),
        ({"event": "topup", "props": {"amount": float("nan")}}, "props.amount: values must be"),
        ({"event": "broadband_contract", "props": {"expires_on": "31/12/2026"}}, "YYYY-MM-DD"),
        ({"session_id": 5}, "session_id: must be a string"),
    ],
)
def test_rejections_say_why(validator: EventValidator, overrides: dict[str, object], reason: str) -> None:
    with pytest.raises(EventRejected, match=None) as info:
        validator.validate(event(**overrides), NOW)
    assert reason in str(info.value)


def test_non_object_is_rejected(validator: EventValidator) -> None:
    with pytest.raises(EventRejected, match="must be a JSON object"):
        validator.validate(["not", "an", "event"], NOW)


def test_touchpoint_slot_must_be_a_known_slot(validator: EventValidator) -> None:
    props = {"slot": "moon.billboard", "campaign": "c", "content_id": "x", "decision_id": "d"}
    with pytest.raises(EventRejected, match="not a known slot"):
        validator.validate(event(event="touchpoint_click", props=props), NOW)
