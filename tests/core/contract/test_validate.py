"""The event contract: what is accepted, what is rejected and with which reason."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clock import DAY_MS, MINUTE_MS
from core.contract import EventRejected, EventValidator, default_catalogue
from core.contract.validate import CLIENT_SOURCES
from tests.core.contract.examples import EXAMPLE_PROPS

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
        "client_ts": NOW - 1000,
        "sent_at": None,
        "session_id": "",
        "page": "/home",
        "props": {"business": "broadband"},
    }


def test_every_catalogue_event_has_a_valid_example(validator: EventValidator) -> None:
    assert set(EXAMPLE_PROPS) == set(default_catalogue().events)
    for name, props in EXAMPLE_PROPS.items():
        assert validator.validate(event(event=name, props=props), NOW)["event"] == name


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"event_id": ""}, "event_id: must be 1-64 characters of A-Za-z0-9_.:@+-"),
        ({"event_id": "x" * 65}, "event_id: must be 1-64 characters"),
        ({"user_id": 7}, "user_id: must be 1-64 characters"),
        ({"channel": "fax"}, "channel: must be one of app, web, wechat"),
        ({"channel": []}, "channel: must be one of app, web, wechat"),
        ({"channel": {"a": 1}}, "channel: must be one of"),
        ({"event": ["page_view"]}, "event: list is not in the catalogue"),
        ({"event": "x" * 10_000}, "event: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... is not in the catalogue"),
        ({"props": {"business": ["plan"]}}, "props.business: values must be"),
        ({"props": {"business": {"x": [[[]]]}}}, "props.business: values must be"),
        ({"event": "teleport"}, "event: 'teleport' is not in the catalogue"),
        ({"ts": "yesterday"}, "ts: must be an integer"),
        ({"ts": True}, "ts: must be an integer"),
        ({"ts": NOW - 40 * DAY_MS}, "ts: the event is older than 35 days"),
        ({"ts": NOW // 1000}, "ts: 1790000000 is more than 365 days off the server clock (epoch milliseconds"),
        ({"ts": NOW * 1000}, "more than 365 days off"),
        ({"ts": None}, "ts: must be an integer"),
        ({"colour": "red"}, "unknown envelope field(s): 'colour'"),
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
        ({"event": "broadband_contract", "props": {"expires_on": "20261231"}}, "must be a date YYYY-MM-DD"),
        ({"event": "broadband_contract", "props": {"expires_on": "2026-W53-4"}}, "must be a date YYYY-MM-DD"),
        ({"event": "broadband_contract", "props": {"expires_on": "2026-02-30"}}, "2026-02-30 is not a calendar date"),
        ({"event": "broadband_contract", "props": {"expires_on": "２０２６-１２-３１"}}, "YYYY-MM-DD"),
        ({"session_id": 5}, "session_id: must be 1-64 characters"),
        ({"sent_at": "now"}, "sent_at: must be an integer of epoch milliseconds"),
        ({"sent_at": 1.5e12}, "sent_at: must be an integer"),
        ({"sent_at": True}, "sent_at: must be an integer"),
        ({"sent_at": NOW - 2000}, "sent_at: 1789999998000 is before the event's ts 1789999999000"),
        ({"ts": NOW - 40 * DAY_MS, "sent_at": NOW}, "sent_at: the event waited more than 35 days"),
        ({"sent_at": -1}, "sent_at: -1 is more than 365 days off"),
        ({"sent_at": 2**70}, "more than 365 days off"),
    ],
)
def test_rejections_say_why(validator: EventValidator, overrides: dict[str, object], reason: str) -> None:
    with pytest.raises(EventRejected, match=None) as info:
        validator.validate(event(**overrides), NOW)
    assert reason in str(info.value)


def test_non_object_is_rejected(validator: EventValidator) -> None:
    with pytest.raises(EventRejected, match="must be a JSON object"):
        validator.validate(["not", "an", "event"], NOW)


@pytest.mark.parametrize("name", ["touchpoint_exposure", "touchpoint_click"])
@pytest.mark.parametrize(
    "slot",
    [
        "moon.billboard",
        "billboard",
        "app.",
        ".banner",
        "app.Banner",
        "APP.banner",
        "app.banner.x",
        "app.a:b",
        "app.a|b",
        "app.ban ner",
        "app.banner\n",
        "app.横幅",
        "app.1banner",
        "app." + "x" * 49,
        "",
    ],
)
def test_touchpoint_slot_must_be_a_well_formed_slot_id(validator: EventValidator, name: str, slot: str) -> None:
    props = {"slot": slot, "campaign": "c", "content_id": "x", "decision_id": "d"}
    with pytest.raises(EventRejected, match=r"props\.slot: .* is not a known slot: expected <channel>\.<name>"):
        validator.validate(event(event=name, props=props), NOW)


@pytest.mark.parametrize("slot", ["app.banner", "app.topup_page_banner", "wechat.x", "web." + "x" * 48])
def test_a_slot_created_through_the_admin_api_is_accepted(validator: EventValidator, slot: str) -> None:
    """The collector cannot list slots operators create (docs/events.md): any well-formed id passes."""
    props = {"slot": slot, "campaign": "c", "content_id": "x", "decision_id": "d"}
    for name in ("touchpoint_exposure", "touchpoint_click"):
        assert validator.validate(event(event=name, props=props), NOW)["props"]["slot"] == slot


@pytest.mark.parametrize("field", ["user_id", "event_id", "session_id"])
@pytest.mark.parametrize(
    "value",
    [
        "u\n1",
        "u{1}",
        "{u1",
        "u1}",
        "u\x00",
        "u\x1b[31m",
        "u\x7f",
        "u 1",
        "u\t1",
        "x" * 65,
        "ü1",
        "u\u20281",
        'u"1',
        "u,1",
    ],
)
def test_identifiers_are_a_documented_character_set(validator: EventValidator, field: str, value: str) -> None:
    with pytest.raises(EventRejected, match=f"^{field}: must be 1-64 characters of "):
        validator.validate(event(**{field: value}), NOW)


def test_identifiers_allow_common_id_shapes(validator: EventValidator) -> None:
    for value in ("u-1001", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "a.b+c@example.com", "tenant:42", "x" * 64):
        out = validator.validate(event(user_id=value, event_id=value, session_id=value), NOW)
        assert (out["user_id"], out["event_id"], out["session_id"]) == (value, value, value)


@pytest.mark.parametrize(
    "event_name",
    ["data_usage", "topup", "balance_low", "arrears", "broadband_contract", "unsubscribe", "touchpoint_decision"],
)
def test_backend_and_service_events_need_the_credential(validator: EventValidator, event_name: str) -> None:
    spec = default_catalogue().events[event_name]
    with pytest.raises(EventRejected, match=f"^source: {event_name} is a {spec.source} event, accepted only with"):
        validator.validate(event(event=event_name, props={}), NOW, allowed_sources=CLIENT_SOURCES)


def test_client_events_need_no_credential(validator: EventValidator) -> None:
    assert validator.validate(event(), NOW, allowed_sources=CLIENT_SOURCES)["event"] == "page_view"


# Derived time. The device happened at TRUE; its clock reads TRUE + skew; the request leaves
# the device `wait` later and reaches the server 100 ms after that.
TRUE = NOW - 10 * MINUTE_MS


@pytest.mark.parametrize("skew", [50 * MINUTE_MS, -10 * MINUTE_MS, 0, -300 * DAY_MS])
@pytest.mark.parametrize("wait", [0, 10 * MINUTE_MS])
def test_sent_at_recovers_the_true_time_whatever_the_clock(validator: EventValidator, skew: int, wait: int) -> None:
    received = TRUE + wait + 100
    out = validator.validate(event(ts=TRUE + skew, sent_at=TRUE + wait + skew), received)
    assert out["ts"] == TRUE + 100  # off by the transit time only
    assert (out["client_ts"], out["sent_at"]) == (TRUE + skew, TRUE + wait + skew)


def test_offline_batch_keeps_each_events_time_and_order(validator: EventValidator) -> None:
    """An app with a clock 50 min fast flushes 10 minutes of offline events in one request."""
    skew, received = 50 * MINUTE_MS, NOW
    true_times = [NOW - 10 * MINUTE_MS + i * MINUTE_MS for i in range(10)]
    sent_at = NOW - 100 + skew
    derived = [validator.validate(event(ts=t + skew, sent_at=sent_at), received)["ts"] for t in true_times]
    assert derived == [t + 100 for t in true_times]


def test_without_sent_at_a_fast_clock_is_clamped_and_a_slow_one_believed(validator: EventValidator) -> None:
    fast = validator.validate(event(ts=NOW + 50 * MINUTE_MS), NOW)
    assert (fast["ts"], fast["client_ts"], fast["sent_at"]) == (NOW, NOW + 50 * MINUTE_MS, None)
    slow = validator.validate(event(ts=NOW - 10 * MINUTE_MS), NOW)
    assert slow["ts"] == NOW - 10 * MINUTE_MS


def test_no_client_clock_moves_time_past_the_server(validator: EventValidator) -> None:
    for ts, sent_at in ((NOW + 300 * DAY_MS, None), (NOW + 300 * DAY_MS, NOW + 300 * DAY_MS), (NOW, NOW)):
        assert validator.validate(event(ts=ts, sent_at=sent_at), NOW)["ts"] <= NOW


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
FIELDS = sorted(["event_id", "user_id", "channel", "event", "ts", "sent_at", "session_id", "page", "props", "x"])


@settings(max_examples=300, deadline=None)
@given(raw=JSON)
def test_any_json_value_is_rejected_with_a_reason_never_an_error(raw: object) -> None:
    validator = EventValidator(default_catalogue())
    try:
        validator.validate(raw, NOW)
    except EventRejected as exc:
        assert str(exc)


@settings(max_examples=500, deadline=None)
@given(
    field=st.sampled_from(FIELDS),
    value=JSON,
    prop=st.sampled_from(["flow", "step", "business", "expires_on"]),
    event_name=st.sampled_from(sorted(default_catalogue().events)),
)
def test_any_value_in_any_field_is_rejected_with_a_reason(
    field: str, value: object, prop: str, event_name: str
) -> None:
    validator = EventValidator(default_catalogue())
    for raw in (event(**{field: value}), event(event=event_name, props={prop: value})):
        try:
            validator.validate(raw, NOW)
        except EventRejected as exc:
            assert len(str(exc)) < 300
