"""Expected metric values for tests/analytics/metrics_world.py, computed in plain Python.

Independent of the SQL: sessions, user-days, first days, flow runs and conversions are
rebuilt here from the raw records, and every metric is restated as a Python aggregate or
formula (not read from the catalogue), so a wrong filter, window or operand in a definition
or a source shows up as a difference.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.contract.definitions import default_catalogue
from tests.analytics import metrics_world as world

CONTRACT = default_catalogue()
CLIENT = {name for name, spec in CONTRACT.events.items() if spec.source == "client"}
BACKEND = {name for name, spec in CONTRACT.events.items() if spec.source == "backend"}
HOUR_MS, DAY_MS = 3_600_000, 86_400_000
ALL, UNSET = "all", "(none)"

Row = dict[str, Any]
Pred = Callable[[Row], bool]


def utc_day(ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date()


# ---- sources, rebuilt from the records ---------------------------------------------------


def event_rows() -> list[Row]:
    rows = []
    for r in world.event_records():
        props = r["props"]
        slot = str(props.get("slot", ""))
        rows.append(
            {
                "event_id": r["event_id"],
                "client_ts": r["client_ts"],
                "user": r["user_id"],
                "event": r["event"],
                "channel": r["channel"],
                "ts": r["ts"],
                "day": utc_day(r["ts"]),
                "delay_ms": r["received_at"] - r["ts"],
                "session": r["session_id"],
                "page": r["page"],
                "props": props,
                "ua": r["ua_browser"],
                "business": str(props.get("business", "")),
                "flow": str(props.get("flow", "")),
                "step": int(props.get("step", 0)),
                "slot": slot,
                "slot_kind": CONTRACT.slots[slot].kind if slot else "",
                "campaign": str(props.get("campaign", "")),
                "ref": str(props.get("ref_share_id", "")),
                "amount": float(props.get("amount", 0)),
                "product": str(props.get("product", "")),
            }
        )
    return rows


EVENTS = event_rows()
CLIENT_EVENTS = [e for e in EVENTS if e["event"] in CLIENT]


def session_rows() -> list[Row]:
    grouped: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for e in CLIENT_EVENTS:
        if e["session"]:
            grouped[(e["user"], e["session"])].append(e)
    rows = []
    for (user, _), events in grouped.items():
        first = min(events, key=lambda e: e["ts"])
        rows.append(
            {
                "user": user,
                "day": first["day"],
                "channel": first["channel"],
                "duration": (max(e["ts"] for e in events) - first["ts"]) / 1000,
                "events": len(events),
                "page_views": sum(e["event"] == "page_view" for e in events),
                "orders": sum(e["event"] == "order_success" for e in events),
            }
        )
    return rows


def _active_days() -> dict[str, dict[dt.date, str]]:
    """user -> active day -> the channel of that day's first event."""
    days: dict[str, dict[dt.date, str]] = defaultdict(dict)
    for e in sorted(CLIENT_EVENTS, key=lambda e: e["ts"]):
        days[e["user"]].setdefault(e["day"], e["channel"])
    return days


def user_day_rows() -> list[Row]:
    rows = []
    for user, days in _active_days().items():
        for day, channel in days.items():
            offsets = {(d - day).days for d in days}
            rows.append(
                {
                    "user": user,
                    "day": day,
                    "channel": channel,
                    "back_next_day": 1 in offsets,
                    "back_7": any(1 <= o <= 7 for o in offsets),
                    "previous_28": any(-28 <= o <= -1 for o in offsets),
                    "churned": not any(1 <= o <= 14 for o in offsets),
                    "reactivated": not any(-14 <= o <= -1 for o in offsets) and any(o < -14 for o in offsets),
                }
            )
    return rows


def new_user_rows() -> list[Row]:
    rows = []
    for user, days in _active_days().items():
        first_day = min(days)
        first_event = min((e for e in CLIENT_EVENTS if e["user"] == user), key=lambda e: e["ts"])
        offsets = {(d - first_day).days for d in days}
        rows.append(
            {
                "user": user,
                "day": first_day,
                "channel": first_event["channel"],
                "referred": first_event["ref"] != "",
                "back_next_day": 1 in offsets,
                "back_7": any(1 <= o <= 7 for o in offsets),
            }
        )
    return rows


def flow_run_rows() -> list[Row]:
    starts: dict[tuple[str, str, dt.date], Row] = {}
    for e in sorted(EVENTS, key=lambda e: e["ts"]):
        if e["event"] == "flow_step" and e["step"] == 1:
            starts.setdefault((e["user"], e["flow"], e["day"]), e)
    rows = []
    for (user, flow, day), start in starts.items():
        last = CONTRACT.flows[flow].last_step
        ends = [
            e["ts"]
            for e in EVENTS
            if e["event"] == "flow_step"
            and e["user"] == user
            and e["flow"] == flow
            and e["step"] == last
            and start["ts"] <= e["ts"] <= start["ts"] + HOUR_MS
        ]
        rows.append(
            {
                "user": user,
                "day": day,
                "flow": flow,
                "channel": start["channel"],
                "business": start["business"],
                "completed": bool(ends),
                "seconds": (min(ends) - start["ts"]) / 1000 if ends else None,
            }
        )
    return rows


def tag_rows() -> list[Row]:
    return [
        {
            "user": r["user_id"],
            "day": utc_day(r["ts_ms"]),
            "ts": r["ts_ms"],
            "tag": r["tag"],
            "tag_family": r["tag"].split(":")[0],
            "action": r["action"],
            "refresh": r["set_at_ms"] is not None and r["set_at_ms"] != r["ts_ms"],
        }
        for r in world.tag_change_rows()
    ]


def conversion_rows() -> list[Row]:
    orders: dict[str, list[int]] = defaultdict(list)
    for e in EVENTS:
        if e["event"] == "order_success":
            orders[e["user"]].append(e["ts"])
    actions = [
        {**e, "kind": e["event"], "tag": "", "tag_family": ""}
        for e in EVENTS
        if e["event"] == "touchpoint_click" or (e["event"] == "page_view" and e["ref"])
    ]
    actions += [
        {**t, "kind": "tag_set", "channel": "", "business": "", "slot": "", "slot_kind": "", "campaign": ""}
        for t in tag_rows()
        if t["action"] == "set"
    ]
    for a in actions:
        times = orders[a["user"]]
        a["ordered_1"] = any(a["ts"] <= t <= a["ts"] + DAY_MS for t in times)
        a["ordered_7"] = any(a["ts"] <= t <= a["ts"] + 7 * DAY_MS for t in times)
    return actions


SOURCES: dict[str, list[Row]] = {
    "events": EVENTS,
    "sessions": session_rows(),
    "user_days": user_day_rows(),
    "new_users": new_user_rows(),
    "flow_runs": flow_run_rows(),
    "conversions": conversion_rows(),
    "tags": tag_rows(),
    "collector_log": [{"day": utc_day(r["ts"]), "channel": r["channel"]} for r in world.log_records()],
    "late": [{"day": utc_day(r["ts_ms"]), "channel": r["channel"]} for r in world.late_event_rows()],
    "quarantine": [{"day": utc_day(r["received_at"])} for r in world.quarantine_records()],
    "stream_rejects": [{"day": world.day_of(day)} for _part, day, lines in world.STREAM_REJECTS for _ in range(lines)],
}


# ---- aggregates ---------------------------------------------------------------------------


def count(rows: list[Row]) -> float:
    return len(rows)


def users(rows: list[Row]) -> float:
    return len({r["user"] for r in rows})


def distinct(field: str) -> Callable[[list[Row]], float]:
    return lambda rows: len({r[field] for r in rows})


def total(value: Callable[[Row], float]) -> Callable[[list[Row]], float]:
    return lambda rows: sum(value(r) for r in rows)


def mean(value: Callable[[Row], float]) -> Callable[[list[Row]], float]:
    return lambda rows: sum(value(r) for r in rows) / len(rows)


def quantile(level: float, value: Callable[[Row], float]) -> Callable[[list[Row]], float]:
    """ClickHouse's quantileExact: the element at floor(level * n) of the sorted values."""

    def pick(rows: list[Row]) -> float:
        ordered = sorted(value(r) for r in rows)
        return ordered[min(int(level * len(ordered)), len(ordered) - 1)]

    return pick


def share(pred: Pred, of: Callable[[list[Row]], float] = count) -> Callable[[list[Row]], float]:
    """100 * aggregate over the rows matching ``pred`` / aggregate over all rows."""
    return lambda rows: 100 * of([r for r in rows if pred(r)]) / of(rows)


def field(name: str) -> Callable[[Row], float]:
    return lambda r: r[name]


def prop(name: str) -> Callable[[Row], float]:
    return lambda r: float(r["props"].get(name, 0))


@dataclass(frozen=True)
class Agg:
    source: str
    aggregate: Callable[[list[Row]], float]
    where: Pred = lambda r: True
    zero_when_empty: bool = True


@dataclass(frozen=True)
class Ratio:
    numerator: str
    denominator: str
    scale: float = 1.0


@dataclass(frozen=True)
class Difference:
    left: str
    right: str


Spec = Agg | Ratio | Difference


def is_(*events: str) -> Pred:
    return lambda r: r["event"] in events


def client(r: Row) -> bool:
    return r["event"] in CLIENT


def kind(name: str, flag: str | None = None) -> Pred:
    return lambda r: r["kind"] == name and (flag is None or r[flag])


def last_step(r: Row) -> bool:
    return r["event"] == "flow_step" and r["step"] == CONTRACT.flows[r["flow"]].last_step


def average(aggregate: Callable[[list[Row]], float]) -> dict[str, Any]:
    return {"aggregate": aggregate, "zero_when_empty": False}


def decision_prop(name: str, test: Callable[[Any], bool]) -> Pred:
    return lambda r: r["event"] == "touchpoint_decision" and test(r["props"].get(name, ""))


SPECS: dict[str, Spec] = {
    # traffic
    "events_total": Agg("events", count),
    "client_events": Agg("events", count, client),
    "page_views": Agg("events", count, is_("page_view")),
    "clicks": Agg("events", count, is_("click")),
    "active_users": Agg("events", users, client),
    "page_view_users": Agg("events", users, is_("page_view")),
    "click_users": Agg("events", users, is_("click")),
    "page_views_per_user": Ratio("page_views", "page_view_users"),
    "click_rate": Ratio("clicks", "page_views", 100),
    "clicker_share": Ratio("click_users", "page_view_users", 100),
    "events_per_active_user": Ratio("client_events", "active_users"),
    "new_users": Agg("new_users", count),
    "new_user_share": Ratio("new_users", "active_users", 100),
    "distinct_pages": Agg("events", distinct("page"), is_("page_view")),
    "pages_per_viewer": Ratio("distinct_pages", "page_view_users"),
    # engagement
    "sessions": Agg("sessions", count),
    "session_users": Agg("sessions", users),
    "sessions_per_user": Ratio("sessions", "session_users"),
    "average_session_seconds": Agg("sessions", **average(mean(field("duration")))),
    "median_session_seconds": Agg("sessions", **average(quantile(0.5, field("duration")))),
    "events_per_session": Agg("sessions", **average(mean(field("events")))),
    "page_views_per_session": Agg("sessions", **average(mean(field("page_views")))),
    "bounce_sessions": Agg("sessions", count, lambda s: s["events"] == 1),
    "bounce_rate": Ratio("bounce_sessions", "sessions", 100),
    "engaged_sessions": Agg("sessions", count, lambda s: s["events"] >= 3 or s["duration"] >= 60),
    "engaged_session_rate": Ratio("engaged_sessions", "sessions", 100),
    "ordering_sessions": Agg("sessions", count, lambda s: s["orders"] > 0),
    "session_conversion_rate": Ratio("ordering_sessions", "sessions", 100),
    "average_page_seconds": Agg(
        "events",
        where=lambda r: r["event"] == "page_view" and "duration_ms" in r["props"],
        **average(lambda rows: sum(r["props"]["duration_ms"] for r in rows) / len(rows) / 1000),
    ),
    "active_user_days": Agg("user_days", count),
    "active_days_per_user": Agg("user_days", **average(lambda rows: len(rows) / users(rows))),
    # flows (family level; per flow and step below)
    "flow_step_events": Agg("events", count, is_("flow_step")),
    "flow_starters": Agg("events", users, lambda r: r["event"] == "flow_step" and r["step"] == 1),
    "flow_completers": Agg("events", users, last_step),
    "flow_completion_rate": Ratio("flow_completers", "flow_starters", 100),
    "flow_abandoners": Difference("flow_starters", "flow_completers"),
    "flow_runs_started": Agg("flow_runs", count),
    "flow_runs_completed": Agg("flow_runs", count, field("completed")),
    "flow_run_completion_rate": Ratio("flow_runs_completed", "flow_runs_started", 100),
    "flow_median_seconds_to_complete": Agg(
        "flow_runs", where=field("completed"), **average(quantile(0.5, field("seconds")))
    ),
    "flow_p90_seconds_to_complete": Agg(
        "flow_runs", where=field("completed"), **average(quantile(0.9, field("seconds")))
    ),
    "flow_orders": Agg("events", count, lambda r: r["event"] == "order_success" and r["flow"] != ""),
    # orders
    "orders": Agg("events", count, is_("order_success")),
    "buyers": Agg("events", users, is_("order_success")),
    "revenue": Agg("events", total(field("amount")), is_("order_success")),
    "average_order_value": Ratio("revenue", "orders"),
    "orders_per_buyer": Ratio("orders", "buyers"),
    "repeat_orders": Difference("orders", "buyers"),
    "buyer_conversion_rate": Ratio("buyers", "active_users", 100),
    "revenue_per_active_user": Ratio("revenue", "active_users"),
    "median_order_amount": Agg("events", where=is_("order_success"), **average(quantile(0.5, field("amount")))),
    "largest_order_amount": Agg(
        "events", where=is_("order_success"), **average(lambda rows: max(r["amount"] for r in rows))
    ),
    "products_ordered": Agg("events", distinct("product"), is_("order_success")),
    # touchpoints
    "touchpoint_decisions": Agg("events", count, is_("touchpoint_decision")),
    "touchpoint_filled_decisions": Agg("events", count, decision_prop("campaigns", bool)),
    "touchpoint_fill_rate": Ratio("touchpoint_filled_decisions", "touchpoint_decisions", 100),
    "touchpoint_holdout_decisions": Agg("events", count, decision_prop("holdout", bool)),
    "touchpoint_degraded_decisions": Agg("events", count, decision_prop("degraded", lambda v: v is True)),
    "touchpoint_suppressed_candidates": Agg(
        "events",
        total(lambda r: len(r["props"]["suppressed"].split(";"))),
        decision_prop("suppressed", bool),
    ),
    "touchpoint_exposures": Agg("events", count, is_("touchpoint_exposure")),
    "touchpoint_reach": Agg("events", users, is_("touchpoint_exposure")),
    "touchpoint_clicks": Agg("events", count, is_("touchpoint_click")),
    "touchpoint_clickers": Agg("events", users, is_("touchpoint_click")),
    "touchpoint_ctr": Ratio("touchpoint_clicks", "touchpoint_exposures", 100),
    "touchpoint_user_ctr": Ratio("touchpoint_clickers", "touchpoint_reach", 100),
    "touchpoint_frequency": Ratio("touchpoint_exposures", "touchpoint_reach"),
    "touchpoint_reach_share": Ratio("touchpoint_reach", "active_users", 100),
    "touchpoint_converting_clicks": Agg("conversions", count, kind("touchpoint_click", "ordered_1")),
    "touchpoint_converted_clickers": Agg("conversions", users, kind("touchpoint_click", "ordered_1")),
    "touchpoint_conversion_rate": Agg(
        "conversions", where=kind("touchpoint_click"), **average(share(field("ordered_1")))
    ),
    "touchpoint_7_day_conversion_rate": Agg(
        "conversions", where=kind("touchpoint_click"), **average(share(field("ordered_7")))
    ),
    # sharing
    "shares": Agg("events", count, is_("share")),
    "sharers": Agg("events", users, is_("share")),
    "shares_per_sharer": Ratio("shares", "sharers"),
    "sharer_rate": Ratio("sharers", "active_users", 100),
    "referred_visits": Agg("events", count, lambda r: r["event"] == "page_view" and r["ref"] != ""),
    "referred_visitors": Agg("events", users, lambda r: r["event"] == "page_view" and r["ref"] != ""),
    "visits_per_share": Ratio("referred_visits", "shares"),
    "shares_with_visits": Agg("events", distinct("ref"), lambda r: r["event"] == "page_view" and r["ref"] != ""),
    "share_effectiveness": Ratio("shares_with_visits", "shares", 100),
    "referred_new_users": Agg("new_users", count, field("referred")),
    "referred_visit_orders": Agg("conversions", count, kind("page_view", "ordered_7")),
    "referral_conversion_rate": Agg(
        "conversions", where=kind("page_view"), **average(share(field("ordered_7"), of=users))
    ),
    # retention
    "next_day_retention": Agg("user_days", **average(share(field("back_next_day")))),
    "seven_day_retention": Agg("user_days", **average(share(field("back_7")))),
    "returning_users": Agg("user_days", users, field("previous_28")),
    "returning_user_share": Agg("user_days", **average(share(field("previous_28"), of=users))),
    "reactivated_users": Agg("user_days", users, field("reactivated")),
    "churned_users": Agg("user_days", users, field("churned")),
    "churn_rate": Agg("user_days", **average(share(field("churned"), of=users))),
    "new_user_next_day_retention": Agg("new_users", **average(share(field("back_next_day")))),
    "new_user_seven_day_retention": Agg("new_users", **average(share(field("back_7")))),
    "silent_churn_risk_users": Agg("tags", users, lambda t: t["action"] == "set" and t["tag"] == "silent_churn_risk"),
    # tags
    "tag_sets": Agg("tags", count, lambda t: t["action"] == "set"),
    "tag_first_sets": Agg("tags", count, lambda t: t["action"] == "set" and not t["refresh"]),
    "tag_clears": Agg("tags", count, lambda t: t["action"] == "cleared"),
    "tag_net_change": Difference("tag_first_sets", "tag_clears"),
    "tagged_users": Agg("tags", users, lambda t: t["action"] == "set"),
    "tags_per_tagged_user": Ratio("tag_sets", "tagged_users"),
    "audience_users": Agg("tags", users, lambda t: t["action"] == "set" and t["tag"].startswith("audience:")),
    "audiences_saved": Agg(
        "tags", distinct("tag"), lambda t: t["action"] == "set" and t["tag"].startswith("audience:")
    ),
    "tag_converting_sets": Agg("conversions", count, kind("tag_set", "ordered_7")),
    "tagged_user_order_rate": Agg("conversions", where=kind("tag_set"), **average(share(field("ordered_7"), of=users))),
    # business events
    "business_events_total": Agg("events", count, lambda r: r["event"] in BACKEND),
    "business_event_users": Agg("events", users, lambda r: r["event"] in BACKEND),
    "data_usage_alerts": Agg("events", count, is_("data_usage")),
    "data_usage_users": Agg("events", users, is_("data_usage")),
    "data_overuse_alerts": Agg("events", count, lambda r: r["event"] == "data_usage" and prop("used_pct")(r) >= 100),
    "topups": Agg("events", count, is_("topup")),
    "topup_users": Agg("events", users, is_("topup")),
    "topup_amount": Agg("events", total(field("amount")), is_("topup")),
    "average_topup": Ratio("topup_amount", "topups"),
    "balance_low_alerts": Agg("events", count, is_("balance_low")),
    "balance_low_users": Agg("events", users, is_("balance_low")),
    "arrears_notices": Agg("events", count, is_("arrears")),
    "arrears_users": Agg("events", users, is_("arrears")),
    "arrears_amount_due": Agg("events", total(prop("amount_due")), is_("arrears")),
    "broadband_contract_notices": Agg("events", count, is_("broadband_contract")),
    "broadband_expiring_within_30_days": Agg(
        "events",
        count,
        lambda r: (
            r["event"] == "broadband_contract"
            and 0 <= (dt.date.fromisoformat(r["props"]["expires_on"]) - r["day"]).days <= 30
        ),
    ),
    "unsubscribes": Agg("events", count, is_("unsubscribe")),
    "unsubscribe_users": Agg("events", users, is_("unsubscribe")),
    # data quality
    "logged_events": Agg("collector_log", count),
    "distinct_events": Agg("events", count),
    "duplicate_events": Difference("logged_events", "distinct_events"),
    "duplicate_rate": Ratio("duplicate_events", "logged_events", 100),
    "undetected_duplicates": Agg("events", lambda rows: len(rows) - len({(r["user"], r["event_id"]) for r in rows})),
    "client_clock_skewed_events": Agg("events", count, lambda r: abs(r["client_ts"] - r["ts"]) > 300_000),
    "late_events": Agg("late", count),
    "late_event_rate": Ratio("late_events", "distinct_events", 100),
    "quarantined_events": Agg("quarantine", count),
    "quarantine_rate": Ratio("quarantined_events", "logged_events", 100),
    "stream_rejects": Agg("stream_rejects", count),
    "events_without_session": Agg("events", count, lambda r: client(r) and r["session"] == ""),
    "events_without_user_agent": Agg("events", count, lambda r: client(r) and r["ua"] == ""),
    "average_ingest_delay_seconds": Agg("events", **average(mean(lambda r: r["delay_ms"] / 1000))),
    "p95_ingest_delay_seconds": Agg("events", **average(lambda rows: quantile(0.95, field("delay_ms"))(rows) / 1000)),
    "delayed_events": Agg("events", count, lambda r: r["delay_ms"] > 300_000),
}


def _flow_specs() -> dict[str, Spec]:
    specs: dict[str, Spec] = {}
    for name, flow in CONTRACT.flows.items():
        step_metric = {}
        for step, step_name in enumerate(flow.steps, start=1):
            metric = f"flow_{name}_s{step}_{step_name}_users"
            step_metric[step] = metric
            specs[metric] = Agg(
                "events",
                users,
                lambda r, name=name, step=step: r["event"] == "flow_step" and r["flow"] == name and r["step"] == step,
            )
            if step > 1:
                specs[f"flow_{name}_s{step}_conversion"] = Ratio(metric, step_metric[step - 1], 100)
        specs[f"flow_{name}_completion_rate"] = Ratio(step_metric[flow.last_step], step_metric[1], 100)
        specs[f"flow_{name}_abandoners"] = Difference(step_metric[1], step_metric[flow.last_step])
    return specs


SPECS.update(_flow_specs())


# ---- expected series ----------------------------------------------------------------------


def period_of(day: dt.date, grain: str, start: dt.date) -> dt.date:
    if grain == "range":
        return start
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def periods(grain: str, start: dt.date, end: dt.date) -> list[dt.date]:
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    return sorted({period_of(d, grain, start) for d in days})


Lines = dict[str, dict[dt.date, float | None]]


def expected(name: str, grain: str, dimension: str | None, start: dt.date, end: dt.date) -> Lines:
    """The metric's lines (dimension value -> period -> value) in the world."""
    spec = SPECS[name]
    if isinstance(spec, Agg):
        return _aggregate(spec, grain, dimension, start, end)
    left_name, right_name = (spec.numerator, spec.denominator) if isinstance(spec, Ratio) else (spec.left, spec.right)
    left, right = (expected(n, grain, dimension, start, end) for n in (left_name, right_name))
    left_empty, right_empty = (_empty_value(n) for n in (left_name, right_name))
    lines: Lines = {}
    for key in left.keys() | right.keys():
        lines[key] = {}
        for p in periods(grain, start, end):
            a = left.get(key, {}).get(p, left_empty)
            b = right.get(key, {}).get(p, right_empty)
            if a is None or b is None:
                lines[key][p] = None
            elif isinstance(spec, Ratio):
                lines[key][p] = None if b == 0 else spec.scale * a / b
            else:
                lines[key][p] = a - b
    return lines


def _empty_value(name: str) -> float | None:
    spec = SPECS[name]
    return 0.0 if isinstance(spec, Agg) and spec.zero_when_empty else None


def _aggregate(spec: Agg, grain: str, dimension: str | None, start: dt.date, end: dt.date) -> Lines:
    groups: dict[str, dict[dt.date, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for row in SOURCES[spec.source]:
        if start <= row["day"] <= end and spec.where(row):
            key = (row[dimension] or UNSET) if dimension else ALL
            groups[key][period_of(row["day"], grain, start)].append(row)
    if not groups and dimension is None:
        groups[ALL] = defaultdict(list)
    empty = 0.0 if spec.zero_when_empty else None
    return {
        key: {p: float(spec.aggregate(by_period[p])) if by_period.get(p) else empty for p in periods(grain, start, end)}
        for key, by_period in groups.items()
    }
