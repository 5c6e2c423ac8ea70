"""The owner's query endpoint is locked down: token, loopback Host, same origin, bounded body.

One real owner process serves the whole module; every attack below is a real HTTP request.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import requests

from core.config import Settings
from core.processes import wait_until
from tests.warehouse.conftest import publish_job_events, record, running_owner
from tests.warehouse.test_readonly import REPRODUCTIONS, SLOW
from warehouse.client import live_owner, run_query
from warehouse.owner import MAX_BODY_BYTES
from warehouse.token import read_token


@dataclass
class Endpoint:
    settings: Settings
    port: int
    token: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def post(self, body: bytes | Any = b"SELECT 1", path: str = "/query", **headers: str) -> requests.Response:
        sent = {"Authorization": f"Bearer {self.token}", **headers}
        return requests.post(self.base + path, data=body, headers=sent, timeout=30)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    with running_owner(tmp_path_factory.mktemp("owner") / "home") as settings:
        info = live_owner(settings)
        assert info is not None
        yield Endpoint(settings, int(info["port"]), read_token(settings.warehouse_token_file))


def refused(response: requests.Response, status: int, reason: str) -> bool:
    return response.status_code == status and response.json()["reason"] == reason


def table_counts(settings: Settings) -> dict[str, int]:
    tables = [row[0] for row in run_query(settings, "SHOW TABLES").rows]
    return {t: int(run_query(settings, f"SELECT count() FROM {t}").scalar()) for t in tables}


def test_the_token_file_is_private_and_the_endpoint_on_loopback(endpoint: Endpoint) -> None:
    info = endpoint.settings.warehouse_token_file.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_uid == os.getuid()
    assert len(endpoint.token) >= 40
    assert live_owner(endpoint.settings)["host"] == "127.0.0.1"  # type: ignore[index]
    assert endpoint.post().json()["rows"] == [[1]]


def test_no_token_is_401(endpoint: Endpoint) -> None:
    for path in ("/query", "/healthz"):
        response = requests.post(endpoint.base + path, data=b"SELECT 1", timeout=10)
        assert refused(response, 401, "missing_token"), path
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert refused(endpoint.post(Authorization="Bearer "), 401, "missing_token")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong", "Bearer {token}x", "Bearer {short}", "Basic {token}", "Token {token}", "Bearer \u00fc{token}"],
)
def test_a_wrong_token_is_403(endpoint: Endpoint, authorization: str) -> None:
    value = authorization.format(token=endpoint.token, short=endpoint.token[:-1])
    assert refused(endpoint.post(Authorization=value), 403, "wrong_token")


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "http://localhost:{port}", "https://127.0.0.1:{port}", "http://127.0.0.1"]
)
def test_cross_site_requests_are_403(endpoint: Endpoint, origin: str) -> None:
    response = endpoint.post(Origin=origin.format(port=endpoint.port))
    assert refused(response, 403, "cross_site")


def test_same_origin_and_fetch_metadata(endpoint: Endpoint) -> None:
    assert endpoint.post(Origin=endpoint.base).status_code == 200
    assert refused(endpoint.post(**{"Sec-Fetch-Site": "cross-site"}), 403, "cross_site")
    assert refused(endpoint.post(**{"Sec-Fetch-Site": "same-site"}), 403, "cross_site")


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:{port}", "127.0.0.1:{other}", "127.0.0.1", "0.0.0.0:{port}", "127.0.0.2:{port}"],
)
def test_a_foreign_host_header_is_403(endpoint: Endpoint, host: str) -> None:
    """A page that rebinds its own name to 127.0.0.1 still sends its name as Host."""
    response = endpoint.post(Host=host.format(port=endpoint.port, other=endpoint.port + 1))
    assert refused(response, 403, "bad_host")


def test_loopback_names_are_accepted(endpoint: Endpoint) -> None:
    for host in (f"localhost:{endpoint.port}", f"LOCALHOST:{endpoint.port}", f"127.0.0.1:{endpoint.port}"):
        assert endpoint.post(Host=host).status_code == 200, host


def test_only_query_and_healthz_are_served(endpoint: Endpoint) -> None:
    headers = {"Authorization": f"Bearer {endpoint.token}"}
    assert requests.get(endpoint.base + "/healthz", headers=headers, timeout=10).json() == {"ok": True}
    assert refused(requests.get(endpoint.base + "/query", headers=headers, timeout=10), 405, "method_not_allowed")
    assert refused(endpoint.post(path="/healthz"), 405, "method_not_allowed")
    assert refused(requests.get(endpoint.base + "/admin", headers=headers, timeout=10), 404, "not_found")
    assert refused(requests.delete(endpoint.base + "/query", headers=headers, timeout=10), 405, "method_not_allowed")


def test_bodies_are_bounded(endpoint: Endpoint) -> None:
    assert refused(endpoint.post(b"SELECT 1 " + b" " * MAX_BODY_BYTES), 413, "body_too_large")
    chunks = (b"-" * 65536 for _ in range(MAX_BODY_BYTES // 65536 + 2))  # chunked: no Content-Length
    assert endpoint.post(chunks).status_code in (400, 413)
    near_limit = endpoint.post(b"SELECT '" + b"x" * (MAX_BODY_BYTES - 100) + b"'")  # over ClickHouse's query size
    assert near_limit.status_code == 400
    assert near_limit.json()["reason"]


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"{not json", "application/json", "bad_request"),
        (b'["SELECT 1"]', "application/json", "bad_request"),
        (b'{"sql": 1}', "application/json", "bad_request"),
        (b'{"sql": "SELECT 1", "params": [1]}', "application/json", "bad_request"),
        (b'{"sql": "SELECT 1", "x": 1}', "application/json", "bad_request"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", "bad_request"),
        (b'{"sql": "SELECT {x:String}", "params": {"x": {"a": 1}}}', "application/json", "bad_params"),
        (b'{"sql": "SELECT {x:UInt8}", "params": {"x": 1e400}}', "application/json", "bad_request"),
        (b"\xff\xfe SELECT 1", "text/plain", "syntax"),
        (b"SELECT 1 \x00", "text/plain", "syntax"),
        (b"SELECT " + b"(" * 50_000 + b"1" + b")" * 50_000, "text/plain", "query_failed"),
        (b"SELECT nope", "text/plain", "query_failed"),
        (b"SELECT {x:" + b"Array(" * 20 + b"UInt8" + b")" * 20 + b"}", "text/plain", "bad_params"),
    ],
    ids=range(13),
)
def test_hostile_bodies_get_a_4xx_with_a_reason(
    endpoint: Endpoint, body: bytes, content_type: str, reason: str
) -> None:
    response = endpoint.post(body, **{"Content-Type": content_type})
    assert 400 <= response.status_code < 500
    assert response.json()["reason"] == reason, response.text[:300]
    assert endpoint.post().status_code == 200  # the owner is still up


def test_reproductions_through_the_endpoint_leave_tables_intact(endpoint: Endpoint) -> None:
    before = table_counts(endpoint.settings)
    for sql in REPRODUCTIONS:
        response = endpoint.post(orjson.dumps({"sql": sql}), **{"Content-Type": "application/json"})
        assert response.status_code in (400, 403), sql
        assert response.json()["reason"] in ("read_only", "limit_exceeded", "syntax"), sql
        assert "root:" not in response.text
    assert table_counts(endpoint.settings) == before


def test_a_runaway_query_neither_stops_the_loader_nor_the_owner(endpoint: Endpoint) -> None:
    settings = endpoint.settings
    answers: list[requests.Response] = []
    runaway = threading.Thread(target=lambda: answers.append(endpoint.post(SLOW.encode())))
    runaway.start()
    try:
        time.sleep(0.3)
        publish_job_events(settings, "part-runaway-0-0", [record("during-runaway")])
        started = time.monotonic()
        wait_until(
            lambda: run_query(settings, "SELECT count() FROM events WHERE event_id = 'during-runaway'").scalar() == 1,
            5,
            "the loader to load while a runaway query runs",
        )
        assert time.monotonic() - started < settings.sql_max_execution_s
    finally:
        runaway.join(settings.sql_max_execution_s * 3 + 10)
    assert refused(answers[0], 400, "limit_exceeded")
    assert endpoint.post().status_code == 200


def test_values_beyond_64_bits_travel_as_their_type(endpoint: Endpoint) -> None:
    widest = 2**128 - 1
    result = run_query(endpoint.settings, f"SELECT toUInt128('{widest}') AS wide, toInt128('-{widest // 2}') AS neg")
    assert result.rows == [(widest, -(widest // 2))]
