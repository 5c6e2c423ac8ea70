"""A small world, written out by hand, on which every behaviour metric is checked.

Three weeks from Monday 2026-01-26 (day 0) to Sunday 2026-02-15 (day 20), across a month
boundary (day 6 is 1 February), plus one event three weeks before. Eight users:

- u1 (app): the busy one. Day 0 upgrades the plan (step 1 twice, then 2, 3), clicks a
  banner and orders 4 min later; day 1 starts a broadband renewal, shares it (sh1) and
  gets an abandoned-flow tag; day 2 bounces; day 7 two orders; day 8 a handset order
  whose last step comes 2 h after step 1 (not within the hour); day 14 a top-up flow.
- u2 (web): day 0 drops plan_upgrade at step 2, visits through sh1 on day 1; day 3 clicks
  the login pop-up and orders broadband within the hour; day 10 a sessionless page view.
- u3 (wechat): day 0 clicks the home floor (orders 5 days later: within 7 days, not 1);
  day 5/6 around the month boundary, one roaming-pack run crosses midnight; its day-6
  events reached the collector 10 min late; two shares on day 6 (sh2 brings u4).
- u4: first seen day 7 through sh2 (a new, referred user), orders day 8.
- u5 (web): days 0 and 1, then 14 quiet days (churned at day 1), back on day 16
  (reactivated).
- u6 (app): seen on 2026-01-05, quiet until day 1 (reactivated, not new).
- u7: back-end events only (never an active user).
- u8 (app): a single page view on the last day, then a family plan run it leaves.

The last block adds runs that stop early, so that every flow has someone leaving it.

Besides events: tag changes, late events, quarantine rows and stream rejects (with the
loader's bookkeeping rows that date them). Two events were sent twice: u1's first page view
(the stream job removed the copy: two lines in the collector log, one event) and u7's day-9
top-up (the copy came after the job's dedup horizon: two events). Two of u2's day-10 events
carry a client clock 50 min fast and 10 min slow.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson

from core.config import Settings

D0 = dt.date(2026, 1, 26)
FIRST, LAST = D0, D0 + dt.timedelta(days=20)
UA = {"ua_browser": "Chrome Mobile", "ua_os": "Android", "ua_device": "phone"}

# (user, day, time, channel, session, event, props[, envelope overrides])
EVENTS: list[tuple[Any, ...]] = [
    ("u6", -21, "09:00:00", "app", "s6a", "page_view", {"business": "plan"}),
    # day 0
    (
        "u1",
        0,
        "10:00:00",
        "app",
        "s1a",
        "page_view",
        {"business": "plan", "duration_ms": 12000},
        {"resent": "detected"},
    ),
    ("u1", 0, "10:00:30", "app", "s1a", "click", {"element": "buy", "business": "plan"}),
    ("u1", 0, "10:01:00", "app", "s1a", "flow_step", {"flow": "plan_upgrade", "step": 1, "business": "plan"}),
    ("u1", 0, "10:01:40", "app", "s1a", "flow_step", {"flow": "plan_upgrade", "step": 1, "business": "plan"}),
    ("u1", 0, "10:02:00", "app", "s1a", "flow_step", {"flow": "plan_upgrade", "step": 2, "business": "plan"}),
    (
        "u1",
        0,
        "10:03:00",
        "app",
        "s1a",
        "touchpoint_exposure",
        {"slot": "app.banner", "campaign": "5g-upgrade", "content_id": "c1", "decision_id": "d1"},
    ),
    (
        "u1",
        0,
        "10:03:30",
        "app",
        "s1a",
        "touchpoint_click",
        {"slot": "app.banner", "campaign": "5g-upgrade", "content_id": "c1", "decision_id": "d1"},
    ),
    ("u1", 0, "10:04:00", "app", "s1a", "flow_step", {"flow": "plan_upgrade", "step": 3, "business": "plan"}),
    (
        "u1",
        0,
        "10:07:30",
        "app",
        "s1a",
        "order_success",
        {"business": "plan", "product": "5g-199", "flow": "plan_upgrade", "amount": 199.0},
    ),
    ("u2", 0, "11:00:00", "web", "s2a", "page_view", {"business": "plan", "duration_ms": 30000}),
    ("u2", 0, "11:00:40", "web", "s2a", "flow_step", {"flow": "plan_upgrade", "step": 1, "business": "plan"}),
    ("u2", 0, "11:01:30", "web", "s2a", "flow_step", {"flow": "plan_upgrade", "step": 2, "business": "plan"}),
    ("u3", 0, "12:00:00", "wechat", "s3a", "page_view", {"business": "data_pack"}),
    (
        "u3",
        0,
        "12:00:20",
        "wechat",
        "s3a",
        "touchpoint_exposure",
        {"slot": "wechat.home_floor", "campaign": "data-double", "content_id": "c2", "decision_id": "d2"},
    ),
    (
        "u3",
        0,
        "12:00:50",
        "wechat",
        "s3a",
        "touchpoint_click",
        {"slot": "wechat.home_floor", "campaign": "data-double", "content_id": "c2", "decision_id": "d2"},
    ),
    (
        "u3",
        0,
        "12:01:10",
        "wechat",
        "s3a",
        "touchpoint_exposure",
        {"slot": "wechat.floating_icon", "campaign": "data-double", "content_id": "c3", "decision_id": "d3"},
    ),
    ("u5", 0, "13:00:00", "web", "s5a", "flow_step", {"flow": "broadband_renewal", "step": 1, "business": "broadband"}),
    ("u5", 0, "13:01:00", "web", "s5a", "flow_step", {"flow": "broadband_renewal", "step": 2, "business": "broadband"}),
    ("u5", 0, "13:02:00", "web", "s5a", "flow_step", {"flow": "broadband_renewal", "step": 3, "business": "broadband"}),
    (
        "u5",
        0,
        "13:03:00",
        "web",
        "s5a",
        "order_success",
        {"business": "broadband", "product": "bb-300m-12m", "flow": "broadband_renewal", "amount": 300.0},
    ),
    (
        "u5",
        0,
        "13:04:00",
        "web",
        "s5a",
        "touchpoint_exposure",
        {"slot": "web.login_popup", "campaign": "bb-renew-2026", "content_id": "c4", "decision_id": "d4"},
    ),
    ("u7", 0, "08:00:00", "app", "", "data_usage", {"used_pct": 120}, {"ua_browser": ""}),
    (
        "u1",
        0,
        "09:59:00",
        "app",
        "",
        "touchpoint_decision",
        {
            "decision_id": "d1",
            "request_id": "r1",
            "slot": "app.banner",
            "campaigns": "5g-upgrade",
            "tiers": "precision",
            "reason": "targeted",
            "suppressed": "bb-renew-2026:cap;data-double:cooldown",
            "holdout": "",
        },
        {"ua_browser": ""},
    ),
    (
        "u5",
        0,
        "12:59:00",
        "web",
        "",
        "touchpoint_decision",
        {
            "decision_id": "d5",
            "request_id": "r5",
            "slot": "web.login_popup",
            "campaigns": "",
            "tiers": "",
            "reason": "holdout",
            "suppressed": "5g-upgrade:holdout",
            "holdout": "5g-upgrade",
        },
        {"ua_browser": ""},
    ),
    # day 1
    ("u1", 1, "08:00:00", "app", "s1b", "page_view", {"business": "broadband"}),
    ("u1", 1, "08:00:30", "app", "s1b", "flow_step", {"flow": "broadband_renewal", "step": 1, "business": "broadband"}),
    ("u1", 1, "08:01:00", "app", "s1b", "flow_step", {"flow": "broadband_renewal", "step": 2, "business": "broadband"}),
    (
        "u1",
        1,
        "08:02:00",
        "app",
        "s1b",
        "share",
        {"business": "broadband", "campaign": "bb-renew-2026", "share_id": "sh1"},
    ),
    ("u2", 1, "09:00:00", "web", "s2b", "page_view", {"business": "broadband", "ref_share_id": "sh1"}),
    ("u2", 1, "09:00:30", "web", "s2b", "click", {"element": "details", "business": "broadband"}),
    (
        "u5",
        1,
        "10:00:00",
        "web",
        "s5b",
        "page_view",
        {"business": "broadband", "ref_share_id": "sh1", "duration_ms": 5000},
    ),
    ("u5", 1, "10:00:20", "web", "s5b", "flow_step", {"flow": "topup", "step": 1, "business": "topup"}),
    ("u6", 1, "11:00:00", "app", "s6b", "page_view", {"business": "new_services"}),
    (
        "u6",
        1,
        "11:00:30",
        "app",
        "s6b",
        "flow_step",
        {"flow": "new_service_trial", "step": 1, "business": "new_services"},
    ),
    (
        "u6",
        1,
        "11:01:30",
        "app",
        "s6b",
        "flow_step",
        {"flow": "new_service_trial", "step": 2, "business": "new_services"},
    ),
    ("u5", 1, "07:00:00", "web", "", "balance_low", {"balance": 3.5}, {"ua_browser": ""}),
    ("u6", 1, "07:30:00", "app", "", "unsubscribe", {"product": "video-vip"}, {"ua_browser": ""}),
    # day 2
    ("u1", 2, "20:00:00", "app", "s1c", "page_view", {"business": "topup"}),
    ("u1", 2, "06:00:00", "app", "", "data_usage", {"used_pct": 80}, {"ua_browser": ""}),
    # day 3
    (
        "u2",
        3,
        "09:00:00",
        "web",
        "s2c",
        "touchpoint_exposure",
        {"slot": "web.login_popup", "campaign": "bb-renew-2026", "content_id": "c5", "decision_id": "d6"},
    ),
    (
        "u2",
        3,
        "09:00:20",
        "web",
        "s2c",
        "touchpoint_click",
        {"slot": "web.login_popup", "campaign": "bb-renew-2026", "content_id": "c5", "decision_id": "d6"},
    ),
    (
        "u2",
        3,
        "09:01:00",
        "web",
        "s2c",
        "flow_step",
        {"flow": "broadband_new_install", "step": 1, "business": "broadband"},
    ),
    (
        "u2",
        3,
        "09:05:00",
        "web",
        "s2c",
        "flow_step",
        {"flow": "broadband_new_install", "step": 2, "business": "broadband"},
    ),
    (
        "u2",
        3,
        "09:10:00",
        "web",
        "s2c",
        "flow_step",
        {"flow": "broadband_new_install", "step": 3, "business": "broadband"},
    ),
    (
        "u2",
        3,
        "09:20:00",
        "web",
        "s2c",
        "flow_step",
        {"flow": "broadband_new_install", "step": 4, "business": "broadband"},
    ),
    (
        "u2",
        3,
        "09:30:00",
        "web",
        "s2c",
        "order_success",
        {"business": "broadband", "product": "bb-1000m-24m", "flow": "broadband_new_install", "amount": 1200.0},
    ),
    ("u2", 3, "06:00:00", "web", "", "topup", {"amount": 50}, {"ua_browser": ""}),
    ("u2", 3, "06:30:00", "web", "", "broadband_contract", {"expires_on": "2026-02-20"}, {"ua_browser": ""}),
    (
        "u3",
        3,
        "15:00:00",
        "wechat",
        "",
        "touchpoint_decision",
        {
            "decision_id": "d7",
            "request_id": "r7",
            "slot": "wechat.home_floor",
            "campaigns": "data-double",
            "tiers": "precision",
            "reason": "targeted",
            "degraded": True,
        },
        {"ua_browser": ""},
    ),
    # day 4
    ("u7", 4, "10:00:00", "app", "", "arrears", {"amount_due": 88.5}, {"ua_browser": ""}),
    # day 5 (Saturday 31 January)
    ("u3", 5, "18:00:00", "wechat", "s3b", "page_view", {"business": "plan"}),
    ("u3", 5, "18:00:30", "wechat", "s3b", "click", {"element": "compare", "business": "plan"}, {"ua_browser": ""}),
    ("u3", 5, "18:01:00", "wechat", "s3b", "flow_step", {"flow": "family_plan_join", "step": 1, "business": "plan"}),
    ("u3", 5, "18:02:00", "wechat", "s3b", "flow_step", {"flow": "family_plan_join", "step": 2, "business": "plan"}),
    ("u3", 5, "18:03:00", "wechat", "s3b", "flow_step", {"flow": "family_plan_join", "step": 3, "business": "plan"}),
    (
        "u3",
        5,
        "18:04:00",
        "wechat",
        "s3b",
        "order_success",
        {"business": "plan", "product": "5g-129", "flow": "family_plan_join", "amount": 129.0},
    ),
    # day 6 (Sunday 1 February), received 10 minutes late; the roaming run crosses midnight
    (
        "u3",
        6,
        "21:00:00",
        "wechat",
        "s3c",
        "share",
        {"business": "plan", "campaign": "5g-upgrade", "share_id": "sh2"},
        {"received_after_s": 600},
    ),
    (
        "u3",
        6,
        "21:00:40",
        "wechat",
        "s3c",
        "share",
        {"business": "plan", "campaign": "5g-upgrade", "share_id": "sh3"},
        {"received_after_s": 600},
    ),
    (
        "u3",
        6,
        "21:05:00",
        "wechat",
        "s3c",
        "flow_step",
        {"flow": "handset_trade_in", "step": 1, "business": "handset"},
        {"received_after_s": 600},
    ),
    (
        "u3",
        6,
        "23:40:00",
        "wechat",
        "s3d",
        "flow_step",
        {"flow": "roaming_pack_order", "step": 1, "business": "data_pack"},
        {"received_after_s": 600},
    ),
    (
        "u3",
        6,
        "23:50:00",
        "wechat",
        "s3d",
        "flow_step",
        {"flow": "roaming_pack_order", "step": 2, "business": "data_pack"},
        {"received_after_s": 600},
    ),
    (
        "u3",
        7,
        "00:20:00",
        "wechat",
        "s3d",
        "flow_step",
        {"flow": "roaming_pack_order", "step": 3, "business": "data_pack"},
    ),
    # day 7
    ("u4", 7, "10:00:00", "web", "s4a", "page_view", {"business": "plan", "ref_share_id": "sh2"}),
    ("u1", 7, "12:00:00", "app", "s1d", "flow_step", {"flow": "data_pack_order", "step": 1, "business": "data_pack"}),
    ("u1", 7, "12:01:00", "app", "s1d", "flow_step", {"flow": "data_pack_order", "step": 2, "business": "data_pack"}),
    (
        "u1",
        7,
        "12:02:00",
        "app",
        "s1d",
        "order_success",
        {"business": "data_pack", "product": "dp-30g", "flow": "data_pack_order", "amount": 30.0},
    ),
    (
        "u1",
        7,
        "12:10:00",
        "app",
        "s1d",
        "flow_step",
        {"flow": "number_card_order", "step": 1, "business": "number_card"},
    ),
    (
        "u1",
        7,
        "12:11:00",
        "app",
        "s1d",
        "flow_step",
        {"flow": "number_card_order", "step": 2, "business": "number_card"},
    ),
    (
        "u1",
        7,
        "12:12:00",
        "app",
        "s1d",
        "flow_step",
        {"flow": "number_card_order", "step": 3, "business": "number_card"},
    ),
    (
        "u1",
        7,
        "12:13:00",
        "app",
        "s1d",
        "flow_step",
        {"flow": "number_card_order", "step": 4, "business": "number_card"},
    ),
    (
        "u1",
        7,
        "12:14:00",
        "app",
        "s1d",
        "order_success",
        {"business": "number_card", "product": "card-lucky", "flow": "number_card_order", "amount": 50.0},
    ),
    # day 8
    ("u1", 8, "09:00:00", "app", "s1e", "flow_step", {"flow": "handset_order", "step": 1, "business": "handset"}),
    ("u1", 8, "09:10:00", "app", "s1e", "flow_step", {"flow": "handset_order", "step": 2, "business": "handset"}),
    ("u1", 8, "09:20:00", "app", "s1e", "flow_step", {"flow": "handset_order", "step": 3, "business": "handset"}),
    ("u1", 8, "11:00:00", "app", "s1e", "flow_step", {"flow": "handset_order", "step": 4, "business": "handset"}),
    ("u4", 8, "10:00:00", "web", "s4b", "flow_step", {"flow": "plan_upgrade", "step": 1, "business": "plan"}),
    ("u4", 8, "10:01:00", "web", "s4b", "flow_step", {"flow": "plan_upgrade", "step": 2, "business": "plan"}),
    ("u4", 8, "10:02:00", "web", "s4b", "flow_step", {"flow": "plan_upgrade", "step": 3, "business": "plan"}),
    (
        "u4",
        8,
        "10:03:00",
        "web",
        "s4b",
        "order_success",
        {"business": "plan", "product": "5g-169", "flow": "plan_upgrade", "amount": 169.0},
    ),
    ("u4", 8, "10:05:00", "web", "s4b", "flow_step", {"flow": "data_pack_order", "step": 1, "business": "data_pack"}),
    # day 9..11
    ("u7", 9, "10:00:00", "app", "", "topup", {"amount": 100}, {"ua_browser": "", "resent": "undetected"}),
    ("u2", 10, "19:00:00", "web", "", "page_view", {"business": "new_services"}, {"client_clock_s": 3000}),
    (
        "u2",
        10,
        "19:01:00",
        "web",
        "s2d",
        "flow_step",
        {"flow": "new_service_trial", "step": 1, "business": "new_services"},
    ),
    (
        "u2",
        10,
        "19:02:00",
        "web",
        "s2d",
        "order_success",
        {"business": "new_services", "product": "video-vip", "amount": 15.0},
    ),
    (
        "u2",
        10,
        "19:05:00",
        "web",
        "s2d",
        "flow_step",
        {"flow": "bill_payment", "step": 1, "business": "topup"},
        {"client_clock_s": -600},
    ),
    ("u2", 10, "19:06:00", "web", "s2d", "flow_step", {"flow": "bill_payment", "step": 2, "business": "topup"}),
    ("u7", 11, "10:00:00", "app", "", "broadband_contract", {"expires_on": "2026-06-01"}, {"ua_browser": ""}),
    # day 14, 16, 20
    ("u1", 14, "16:00:00", "app", "s1f", "flow_step", {"flow": "topup", "step": 1, "business": "topup"}),
    ("u1", 14, "16:00:30", "app", "s1f", "flow_step", {"flow": "topup", "step": 2, "business": "topup"}),
    ("u1", 14, "16:01:00", "app", "s1f", "flow_step", {"flow": "topup", "step": 3, "business": "topup"}),
    (
        "u1",
        14,
        "16:01:30",
        "app",
        "s1f",
        "order_success",
        {"business": "topup", "product": "topup-100", "flow": "topup", "amount": 100.0},
    ),
    ("u5", 16, "12:00:00", "web", "s5c", "page_view", {"business": "broadband"}),
    ("u5", 16, "12:00:05", "web", "s5c", "page_view", {"business": "plan"}),
    ("u8", 20, "22:00:00", "app", "s8a", "page_view", {"business": "handset"}),
    # runs that stop early, so every flow has someone who leaves it
    ("u2", 3, "09:40:00", "web", "s2c", "flow_step", {"flow": "handset_trade_in", "step": 1, "business": "handset"}),
    ("u2", 3, "09:41:00", "web", "s2c", "flow_step", {"flow": "handset_trade_in", "step": 2, "business": "handset"}),
    ("u2", 3, "09:42:00", "web", "s2c", "flow_step", {"flow": "handset_trade_in", "step": 3, "business": "handset"}),
    (
        "u5",
        1,
        "10:00:40",
        "web",
        "s5b",
        "flow_step",
        {"flow": "number_card_order", "step": 1, "business": "number_card"},
    ),
    ("u4", 8, "10:06:00", "web", "s4b", "flow_step", {"flow": "handset_order", "step": 1, "business": "handset"}),
    ("u4", 8, "10:07:00", "web", "s4b", "flow_step", {"flow": "handset_order", "step": 2, "business": "handset"}),
    (
        "u6",
        1,
        "11:02:00",
        "app",
        "s6b",
        "flow_step",
        {"flow": "broadband_new_install", "step": 1, "business": "broadband"},
    ),
    ("u8", 20, "22:30:00", "app", "s8b", "flow_step", {"flow": "family_plan_join", "step": 1, "business": "plan"}),
    ("u8", 20, "22:31:00", "app", "s8b", "flow_step", {"flow": "family_plan_join", "step": 2, "business": "plan"}),
    (
        "u1",
        2,
        "21:00:00",
        "app",
        "s1g",
        "flow_step",
        {"flow": "roaming_pack_order", "step": 1, "business": "data_pack"},
    ),
    ("u5", 16, "12:00:10", "web", "s5c", "flow_step", {"flow": "bill_payment", "step": 1, "business": "topup"}),
]

# (user, tag, action, day, time, set at (day, time) or None)
TAG_CHANGES: list[tuple[Any, ...]] = [
    ("u2", "browser:plan", "set", 0, "12:00:00", (0, "12:00:00")),
    ("u1", "abandoned_mid_flow:broadband_renewal", "set", 1, "08:31:00", (1, "08:31:00")),
    ("u2", "browser:plan", "set", 2, "12:00:00", (0, "12:00:00")),
    ("u3", "audience:winback", "set", 4, "09:00:00", (4, "09:00:00")),
    ("u1", "abandoned_mid_flow:broadband_renewal", "cleared", 8, "08:31:00", None),
    ("u5", "silent_churn_risk", "set", 9, "00:00:00", (9, "00:00:00")),
    ("u4", "audience:winback", "set", 9, "09:00:00", (9, "09:00:00")),
    ("u2", "audience:plan_push", "set", 9, "09:30:00", (9, "09:30:00")),
    ("u2", "browser:plan", "cleared", 10, "12:00:00", None),
]

# (event_id, user, channel, event, day, time)
LATE_EVENTS = [
    ("late1", "u1", "app", "page_view", 0, "10:00:05"),
    ("late2", "u3", "wechat", "share", 6, "21:00:00"),
    ("late3", "u3", "wechat", "flow_step", 6, "21:05:00"),
]

# (day received, time, reason)
QUARANTINE = [
    (0, "10:00:00", "unknown event 'purchase'"),
    (0, "10:05:00", "props.step: below minimum 1"),
    (6, "09:00:00", "body is not JSON"),
]

# (part file, day loaded, rejected lines)
STREAM_REJECTS = [("part-a", 2, 2), ("part-b", 9, 1)]


def day_of(day: int) -> dt.date:
    return D0 + dt.timedelta(days=day)


def epoch_ms(day: int, clock: str) -> int:
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    midnight = dt.datetime.combine(day_of(day), dt.time(), tzinfo=dt.UTC)
    return int((midnight + dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)).timestamp() * 1000)


RESEND_DELAY_MS = 30_000


def _records() -> list[tuple[dict[str, Any], str | None]]:
    """Each event as an event-log record, with how it was resent (None, detected, undetected)."""
    records = []
    for n, (user, day, clock, channel, session, event, props, *extra) in enumerate(EVENTS, start=1):
        envelope = dict(extra[0]) if extra else {}
        ts = epoch_ms(day, clock)
        delay_ms = int(envelope.pop("received_after_s", 0.5) * 1000)
        client_ts = ts + int(envelope.pop("client_clock_s", 0) * 1000)
        resent = envelope.pop("resent", None)
        record = {
            "event_id": f"e{n:03d}",
            "user_id": user,
            "channel": channel,
            "event": event,
            "ts": ts,
            "client_ts": client_ts,
            "session_id": session,
            "page": f"/{props.get('business', 'home')}/{event}",
            "props": props,
            "received_at": ts + delay_ms,
            "ip": "127.0.0.1",
            **UA,
            **envelope,
        }
        records.append((record, resent))
    return records


def _copy(record: dict[str, Any]) -> dict[str, Any]:
    """The same event sent again: same id, received later."""
    return {**record, "received_at": record["received_at"] + RESEND_DELAY_MS}


def event_records() -> list[dict[str, Any]]:
    """The events table: what the stream job kept (a resend past its dedup horizon twice)."""
    kept = []
    for record, resent in _records():
        kept += [record, _copy(record)] if resent == "undetected" else [record]
    return kept


def log_records() -> list[dict[str, Any]]:
    """The collector's event log: every line it wrote, each resent copy too."""
    lines = []
    for record, resent in _records():
        lines += [record, _copy(record)] if resent else [record]
    return lines


def tag_change_rows() -> list[dict[str, Any]]:
    rows = []
    for seq, (user, tag, action, day, clock, set_at) in enumerate(TAG_CHANGES, start=1):
        ts_ms = epoch_ms(day, clock)
        rows.append(
            {
                "user_id": user,
                "tag": tag,
                "action": action,
                "ts": ts_ms // 1000,
                "ts_ms": ts_ms,
                "expires_at_ms": None,
                "seq": seq,
                "set_at_ms": epoch_ms(*set_at) if set_at else None,
            }
        )
    return rows


def late_event_rows() -> list[dict[str, Any]]:
    rows = []
    for event_id, user, channel, event, day, clock in LATE_EVENTS:
        ts_ms = epoch_ms(day, clock)
        rows.append(
            {
                "event_id": event_id,
                "user_id": user,
                "channel": channel,
                "event": event,
                "ts": ts_ms // 1000,
                "ts_ms": ts_ms,
                "received_ms": ts_ms + 90_000,
            }
        )
    return rows


def quarantine_records() -> list[dict[str, Any]]:
    return [
        {"received_at": epoch_ms(day, clock), "ip": "127.0.0.1", "index": 0, "reason": reason, "raw": "{}"}
        for day, clock, reason in QUARANTINE
    ]


def stream_reject_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rejected lines and the loader's ``loaded_files`` rows that date them."""
    rejects, files = [], []
    for part, day, lines in STREAM_REJECTS:
        rejects += [
            {"reason": "not JSON", "line": "{", "source_file": part, "source_line": n} for n in range(1, lines + 1)
        ]
        files.append(
            {
                "source": "stream_rejects",
                "file": part,
                "rows": lines,
                "bad_lines": 0,
                "loaded_at": epoch_ms(day, "12:00:00") // 1000,
            }
        )
    return rejects, files


def write_segment(settings: Settings, records: list[dict[str, Any]], name: str = "seg-0000000000001-1-000001") -> Path:
    """Publish ``records`` as one complete segment of the collector's event log."""
    assert settings.event_log is not None
    settings.event_log.mkdir(parents=True, exist_ok=True)
    path = settings.event_log / f"{name}.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path
