"""The pure decision rules: tiers, priority, triggers, schedule, quiet hours, caps and
cooldown on a counter snapshot, cross-slot dedup, holdout, the knowledge base."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from core.clock import MINUTE_MS
from tagging.profiles.contacts import Counters
from tests.touchpoints.builders import NOW, campaign_dict, campaign_set, decide, facts, shown, suppressed
from touchpoints.definitions import DefinitionContext
from touchpoints.holdout import in_holdout

POPUP, FLOOR = "app.login_popup", "app.home_floor"


def test_tier_beats_priority_and_priority_orders_within_a_tier(context: DefinitionContext) -> None:
    campaigns = campaign_set(
        context,
        campaign_dict("p_low", priority=1, slots=[FLOOR]),
        campaign_dict("p_high", priority=90, slots=[FLOOR]),
        campaign_dict("ann", tier="announcement", priority=0, slots=[FLOOR]),
        campaign_dict("p_mid", priority=50, slots=[FLOOR]),
        campaign_dict("p_tie_b", priority=50, slots=[FLOOR]),
        campaign_dict("dflt", tier="default", category="service", recommend={"max_items": 2}, slots=[FLOOR]),
    )
    result = decide(context, campaigns, [FLOOR])
    assert shown(result)[FLOOR] == ["ann", "p_high", "p_mid", "p_tie_b"]  # capacity 4; ties by id
    assert suppressed(result)[FLOOR] == {"p_low": "capacity", "dflt": "outranked"}
    (item,) = [i for i in result.slots[0].items if i.campaign.id == "ann"]
    assert item.reason == "announcement" and item.campaign.campaign.tier == "announcement"


def test_default_recommendations_fill_only_an_empty_slot_in_knowledge_base_order(context: DefinitionContext) -> None:
    campaigns = campaign_set(
        context,
        campaign_dict(
            "dflt",
            tier="default",
            category="service",
            recommend={"max_items": 3},
            slots=[FLOOR, "app.bill_page_recommend"],
        ),
    )
    result = decide(context, campaigns, ["app.bill_page_recommend", FLOOR])
    bill = result.slots[0]
    assert [i.content.id for i in bill.items] == ["e_bill", "detailed_bill"]  # capacity 2 of bill_query
    assert {i.reason for i in bill.items} == {"recommendation:bill_query"}
    assert shown(result)[FLOOR] == []  # the same campaign never fills two slots
    assert suppressed(result)[FLOOR] == {"dflt": "duplicate"}
    floor = decide(context, campaigns, [FLOOR], context_action="balance_query").slots[0]
    assert [i.content.id for i in floor.items] == ["topup_online", "autopay", "e_bill"]  # max_items 3
    home = decide(context, campaigns, [FLOOR]).slots[0]
    assert home.items[0].content.id == "plan_upgrade" and home.items[0].reason == "recommendation:home"


def test_a_campaign_fills_the_first_requested_slot_only(context: DefinitionContext) -> None:
    campaigns = campaign_set(
        context, campaign_dict("c", slots=[POPUP, FLOOR]), campaign_dict("d", slots=[POPUP, FLOOR])
    )
    result = decide(context, campaigns, [FLOOR, POPUP])
    assert shown(result) == {FLOOR: ["c", "d"], POPUP: []}
    assert suppressed(result)[POPUP] == {"c": "duplicate", "d": "duplicate"}
    assert [s.reason for s in result.slots] == ["shown", "empty"]
    assert [(c.id, result.slots[i].slot.id) for c, i in result.reservations] == [("c", FLOOR), ("d", FLOOR)]


def test_audience_and_trigger(context: DefinitionContext) -> None:
    campaigns = campaign_set(
        context,
        campaign_dict("topup_thanks", priority=5, audience="true", trigger={"event": "topup", "within_minutes": 30}),
        campaign_dict("heavy", audience="used_pct >= 80 and not orderer:data_pack"),
    )
    recent = facts(used_pct=85, last_at={"topup": NOW - 29 * MINUTE_MS})
    result = decide(context, campaigns, [POPUP, FLOOR], recent)
    assert shown(result) == {POPUP: ["topup_thanks"], FLOOR: ["heavy"]}
    assert result.slots[0].items[0].reason == "trigger:topup"
    assert result.slots[1].items[0].reason == "audience"
    stale = facts(used_pct=85, tags=("orderer:data_pack",), last_at={"topup": NOW - 31 * MINUTE_MS})
    result = decide(context, campaigns, [POPUP], stale)
    assert suppressed(result)[POPUP] == {"topup_thanks": "trigger", "heavy": "audience"}
    assert result.slots[0].reason == "empty"
    assert suppressed(decide(context, campaigns, [POPUP], facts()))[POPUP]["topup_thanks"] == "trigger"


def test_schedule_start_and_end(context: DefinitionContext) -> None:
    campaigns = campaign_set(
        context,
        campaign_dict("c", schedule={"start": "2026-03-10T12:00:00+00:00", "end": "2026-03-10T13:00:00+00:00"}),
    )
    assert shown(decide(context, campaigns, [POPUP], now=NOW))[POPUP] == ["c"]
    assert suppressed(decide(context, campaigns, [POPUP], now=NOW - 1))[POPUP] == {"c": "schedule"}
    assert suppressed(decide(context, campaigns, [POPUP], now=NOW + 3_600_000))[POPUP] == {"c": "schedule"}


def test_quiet_hours_are_the_users_local_time_across_a_time_zone_boundary(context: DefinitionContext) -> None:
    campaigns = campaign_set(context, campaign_dict("c", schedule={"quiet_hours": {"start": "22:00", "end": "08:00"}}))
    instant = int(dt.datetime(2026, 3, 10, 14, 30, tzinfo=dt.UTC).timestamp() * 1000)

    def local(zone: str) -> dt.time:
        return dt.datetime.fromtimestamp(instant / 1000, ZoneInfo(zone)).time()

    # one instant: 22:30 in Shanghai (quiet), 14:30 in London (not), 07:30 in Los Angeles (quiet)
    assert suppressed(decide(context, campaigns, [POPUP], now=instant, local_time=local("Asia/Shanghai")))[POPUP] == {
        "c": "quiet_hours"
    }
    assert shown(decide(context, campaigns, [POPUP], now=instant, local_time=local("Europe/London")))[POPUP] == ["c"]
    assert local("America/Los_Angeles") == dt.time(7, 30)  # PDT since 8 March
    assert suppressed(decide(context, campaigns, [POPUP], now=instant, local_time=local("America/Los_Angeles")))[
        POPUP
    ] == {"c": "quiet_hours"}
    # boundaries: 08:00 is no longer quiet, 22:00 is
    assert shown(decide(context, campaigns, [POPUP], local_time=dt.time(8, 0)))[POPUP] == ["c"]
    assert suppressed(decide(context, campaigns, [POPUP], local_time=dt.time(22, 0)))[POPUP] == {"c": "quiet_hours"}
    daytime = campaign_set(context, campaign_dict("d", schedule={"quiet_hours": {"start": "12:00", "end": "14:00"}}))
    assert suppressed(decide(context, daytime, [POPUP], local_time=dt.time(13, 59)))[POPUP] == {"d": "quiet_hours"}
    assert shown(decide(context, daytime, [POPUP], local_time=dt.time(14, 0)))[POPUP] == ["d"]


def test_caps_and_cooldown_on_the_counter_snapshot(context: DefinitionContext) -> None:
    campaigns = campaign_set(
        context,
        campaign_dict("c", caps={"per_day": 2, "per_week": 5, "lifetime": 9, "cooldown_minutes": 30}),
        campaign_dict("m"),
    )

    def why(counters: Counters, slot: str = POPUP, cap: int = 15) -> dict[str, str]:
        return suppressed(decide(context, campaigns, [slot], counters=counters, marketing_cap=cap))[slot]

    assert why(Counters(day={"c": 2})) == {"c": "cap_day"}
    assert why(Counters(day={"c": 1}, week={"c": 5})) == {"c": "cap_week"}
    assert why(Counters(life={"c": 9})) == {"c": "cap_lifetime"}
    assert why(Counters(month={"_marketing": 15})) == {"c": "cap_month", "m": "cap_month"}
    assert why(Counters(month={"_marketing": 14})) == {"m": "capacity"}  # c took the only place
    last_elsewhere = Counters(last={"c": (NOW - 29 * MINUTE_MS, FLOOR)})
    assert why(last_elsewhere) == {"c": "cooldown"}  # and m takes the place
    assert "c" not in why(Counters(last={"c": (NOW - 29 * MINUTE_MS, POPUP)}))  # same slot: no cooldown
    assert "c" not in why(Counters(last={"c": (NOW - 30 * MINUTE_MS, FLOOR)}))  # cooldown over


def test_the_monthly_marketing_cap_counts_this_answers_contacts(context: DefinitionContext) -> None:
    campaigns = campaign_set(
        context,
        campaign_dict("a", slots=[FLOOR]),
        campaign_dict("b", slots=[FLOOR]),
        campaign_dict("svc", slots=[FLOOR], category="service", caps={"marketing_cap_exempt": True}),
    )
    result = decide(context, campaigns, [FLOOR], counters=Counters(month={"_marketing": 14}))
    assert shown(result)[FLOOR] == ["a", "svc"]
    assert suppressed(result)[FLOOR] == {"b": "cap_month"}


def test_holdout_shows_nothing_of_the_campaign_and_takes_its_place(context: DefinitionContext) -> None:
    campaigns = campaign_set(
        context,
        campaign_dict("held", priority=10, slots=[POPUP], holdout={"share": 0.5}),
        campaign_dict("other", priority=1, slots=[POPUP]),
    )
    users = [f"u{i}" for i in range(200)]
    control = [u for u in users if in_holdout("held", u, 0.5)]
    treated = [u for u in users if u not in control]
    assert control and treated
    result = decide(context, campaigns, [POPUP], user_id=control[0])
    slot = result.slots[0]
    assert slot.items == [] and slot.holdout == ["held"] and slot.reason == "holdout"
    assert suppressed(result)[POPUP] == {"held": "holdout", "other": "capacity"}
    assert result.reservations == []  # nothing shown, nothing counted
    assert shown(decide(context, campaigns, [POPUP], user_id=treated[0]))[POPUP] == ["held"]


def test_excluded_campaigns_give_way_to_the_next_candidate(context: DefinitionContext) -> None:
    campaigns = campaign_set(context, campaign_dict("a", priority=2, slots=[POPUP]), campaign_dict("b", slots=[POPUP]))
    result = decide(context, campaigns, [POPUP], excluded={"a": "cap_day"})
    assert shown(result)[POPUP] == ["b"] and suppressed(result)[POPUP] == {"a": "cap_day"}


def test_paused_and_archived_campaigns_are_not_candidates(context: DefinitionContext) -> None:
    campaigns = campaign_set(context, campaign_dict("a", status="paused"), campaign_dict("b", status="archived"))
    assert shown(decide(context, campaigns, [POPUP]))[POPUP] == []


def test_degraded_plan_uses_defaults_only_and_counts_nothing(context: DefinitionContext) -> None:
    from touchpoints.decide import DecisionInput, plan
    from touchpoints.facts import EMPTY

    campaigns = campaign_set(
        context,
        campaign_dict("ann", tier="announcement", slots=[FLOOR]),
        campaign_dict("dflt", tier="default", category="service", recommend={"max_items": 2}, slots=[FLOOR]),
    )
    request = DecisionInput("u1", [campaigns.slots[FLOOR]], NOW, dt.time(12))
    result = plan(request, campaigns.only_default(), context.knowledge_base, EMPTY, None, 15)
    assert shown(result)[FLOOR] == ["dflt", "dflt"] and result.reservations == []


def test_shipped_scenarios_each_reach_their_user_in_a_page_wide_request(context: DefinitionContext) -> None:
    from touchpoints.definitions import load_file_campaigns

    campaigns = campaign_set(context, *[f.campaign.model_dump(mode="json") for f in load_file_campaigns(context)])
    page = [s for s in campaigns.slots if s.startswith("app.")]
    users = {
        "data_threshold": facts(used_pct=85, last_at={"data_usage": NOW - 3_600_000}),
        "topup": facts(last_topup_amount=50, last_at={"topup": NOW - 60_000}),
        "arrears": facts(arrears=True, arrears_amount=80),
        "low_balance": facts(balance=3.5, last_at={"balance_low": NOW - 3_600_000}),
        "broadband_expiry": facts(broadband_expires_on="2026-03-30"),
        "unsubscribe": facts(unsubscribed=["video-vip"], last_at={"unsubscribe": NOW - 86_400_000}),
    }
    everything = facts(
        used_pct=85,
        arrears=True,
        balance=3.5,
        broadband_expires_on="2026-03-30",
        unsubscribed=["video-vip"],
        last_at={"data_usage": NOW, "topup": NOW - 60_000, "balance_low": NOW, "unsubscribe": NOW},
    )
    for scenario, user_facts in users.items():
        result = shown(decide(context, campaigns, page, user_facts))
        mine = {c for ids in result.values() for c in ids if c.startswith(scenario)}
        others = {
            c
            for ids in result.values()
            for c in ids
            if c.split("_")[0] in {s.split("_")[0] for s in users} and not c.startswith(scenario)
        }
        assert mine, (scenario, result)
        assert not others, (scenario, result)
    outsider = shown(decide(context, campaigns, page, facts()))
    assert {c for ids in outsider.values() for c in ids} <= {"announcement_network_upgrade", "default_recommendations"}
    # low balance is not shown after a top-up that followed it; arrears is not shown once paid off
    assert "arrears_pay_now" not in str(shown(decide(context, campaigns, page, facts(arrears=False))))
    # one user in every scenario at once still sees each scenario somewhere on the page
    result = shown(decide(context, campaigns, page, everything))
    seen = {c for ids in result.values() for c in ids}
    for scenario in users:
        if scenario != "low_balance":  # arrears excludes low balance by its audience
            assert any(c.startswith(scenario) for c in seen), (scenario, result)
