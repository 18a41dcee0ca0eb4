"""Configuration from the environment, with development defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEV_SECRET = "dev-only-secret-do-not-use-in-production"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
DEFAULT_PORTS = {"requests": 8001, "inventory": 8002, "approvals": 8003}


class ConfigurationError(RuntimeError):
    """The configuration is unsafe or incomplete; the service must not start."""


@dataclass(frozen=True)
class Settings:
    service: str
    database_url: str
    amqp_url: str
    auth_secret: str
    port: int
    production: bool
    data_dir: Path
    service_urls: Mapping[str, str]
    token_ttl_seconds: int = 8 * 3600
    max_content_length: int = 1024 * 1024
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, service: str, overrides: Mapping[str, object] | None = None) -> Settings:
        """Read settings; ``overrides`` uses the same names as the environment."""
        env = {**os.environ, **{k: str(v) for k, v in (overrides or {}).items()}}
        data_dir = Path(env.get("DATA_DIR", "var")).resolve()
        service_urls = {
            name: env.get(f"{name.upper()}_URL", f"http://127.0.0.1:{port}")
            for name, port in DEFAULT_PORTS.items()
        }
        settings = cls(
            service=service,
            database_url=env.get("DATABASE_URL") or f"sqlite:///{data_dir / service}.db",
            amqp_url=env.get("AMQP_URL", DEFAULT_AMQP_URL),
            auth_secret=env.get("AUTH_SECRET", DEV_SECRET),
            port=int(env.get("PORT", DEFAULT_PORTS[service])),
            production=env.get("APP_ENV", "development") == "production",
            data_dir=data_dir,
            service_urls=service_urls,
            token_ttl_seconds=int(env.get("TOKEN_TTL_SECONDS", 8 * 3600)),
            max_content_length=int(env.get("MAX_CONTENT_LENGTH", 1024 * 1024)),
            extra=env,
        )
        settings.check()
        return settings

    def check(self) -> None:
        if self.production and self.auth_secret == DEV_SECRET:
            raise ConfigurationError(
                "APP_ENV=production needs AUTH_SECRET set to a secret of your own"
            )
        if len(self.auth_secret) < 32:
            raise ConfigurationError("AUTH_SECRET must be at least 32 characters long")

    def get(self, name: str, default: str) -> str:
        return self.extra.get(name, default)

    def get_float(self, name: str, default: float) -> float:
        return float(self.extra.get(name, default))
