"""Contact counters for frequency caps: Redis keys, the snapshot a decision reads, and Lua.

Every key shares the profile's hash tag ``{user_id}`` (one cluster slot, one Lua script):

| key | type | content | TTL |
|---|---|---|---|
| ``<p>:{u}:cap:d:<YYYYMMDD>`` | hash | campaign -> contacts that day | 2 days |
| ``<p>:{u}:cap:w:<YYYY>W<ww>`` | hash | campaign -> contacts that ISO week | 8 days |
| ``<p>:{u}:cap:m:<YYYYMM>`` | hash | campaign -> contacts that month; ``_marketing`` -> marketing contacts | 32 days |
| ``<p>:{u}:cap:life`` | hash | campaign -> lifetime count; ``last:<campaign>`` -> ``"<ms>|<slot>"`` | 400 days |
| ``<p>:{u}:cap:seen`` | zset | ``<decision_id>:<campaign>`` counted, scored by time | 40 days |
| ``<p>:{u}:req:<request_id>`` | string | the answer to a request id (a client's resend gets it again) | 10 min |
| ``<p>:{tp}:exempt`` | set | campaigns exempt from the monthly marketing cap (kept by the service) | none |

Days, weeks and months are calendar periods of the server clock in the operator's time
zone (``TOUCHSTREAM_TOUCHPOINTS_TIMEZONE``), never a client's clock.

**Decision and exposure are counted once.** The touchpoint service counts a decision when
it makes it (:func:`reserve`, atomically for concurrent requests) and marks
``<decision_id>:<campaign>`` in ``cap:seen``. The stream job counts ``touchpoint_exposure``
events with :func:`count_exposures`: an exposure whose decision is marked is skipped; one
that is not (decided while Redis was down, or content not decided by the service) is
counted then, at the event's ``received_at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import redis

from core.clock import DAY_MS
from tagging.profiles.scripts import run_script

DAY_TTL_S = 2 * 86_400
WEEK_TTL_S = 8 * 86_400
MONTH_TTL_S = 32 * 86_400
LIFE_TTL_S = 400 * 86_400
SEEN_KEEP_MS = 40 * DAY_MS  # longer than the collector accepts late events (35 days)
REQUEST_TTL_MS = 10 * 60 * 1000
MARKETING_FIELD = "_marketing"


@dataclass(frozen=True)
class Periods:
    day: str
    week: str
    month: str


@lru_cache(maxsize=64)
def _periods_of_day(date: dt.date) -> Periods:
    year, week, _ = date.isocalendar()
    return Periods(date.strftime("%Y%m%d"), f"{year}W{week:02d}", date.strftime("%Y%m"))


def periods(ts_ms: int, zone: dt.tzinfo) -> Periods:
    """The calendar day, ISO week and month of ``ts_ms`` in ``zone``."""
    return _periods_of_day(dt.datetime.fromtimestamp(ts_ms / 1000, zone).date())


@dataclass(frozen=True)
class ContactKeys:
    """The five counter keys of one user for the periods of one instant (Lua KEYS[1..5])."""

    day: str
    week: str
    month: str
    life: str
    seen: str

    @classmethod
    def of(cls, prefix: str, user_id: str, at: Periods) -> ContactKeys:
        base = f"{prefix}:{{{user_id}}}:cap"
        return cls(f"{base}:d:{at.day}", f"{base}:w:{at.week}", f"{base}:m:{at.month}", f"{base}:life", f"{base}:seen")

    def as_list(self) -> list[str]:
        return [self.day, self.week, self.month, self.life, self.seen]


def request_key(prefix: str, user_id: str, request_id: str) -> str:
    return f"{prefix}:{{{user_id}}}:req:{request_id}"


def exempt_key(prefix: str) -> str:
    """Campaign ids exempt from the marketing cap; ``{tp}`` is the touchpoint store's hash tag."""
    return f"{prefix}:{{tp}}:exempt"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@dataclass
class Counters:
    """A user's counters as read (a snapshot: :func:`reserve` re-checks them atomically)."""

    day: dict[str, int] = field(default_factory=dict)
    week: dict[str, int] = field(default_factory=dict)
    month: dict[str, int] = field(default_factory=dict)
    life: dict[str, int] = field(default_factory=dict)
    last: dict[str, tuple[int, str]] = field(default_factory=dict)  # campaign -> (ms, slot) of the latest contact

    @property
    def marketing_month(self) -> int:
        return self.month.get(MARKETING_FIELD, 0)

    @classmethod
    def from_hashes(
        cls, day: Mapping[Any, Any], week: Mapping[Any, Any], month: Mapping[Any, Any], life: Mapping[Any, Any]
    ) -> Counters:
        counts = [{_text(k): int(v) for k, v in h.items()} for h in (day, week, month)]
        lifetime: dict[str, int] = {}
        last: dict[str, tuple[int, str]] = {}
        for key, value in life.items():
            name, text = _text(key), _text(value)
            if name.startswith("last:"):
                at, _, slot = text.partition("|")
                last[name[5:]] = (int(at), slot)
            else:
                lifetime[name] = int(text)
        return cls(counts[0], counts[1], counts[2], lifetime, last)


@dataclass(frozen=True)
class Reservation:
    """One campaign shown in one slot, with the caps it must still be under."""

    campaign: str
    slot: str
    marketing: bool
    per_day: int | None = None
    per_week: int | None = None
    lifetime: int | None = None
    cooldown_ms: int = 0
    seen: str = ""  # "<decision_id>:<campaign>"


# Apply one contact: ARGV offset b holds campaign, slot, marketing flag; `at` is the time.
_APPLY_ONE = """
local function apply_one(c, slot, marketing, member, at)
  redis.call('HINCRBY', KEYS[1], c, 1)
  redis.call('HINCRBY', KEYS[2], c, 1)
  redis.call('HINCRBY', KEYS[3], c, 1)
  redis.call('HINCRBY', KEYS[4], c, 1)
  if marketing == '1' then redis.call('HINCRBY', KEYS[3], '_marketing', 1) end
  local last = redis.call('HGET', KEYS[4], 'last:' .. c)
  if (not last) or tonumber(string.sub(last, 1, string.find(last, '|', 1, true) - 1)) <= at then
    redis.call('HSET', KEYS[4], 'last:' .. c, at .. '|' .. slot)
  end
  if member ~= '' then redis.call('ZADD', KEYS[5], at, member) end
end
local function expire_all(now, ttls, keep_ms)
  for i = 1, 5 do redis.call('EXPIRE', KEYS[i], ttls[i]) end
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - keep_ms)
end
"""

_TTLS = f"{{{DAY_TTL_S}, {WEEK_TTL_S}, {MONTH_TTL_S}, {LIFE_TTL_S}, {SEEN_KEEP_MS // 1000}}}"

# KEYS[1..5]: ContactKeys, KEYS[6]: request key. ARGV: now, month cap, has request (0/1),
# answer to store, reservations as one JSON array of [campaign, slot, marketing (0/1),
# per_day, per_week, lifetime (0 = none), cooldown ms, seen member] (one argument: cheaper to
# send than eight per reservation). All or nothing: returns {'ok'}, or {'failed', campaign,
# reason, ...} with nothing applied, or {'replay', stored answer}.
RESERVE = (
    _APPLY_ONE
    + f"""
local now, month_cap = tonumber(ARGV[1]), tonumber(ARGV[2])
if ARGV[3] == '1' then
  local stored = redis.call('GET', KEYS[6])
  if stored then return {{'replay', stored}} end
end
local rs = cjson.decode(ARGV[5])
local failed = {{}}
local marketing = tonumber(redis.call('HGET', KEYS[3], '_marketing') or '0')
for _, r in ipairs(rs) do
  local c, slot = r[1], r[2]
  local reason = nil
  local limits = {{{{KEYS[1], 'cap_day', r[4]}}, {{KEYS[2], 'cap_week', r[5]}}, {{KEYS[4], 'cap_lifetime', r[6]}}}}
  for _, l in ipairs(limits) do
    if reason == nil and l[3] > 0 and tonumber(redis.call('HGET', l[1], c) or '0') >= l[3] then reason = l[2] end
  end
  if reason == nil and r[3] == 1 and marketing >= month_cap then reason = 'cap_month' end
  if reason == nil and r[7] > 0 then
    local last = redis.call('HGET', KEYS[4], 'last:' .. c)
    if last then
      local sep = string.find(last, '|', 1, true)
      if string.sub(last, sep + 1) ~= slot and now - tonumber(string.sub(last, 1, sep - 1)) < r[7] then
        reason = 'cooldown'
      end
    end
  end
  if reason then
    failed[#failed + 1] = c
    failed[#failed + 1] = reason
  elseif r[3] == 1 then
    marketing = marketing + 1
  end
end
if #failed > 0 then return {{'failed', unpack(failed)}} end
for _, r in ipairs(rs) do apply_one(r[1], r[2], tostring(r[3]), r[8], now) end
if #rs > 0 then expire_all(now, {_TTLS}, {SEEN_KEEP_MS}) end
if ARGV[3] == '1' then redis.call('SET', KEYS[6], ARGV[4], 'PX', {REQUEST_TTL_MS}) end
return {{'ok'}}
"""
)

# KEYS[1..5]: ContactKeys. ARGV: time, campaign, slot, marketing, seen member.
# Returns 1 if counted, 0 if its decision was counted already.
COUNT_EXPOSURE = (
    _APPLY_ONE
    + f"""
local at = tonumber(ARGV[1])
if ARGV[5] ~= '' and redis.call('ZSCORE', KEYS[5], ARGV[5]) then return 0 end
apply_one(ARGV[2], ARGV[3], ARGV[4], ARGV[5], at)
expire_all(at, {_TTLS}, {SEEN_KEEP_MS})
return 1
"""
)


def seen_member(decision_id: str, campaign: str) -> str:
    return f"{decision_id}:{campaign}"


@dataclass(frozen=True)
class ReserveResult:
    ok: bool
    failed: dict[str, str]  # campaign -> reason (nothing was applied)
    replay: bytes | None  # the stored answer of this request id


class ContactScripts:
    """The registered scripts of one client (EVALSHA; reloaded by redis-py if Redis restarted)."""

    def __init__(self, client: redis.Redis) -> None:
        self.reserve_script = client.register_script(RESERVE)
        self.exposure_script = client.register_script(COUNT_EXPOSURE)

    def reserve(
        self,
        keys: ContactKeys,
        reservations: Sequence[Reservation],
        now_ms: int,
        marketing_cap_month: int,
        request: tuple[str, bytes] | None = None,
        client: redis.Redis | None = None,
    ) -> ReserveResult:
        """Check every reservation's caps and cooldown and count them all, or none.

        With ``request`` (its key, the answer), a resent request id returns the stored
        answer and counts nothing; a new one stores its answer once counted. ``client``: another
        connection to run it on (the script is registered once, per server)."""
        batch = [
            [
                r.campaign,
                r.slot,
                1 if r.marketing else 0,
                r.per_day or 0,
                r.per_week or 0,
                r.lifetime or 0,
                r.cooldown_ms,
                r.seen,
            ]
            for r in reservations
        ]
        args = [now_ms, marketing_cap_month, 1 if request else 0, request[1] if request else b"", orjson.dumps(batch)]
        key_list = [*keys.as_list(), request[0] if request else keys.seen]
        reply = run_script(self.reserve_script, client, key_list, args)
        status = _text(reply[0])
        if status == "replay":
            stored = reply[1]
            return ReserveResult(False, {}, stored if isinstance(stored, bytes) else str(stored).encode())
        if status == "failed":
            pairs = [_text(x) for x in reply[1:]]
            return ReserveResult(False, dict(zip(pairs[::2], pairs[1::2], strict=True)), None)
        return ReserveResult(True, {}, None)


@dataclass(frozen=True)
class Exposure:
    """A ``touchpoint_exposure`` event as the stream job sees it; ``received_at`` is server time."""

    user_id: str
    campaign: str
    slot: str
    decision_id: str
    received_at: int


def count_exposures(
    client: redis.Redis, prefix: str, exposures: Iterable[Exposure], zone: dt.tzinfo | str
) -> list[bool]:
    """Count exposures whose decision was not counted (one pipeline); True where counted now.

    For the stream job: call it with each batch of ``touchpoint_exposure`` events (their
    ``props``: campaign, slot, decision_id; and ``received_at``) and the same time zone as
    the touchpoint service (``settings.touchpoints_timezone``)."""
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    batch = list(exposures)
    if not batch:
        return []
    exempt = {_text(m) for m in client.smembers(exempt_key(prefix))}
    script = ContactScripts(client).exposure_script
    pipe = client.pipeline(transaction=False)
    for e in batch:
        keys = ContactKeys.of(prefix, e.user_id, periods(e.received_at, zone))
        member = seen_member(e.decision_id, e.campaign) if e.decision_id else ""
        marketing = 0 if e.campaign in exempt else 1
        script(keys=keys.as_list(), args=[e.received_at, e.campaign, e.slot, marketing, member], client=pipe)
    return [bool(x) for x in pipe.execute()]
