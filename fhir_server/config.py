"""Settings read once from the environment (see README, "Configuration")."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Settings:
    port: int = 8080
    host: str = "127.0.0.1"
    base_url: str = "http://localhost:8080/fhir"
    mongodb_uri: str | None = None
    database: str = "fhir"
    data_dir: Path = Path("var")
    auth: str = "on"
    max_body_bytes: int = 32 * 1024 * 1024
    default_page_size: int = 50
    max_page_size: int = 1000
    # Current documents each process keeps for reads by id (fhir_server.storage.read_cache); 0 turns it off.
    read_cache_size: int = 10_000
    extra: dict[str, str] = field(default_factory=dict)
    # Authorization (fhir_server.auth, docs/auth.md): where one-time codes go in development.
    sms_gateway: str = "file"
    sms_outbox: Path | None = None
    # Failed sign-ins (wrong passwords and codes) one client address may make per 15 minutes before
    # the login pages answer 429 (fhir_server.auth.limits).
    login_failures_per_ip: int = 100

    @property
    def auth_enabled(self) -> bool:
        return self.auth != "off"

    def check(self) -> None:
        """Refuse configurations that would expose patient data without authentication."""
        if self.read_cache_size < 0:
            raise ValueError(f"FHIR_READ_CACHE_SIZE must be 0 (off) or more, not {self.read_cache_size}")
        if self.login_failures_per_ip < 1:
            raise ValueError(f"FHIR_LOGIN_FAILURES_PER_IP must be 1 or more, not {self.login_failures_per_ip}")
        if self.auth not in ("on", "off"):
            raise ValueError(f"FHIR_AUTH must be 'on' or 'off', not {self.auth!r}")
        if not self.auth_enabled and self.host not in LOOPBACK_HOSTS:
            raise ValueError(
                "FHIR_AUTH=off is only allowed when the server is bound to loopback "
                f"(FHIR_HOST is {self.host!r})"
            )


def from_env(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    port = int(env.get("FHIR_PORT", "8080"))
    return Settings(
        port=port,
        host=env.get("FHIR_HOST", "127.0.0.1"),
        base_url=env.get("FHIR_BASE_URL", f"http://localhost:{port}/fhir").rstrip("/"),
        mongodb_uri=env.get("MONGODB_URI") or None,
        database=env.get("FHIR_DB_NAME", "fhir"),
        data_dir=Path(env.get("FHIR_DATA_DIR", "var")),
        auth=env.get("FHIR_AUTH", "on").lower(),
        sms_gateway=env.get("FHIR_SMS_GATEWAY", "file"),
        sms_outbox=Path(env["FHIR_SMS_OUTBOX"]) if env.get("FHIR_SMS_OUTBOX") else None,
        max_body_bytes=int(env.get("FHIR_MAX_BODY_BYTES", str(32 * 1024 * 1024))),
        read_cache_size=int(env.get("FHIR_READ_CACHE_SIZE", "10000")),
        login_failures_per_ip=int(env.get("FHIR_LOGIN_FAILURES_PER_IP", "100")),
    )
