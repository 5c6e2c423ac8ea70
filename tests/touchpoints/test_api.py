"""GET /v1/touchpoints on real Redis: every bad parameter, the scenarios, caps, cooldown,
dedup, triggers, quiet hours, holdout, resends and the decision log on contract."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from core.clock import now_ms
from core.config import Settings
from core.contract import EventValidator, default_catalogue
from core.contract.validate import ENVELOPE_FIELDS
from ingest.segments import read_segments
from tagging.profiles.audiences import write_audience
from tagging.profiles.contacts import ContactKeys, Counters, periods
from tests.touchpoints.builders import campaign_dict, run_concurrently
from tests.touchpoints.conftest import ADMIN, Profiles, service_settings

pytestmark = pytest.mark.integration

APP_PAGE = ["login_popup", "home_floor", "banner", "floating_icon", "reminder", "bill_page_recommend"]


def ask(client: FlaskClient, user: str, slots: list[str] | None = None, channel: str = "app", **extra: Any) -> Any:
    query = [("user_id", user), ("channel", channel), *(("slot", s) for s in (slots or APP_PAGE))]
    query += list(extra.items())
    response = client.get(f"/v1/touchpoints?{urlencode(query)}")
    assert response.status_code == 200, response.json
    return response.json


def shown(answer: dict[str, Any]) -> dict[str, list[str]]:
    return {s["slot"]: [i["campaign_id"] for i in s["items"]] for s in answer["slots"]}


def campaigns_shown(answer: dict[str, Any]) -> set[str]:
    return {c for ids in shown(answer).values() for c in ids}


def create(client: FlaskClient, raw: dict[str, Any]) -> None:
    response = client.post("/v1/admin/campaigns", json=raw, headers=ADMIN)
    assert response.status_code == 201, response.json


def only(client: FlaskClient, *raws: dict[str, Any]) -> None:
    """Serve exactly these campaigns: archive the shipped ones, create the given ones."""
    ask(client, "warm-up")  # loads the data files into the empty store
    for stored in client.get("/v1/admin/campaigns?status=active", headers=ADMIN).json["campaigns"]:
        client.post(f"/v1/admin/campaigns/{stored['campaign']['id']}/archive", headers=ADMIN)
    for raw in raws:
        create(client, raw)


# -- bad parameters ------------------------------------------------------------------------
BAD = [
    ("", "missing_parameter"),
    ("channel=app&slot=banner", "missing_parameter"),
    ("user_id=u1&slot=banner", "missing_parameter"),
    ("user_id=u1&channel=app", "missing_parameter"),
    ("user_id=&channel=app&slot=banner", "invalid_user_id"),
    ("user_id=u%201&channel=app&slot=banner", "invalid_user_id"),
    ("user_id=u1%00&channel=app&slot=banner", "invalid_user_id"),
    ("user_id=%7Bu1%7D&channel=app&slot=banner", "invalid_user_id"),
    ("user_id=u1'%3B+DROP+TABLE&channel=app&slot=banner", "invalid_user_id"),
    ("user_id=" + "u" * 65 + "&channel=app&slot=banner", "invalid_user_id"),
    ("user_id=%E7%94%A8%E6%88%B7&channel=app&slot=banner", "invalid_user_id"),
    ("user_id=u1&user_id=u2&channel=app&slot=banner", "repeated_parameter"),
    ("user_id=u1&channel=tv&slot=banner", "unknown_channel"),
    ("user_id=u1&channel=APP&slot=banner", "unknown_channel"),
    ("user_id=u1&channel=app&slot=", "unknown_slot"),
    ("user_id=u1&channel=app&slot=nowhere", "unknown_slot"),
    ("user_id=u1&channel=app&slot=app.nowhere", "unknown_slot"),
    ("user_id=u1&channel=app&slot=menu_banner", "unknown_slot"),  # a wechat slot name
    ("user_id=u1&channel=app&slot=web.banner", "slot_channel_mismatch"),
    ("user_id=u1&channel=app&slot=banner&slot=app.banner", "duplicate_slot"),
    ("user_id=u1&channel=app&" + "&".join(f"slot=s{i}" for i in range(13)), "too_many_slots"),
    ("user_id=u1&channel=app&" + "&".join("slot=banner" for _ in range(5000)), "too_many_slots"),
    ("user_id=u1&channel=app&slot=banner&context=nothing", "unknown_context"),
    ("user_id=u1&channel=app&slot=banner&context=Bill+Query", "invalid_context"),
    ("user_id=u1&channel=app&slot=banner&tz=Mars%2FOlympus", "unknown_timezone"),
    ("user_id=u1&channel=app&slot=banner&tz=..%2F..%2Fetc%2Fpasswd", "unknown_timezone"),
    ("user_id=u1&channel=app&slot=banner&tz=" + "A" * 65, "invalid_tz"),
    ("user_id=u1&channel=app&slot=banner&request_id=has%20space", "invalid_request_id"),
    ("user_id=u1&channel=app&slot=banner&request_id=" + "r" * 65, "invalid_request_id"),
    ("user_id=u1&channel=app&slot=banner&session_id=" + "s" * 65, "invalid_session_id"),
    ("user_id=u1&channel=app&slot=banner&page=" + "p" * 1025, "invalid_page"),
    ("user_id=u1&channel=app&slot=banner&slots=home_floor", "unknown_parameter"),
    ("user_id=u1&channel=app&slot=banner&__proto__=1", "unknown_parameter"),
    ("user_id=u1&channel=app&slot=banner&channel=web", "repeated_parameter"),
]


@pytest.mark.parametrize(("query", "reason"), BAD)
def test_bad_parameters_get_400_with_a_reason(client: FlaskClient, query: str, reason: str) -> None:
    response = client.get(f"/v1/touchpoints?{query}")
    assert response.status_code == 400, response.data
    assert response.json["reason"] == reason, response.json
    assert response.json["error"]


def test_other_methods_and_paths_get_json_errors(client: FlaskClient) -> None:
    response = client.post("/v1/touchpoints?user_id=u1&channel=app&slot=banner")
    assert response.status_code == 405 and response.json["reason"] == "method_not_allowed"
    assert client.get("/v1/nothing").json["reason"] == "not_found"


def test_short_and_full_slot_ids_and_the_answer_shape(client: FlaskClient) -> None:
    answer = ask(client, "u1", ["home_floor", "app.bill_page_recommend"], context="bill_query")
    assert answer["user_id"] == "u1" and answer["channel"] == "app" and answer["degraded"] is False
    assert [s["slot"] for s in answer["slots"]] == ["app.home_floor", "app.bill_page_recommend"]
    floor = answer["slots"][0]
    assert floor["reason"] == "shown"
    assert [i["content"]["id"] for i in floor["items"]] == ["e_bill", "detailed_bill"]
    for item in floor["items"]:
        assert item["decision_id"] == floor["decision_id"]
        assert item["campaign_id"] == "default_recommendations" and item["tier"] == "default"
        assert item["reason"] == "recommendation:bill_query"
    assert answer["slots"][1]["items"] == []  # the same campaign never fills two slots


# -- the six scenarios with the shipped campaigns --------------------------------------------
def scenario_profiles(now: int) -> dict[str, dict[str, Any]]:
    soon = (dt.datetime.fromtimestamp(now / 1000, dt.UTC).date() + dt.timedelta(days=20)).isoformat()
    return {
        "data_threshold": {"used_pct": 90, "last_at": {"data_usage": now - 3_600_000}},
        "topup": {"last_topup_ts": now - 120_000, "last_topup_amount": 50, "last_at": {"topup": now - 120_000}},
        "arrears": {"arrears": True, "arrears_amount": 88.5, "last_at": {"arrears": now - 86_400_000}},
        "low_balance": {"balance": 4.2, "last_at": {"balance_low": now - 600_000}},
        "broadband_expiry": {"broadband_expires_on": soon, "last_at": {"broadband_contract": now - 86_400_000}},
        "unsubscribe": {"unsubscribed": ["video-vip"], "last_at": {"unsubscribe": now - 86_400_000}},
    }


@pytest.mark.parametrize("channel", ["app", "web", "wechat"])
def test_each_scenario_user_sees_its_campaign_and_an_outsider_does_not(
    client: FlaskClient, app: Flask, profiles: Profiles, channel: str
) -> None:
    now = now_ms()
    page = [s.split(".", 1)[1] for s in app.extensions["touchpoints"].context.contract.slots if s.startswith(channel)]
    states = scenario_profiles(now)
    for scenario, state in states.items():
        profiles.put(f"{scenario}-user", **state)
    profiles.put("outsider", used_pct=40, last_at={"data_usage": now - 3_600_000})
    for scenario in states:
        seen = campaigns_shown(ask(client, f"{scenario}-user", page, channel=channel))
        assert any(c.startswith(scenario) for c in seen), (scenario, seen)
        assert not any(c.startswith(tuple(states)) and not c.startswith(scenario) for c in seen), (scenario, seen)
    seen = campaigns_shown(ask(client, "outsider", page, channel=channel))
    assert not any(c.startswith(tuple(states)) for c in seen), seen


def test_broadband_expiry_shows_a_popup_and_a_floor_with_a_one_click_renew_link(
    client: FlaskClient, profiles: Profiles
) -> None:
    profiles.put("bb", **scenario_profiles(now_ms())["broadband_expiry"])
    answer = ask(client, "bb", ["login_popup", "home_floor"])
    popup, floor = (s["items"][0] for s in answer["slots"])
    assert popup["campaign_id"] == "broadband_expiry_renewal_popup"
    assert floor["campaign_id"] == "broadband_expiry_renewal_floor"
    assert "one_click=1" in popup["content"]["link"] and "one_click=1" in floor["content"]["link"]
    profiles.put("bb-renewed", tags=("orderer:broadband",), **scenario_profiles(now_ms())["broadband_expiry"])
    assert not campaigns_shown(ask(client, "bb-renewed", ["login_popup"]))


# -- rules through the API -------------------------------------------------------------------
def test_tier_order_and_priority(client: FlaskClient) -> None:
    only(
        client,
        campaign_dict("low", priority=1, slots=["app.home_floor"]),
        campaign_dict("ann", tier="announcement", slots=["app.home_floor"]),
        campaign_dict("high", priority=99, slots=["app.home_floor"]),
    )
    assert shown(ask(client, "u1", ["home_floor"])) == {"app.home_floor": ["ann", "high", "low"]}


def test_trigger_within_minutes(client: FlaskClient, profiles: Profiles) -> None:
    only(client, campaign_dict("thanks", trigger={"event": "topup", "within_minutes": 30}))
    now = now_ms()
    profiles.put("fresh", last_at={"topup": now - 29 * 60_000})
    profiles.put("stale", last_at={"topup": now - 31 * 60_000})
    profiles.put("never")
    assert campaigns_shown(ask(client, "fresh", ["login_popup"])) == {"thanks"}
    assert campaigns_shown(ask(client, "stale", ["login_popup"])) == set()
    assert campaigns_shown(ask(client, "never", ["login_popup"])) == set()


def test_audience_tags_expire_and_operator_audiences_are_tags(
    client: FlaskClient, profiles: Profiles, redis_client: redis.Redis
) -> None:
    only(client, campaign_dict("dropoff", audience="audience:bb_dropoff and not orderer:broadband"))
    now = now_ms()
    redis_client.hset("ts:{in}:tags", "audience:bb_dropoff", f"{now}:{now + 60_000}")
    redis_client.hset("ts:{expired}:tags", "audience:bb_dropoff", f"{now - 120_000}:{now - 60_000}")
    profiles.put("bought", tags=("orderer:broadband",))
    redis_client.hset("ts:{bought}:tags", "audience:bb_dropoff", f"{now}:")
    assert campaigns_shown(ask(client, "in", ["login_popup"])) == {"dropoff"}
    assert campaigns_shown(ask(client, "expired", ["login_popup"])) == set()
    assert campaigns_shown(ask(client, "bought", ["login_popup"])) == set()
    # an audience saved from a funnel's drop-offs (analytics) is the same kind of tag
    write_audience(profiles.store, "bb_dropoff", ["saved-1", "saved-2"], now, now + 3_600_000)
    assert campaigns_shown(ask(client, "saved-2", ["login_popup"])) == {"dropoff"}


def test_quiet_hours_follow_the_users_time_zone(client: FlaskClient) -> None:
    now = dt.datetime.now(dt.UTC)
    # quiet hours = the hour around the current time in Shanghai; London is 8 hours behind
    local = now.astimezone(dt.timezone(dt.timedelta(hours=8)))
    start = (local - dt.timedelta(minutes=30)).strftime("%H:%M")
    end = (local + dt.timedelta(minutes=30)).strftime("%H:%M")
    only(client, campaign_dict("polite", schedule={"quiet_hours": {"start": start, "end": end}}))
    assert campaigns_shown(ask(client, "u1", ["login_popup"], tz="Asia/Shanghai")) == set()
    assert campaigns_shown(ask(client, "u1", ["login_popup"])) == set()  # the service default is Asia/Shanghai
    assert campaigns_shown(ask(client, "u2", ["login_popup"], tz="Europe/London")) == {"polite"}
    assert campaigns_shown(ask(client, "u3", ["login_popup"], tz="Asia/Tokyo")) == {"polite"}  # one hour ahead


def test_dedup_across_slots_and_cooldown_between_requests(client: FlaskClient) -> None:
    only(client, campaign_dict("c", slots=["app.login_popup", "app.home_floor"], caps={"cooldown_minutes": 30}))
    first = ask(client, "u1", ["login_popup", "home_floor"])
    assert shown(first) == {"app.login_popup": ["c"], "app.home_floor": []}
    assert ask(client, "u1", ["home_floor"])["slots"][0]["items"] == []  # another slot: cooling down
    assert shown(ask(client, "u1", ["login_popup"])) == {"app.login_popup": ["c"]}  # the same slot may repeat


@pytest.mark.parametrize(
    ("caps", "limit"),
    [({"per_day": 3}, 3), ({"per_week": 4}, 4), ({"lifetime": 2}, 2), ({"per_day": 9, "per_week": 5}, 5)],
)
def test_each_cap_holds_under_concurrent_requests(app: Flask, caps: dict[str, int], limit: int) -> None:
    only(app.test_client(), campaign_dict("capped", caps=caps))
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        own = app.test_client()
        for _ in range(5):
            got = "capped" in campaigns_shown(ask(own, "u1", ["login_popup"]))
            with lock:
                results.append(got)

    run_concurrently(worker, 8)
    assert len(results) == 40
    assert sum(results) == limit


def test_monthly_marketing_cap_holds_under_concurrent_requests(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis
) -> None:  # redis_client: an emptied database
    from touchpoints.app import create_app

    app = create_app(service_settings(tmp_path / "home", redis_url, touchpoints_marketing_cap_month=4))
    try:
        only(app.test_client(), *[campaign_dict(f"m{i}", slots=["app.home_floor"]) for i in range(6)])
        shown_total: list[int] = []
        lock = threading.Lock()

        def worker() -> None:
            own = app.test_client()
            for _ in range(3):
                n = len(shown(ask(own, "u1", ["home_floor"]))["app.home_floor"])
                with lock:
                    shown_total.append(n)

        run_concurrently(worker, 8)
        assert len(shown_total) == 24 and sum(shown_total) == 4
    finally:
        app.extensions["touchpoints"].service.log.close()


def test_cooldown_holds_under_concurrent_requests_for_two_slots(app: Flask) -> None:
    """Concurrent requests for two slots: every showing lands in one slot, never both."""
    only(app.test_client(), campaign_dict("cool", caps={"cooldown_minutes": 30}))
    slots_shown: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        own = app.test_client()
        for i in range(4):
            slot = ["login_popup", "home_floor"][(i + threading.get_ident()) % 2]
            for name, ids in shown(ask(own, "u1", [slot])).items():
                if ids:
                    with lock:
                        slots_shown.append(name)

    run_concurrently(worker, 8)
    assert slots_shown and len(set(slots_shown)) == 1


def test_monthly_marketing_cap_and_service_exemption(client: FlaskClient, settings: Settings) -> None:
    only(
        client,
        *[campaign_dict(f"m{i}", slots=["app.home_floor"]) for i in range(20)],
        campaign_dict("svc", category="service", slots=["app.reminder"], caps={"marketing_cap_exempt": True}),
    )
    marketing = 0
    for _ in range(6):
        answer = ask(client, "u1", ["home_floor", "reminder"])
        marketing += len(shown(answer)["app.home_floor"])
        assert shown(answer)["app.reminder"] == ["svc"]  # exempt: still shown
    assert marketing == settings.touchpoints_marketing_cap_month == 15


def test_holdout_control_group_sees_nothing_and_is_logged(client: FlaskClient, app: Flask, settings: Settings) -> None:
    from touchpoints.holdout import in_holdout

    only(client, campaign_dict("lift", holdout={"share": 0.3, "seed": "lift-2026"}, slots=["app.login_popup"]))
    users = [f"h{i}" for i in range(60)]
    control = [u for u in users if in_holdout("lift-2026", u, 0.3)]
    assert 5 < len(control) < 35
    for user in users:
        for _ in range(2):  # stable across requests
            slot = ask(client, user, ["login_popup"])["slots"][0]
            if user in control:
                assert slot["items"] == [] and slot["reason"] == "holdout"
            else:
                assert [i["campaign_id"] for i in slot["items"]] == ["lift"]
    app.extensions["touchpoints"].service.log.close()
    held = [r for r in read_segments(settings.event_log) if r["props"].get("holdout")]
    assert {r["user_id"] for r in held} == set(control)
    assert all(r["props"]["holdout"] == "lift" and r["props"]["reason"] == "holdout" for r in held)


def test_a_resent_request_id_gets_the_same_answer_and_counts_once(client: FlaskClient) -> None:
    only(client, campaign_dict("once", caps={"per_day": 1}))
    first = ask(client, "u1", ["login_popup"], request_id="r-1")
    again = ask(client, "u1", ["login_popup"], request_id="r-1")
    assert first["replayed"] is False and again["replayed"] is True
    assert {k: v for k, v in again.items() if k != "replayed"} == {k: v for k, v in first.items() if k != "replayed"}
    assert campaigns_shown(first) == {"once"}
    assert campaigns_shown(ask(client, "u1", ["login_popup"], request_id="r-2")) == set()  # the cap counted once


def test_caps_use_the_server_clock_and_the_operator_time_zone(client: FlaskClient, redis_client: redis.Redis) -> None:
    from zoneinfo import ZoneInfo

    only(client, campaign_dict("c", caps={"per_day": 5}))
    ask(client, "u1", ["login_popup"])
    keys = ContactKeys.of("ts", "u1", periods(now_ms(), ZoneInfo("Asia/Shanghai")))
    counters = Counters.from_hashes(*(redis_client.hgetall(k) for k in (keys.day, keys.week, keys.month, keys.life)))
    assert counters.day == {"c": 1} and counters.life == {"c": 1} and counters.marketing_month == 1
    assert 0 < redis_client.ttl(keys.day) <= 2 * 86_400


def test_decision_log_records_are_on_contract(
    client: FlaskClient, app: Flask, settings: Settings, profiles: Profiles
) -> None:
    profiles.put("arrears-user", arrears=True)
    ask(client, "arrears-user", session_id="s-1", page="/home")
    ask(client, "someone", ["bill_page_recommend"], context="bill_query")
    app.extensions["touchpoints"].service.log.close()
    records = list(read_segments(settings.event_log))
    assert len(records) == len(APP_PAGE) + 1
    validator = EventValidator(default_catalogue())
    for record in records:
        envelope = {k: v for k, v in record.items() if k in ENVELOPE_FIELDS}
        assert validator.validate(envelope, record["received_at"])["event"] == "touchpoint_decision"
        assert record["ts"] == record["client_ts"] == record["received_at"] and record["sent_at"] is None
    popup = next(r for r in records if r["props"]["slot"] == "app.login_popup")
    assert popup["props"]["campaigns"] == "arrears_pay_now" and popup["props"]["tiers"] == "precision"
    assert popup["session_id"] == "s-1" and popup["page"] == "/home" and popup["props"]["degraded"] is False
    assert "topup_thank_you:trigger" in popup["props"]["suppressed"]


def test_the_log_does_not_slow_the_answer(client: FlaskClient, app: Flask) -> None:
    started = time.perf_counter()
    for i in range(50):
        ask(client, f"u{i}")
    assert (time.perf_counter() - started) / 50 < 0.05


def test_admin_change_applies_on_the_next_request(client: FlaskClient) -> None:
    only(client, campaign_dict("c"))
    assert campaigns_shown(ask(client, "u1", ["login_popup"])) == {"c"}
    assert client.post("/v1/admin/campaigns/c/pause", headers=ADMIN).status_code == 200
    assert campaigns_shown(ask(client, "u1", ["login_popup"])) == set()
    assert client.post("/v1/admin/campaigns/c/resume", headers=ADMIN).status_code == 200
    assert campaigns_shown(ask(client, "u1", ["login_popup"])) == {"c"}
    assert client.post("/v1/admin/slots/app.login_popup/pause", headers=ADMIN).status_code == 200
    slot = ask(client, "u1", ["login_popup"])["slots"][0]
    assert slot["items"] == [] and slot["reason"] == "slot_paused"


def test_metrics_count_decisions_by_tier_and_reason(client: FlaskClient) -> None:
    ask(client, "u1", ["home_floor"])
    text = client.get("/metrics").data.decode()
    assert 'touchstream_touchpoints_decisions_total{reason="shown",tier="default"}' in text
    assert "touchstream_touchpoints_request_seconds_bucket" in text
    assert client.get("/healthz").json["ok"] is True
