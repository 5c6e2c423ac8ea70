"""Cluster wiring (docker-compose.yml, Dockerfile): only the services people reach are
published (the collector, the touchpoint service, the operator UI, each with its credential),
and ClickHouse and Redis require credentials that come from the environment."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_only_the_services_people_reach_are_published() -> None:
    published = sorted(name for name, service in SERVICES.items() if service.get("ports"))
    assert published == ["collector", "touchpoints", "ui"]
    assert (
        "${TOUCHPOINTS_ADMIN_TOKEN:?" in SERVICES["touchpoints"]["environment"]["TOUCHSTREAM_TOUCHPOINTS_ADMIN_TOKEN"]
    )
    assert "${UI_PASSWORD:?" in SERVICES["ui"]["environment"]["TOUCHSTREAM_UI_PASSWORD"]
    assert "touchstream_reader" in SERVICES["ui"]["environment"]["TOUCHSTREAM_WAREHOUSE_URL"]
    assert COMPOSE["networks"]["internal"]["internal"] is True
    for name in ("clickhouse", "redis", "warehouse-loader", "pipeline"):
        assert SERVICES[name]["networks"] == ["internal"], name


def test_credentials_are_required_from_the_environment() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    variables = re.findall(r"\$\{([A-Z_]+)(:\?[^}]*)?\}", text)
    assert {name for name, _ in variables} == {
        "CLICKHOUSE_PASSWORD",
        "CLICKHOUSE_READER_PASSWORD",
        "REDIS_PASSWORD",
        "BACKEND_KEY",
        "TOUCHPOINTS_ADMIN_TOKEN",
        "UI_PASSWORD",
    }
    assert all(required for _, required in variables), "every credential must be required (${VAR:?...})"
    env = SERVICES["warehouse-loader"]["environment"]
    assert env["TOUCHSTREAM_WAREHOUSE_URL"].startswith("clickhouse://touchstream:${CLICKHOUSE_PASSWORD")
    assert env["TOUCHSTREAM_WAREHOUSE_READER_URL"].startswith("clickhouse://touchstream_reader:${")
    assert env["TOUCHSTREAM_REDIS_URL"].startswith("redis://:${REDIS_PASSWORD")
    assert "requirepass" in " ".join(SERVICES["redis"]["command"])
    assert SERVICES["clickhouse"]["environment"]["CLICKHOUSE_USER"] == "touchstream"
    for volume in SERVICES["clickhouse"]["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./"):
            assert (ROOT / source).exists(), source
    reader = (ROOT / "deploy/clickhouse/users.d/touchstream-reader.xml").read_text()
    assert '<password from_env="CLICKHOUSE_READER_PASSWORD"/>' in reader


def test_the_image_runs_unprivileged_and_keeps_the_owner_on_loopback() -> None:
    lines = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if not line.startswith("#")]
    assert "USER touchstream" in lines
    assert not any(line.startswith("EXPOSE") or "TOUCHSTREAM_HOST" in line for line in lines)
    assert all("TOUCHSTREAM_WAREHOUSE_HOST" not in str(s.get("environment", {})) for s in SERVICES.values())
