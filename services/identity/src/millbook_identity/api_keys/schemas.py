"""API key bodies. The secret appears once, in the answer to create or rotate."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from millbook_identity.api_keys.domain import DEFAULT_GRACE, MAX_GRACE, KeyMode, parse_networks
from millbook_identity.roles.domain import unknown_scopes
from millbook_platform.api_types import Instant

KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: KeyName
    scopes: list[str] = Field(min_length=1, max_length=100)
    mode: KeyMode = KeyMode.LIVE
    expires_at: Instant | None = None
    allowed_ips: list[str] = Field(
        default_factory=list, max_length=100, description="IPs or CIDRs; empty allows any."
    )

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str]) -> list[str]:
        unknown = unknown_scopes(scopes)
        if unknown:
            raise ValueError(f"unknown scope {unknown[0]!r}")
        return list(dict.fromkeys(scopes))

    @field_validator("allowed_ips")
    @classmethod
    def _networks(cls, cidrs: list[str]) -> list[str]:
        valid, invalid = parse_networks(cidrs)
        if invalid:
            raise ValueError(f"{invalid[0]!r} is not an IP address or CIDR range")
        return valid

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, at: datetime | None) -> datetime | None:
        if at is not None and at.tzinfo is None:
            raise ValueError("must carry a time zone, e.g. 2026-01-01T00:00:00Z")
        return at


class ApiKeyRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_period_seconds: int = Field(
        default=int(DEFAULT_GRACE.total_seconds()),
        ge=0,
        le=int(MAX_GRACE.total_seconds()),
        description="How long the old secret keeps working (0 to 7 days; default 24 hours).",
    )

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.grace_period_seconds)


class ApiKey(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    mode: KeyMode
    prefix: str
    scopes: list[str]
    allowed_ips: list[str]
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    previous_expires_at: datetime | None = Field(
        description="Until when the secret before the last rotation still works."
    )
    created_by: str | None = Field(
        default=None,
        description="Who created the key (`user:<id>`). A key is the organization's and keeps "
        "working when its creator is deactivated; rotate the keys a departing person saw.",
    )
    created_at: datetime


class ApiKeyWithSecret(ApiKey):
    secret: str = Field(description="Shown only now; store it safely.")


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str = Field(min_length=1, max_length=200)
    client_ip: str | None = Field(default=None, max_length=64)


class ResolvedKey(BaseModel):
    access_token: str
    expires_in: int
    key_id: uuid.UUID
    tenant_id: uuid.UUID
    mode: KeyMode
    scopes: list[str]
    tier: str
    usable_until: datetime | None = Field(
        default=None,
        description="When this secret stops by itself (the key's expiry or its rotation grace); "
        "the gateway refuses it from then on without asking again.",
    )
