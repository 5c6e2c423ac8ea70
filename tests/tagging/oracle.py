"""An independent oracle: the expected tags of every user at time T, from the full event list.

Written from the definitions in docs/tags.md, not from the engine: no state machines, no
timers, just "look at the events before T". Events are in time order; among events with
the same timestamp, list order decides (as it does for the engine). Things that fall due
at exactly T have happened at T; so have the events stamped T.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from core.clock import DAY_MS as DAY
from tagging.catalogue import TagCatalogue

MINUTE = 60_000

Expected = dict[str, dict[str, int | None]]  # user -> tag -> expires_at


def referral_credits(events: list[dict[str, Any]], credit_days: int = 30) -> list[tuple[int, str, str]]:
    """(position of the visit, sharer, business) for each page view another user made through a share."""
    shares: dict[str, tuple[str, str, int]] = {}
    out = []
    for pos, e in enumerate(events):
        props = e.get("props") or {}
        if e["event"] == "share" and props.get("share_id") not in shares:
            shares[props["share_id"]] = (e["user_id"], props["business"], e["ts"])
        elif e["event"] == "page_view" and props.get("ref_share_id") in shares:
            sharer, business, ts = shares[props["ref_share_id"]]
            if e["user_id"] != sharer and ts <= e["ts"] < ts + credit_days * DAY:
                out.append((pos, sharer, business))
    return out


def _windowed(tag, hits: list[int], blocks: list[int], at: int) -> int | bool | None:
    p = tag.params
    window = p.window_days * DAY
    need = getattr(p, "min_views", None) or getattr(p, "min_visits", None) or 1
    inside = sorted(h for h in hits if at - window < h <= at)
    if len(inside) < need or any(at - window < b <= at for b in blocks):
        return False
    return inside[-need] + window


def expected_tags(events: list[dict[str, Any]], catalogue: TagCatalogue, at: int) -> Expected:
    flows = catalogue.contract.flows
    credits = defaultdict(list)
    for pos, sharer, business in referral_credits(events):
        if events[pos]["ts"] <= at:
            credits[sharer].append((events[pos]["ts"], business))
    by_user: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for pos, e in enumerate(events):
        if e["ts"] <= at:
            by_user[e["user_id"]].append((pos, e))
    result: Expected = {}
    for user in sorted(by_user.keys() | credits.keys()):
        mine = by_user.get(user, [])
        tags: dict[str, int | None] = {}

        def matching(name: str, prop: str, value: Any, mine: list = mine) -> list[int]:
            return [e["ts"] for _, e in mine if e["event"] == name and (e["props"] or {}).get(prop) == value]

        for tag in catalogue.tags.values():
            family, subject, p = tag.family, tag.subject, tag.params
            got: int | bool | None = False
            if family == "browser":
                got = _windowed(
                    tag,
                    matching("page_view", "business", subject),
                    matching("order_success", "business", subject),
                    at,
                )
            elif family == "orderer":
                got = _windowed(tag, matching("order_success", "business", subject), [], at)
            elif family == "sharer":
                got = _windowed(tag, matching("share", "business", subject), [], at)
            elif family == "key_touchpoint_clicker":
                got = _windowed(tag, matching("touchpoint_click", "slot", subject), [], at)
            elif family == "referrer":
                got = _windowed(tag, [ts for ts, b in credits.get(user, []) if b == subject], [], at)
            elif family == "abandoned_mid_flow":
                got = _abandoned(mine, str(subject), flows[str(subject)], p, at)
            elif family == "silent_churn_risk":
                got = _churn(mine, p, at)
            if got is not False:
                tags[tag.name] = got  # type: ignore[assignment]
        if tags:
            result[user] = tags
    return result


def _abandoned(mine: list, flow: str, spec: Any, p: Any, at: int) -> int | bool:
    window, retention = p.window_minutes * MINUTE, p.retention_days * DAY

    def completes(e: dict[str, Any]) -> bool:
        props = e["props"] or {}
        if e["event"] == "flow_step":
            return props.get("flow") == flow and props.get("step") >= spec.last_step
        if e["event"] == "order_success":
            return props.get("flow") == flow if props.get("flow") else props.get("business") == spec.business
        return False

    def is_step(e: dict[str, Any]) -> bool:
        return e["event"] == "flow_step" and (e["props"] or {}).get("flow") == flow

    # every moment the flow was abandoned: a non-final step whose window closed with
    # no later step of the flow and no completion strictly inside it
    abandonments = []
    for i, (_, e) in enumerate(mine):
        if is_step(e) and not completes(e):
            close = e["ts"] + window
            later = [x for _, x in mine[i + 1 :] if x["ts"] < close and (is_step(x) or completes(x))]
            if not later and close <= at:
                abandonments.append((close, i))
    if not abandonments:
        return False
    close, i = max(abandonments)
    # cleared by a completion at or after the close (events at the close come after it)
    if any(completes(x) and x["ts"] >= close for _, x in mine[i + 1 :]):
        return False
    return close + retention if at < close + retention else False


def _churn(mine: list, p: Any, at: int) -> bool | None:
    active = [e["ts"] for _, e in mine if e["event"] in p.activity_events]
    if not active:
        return False
    last = max(active)
    if at < last + p.quiet_days * DAY:
        return False
    first_day = last // DAY - p.lookback_days + 1
    days = {ts // DAY for ts in active if ts // DAY >= first_day}
    return None if len(days) >= p.min_active_days else False
