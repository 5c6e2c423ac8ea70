"""One configuration for every command and service.

Values come from environment variables (``TOUCHSTREAM_*``, parsed by pydantic-settings)
and may be overridden by CLI flags; every path derives from ``TOUCHSTREAM_HOME`` so two
runs with different homes never touch each other's state. :meth:`Settings.to_env` is the
reverse mapping: the environment that makes a child process resolve the same settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import Field, PositiveInt, field_validator, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from core.models import StrictModel

ENV_PREFIX = "TOUCHSTREAM_"
BACKEND_KEY_PATTERN = re.compile(r"[\x21-\x7e]{24,256}")  # visible ASCII: fits a header, long enough not to guess
UI_USER_PATTERN = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
UI_PASSWORD_PATTERN = re.compile(r"[^\x00-\x1f\x7f]{12,256}")  # typed by a person: any text without control characters

_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("touchstream_environ", default=None)


class _MappingEnvSource(EnvSettingsSource):
    """Reads ``os.environ`` unless :func:`environment` supplied another mapping (tests, children)."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        env = _ENVIRON.get()
        if env is None:
            return super()._load_env_vars()
        return {
            (name if self.case_sensitive else name.lower()): value
            for name, value in env.items()
            if not (self.env_ignore_empty and value == "")
        }


@contextmanager
def environment(env: Mapping[str, str] | None) -> Iterator[None]:
    """Make settings classes read ``env`` instead of ``os.environ`` inside the block."""
    token = _ENVIRON.set(env)
    try:
        yield
    finally:
        _ENVIRON.reset(token)


class EnvironmentSettings(BaseSettings):
    """Base of every settings class: frozen, strict about unknown fields, env through :func:`environment`."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", env_ignore_empty=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _MappingEnvSource(settings_cls)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any):  # type: ignore[no-untyped-def]
        """Read ``env`` (default ``os.environ``), then apply overrides (CLI flags) that are not ``None``."""
        given = {k: v for k, v in overrides.items() if v is not None}
        with environment(env):
            return cls(**given)

    def with_overrides(self, **overrides: object):  # type: ignore[no-untyped-def]
        """Apply CLI flags; ``None`` means "flag not given"."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return self.model_copy(update=given) if given else self

    def to_env(self) -> dict[str, str]:
        """The environment that makes a child process resolve exactly these settings."""
        prefix = self.model_config.get("env_prefix", "")
        return {f"{prefix}{name.upper()}": str(value) for name, value in self.model_dump().items() if value is not None}


class ReadOnlyLimits(StrictModel):
    """What one statement from a person may cost; the engine enforces each (docs/warehouse.md).
    Defaults and variables: the ``sql_*`` fields of :class:`Settings`."""

    max_execution_s: PositiveInt
    max_result_rows: PositiveInt
    max_result_bytes: PositiveInt
    max_memory_bytes: PositiveInt
    max_rows_to_read: PositiveInt
    max_concurrent: PositiveInt  # statements running at once; the next waits up to max_execution_s


class Settings(EnvironmentSettings):
    """Resolved configuration of a Touchstream installation; build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid", env_ignore_empty=True)

    home: Path = Path("./var")
    warehouse_url: str = ""  # "": chdb://<home>/warehouse
    redis_url: str | None = None  # None: an embedded redis-server under ``home``
    event_log: Path | None = None  # None: <home>/events
    quarantine_log: Path | None = None  # None: <home>/quarantine
    host: str = "127.0.0.1"
    collector_port: int = 8400
    warehouse_port: int = 8401
    warehouse_host: str = "127.0.0.1"  # the owner's query endpoint: loopback unless you mean otherwise
    warehouse_reader_url: str = ""  # "": warehouse_url; a clickhouse:// account of its own for people's queries
    sql_max_execution_s: PositiveInt = 30
    sql_max_result_rows: PositiveInt = 100_000
    sql_max_result_bytes: PositiveInt = 100_000_000
    sql_max_memory_bytes: PositiveInt = 2_000_000_000
    sql_max_rows_to_read: PositiveInt = 2_000_000_000
    sql_max_concurrent: PositiveInt = 2
    touchpoints_port: int = 8402
    ui_port: int = 8501
    ui_user: str = "operator"  # the operator login of the UI (funnel_ui/)
    # None: generated once into <home>/ui.password (mode 0600); kept out of repr like the back-end key
    ui_password: str | None = Field(default=None, repr=False)
    # The back end's bearer key for business and service events; None: generated once under home
    # (core.credentials.backend_key). Kept out of repr so it never lands in a log line.
    backend_key: str | None = Field(default=None, repr=False)

    # touchpoint decision service (docs/touchpoints.md)
    touchpoints_admin_token: str | None = Field(default=None, repr=False)  # None: <home>/touchpoints.admin.token
    touchpoints_definitions: Path | None = None  # None: the shipped touchpoints/definitions
    touchpoints_timezone: str = "Asia/Shanghai"  # calendar of caps, quiet hours unless the request names a tz
    touchpoints_redis_timeout_ms: int = Field(default=100, ge=1)  # per Redis call; a slow Redis means degraded
    touchpoints_budget_ms: int = Field(default=250, ge=5)  # a decision gives up on Redis after this long
    touchpoints_breaker_failures: int = Field(default=5, ge=1)  # consecutive Redis failures that open the breaker
    touchpoints_breaker_reset_ms: int = Field(default=1000, ge=10)  # open breaker: try Redis again after this
    touchpoints_marketing_cap_month: int = Field(default=15, ge=0)  # marketing contacts per user and month
    touchpoints_workers: int = Field(default=2, ge=1)
    touchpoints_threads: int = Field(default=4, ge=1)

    @field_validator("backend_key", "touchpoints_admin_token")
    @classmethod
    def _key_is_usable(cls, key: str | None) -> str | None:
        if key is not None and not BACKEND_KEY_PATTERN.fullmatch(key):
            raise ValueError("must be 24-256 visible ASCII characters (no spaces)")
        return key

    @field_validator("ui_user")
    @classmethod
    def _user_is_usable(cls, user: str) -> str:
        if not UI_USER_PATTERN.fullmatch(user):
            raise ValueError("must be 1-64 of A-Z, a-z, 0-9 and _ . @ -")
        return user

    @field_validator("ui_password")
    @classmethod
    def _password_is_usable(cls, password: str | None) -> str | None:
        if password is not None and not UI_PASSWORD_PATTERN.fullmatch(password):
            raise ValueError("must be 12-256 characters without control characters")
        return password

    @field_validator("touchpoints_timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        from zoneinfo import available_timezones

        if name not in available_timezones():
            raise ValueError(f"{name!r} is not an IANA time zone (e.g. Asia/Shanghai)")
        return name

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        home = self.home.resolve()
        object.__setattr__(self, "home", home)
        if not self.warehouse_url:
            object.__setattr__(self, "warehouse_url", f"chdb://{home / 'warehouse'}")
        object.__setattr__(self, "event_log", Path(self.event_log or home / "events").resolve())
        object.__setattr__(self, "quarantine_log", Path(self.quarantine_log or home / "quarantine").resolve())
        if self.touchpoints_definitions is not None:
            object.__setattr__(self, "touchpoints_definitions", self.touchpoints_definitions.resolve())
        return self

    def with_overrides(self, **overrides: object) -> Settings:
        given = {k: v for k, v in overrides.items() if v is not None}
        if not given:
            return self
        return type(self).load(env=self.to_env(), **given)

    @property
    def warehouse_owner_file(self) -> Path:
        """Where the process that owns an embedded warehouse advertises its endpoint."""
        return self.home / "warehouse.owner.json"

    @property
    def backend_key_file(self) -> Path:
        """Where the generated back-end key lives when TOUCHSTREAM_BACKEND_KEY is not set."""
        return self.home / "backend.key"

    @property
    def ui_password_file(self) -> Path:
        """The generated operator password of the UI when TOUCHSTREAM_UI_PASSWORD is not set."""
        return self.home / "ui.password"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.ui_port}"

    @property
    def warehouse_token_file(self) -> Path:
        """The owner endpoint's bearer token (mode 0600), read by the CLI and the UI."""
        return self.home / "warehouse.token"

    @property
    def sql_limits(self) -> ReadOnlyLimits:
        """The limits of every statement that comes from a person."""
        return ReadOnlyLimits(**{name: getattr(self, f"sql_{name}") for name in ReadOnlyLimits.model_fields})

    @property
    def sql_warehouse_url(self) -> str:
        """Where people's queries go: the reader account on a server, else the warehouse itself."""
        if self.warehouse_url.startswith("chdb:"):
            return self.warehouse_url
        return self.warehouse_reader_url or self.warehouse_url

    @property
    def redis_socket(self) -> Path:
        return self.home / "redis" / "redis.sock"

    @property
    def flink_home(self) -> Path:
        """The stream job's checkpoints, savepoints, outputs and status file."""
        return self.home / "flink"

    @property
    def pipeline_running_file(self) -> Path:
        """Exists (holding the job id) while ``touchstream pipeline`` runs its job."""
        return self.flink_home / "pipeline.running"

    @property
    def collector_url(self) -> str:
        return f"http://{self.host}:{self.collector_port}"

    @property
    def touchpoints_url(self) -> str:
        return f"http://{self.host}:{self.touchpoints_port}"

    @property
    def touchpoints_admin_token_file(self) -> Path:
        """Where the admin token is generated (mode 0600) when none is configured."""
        return self.home / "touchpoints.admin.token"


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Read the environment, then apply overrides (CLI flags) that are not ``None``."""
    return Settings.load(env, **overrides)
