"""Keep the operator's business facts (usage, balance, arrears, contract...) on the profile."""

from __future__ import annotations

from bisect import insort
from typing import Any

from tagging.state import BusinessState


def update_business(business: BusinessState, name: str, props: dict[str, Any], ts: int) -> None:
    """Apply one event (at event time ``ts``) to the business facts; unknown events only touch time."""
    business.last_event_ts = max(business.last_event_ts or 0, ts)
    business.updated_at = max(business.updated_at, ts)
    if name == "data_usage":
        business.used_pct = props.get("used_pct")
    elif name == "balance_low":
        business.balance = props.get("balance")
    elif name == "arrears":
        business.arrears = True
        business.arrears_amount = props.get("amount_due")
    elif name == "topup":
        business.last_topup_ts = ts
        business.last_topup_amount = props.get("amount")
        business.arrears = False  # a credited top-up pays the arrears off
        business.arrears_amount = None
    elif name == "broadband_contract":
        business.broadband_expires_on = props.get("expires_on")
    elif name == "unsubscribe":
        product = props.get("product")
        if isinstance(product, str) and product not in business.unsubscribed:
            insort(business.unsubscribed, product)
    elif name == "order_success":
        product = props.get("product")
        if product in business.unsubscribed:
            business.unsubscribed.remove(product)  # ordered again: subscribed again
