"""``touchstream ui``: the Streamlit child runs with the options the UI relies on, listens on loopback,
refuses other hosts and origins on its WebSocket, generates the operator password privately, and
stops with everything it started."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from core.config import Settings, load_settings
from core.processes import free_port, pid_alive, port_open, wait_until
from funnel_ui.launcher import healthy, streamlit_command

pytestmark = pytest.mark.integration


def option(command: list[str], name: str) -> list[str]:
    return [command[k + 1] for k, part in enumerate(command) if part == f"--{name}"]


def test_the_command_line_pins_the_security_options(tmp_path: Path) -> None:
    command = streamlit_command(load_settings(env={}, home=tmp_path, ui_port=9123))
    assert command[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert command[4].endswith("funnel_ui/app.py")
    expected = {
        "server.address": ["127.0.0.1"],
        "server.port": ["9123"],
        "server.headless": ["true"],
        "server.enableXsrfProtection": ["true"],
        "server.enableCORS": ["true"],
        "server.enableAgentApi": ["false"],
        "browser.gatherUsageStats": ["false"],
        "client.showErrorDetails": ["none"],
        "server.fileWatcherType": ["none"],
        "server.allowedHosts": ["127.0.0.1", "localhost"],
    }
    for name, values in expected.items():
        assert option(command, name) == values, name
    anywhere = streamlit_command(load_settings(env={}, home=tmp_path, host="0.0.0.0"))
    assert option(anywhere, "server.allowedHosts") == []  # an address for everyone: hosts not pinned


def websocket_status(port: int, host_header: str, origin: str | None = None) -> str:
    """The status line the app answers a WebSocket upgrade of its stream endpoint with."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /_stcore/stream HTTP/1.1",
        f"Host: {host_header}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: streamlit",
        *([f"Origin: {origin}"] if origin else []),
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return sock.recv(1024).decode(errors="replace").splitlines()[0]


def test_touchstream_ui_serves_on_loopback_and_stops_with_everything_it_started(tmp_path: Path) -> None:
    settings = load_settings(env={}, home=tmp_path / "home", ui_port=free_port())
    log = tmp_path / "ui.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "touchstream", "ui", "--port", str(settings.ui_port)],
            env={**os.environ, **settings.to_env()},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: b"UI at " in log.read_bytes() or process.poll() is not None, 120, "the UI to start")
        assert process.poll() is None, log.read_text()
        assert healthy(settings)
        printed = log.read_text()
        password = settings.ui_password_file.read_text().strip()
        assert f"password in {settings.ui_password_file} (mode 0600)" in printed
        assert password not in printed
        assert settings.ui_password_file.stat().st_mode & 0o077 == 0
        # loopback only: nothing answers on this machine's other addresses
        others = {a.address for nic in psutil.net_if_addrs().values() for a in nic if a.family == socket.AF_INET}
        for address in others - {"127.0.0.1"}:
            assert not port_open(settings.ui_port, host=address), address
        # the app's WebSocket: its own host and origin only (DNS rebinding, other sites' pages)
        port = settings.ui_port
        assert "101" in websocket_status(port, f"127.0.0.1:{port}", origin=f"http://127.0.0.1:{port}")
        assert "403" in websocket_status(port, f"evil.example:{port}")
        assert "403" in websocket_status(port, f"127.0.0.1:{port}", origin="http://evil.example")
        children = psutil.Process(process.pid).children(recursive=True)
        redis_pid = int((settings.redis_socket.parent / "redis.pid").read_text())
        assert any("streamlit" in " ".join(c.cmdline()) for c in children)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    assert process.returncode == 0
    assert not port_open(settings.ui_port)
    assert not any(pid_alive(c.pid) for c in children)
    assert not pid_alive(redis_pid)  # the embedded Redis it started for saving audiences


def test_an_unusable_password_file_stops_it_before_anything_starts(tmp_path: Path) -> None:
    settings = load_settings(env={}, home=tmp_path / "home", ui_port=free_port())
    settings.home.mkdir(parents=True)
    settings.ui_password_file.write_text("short\n")
    settings.ui_password_file.chmod(0o600)
    done = run_ui_command(settings)
    assert done.returncode == 2
    assert "no usable key" in done.stderr
    assert not port_open(settings.ui_port)


def run_ui_command(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "touchstream", "ui", *args],
        env={**os.environ, **settings.to_env()},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("port", ["0", "70000", "-1", "abc", "8501; rm -rf /"])
def test_a_bad_port_is_refused_before_anything_starts(tmp_path: Path, port: str) -> None:
    settings = load_settings(env={}, home=tmp_path / "home")
    done = run_ui_command(settings, "--port", port)
    assert done.returncode == 2
    assert "--port" in done.stderr
    assert "Traceback" not in done.stderr
    assert not settings.ui_password_file.exists()


def test_a_busy_port_is_said_plainly(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = load_settings(env={}, home=tmp_path / "home", ui_port=taken.getsockname()[1])
        done = run_ui_command(settings)
    assert done.returncode == 1
    assert f"port {settings.ui_port} on 127.0.0.1 is in use" in done.stderr
    assert "Traceback" not in done.stderr
