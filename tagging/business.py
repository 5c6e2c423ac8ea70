"""Keep the operator's business facts (usage, balance, arrears, contract...) on the profile."""

from __future__ import annotations

from bisect import insort
from typing import Any

from tagging.profiles.keys import utc_date
from tagging.state import BusinessState


def update_business(business: BusinessState, name: str, props: dict[str, Any], ts: int) -> None:
    """Apply one event (at event time ``ts``) to the business facts.

    ``updated_at`` (the version Redis keeps) moves only with a change, so an ordinary click
    rewrites nothing: the state changes at most once a day per user (``last_active_day``)
    plus once per business event.
    """
    before = business.to_tuple()
    day = utc_date(ts)
    if business.last_active_day is None or day > business.last_active_day:
        business.last_active_day = day
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
    if business.to_tuple() != before:
        business.updated_at = max(business.updated_at, ts)
