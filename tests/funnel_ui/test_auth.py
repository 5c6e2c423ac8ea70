"""Operator login: configured or generated credentials, constant-time comparison of both parts,
and a throttle on failures (funnel_ui/auth.py)."""

from __future__ import annotations

import hmac
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.config import load_settings
from core.credentials import CredentialError, ui_password
from funnel_ui.auth import LoginThrottle, attempt_login, credentials_match

PASSWORD = "correct horse battery"


def test_configured_credentials_match_and_nothing_else(tmp_path: Path) -> None:
    s = load_settings(env={}, home=tmp_path, ui_user="ops", ui_password=PASSWORD)
    assert credentials_match(s, "ops", PASSWORD)
    for user, password in [
        ("ops", PASSWORD + " "),
        ("ops", PASSWORD[:-1]),
        ("OPS", PASSWORD),
        ("", ""),
        ("ops", ""),
        ("ops", "x" * 100_000),  # huge input: refused without hashing it
        ("ops\x00", PASSWORD),
        ("' OR 1=1 --", PASSWORD),
    ]:
        assert not credentials_match(s, user, password), (user[:20], password[:20])
    assert not credentials_match(s, None, PASSWORD)  # type: ignore[arg-type]
    assert PASSWORD not in repr(s)
    assert not s.ui_password_file.exists()  # a configured password writes nothing


def test_user_and_password_are_both_compared_whatever_the_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No early exit on a wrong user: the time taken does not say which part was wrong."""
    s = load_settings(env={}, home=tmp_path, ui_password=PASSWORD)
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    assert not credentials_match(s, "someone", PASSWORD)
    assert not credentials_match(s, "operator", "wrong password!")
    assert len(calls) == 4
    assert all(len(a) == len(b) == 32 for a, b in calls)  # digests: equal lengths whatever was typed


def test_password_is_generated_once_privately_and_reused(tmp_path: Path) -> None:
    s = load_settings(env={}, home=tmp_path)
    first = ui_password(s)
    assert stat.S_IMODE(s.ui_password_file.stat().st_mode) == 0o600
    assert len(first) >= 40
    assert ui_password(s) == first
    assert credentials_match(s, "operator", first)
    assert not credentials_match(s, "operator", first.upper())


def test_a_readable_or_damaged_password_file_is_refused(tmp_path: Path) -> None:
    s = load_settings(env={}, home=tmp_path)
    ui_password(s)
    s.ui_password_file.chmod(0o644)
    with pytest.raises(CredentialError, match="readable by others"):
        ui_password(s)
    s.ui_password_file.chmod(0o600)
    s.ui_password_file.write_text("short\n")
    with pytest.raises(CredentialError, match="no usable key"):
        ui_password(s)


@pytest.mark.parametrize(
    ("field", "value"),
    [("ui_password", "too short"), ("ui_password", "tab\tinside password"), ("ui_user", ""), ("ui_user", "a b")],
)
def test_unusable_configured_credentials_fail_at_load(tmp_path: Path, field: str, value: str) -> None:
    with pytest.raises(ValidationError):
        load_settings(env={}, home=tmp_path, **{field: value})


def test_environment_names_the_credentials(tmp_path: Path) -> None:
    s = load_settings(env={"TOUCHSTREAM_UI_USER": "analyst", "TOUCHSTREAM_UI_PASSWORD": PASSWORD}, home=tmp_path)
    assert credentials_match(s, "analyst", PASSWORD)
    assert s.to_env()["TOUCHSTREAM_UI_PASSWORD"] == PASSWORD  # the UI child resolves the same


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_refuses_every_login_after_too_many_failures_until_the_window_passes(tmp_path: Path) -> None:
    s = load_settings(env={}, home=tmp_path, ui_password=PASSWORD)
    clock = FakeClock()
    throttle = LoginThrottle(max_failures=3, window_s=60, clock=clock)
    for _ in range(3):
        assert attempt_login(s, throttle, "operator", "guess guess guess") == "Wrong user or password."
        clock.now += 1
    refused = attempt_login(s, throttle, "operator", PASSWORD)  # even the right password, while throttled
    assert refused is not None and refused.startswith("Too many failed logins")
    assert 55 < throttle.retry_after() <= 58
    clock.now += 58  # the first failure leaves the window
    assert throttle.retry_after() == 0
    assert attempt_login(s, throttle, "operator", PASSWORD) is None
