"""Server-side facts added to every accepted event: reception time, client IP, User-Agent."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from user_agents import parse as parse_user_agent

MAX_USER_AGENT_CHARS = 512  # real ones are shorter; bounds the parser's work and the cache's memory


@lru_cache(maxsize=8192)
def user_agent_fields(user_agent: str) -> tuple[str, str, str]:
    """(browser, os, device class) of a User-Agent; cached because clients repeat theirs."""
    if not user_agent:
        return "", "", ""
    ua = parse_user_agent(user_agent)
    if ua.is_bot:
        device = "bot"
    elif ua.is_tablet:
        device = "tablet"
    elif ua.is_mobile:
        device = "mobile"
    elif ua.is_pc:
        device = "pc"
    else:
        device = "other"
    return ua.browser.family, ua.os.family, device


def client_fields(user_agent: str) -> tuple[str, str, str]:
    """:func:`user_agent_fields` of a request's header, cut to a sane length first."""
    return user_agent_fields(user_agent[:MAX_USER_AGENT_CHARS])


def enrich(event: dict[str, Any], received_at: int, ip: str, ua: tuple[str, str, str]) -> dict[str, Any]:
    event["received_at"] = received_at
    event["ip"] = ip
    event["ua_browser"], event["ua_os"], event["ua_device"] = ua
    return event
