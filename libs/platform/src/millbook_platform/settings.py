"""Settings every service shares, read from `MILLBOOK_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PlatformSettings(BaseSettings):
    """The pieces every service process needs; a service subclasses it for its own."""

    model_config = SettingsConfigDict(env_prefix="MILLBOOK_", extra="ignore")

    service_name: str = Field(description="identity, sales, billing, ...")
    database_url: str = Field(description="postgresql+psycopg://role@host:port/db")
    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    # A name of this process that is unique among the service's processes and the same
    # across its restarts (host and port). Given, its consumer groups use static
    # membership: a process restarted after a crash takes its partitions back at once
    # instead of waiting out the dead member's session timeout. Two processes must never
    # share one; unset, members are dynamic.
    instance_id: str | None = None
    identity_url: str = "http://127.0.0.1:8001"
    log_level: str = "INFO"
    db_pool_size: int = 10
    # The relay and consumers run inside the HTTP process by default; tests and
    # one-off scripts turn them off.
    run_background: bool = True
    # Identity's longest access-token life: revocations older than it concern no valid
    # token, and a restarted process reads back that far (`revocation_feed`).
    max_access_token_lifetime_s: float = 15 * 60
    otel_exporter: str = Field(default="none", description="none | console")
    # A request body larger than this is refused with 413 (a multipart upload may
    # carry its envelope on top: 64 KiB more).
    max_request_body_bytes: int = 10 * 1024 * 1024
    # How long a duplicate of an in-flight Idempotency-Key request waits for the
    # first one's response before it gets 409.
    idempotency_wait_s: float = 10.0
    # PDFs render in worker processes; one past its deadline is stopped and answers 503
    # (under the gateway's 30 s upstream timeout, so the client gets the clear answer).
    pdf_render_workers: int = 1
    pdf_render_deadline_s: float = 20.0

    @property
    def source(self) -> str:
        """The CloudEvents `ce_source` of this service's events."""
        return f"/millbook/{self.service_name}"
