"""An independent, plain-Python reading of the touchpoint rules (docs/touchpoint_value.md).

Written from the documented rules, not from the SQL, over the same event-log records; the tests
compare the warehouse's answers on generated worlds with these.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from analytics.touchpoint_value import DateRange, ValueParameters
from analytics.touchpoint_value.dimensions import period_start
from core.contract.definitions import default_catalogue


@dataclass(frozen=True)
class Touch:
    user: str
    decision: str
    campaign: str
    is_click: bool
    at_ms: int
    channel: str
    slot: str


def _day(ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date()


def touches(records: Iterable[dict[str, Any]]) -> list[Touch]:
    """First report of each (decision, campaign, kind, user)."""
    first: dict[tuple[str, str, bool, str], Touch] = {}
    for r in sorted(records, key=lambda r: r["ts"]):
        if r["event"] not in ("touchpoint_exposure", "touchpoint_click"):
            continue
        p = r["props"]
        key = (p["decision_id"], p["campaign"], r["event"] == "touchpoint_click", r["user_id"])
        first.setdefault(key, Touch(r["user_id"], key[0], key[1], key[2], r["ts"], r["channel"], p["slot"]))
    return list(first.values())


def results(
    records: Sequence[dict[str, Any]], span: DateRange, grain: str, dims: Sequence[str], params: ValueParameters
) -> dict[tuple, tuple[int, int, int, int, float, int]]:
    """(period, *dims) -> (exposures, reach, clicks, conversions, order amount, service transactions)."""
    kinds = {name: slot.kind for name, slot in default_catalogue().slots.items()}
    flows = default_catalogue().flows
    service = {(t.flow, t.step or flows[t.flow].last_step) for t in params.service.transactions}
    all_touches = touches(records)
    by_user: dict[str, list[Touch]] = defaultdict(list)
    for t in all_touches:
        by_user[t.user].append(t)

    def sells(campaign: str, business: str, product: str) -> bool:
        target = params.campaigns.get(campaign)
        if target is None:
            return True
        return target.business == business and (target.product is None or target.product == product)

    def credited(outcome: dict[str, Any]) -> Touch | None:
        props, at = outcome["props"], outcome["ts"]
        candidates = []
        for t in by_user[outcome["user_id"]]:
            if t.at_ms > at:
                continue
            if outcome["event"] == "order_success":
                window = params.attribution.click_window_ms if t.is_click else params.attribution.exposure_window_ms
                if at - t.at_ms <= window and sells(t.campaign, props["business"], props["product"]):
                    candidates.append(t)
            elif t.is_click and at - t.at_ms <= params.service.window_ms:
                candidates.append(t)
        return max(candidates, key=lambda t: (t.is_click, t.at_ms, t.decision, t.campaign), default=None)

    def key(t: Touch) -> tuple:
        target = params.campaigns.get(t.campaign)
        values = {
            "slot": t.slot,
            "slot_kind": kinds.get(t.slot, ""),
            "channel": t.channel,
            "campaign": t.campaign,
            "business": target.business if target else "",
        }
        return (period_start(grain, _day(t.at_ms), span).isoformat(), *(values[d] for d in dims))  # type: ignore[arg-type]

    def in_range(t: Touch) -> bool:
        return span.start_ms <= t.at_ms < span.end_ms

    rows: dict[tuple, list] = defaultdict(lambda: [0, set(), 0, 0, 0.0, 0])
    for t in filter(in_range, all_touches):
        row = rows[key(t)]
        if t.is_click:
            row[2] += 1
        else:
            row[0] += 1
            row[1].add(t.user)
    for r in records:
        is_order = r["event"] == "order_success"
        is_service = r["event"] == "flow_step" and (r["props"]["flow"], r["props"]["step"]) in service
        if not (is_order or is_service) or r["ts"] < span.start_ms:
            continue
        winner = credited(r)
        if winner is None or not in_range(winner):
            continue
        row = rows[key(winner)]
        if is_order:
            row[3] += 1
            row[4] += float(r["props"]["amount"])
        else:
            row[5] += 1
    return {k: (v[0], len(v[1]), v[2], v[3], round(v[4], 4), v[5]) for k, v in rows.items()}


def lift_counts(
    records: Sequence[dict[str, Any]], span: DateRange, params: ValueParameters
) -> dict[str, tuple[int, int, int, int, int]]:
    """campaign -> (treated, treated converted, control, control converted, excluded), whole range."""
    arms: dict[tuple[str, str], set[str]] = defaultdict(set)
    entry: dict[tuple[str, str], int] = {}
    for r in records:
        if r["event"] != "touchpoint_decision" or not span.start_ms <= r["ts"] < span.end_ms:
            continue
        for arm, listed in (("treated", r["props"]["campaigns"]), ("control", r["props"].get("holdout", ""))):
            for campaign in filter(None, listed.split(",")):
                unit = (r["user_id"], campaign)
                arms[unit].add(arm)
                entry[unit] = min(entry.get(unit, r["ts"]), r["ts"])
    orders = defaultdict(list)
    for r in records:
        if r["event"] == "order_success":
            orders[r["user_id"]].append(r)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for (user, campaign), seen in arms.items():
        target = params.campaigns.get(campaign)
        converted = any(
            entry[(user, campaign)] <= o["ts"] <= entry[(user, campaign)] + params.lift.window_ms
            and (target is None or target.business == o["props"]["business"])
            and (target is None or target.product is None or target.product == o["props"]["product"])
            for o in orders[user]
        )
        row = counts[campaign]
        if len(seen) == 2:
            row[4] += 1
        elif "treated" in seen:
            row[0] += 1
            row[1] += converted
        else:
            row[2] += 1
            row[3] += converted
    return {c: tuple(v) for c, v in counts.items()}  # type: ignore[misc]
