"""On generated worlds, both engines agree with an independent Python reading of the rules."""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any

import pytest

from analytics.touchpoint_value import DateRange, default_parameters, lift, touchpoint_results
from tests.analytics.touchpoint_events import D
from tests.analytics.touchpoint_oracle import lift_counts, results
from touchstream.traffic.generate import generate_world
from warehouse import Warehouse
from warehouse.sources import insert_events

pytestmark = pytest.mark.integration

WHOLE = DateRange(start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 4))
MIDDLE = DateRange(start=dt.date(2026, 9, 2), end=dt.date(2026, 9, 3))  # touches before, orders after


def generated(users: int = 150, days: int = 4, seed: int = 11) -> list[dict[str, Any]]:
    """The synthetic world with a decision before each exposure; a tenth of the users are held out."""
    records = []
    for event in generate_world(users, days, seed, D):
        record = {**event, "received_at": event["ts"]}
        if event["event"] in ("touchpoint_exposure", "touchpoint_click"):
            props = event["props"]
            held_out = zlib.crc32(event["user_id"].encode()) % 10 == 0
            if event["event"] == "touchpoint_exposure":
                shown, holdout = ("", props["campaign"]) if held_out else (props["campaign"], "")
                decision = {"decision_id": props["decision_id"], "request_id": "r", "slot": props["slot"]}
                decision |= {"campaigns": shown, "tiers": "", "reason": "shown", "holdout": holdout}
                records.append({**record, "event_id": props["decision_id"], "event": "touchpoint_decision"})
                records[-1]["props"] = decision
            if held_out:
                continue
        records.append(record)
    return records


@pytest.fixture(scope="module")
def world_records() -> list[dict[str, Any]]:
    return generated()


def rounded(report) -> dict[tuple, tuple]:  # type: ignore[no-untyped-def]
    return {
        (r.period.isoformat(), *r.dims.values()): (
            r.exposures,
            r.reach,
            r.clicks,
            r.conversions,
            round(r.order_amount, 4),
            r.service_transactions,
        )
        for r in report.rows
    }


@pytest.mark.parametrize(
    ("span", "grain", "dims"),
    [
        (WHOLE, "day", ("slot",)),
        (WHOLE, "week", ("channel", "campaign")),
        (MIDDLE, "total", ("slot_kind", "business")),
        (MIDDLE, "day", ("campaign",)),
    ],
)
def test_results_equal_the_oracle(wh: Warehouse, world_records: list, span: DateRange, grain: str, dims: tuple) -> None:
    insert_events(wh, world_records)
    params = default_parameters()
    expected = results(world_records, span, grain, dims, params)
    assert sum(v[3] for v in expected.values()) > 10  # the world converts: the comparison has teeth
    assert rounded(touchpoint_results(wh, span, grain, dims, params)) == expected


def test_lift_equals_the_oracle(wh: Warehouse, world_records: list) -> None:
    insert_events(wh, world_records)
    params = default_parameters()
    expected = lift_counts(world_records, WHOLE, params)
    got = {
        r.campaign: (r.treated_users, r.treated_conversions, r.control_users, r.control_conversions, r.excluded_users)
        for r in lift(wh, WHOLE, params=params)
    }
    assert sum(v[2] for v in expected.values()) > 10  # both groups are populated
    assert got == expected
