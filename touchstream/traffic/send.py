"""Replay a JSON-lines traffic file into a collector, in batches, with progress.

Lines are forwarded as they are (no re-encoding): a batch body is ``[`` + lines joined by
``,`` + ``]``. Client events travel in per-channel batches, each with a User-Agent typical
of its channel (the collector parses it). Business and service events (``source`` other
than ``client`` in the catalogue) travel in batches of their own, as the operator's back
end sends them: with the back end's bearer key and a back-end User-Agent.

Failed requests (connection errors, 429 and 5xx) are retried by urllib3's ``Retry`` with
exponential backoff; a retried batch is safe because event ids are deduplicated
downstream. A thread pool posts up to ``concurrency`` batches at a time.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import requests
from requests.adapters import HTTPAdapter
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from urllib3.util.retry import Retry

from core.contract import default_catalogue

USER_AGENTS = {
    "web": "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "app": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 TouchstreamApp/5.2",
    "wechat": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
}
BACKEND_USER_AGENT = "touchstream-send/0.1 (operator back end)"
MAX_RETRIES = 5
MAX_REASONS = 20  # distinct rejection / error reasons kept in a report


@dataclass
class SendReport:
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    failed_batches: int = 0
    retries: int = 0
    seconds: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)  # why events or batches were refused

    @property
    def events_per_s(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    def note(self, reason: str, n: int = 1) -> None:
        if reason in self.reasons or len(self.reasons) < MAX_REASONS:
            self.reasons[reason] += n


@dataclass
class Batch:
    channel: str
    backend: bool  # business or service events: sent with the back end's key
    lines: list[bytes]


def backend_event_names() -> frozenset[str]:
    return frozenset(name for name, spec in default_catalogue().events.items() if spec.source != "client")


def batches(path: Path, batch_size: int) -> Iterator[Batch]:
    """Batches in file order, one open batch per channel and sender (clients or back end)."""
    backend_events = backend_event_names()
    pending: dict[tuple[str, bool], list[bytes]] = {}
    with Path(path).open("rb") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            record = orjson.loads(line)
            key = (str(record.get("channel", "")), record.get("event") in backend_events)
            bucket = pending.setdefault(key, [])
            bucket.append(line)
            if len(bucket) >= batch_size:
                yield Batch(key[0], key[1], bucket)
                pending[key] = []
    for (channel, backend), bucket in pending.items():
        if bucket:
            yield Batch(channel, backend, bucket)


def retry_policy(backoff_factor: float = 0.05) -> Retry:
    """Retry POSTs on connection errors, 429 and 5xx: safe, since event ids are deduplicated downstream."""
    return Retry(
        total=MAX_RETRIES,
        backoff_factor=backoff_factor,
        backoff_max=2.0,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"POST"}),
        raise_on_status=False,
    )


class BatchSender:
    """Posts batches from a thread pool, one keep-alive session per thread."""

    def __init__(self, endpoint: str, backend_key: str | None, report: SendReport, retry: Retry) -> None:
        self.endpoint = endpoint
        self.backend_key = backend_key
        self.report = report
        self.retry = retry
        self.lock = threading.Lock()
        self.local = threading.local()
        self.sessions: list[requests.Session] = []

    def session(self) -> requests.Session:
        session = getattr(self.local, "session", None)
        if session is None:
            session = requests.Session()
            session.mount("http://", HTTPAdapter(max_retries=self.retry))
            session.mount("https://", HTTPAdapter(max_retries=self.retry))
            self.local.session = session
            with self.lock:
                self.sessions.append(session)
        return session

    def headers(self, batch: Batch) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if batch.backend and self.backend_key:
            headers["Authorization"] = f"Bearer {self.backend_key}"
            headers["User-Agent"] = BACKEND_USER_AGENT
        else:
            headers["User-Agent"] = USER_AGENTS.get(batch.channel, "touchstream-send")
        return headers

    def post(self, batch: Batch) -> None:
        body = b"[" + b",".join(batch.lines) + b"]"
        try:
            response = self.session().post(self.endpoint, data=body, headers=self.headers(batch), timeout=30)
        except requests.RequestException as exc:
            with self.lock:
                self.report.failed_batches += 1
                self.report.retries += MAX_RETRIES
                self.report.note(f"unreachable: {type(exc).__name__}")
            return
        retries = response.raw.retries
        with self.lock:
            self.report.retries += len(retries.history) if retries is not None else 0
            if response.status_code == 200:
                result = response.json()
                self.report.sent += len(batch.lines)
                self.report.accepted += int(result["accepted"])
                self.report.rejected += len(result["rejected"])
                for rejection in result["rejected"]:
                    self.report.note(rejection["reason"])
            else:
                self.report.failed_batches += 1
                self.report.note(f"{response.status_code}: {_error_of(response)}")

    def close(self) -> None:
        for session in self.sessions:
            session.close()


def _error_of(response: requests.Response) -> str:
    try:
        return str(response.json().get("error", ""))[:200]
    except (ValueError, AttributeError):
        return response.text[:200]


def _count_lines(path: Path) -> int:
    with Path(path).open("rb") as handle:
        return sum(1 for _ in handle)


def send_file(
    path: Path,
    url: str,
    batch_size: int = 50,
    concurrency: int = 4,
    progress: bool = True,
    backend_key: str | None = None,
    retry: Retry | None = None,
) -> SendReport:
    """POST every event of ``path`` to ``url``/v1/collect; returns what the collector said.

    ``backend_key``: the back end's bearer key (core.credentials.backend_key); without it the
    collector rejects the business and service events, each with its reason.
    """
    report = SendReport()
    sender = BatchSender(url.rstrip("/") + "/v1/collect", backend_key, report, retry or retry_policy())
    total = _count_lines(path) if progress else 0
    started = time.perf_counter()
    in_flight: set[Future[None]] = set()
    with (
        ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="send") as pool,
        Progress(
            TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), disable=not progress
        ) as bar,
    ):
        task = bar.add_task("send", total=total)
        for batch in batches(path, batch_size):
            if len(in_flight) >= concurrency * 2:  # bounded read-ahead: the file may be large
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
            in_flight.add(pool.submit(sender.post, batch))
            bar.advance(task, len(batch.lines))
        for future in in_flight:
            future.result()
    sender.close()
    report.seconds = time.perf_counter() - started
    return report
