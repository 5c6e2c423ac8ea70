from __future__ import annotations


def record(event_id: str, user: str = "u1", channel: str = "app", ts: int = 1_790_000_000_000, **extra: object) -> dict:
    """An event-log record as the collector writes it."""
    base = {
        "event_id": event_id,
        "user_id": user,
        "channel": channel,
        "event": "flow_step",
        "ts": ts,
        "session_id": "s1",
        "page": "/plan",
        "props": {"flow": "plan_upgrade", "step": 1, "business": "plan"},
        "received_at": ts + 50,
        "ip": "127.0.0.1",
        "ua_browser": "Chrome Mobile",
        "ua_os": "Android",
        "ua_device": "phone",
    }
    base.update(extra)
    return base
