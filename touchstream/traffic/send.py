"""Replay a JSON-lines traffic file into a collector, in batches, with progress.

Lines are forwarded as they are (no re-encoding): a batch body is ``[`` + lines joined by
``,`` + ``]``. Batches are per channel so each carries a User-Agent typical of its
channel, which the collector parses. Failed batches are retried with backoff; a retried
batch is safe because event ids are deduplicated downstream.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import requests
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

USER_AGENTS = {
    "web": "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "app": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 TouchstreamApp/5.2",
    "wechat": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
}
MAX_ATTEMPTS = 6


@dataclass
class SendReport:
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    failed_batches: int = 0
    retries: int = 0
    seconds: float = 0.0

    @property
    def events_per_s(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def batches(path: Path, batch_size: int) -> Iterator[tuple[str, list[bytes]]]:
    """(channel, raw lines) batches in file order, one open batch per channel."""
    pending: dict[str, list[bytes]] = {}
    with Path(path).open("rb") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            channel = str(orjson.loads(line).get("channel", ""))
            bucket = pending.setdefault(channel, [])
            bucket.append(line)
            if len(bucket) >= batch_size:
                yield channel, bucket
                pending[channel] = []
    for channel, bucket in pending.items():
        if bucket:
            yield channel, bucket


def _post(
    session: requests.Session, url: str, channel: str, lines: list[bytes], report: SendReport, lock: threading.Lock
) -> None:
    body = b"[" + b",".join(lines) + b"]"
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENTS.get(channel, "touchstream-send")}
    for attempt in range(MAX_ATTEMPTS):
        try:
            response = session.post(url, data=body, headers=headers, timeout=30)
        except requests.RequestException:
            response = None
        if response is not None and response.status_code == 200:
            result = response.json()
            with lock:
                report.sent += len(lines)
                report.accepted += int(result["accepted"])
                report.rejected += len(result["rejected"])
            return
        if response is not None and 400 <= response.status_code < 500:
            break  # the body itself is refused: retrying cannot help
        with lock:
            report.retries += 1
        time.sleep(min(2.0, 0.05 * 2**attempt))
    with lock:
        report.failed_batches += 1


def _count_lines(path: Path) -> int:
    with Path(path).open("rb") as handle:
        return sum(1 for _ in handle)


def send_file(path: Path, url: str, batch_size: int = 50, concurrency: int = 4, progress: bool = True) -> SendReport:
    """POST every event of ``path`` to ``url``/v1/collect; returns what the collector said."""
    endpoint = url.rstrip("/") + "/v1/collect"
    report = SendReport()
    lock = threading.Lock()
    work: queue.Queue[tuple[str, list[bytes]] | None] = queue.Queue(maxsize=concurrency * 4)
    total = _count_lines(path) if progress else 0

    def worker() -> None:
        with requests.Session() as session:
            while (item := work.get()) is not None:
                _post(session, endpoint, item[0], item[1], report, lock)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    with Progress(
        TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), disable=not progress
    ) as bar:
        task = bar.add_task("send", total=total)
        for item in batches(path, batch_size):
            work.put(item)
            bar.advance(task, len(item[1]))
        for _ in threads:
            work.put(None)
        for thread in threads:
            thread.join()
    report.seconds = time.perf_counter() - started
    return report
