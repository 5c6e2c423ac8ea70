"""The share_id-keyed step that turns visits through a share into credits for the sharer."""

from __future__ import annotations

from tagging.referrals import REFERRAL_EVENT, ReferralRouter, ShareRecord, referral_key
from tests.tagging.builders import DAY, T0, ev


def share(ts: int, user: str = "a", share_id: str = "s1") -> dict:
    return ev("share", ts, user, business="plan", campaign="c", share_id=share_id)


def visit(ts: int, user: str, share_id: str = "s1") -> dict:
    return ev("page_view", ts, user, ref_share_id=share_id)


def test_keys() -> None:
    assert referral_key(share(T0)) == "s1"
    assert referral_key(visit(T0, "b")) == "s1"
    assert referral_key(ev("page_view", T0, "b", business="plan")) is None
    assert referral_key(ev("click", T0, "b")) is None


def test_credit_goes_to_the_sharer_at_the_visit_time() -> None:
    router = ReferralRouter()
    record, credit = router.on_event(None, share(T0))
    assert credit is None and record == ShareRecord("a", "plan", T0)
    assert ShareRecord.from_bytes(record.to_bytes()) == record
    v = visit(T0 + DAY, "b")
    record, credit = router.on_event(record, v)
    assert credit is not None
    assert (credit["user_id"], credit["event"], credit["ts"]) == ("a", REFERRAL_EVENT, T0 + DAY)
    assert credit["props"] == {"business": "plan", "share_id": "s1", "visitor": "b"}
    assert credit["event_id"] == f"ref:{v['event_id']}"  # stable: a replayed visit dedups downstream


def test_no_credit_for_self_visits_unknown_shares_late_visits_or_reused_ids() -> None:
    router = ReferralRouter(credit_days=30)
    assert router.on_event(None, visit(T0, "b")) == (None, None)
    record, _ = router.on_event(None, share(T0))
    assert router.on_event(record, visit(T0 + 1, "a"))[1] is None
    assert router.on_event(record, visit(T0 - 1, "b"))[1] is None
    assert router.on_event(record, visit(T0 + 30 * DAY, "b"))[1] is None
    assert router.on_event(record, visit(T0 + 30 * DAY - 1, "b"))[1] is not None
    again, _ = router.on_event(record, share(T0 + 5, user="mallory"))
    assert again == record
    assert router.expired(record, T0 + 30 * DAY) and not router.expired(record, T0 + 30 * DAY - 1)
