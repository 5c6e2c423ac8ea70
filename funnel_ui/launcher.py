"""``touchstream ui``: run the Streamlit app as a child process group until Ctrl-C or SIGTERM.

The command line pins what must not depend on a config file someone left lying around:
the listen address (``TOUCHSTREAM_HOST``, loopback by default) and port, headless, no
usage statistics, XSRF protection and CORS checks on, no file watching, and no exception
details in the browser (they go to the log). The child gets the installation's settings as
its environment (core.config ``Settings.to_env``); an embedded Redis that is not running is
started for the UI's lifetime, so a saved audience reaches the live profiles.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import requests

from core.config import Settings
from core.credentials import ui_password
from core.processes import port_open, stop_process_group
from tagging.profiles import redis_for

logger = logging.getLogger(__name__)

APP = Path(__file__).resolve().with_name("app.py")
READY_TIMEOUT_S = 120.0


ANY_ADDRESS = ("0.0.0.0", "::", "")


class UiPortBusy(RuntimeError):
    """Something already listens where the UI would: said before anything starts."""


def streamlit_command(settings: Settings) -> list[str]:
    """``streamlit run funnel_ui/app.py`` with every server option the UI relies on."""
    options = [
        ("server.address", settings.host),
        ("server.port", str(settings.ui_port)),
        ("server.headless", "true"),
        ("server.enableXsrfProtection", "true"),
        ("server.enableCORS", "true"),
        ("server.enableAgentApi", "false"),
        ("server.fileWatcherType", "none"),
        ("server.runOnSave", "false"),
        ("server.maxUploadSize", "1"),
        ("browser.gatherUsageStats", "false"),
        ("client.showErrorDetails", "none"),
        ("client.toolbarMode", "minimal"),
        ("global.developmentMode", "false"),
    ]
    # DNS rebinding: on a named address only that name (and loopback's) may be in the Host header
    if settings.host not in ANY_ADDRESS:
        options += [("server.allowedHosts", host) for host in dict.fromkeys((settings.host, "127.0.0.1", "localhost"))]
    flags = [part for name, value in options for part in (f"--{name}", value)]
    return [sys.executable, "-m", "streamlit", "run", str(APP), *flags]


def health_url(settings: Settings) -> str:
    return f"{settings.ui_url}/_stcore/health"


def healthy(settings: Settings) -> bool:
    try:
        return requests.get(health_url(settings), timeout=1).status_code == 200
    except requests.RequestException:
        return False


def password_source(settings: Settings) -> str:
    """Where the operator finds the password (never the password itself)."""
    if settings.ui_password:
        return "TOUCHSTREAM_UI_PASSWORD"
    return f"{settings.ui_password_file} (mode 0600)"


def run_ui(settings: Settings, announce: Callable[[str], None] = print) -> int:
    """Serve the UI until interrupted; returns the exit status (the child's if it died)."""
    ui_password(settings)  # generate it now, or fail on an unusable file before anything starts
    if port_open(settings.ui_port, host="127.0.0.1" if settings.host in ANY_ADDRESS else settings.host):
        raise UiPortBusy(
            f"port {settings.ui_port} on {settings.host} is in use: another UI? (--port, TOUCHSTREAM_UI_PORT)"
        )
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with redis_for(settings) as redis_url:
            child = settings.with_overrides(redis_url=redis_url)
            process = subprocess.Popen(
                streamlit_command(child), env={**os.environ, **child.to_env()}, start_new_session=True
            )
            try:
                return _supervise(process, settings, stop, announce)
            except KeyboardInterrupt:
                return 0
            finally:
                stop_process_group(process.pid)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _supervise(
    process: subprocess.Popen[bytes], settings: Settings, stop: threading.Event, announce: Callable[[str], None]
) -> int:
    waited = 0.0
    announced = False
    while not stop.is_set():
        if process.poll() is not None:
            logger.error("streamlit exited with %s", process.returncode)
            return process.returncode or 1
        if not announced and healthy(settings):
            announce(
                f"UI at {settings.ui_url}: sign in as {settings.ui_user!r}, password in {password_source(settings)}"
            )
            announced = True
        elif not announced and waited > READY_TIMEOUT_S:
            logger.warning("the UI has not answered %s for %.0f s", health_url(settings), waited)
            waited = float("-inf")  # warn once
        stop.wait(0.5)
        waited += 0.5
    return 0
