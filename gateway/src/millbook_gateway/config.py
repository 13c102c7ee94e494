"""The gateway's settings, read from `MILLBOOK_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    upstream_timeout_s: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    cors_origins: list[str] = Field(default_factory=list)
    log_level: str = "INFO"
    otel_exporter: str = Field(default="none", description="none | console")
    openapi_cache_s: float = 30.0
