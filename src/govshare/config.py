"""Settings from environment variables ``GOVSHARE_*`` and an optional TOML file.

Precedence (highest first): explicit keyword arguments, environment, the TOML file named by
``GOVSHARE_CONFIG`` (or ``govshare.toml`` in the working directory), defaults.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _toml_file() -> Path:
    return Path(os.environ.get("GOVSHARE_CONFIG", "govshare.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVSHARE_", extra="ignore")

    #: Data directory: the SQLite store, signing keys, seed exports.
    data_dir: Path = Path("var")
    #: SQLAlchemy URL; empty means SQLite in WAL mode at ``{data_dir}/govshare.db``.
    database_url: str = ""
    #: ``FULL`` makes every committed audit batch survive power loss, not only a process crash.
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "FULL"
    #: Page size of a SQLite store created from now on (an existing file keeps its own until ``VACUUM``).
    #: 16 KiB: a library ingest rewrites fewer, fuller key-index pages per batch (1M persons: +20 % rows/s).
    sqlite_page_size: int = 16384
    #: How much of a SQLite store connections read through a memory map: all of them then share the OS's cache
    #: of the file instead of each filling its own 2 MB page cache (catalog search on 100k resources, cold p95
    #: 9.5 → 7.6 ms with 16 KiB pages). 0 turns it off.
    sqlite_mmap_mb: int = Field(default=1024, ge=0, le=1_048_576)

    @field_validator("sqlite_page_size")
    @classmethod
    def _page_size(cls, value: int) -> int:
        if value not in (4096, 8192, 16384, 32768, 65536):
            raise ValueError("sqlite_page_size must be 4096, 8192, 16384, 32768 or 65536")
        return value

    #: Connections kept open per process. Keep it at least the thread pool's size (40): a connection opened
    #: beyond the pool is made and thrown away per use, which on SQLite also re-runs the PRAGMAs.
    db_pool_size: int = 40

    #: Hash of the audit chain: SHA-256 (default) or SM3 (national crypto).
    audit_hash: Literal["sha256", "sm3"] = "sha256"
    #: A checkpoint signs the chain head every N records or T seconds, whichever comes first.
    audit_checkpoint_every: int = 10_000
    audit_checkpoint_seconds: float = 60.0
    #: Group commit: how many records one transaction takes at most, and how long the writer
    #: waits for more after the first one arrives (0 = take what is queued, do not wait).
    audit_batch_max: int = 512
    audit_batch_wait_ms: float = 0.0

    #: Login lockout: after N failures in a row the account is locked for M minutes.
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    session_hours: float = 8.0
    #: Set to true behind HTTPS so session cookies carry the Secure flag.
    cookie_secure: bool = False
    #: The platform's public address (e.g. https://data.example.gov.cn), used for the absolute links of the open
    #: catalog (DCAT-AP export) instead of the request's host, which behind a proxy may be an internal name.
    public_base_url: str = ""

    #: Sharing workflow defaults; the platform operator overrides them in the sharing settings (sharing_setting).
    sharing_reply_working_days: int | None = None
    sharing_objection_working_days: int | None = None
    sharing_agreement_before_use: bool | None = None
    sharing_max_validity_days: int | None = None

    #: Feed push delivery (库表交换, 推送): the background loop in the app (else run `govshare feeds deliver`),
    #: how often it looks for due subscriptions, the POST timeout, failures before a subscription is "failed",
    #: backoff base and cap (exponential with jitter), subscriptions delivered in parallel per pass, and whether
    #: plain http:// endpoints on the loopback interface are accepted (tests and local development only).
    feeds_push_enabled: bool = False
    feeds_push_interval_seconds: float = 5.0
    feeds_push_timeout_seconds: float = 10.0
    feeds_push_max_attempts: int = 8
    feeds_push_backoff_base_seconds: float = 2.0
    feeds_push_backoff_max_seconds: float = 900.0
    feeds_push_concurrency: int = 4
    feeds_push_allow_insecure: bool = False

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'govshare.db').resolve()}"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml = _toml_file()
        if toml.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return tuple(sources)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


__all__ = ["Settings", "get_settings"]
