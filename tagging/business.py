"""Keep the operator's business facts (usage, balance, arrears, contract...) on the profile."""

from __future__ import annotations

from bisect import insort
from collections.abc import Container
from typing import Any

from tagging.profiles.keys import utc_date
from tagging.state import BusinessState


def update_business(
    business: BusinessState, name: str, props: dict[str, Any], ts: int, facts: Container[str] = ()
) -> None:
    """Apply one event (at event time ``ts``) to the business facts.

    ``facts`` are the events whose latest time the profile keeps in ``last_at`` (the contract's
    ``late: apply`` events: orders, shares, business events), which campaign triggers such
    as "a top-up within the last 30 minutes" read. ``updated_at`` (the version Redis keeps)
    moves only with a change, so an ordinary click rewrites nothing: the state changes at
    most once a day per user (``last_active_day``) plus once per fact.
    """
    before = business.to_tuple()
    day = utc_date(ts)
    if business.last_active_day is None or day > business.last_active_day:
        business.last_active_day = day
    if name in facts and ts > business.last_at.get(name, -1):
        business.last_at[name] = ts
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
