"""One valid props example per catalogue event, for tests of the contract and of the collector."""

from __future__ import annotations

EXAMPLE_PROPS: dict[str, dict[str, object]] = {
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
