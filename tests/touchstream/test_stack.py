"""`touchstream run --demo` (what `make run` runs): up, queryable while up, and stopped cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest
import requests

from core.config import load_settings
from core.processes import free_port, port_open, wait_until

pytestmark = pytest.mark.integration


def test_demo_stack_answers_sql_while_running(tmp_path: Path) -> None:
    settings = load_settings(
        env={},
        home=tmp_path / "home",
        collector_port=free_port(),
        warehouse_port=free_port(),
        touchpoints_port=free_port(),
        ui_port=free_port(),
    )
    env = {**os.environ, **settings.to_env()}
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        stack = subprocess.Popen(
            [sys.executable, "-m", "touchstream", "run", "--demo", "--users", "150", "--days", "2", "--seed", "3"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: b"running; Ctrl-C" in log.read_bytes() or stack.poll() is not None, 400, "demo to load")
        assert stack.poll() is None, log.read_text()
        # every touchpoint scenario reached its generated user, and the outsider saw none
        output = log.read_text()
        assert "touchpoint decisions" in output, output[-3000:]
        for scenario in ("data_threshold", "topup", "arrears", "low_balance", "broadband_expiry", "unsubscribe"):
            assert f"readme-{scenario}" in output
        assert "│ NO │" not in output and output.count("│ yes │") == 7, output[-3000:]
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "touchstream",
                "sql",
                "SELECT channel, count() AS n FROM events WHERE ip = '' GROUP BY channel",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        # the imported history (no client IP) is in the warehouse exactly once, by channel
        got = {row["channel"]: row["n"] for row in orjson.loads(out.stdout)}
        (history,) = (settings.home / "demo").glob("history-*.jsonl")
        expected = Counter(orjson.loads(line)["channel"] for line in history.read_bytes().splitlines())
        assert got == dict(expected)
        # tags computed by the stream job are live in Redis and in the warehouse
        user = subprocess.run(
            [
                sys.executable,
                "-m",
                "touchstream",
                "sql",
                "SELECT user_id, count() AS n FROM tag_changes WHERE action = 'set' "
                "GROUP BY user_id ORDER BY n DESC, user_id LIMIT 1",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert user.returncode == 0, user.stderr
        (row,) = orjson.loads(user.stdout)
        out = subprocess.run(
            [sys.executable, "-m", "touchstream", "tags", row["user_id"], "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        profile = orjson.loads(out.stdout)
        assert profile["user_id"] == row["user_id"]
        assert profile["tags"], profile
        # the operator UI is up with the others, on loopback, its password generated privately
        health = requests.get(f"{settings.ui_url}/_stcore/health", timeout=5)
        assert health.status_code == 200
        assert f"operator UI at {settings.ui_url}" in log.read_text()
        assert settings.ui_password_file.stat().st_mode & 0o077 == 0
    finally:
        os.kill(stack.pid, signal.SIGINT)  # Ctrl-C (the services run in sessions of their own)
        wait_until(lambda: b"stopping" in log.read_bytes() or stack.poll() is not None, 60, "the stack to stop")
        if stack.poll() is None:
            os.kill(stack.pid, signal.SIGINT)  # an impatient second Ctrl-C: the stop goes on
        stack.wait(150)
    output = log.read_text()
    assert stack.returncode == 0 and "stack stopped" in output, output[-2000:]
    left = subprocess.run(["pgrep", "-f", str(settings.home)], capture_output=True, text=True).stdout.split()
    assert left == [], f"still running: {left}"  # the services and the embedded Redis
    assert not port_open(settings.collector_port)
    assert not port_open(settings.touchpoints_port)
    assert not port_open(settings.ui_port)
    assert not settings.warehouse_owner_file.exists()
