"""Operator login: credentials from configuration, compared in constant time, failures throttled.

The user is ``TOUCHSTREAM_UI_USER`` (default ``operator``); the password is
``TOUCHSTREAM_UI_PASSWORD`` or, when unset, the one generated into
``$TOUCHSTREAM_HOME/ui.password`` (mode 0600, core/credentials.py). Nothing here knows
Streamlit: the app keeps the signed-in operator in its session state.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from core.config import Settings
from core.credentials import ui_password

logger = logging.getLogger(__name__)

MAX_INPUT_CHARS = 1024
"""Longer input is a wrong login without being hashed (a huge paste costs nothing)."""


def credentials_match(settings: Settings, user: str, password: str) -> bool:
    """True when both the user and the password are right.

    Both are compared whatever the other's outcome, as digests of equal length with
    ``hmac.compare_digest``, so the time taken says nothing about which part was wrong or how
    much of it matched."""
    if not isinstance(user, str) or not isinstance(password, str):
        return False
    if len(user) > MAX_INPUT_CHARS or len(password) > MAX_INPUT_CHARS:
        return False
    user_ok = hmac.compare_digest(_digest(user), _digest(settings.ui_user))
    password_ok = hmac.compare_digest(_digest(password), _digest(ui_password(settings)))
    return user_ok & password_ok


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class LoginThrottle:
    """At most ``max_failures`` failed logins per ``window_s`` for the whole app: then every
    login is refused until the oldest failure leaves the window, so guessing is slow however
    many browser sessions a guesser opens. Thread-safe (Streamlit runs sessions in threads)."""

    def __init__(self, max_failures: int = 5, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: deque[float] = deque()
        self._lock = threading.Lock()

    def retry_after(self) -> float:
        """Seconds until a login may be tried (0: now)."""
        with self._lock:
            now = self._clock()
            while self._failures and now - self._failures[0] >= self.window_s:
                self._failures.popleft()
            if len(self._failures) < self.max_failures:
                return 0.0
            return self.window_s - (now - self._failures[0])

    def record_failure(self) -> None:
        with self._lock:
            self._failures.append(self._clock())
        logger.warning("failed operator login")


def attempt_login(settings: Settings, throttle: LoginThrottle, user: str, password: str) -> str | None:
    """None when signed in, else the reason to show (never which part was wrong)."""
    wait = throttle.retry_after()
    if wait > 0:
        return f"Too many failed logins: try again in {wait:.0f} s."
    if credentials_match(settings, user, password):
        logger.info("operator %s signed in", settings.ui_user)
        return None
    throttle.record_failure()
    return "Wrong user or password."
