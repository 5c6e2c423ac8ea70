"""Client clocks lie; time the server vouches for does not. Collector + stream job, live, default lateness.

Background users browse all along (their tags prove that shared time kept moving). Then:
- a client 50 min fast, with and without ``sent_at``: nobody else's events become late;
- a client 10 min slow: with ``sent_at`` its events land on time; without, its order is late
  but a fact, so it still reaches the profile;
- an app that flushes 10 minutes of offline events at once: they are late (counted in
  late_events), and its order and its completed flow still change the profile.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from core.clock import MINUTE_MS
from core.config import Settings, load_settings
from core.processes import free_port, port_open, stop_process_group, wait_until
from ingest.serve import collector_command
from tagging.profiles import RedisProfileStore, connect
from tests.flink_jobs.outputs import rows
from tests.flink_jobs.process import Pipeline

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

BACKGROUND = [f"bg{i}" for i in range(6)]
_ids = itertools.count()


def now_ms() -> int:
    return int(time.time() * 1000)


def event(user: str, name: str, ts: int, sent_at: int | None = None, **props: Any) -> dict[str, Any]:
    e: dict[str, Any] = {
        "event_id": f"c{next(_ids)}",
        "user_id": user,
        "channel": "app",
        "event": name,
        "ts": ts,
        "props": props,
    }
    if sent_at is not None:
        e["sent_at"] = sent_at
    return e


class Stack:
    """A collector and the stream job on one home, the job at its default allowed lateness."""

    def __init__(self, home: Path) -> None:
        self.port = free_port()
        self.settings: Settings = load_settings(env={}, home=home, collector_port=self.port)
        self.pipeline = Pipeline(home, lateness_ms=None)
        self.collector: subprocess.Popen[bytes] | None = None
        self.session = requests.Session()

    def start(self) -> None:
        self.pipeline.start()
        assert self.settings.event_log is not None and self.settings.quarantine_log is not None
        self.collector = subprocess.Popen(
            collector_command(self.port, self.settings.event_log, self.settings.quarantine_log, workers=1),
            env={**os.environ, **self.settings.to_env()},
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
        wait_until(lambda: port_open(self.port), 60, "the collector")
        wait_until(self.settings.pipeline_running_file.exists, 120, "the stream job")

    def post(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        response = self.session.post(f"{self.settings.collector_url}/v1/collect", json=events, timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["rejected"] == [], body
        return body

    def stop(self) -> None:
        if self.collector is not None:
            stop_process_group(self.collector.pid)
        if self.pipeline.process is not None and self.pipeline.process.poll() is None:
            self.pipeline.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("clocks"))
    s.start()
    try:
        yield s
    finally:
        s.stop()


def feed_background(stack: Stack, stop: threading.Event) -> None:
    """Background users browse plan pages all along, with honest clocks: shared time keeps moving."""
    while not stop.wait(0.2):
        t = now_ms()
        stack.post([event(u, "page_view", t, t, business="plan") for u in BACKGROUND])


def tags_of(store: RedisProfileStore, user: str) -> set[str]:
    return {t["tag"] for t in store.get_profile(user)["tags"]}


def test_lying_clocks_move_nobodys_time_and_late_facts_land(stack: Stack) -> None:
    stop = threading.Event()
    feeder = threading.Thread(target=feed_background, args=(stack, stop), daemon=True)
    feeder.start()
    store = RedisProfileStore(connect(stack.settings))
    try:
        time.sleep(2)
        t = now_ms()
        fast = 50 * MINUTE_MS
        stack.post([event("fast-nosent", "click", t + fast, element="banner", business="plan")])
        stack.post([event("fast-sent", "click", t + fast, t + fast, element="banner", business="plan")])
        # a clock 10 min slow: with sent_at its browsing and order land on time
        slow = -10 * MINUTE_MS
        for _ in range(3):
            t = now_ms()
            stack.post([event("slow-sent", "page_view", t + slow, t + slow, business="broadband")])
        t = now_ms()
        stack.post(
            [event("slow-sent", "order_success", t + slow, t + slow, business="broadband", product="bb", amount=1)]
        )
        # without sent_at the same order is 10 min behind: late, but a fact
        stack.post(
            [event("slow-nosent", "order_success", now_ms() + slow, business="data_pack", product="d", amount=1)]
        )
        # an app back online flushes 10 minutes of events at once, its clock right
        t = now_ms()
        offline = [
            event("offline", "page_view", t - 10 * MINUTE_MS + i * 1000, t, business="handset") for i in range(3)
        ]
        offline += [
            event(
                "offline",
                "flow_step",
                t - 6 * MINUTE_MS + i * 1000,
                t,
                flow="plan_upgrade",
                step=i + 1,
                business="plan",
            )
            for i in range(3)
        ]
        offline.append(event("offline", "order_success", t - 5 * MINUTE_MS, t, business="plan", product="5g", amount=9))
        stack.post(offline)

        def settled() -> bool:
            return (
                all("browser:plan" in tags_of(store, u) for u in BACKGROUND)
                and "orderer:broadband" in tags_of(store, "slow-sent")
                and "orderer:data_pack" in tags_of(store, "slow-nosent")
                and "orderer:plan" in tags_of(store, "offline")
            )

        wait_until(settled, 90, "background tags and the late users' facts", interval=0.5)
        assert "browser:broadband" not in tags_of(store, "slow-sent")  # the order ended the browsing
        assert "browser:handset" not in tags_of(store, "offline")  # late page views are not facts
        assert "abandoned_mid_flow:plan_upgrade" not in tags_of(store, "offline")
    finally:
        stop.set()
        feeder.join(10)
        store.close()
    stack.stop()
    events = {orjson.loads(r["line"])["user_id"] + ":" + orjson.loads(r["line"])["event"]: r for r in _events(stack)}
    fast_nosent = orjson.loads(events["fast-nosent:click"]["line"])
    assert fast_nosent["client_ts"] > fast_nosent["received_at"] and fast_nosent["ts"] == fast_nosent["received_at"]
    fast_sent = orjson.loads(events["fast-sent:click"]["line"])
    assert abs(fast_sent["ts"] - fast_sent["received_at"]) < 5_000  # the offset cancels out
    assert not events["fast-sent:click"]["late"] and not events["slow-sent:order_success"]["late"]
    assert events["slow-nosent:order_success"]["late"] and events["offline:order_success"]["late"]
    late_users = [r["user_id"] for r in rows(stack.pipeline.out, "late_events")]
    assert late_users.count("offline") == 7 and late_users.count("slow-nosent") == 1
    # had the fast clocks moved the watermark, every later background page view would be late
    assert not {"fast-sent", "fast-nosent", "slow-sent", *BACKGROUND} & set(late_users)


def _events(stack: Stack) -> list[dict[str, Any]]:
    return rows(stack.pipeline.out, "events")
