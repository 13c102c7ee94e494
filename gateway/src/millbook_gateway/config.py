"""The gateway's settings, read from `MILLBOOK_*` environment variables."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from millbook_gateway.cors import LOCAL_ORIGINS, check_origin, parse_origins

SERVICES = ("identity", "sales", "billing", "purchasing", "inbox", "analytics")

# The local stack's ports, so `uvicorn millbook_gateway.main:app` works unconfigured.
DEV_UPSTREAMS = {name: f"http://127.0.0.1:{8001 + i}" for i, name in enumerate(SERVICES)}


class GatewaySettings(BaseSettings):
    """Where the services live and the limits the edge enforces."""

    model_config = SettingsConfigDict(env_prefix="MILLBOOK_", extra="ignore")

    service_name: str = "gateway"
    upstreams: dict[str, str] = Field(
        default_factory=lambda: dict(DEV_UPSTREAMS),
        description='JSON object: {"identity": "http://127.0.0.1:8001", ...}',
    )
    identity_url: str = DEV_UPSTREAMS["identity"]
    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    # The revocation consumer runs inside the HTTP process; only tests turn it off.
    run_background: bool = True
    # Revocations older than the longest access-token lifetime concern no live token.
    max_access_token_lifetime_s: float = 15 * 60

    upstream_timeout_s: float = 30.0
    batch_timeout_s: float = 120.0
    upload_timeout_s: float = 300.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_url_bytes: int = 8 * 1024
    max_header_bytes: int = 32 * 1024
    max_query_params: int = 50
    max_batch_items: int = 100

    breaker_failures: int = 5
    breaker_cool_down_s: float = 10.0

    redis_url: str | None = Field(
        default=None, description="Shared rate-limit counters; in-process when unset."
    )
    rate_limit_overrides: dict[str, int] = Field(
        default_factory=dict, description='JSON object: {"<organization id>": <requests per hour>}'
    )
    enterprise_per_hour: int = 100_000
    # Login, signup and password reset, per minute: guessing passwords must stay slow.
    sign_in_per_ip_per_minute: int = 10
    sign_in_per_email_per_minute: int = 5

    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(LOCAL_ORIGINS),
        description="Comma-separated origins browsers may call from, or `*`; empty for none.",
    )
    log_level: str = "INFO"
    otel_exporter: str = Field(default="none", description="none | console")
    openapi_cache_s: float = 30.0

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return parse_origins(value) if isinstance(value, str) else value

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            check_origin(origin)
        return origins
