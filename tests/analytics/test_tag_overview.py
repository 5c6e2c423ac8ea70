"""Tag and audience sizes for the Tags page (analytics/tag_overview.py), on both engines, against
counts worked out by hand: the latest change of a (user, tag) decides, expiries count at ``now``."""

from __future__ import annotations

import datetime as dt

from analytics.audiences import audience_row
from analytics.tag_overview import audience_saves, audience_sizes, live_tag_sizes
from flink_jobs.outputs import tag_change_row
from warehouse import Warehouse

NOW = 1_790_000_000_000
HOUR = 3_600_000


def change(user: str, tag: str, action: str, seq: int, expires: int | None = None) -> dict:
    return tag_change_row(
        {
            "user_id": user,
            "tag": tag,
            "action": action,
            "ts_ms": NOW - 10 * HOUR + seq,
            "seq": seq,
            "expires_at_ms": expires,
        }
    )


def member(audience: str, user: str, saved_ms: int, expires: int, step: str = "confirm") -> dict:
    return audience_row(
        {
            "audience": audience,
            "user_id": user,
            "saved_ms": saved_ms,
            "expires_at_ms": expires,
            "funnel": "plan_upgrade",
            "step_index": 2,
            "step_name": step,
            "breakdown_value": "web",
        }
    )


def test_live_tag_sizes_follow_each_users_latest_change(wh: Warehouse) -> None:
    wh.insert(
        "tag_changes_raw",
        [
            change("a", "browser:broadband", "set", 1),
            change("b", "browser:broadband", "set", 1),
            change("b", "browser:broadband", "cleared", 2),  # cleared after: not held
            change("c", "browser:broadband", "cleared", 1),
            change("c", "browser:broadband", "set", 2),  # set again after a clear: held
            change("a", "orderer:plan", "set", 2, expires=NOW + HOUR),  # expires later: held
            change("b", "orderer:plan", "set", 3, expires=NOW - HOUR),  # expired: not held
            change("d", "orderer:plan", "set", 1, expires=NOW),  # expires exactly now: not held
            change("'); DROP TABLE events_store; --", "sharer:<b>x</b>", "set", 1),  # text, never SQL
        ],
    )
    sizes = {(s.tag, s.family): s.users for s in live_tag_sizes(wh, now_ms=NOW)}
    assert sizes == {
        ("browser:broadband", "browser"): 2,
        ("orderer:plan", "orderer"): 1,
        ("sharer:<b>x</b>", "sharer"): 1,
    }
    assert live_tag_sizes(wh, now_ms=NOW)[0].tag == "browser:broadband"  # largest first
    assert len(live_tag_sizes(wh, now_ms=NOW, limit=1)) == 1
    assert (
        wh.query(
            "SELECT count() FROM system.tables WHERE name = 'events_store' AND database = currentDatabase()"
        ).scalar()
        == 1
    )


def test_audience_sizes_count_members_ever_and_live_by_their_latest_save(wh: Warehouse) -> None:
    first, second = NOW - 5 * HOUR, NOW - HOUR
    wh.insert(
        "audiences_raw",
        [
            member("tier_drop", "a", first, NOW - 2 * HOUR, step="choose_upgrade_tier"),  # expired, re-saved below
            member("tier_drop", "b", first, NOW + HOUR, step="choose_upgrade_tier"),  # live from the first save
            member("tier_drop", "a", second, NOW + 10 * HOUR),  # refreshed: live
            member("tier_drop", "c", second, NOW - 1),  # latest save already expired
            member("web_leavers", "x", first, NOW + HOUR),
        ],
    )
    wh.insert("audiences_raw", [member("tier_drop", "a", second, NOW + 10 * HOUR)])  # loaded twice: counted once
    sizes = {a.audience: a for a in audience_sizes(wh, now_ms=NOW)}
    tier = sizes["tier_drop"]
    assert (tier.members, tier.live_members) == (3, 2)
    assert (tier.last_saved_ms, tier.expires_at_ms, tier.step_name) == (second, NOW + 10 * HOUR, "confirm")
    assert (sizes["web_leavers"].members, sizes["web_leavers"].live_members) == (1, 1)
    assert [a.audience for a in audience_sizes(wh, now_ms=NOW)] == ["tier_drop", "web_leavers"]  # latest save first
    day = dt.datetime.fromtimestamp(NOW / 1000, dt.UTC).date()
    saves = [(s.audience, s.saved_ms, s.members) for s in audience_saves(wh, day, day)]
    assert saves == [("tier_drop", first, 2), ("web_leavers", first, 1), ("tier_drop", second, 2)]
    assert audience_saves(wh, day + dt.timedelta(days=1), day + dt.timedelta(days=2)) == []
