"""Child processes and waiting: stop a process group by PID, poll until a deadline, free ports.

Every command that starts something stops it with :func:`stop_process_group`, and every
wait for a condition goes through :func:`wait_until`, so both behave the same everywhere.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll ``predicate`` until it is true; raise :class:`TimeoutError` naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie of ours (reaped here if it is)."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_process_group(pid: int, timeout: float = 10.0, kill_timeout: float = 5.0) -> bool:
    """SIGTERM the process group led by ``pid`` (or the process alone if it leads none), wait up
    to ``timeout`` s, then SIGKILL. Returns False if nothing was running."""
    if not pid_alive(pid):
        return False
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, kill_timeout)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        except PermissionError:
            os.kill(pid, sig)
        try:
            wait_until(lambda: not pid_alive(pid), wait, f"pid {pid} to exit")
            return True
        except TimeoutError:
            logger.warning("pid %d did not stop on %s; escalating", pid, sig.name)
    return True


def die_with_parent() -> None:
    """A ``preexec_fn``: the child is SIGKILLed when the process that started it dies (Linux
    ``PR_SET_PDEATHSIG``), so servers a test session starts never outlive a killed session."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0
