"""Access and refresh tokens: claims, signing, and the refresh secret's digest."""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from millbook_identity.auth.keys import KeyMaterial
from millbook_platform.auth import (
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    KEY_PREFIX_CLAIM,
    SCOPE_VERSION_CLAIM,
    USER_KIND,
)

TOKEN_TYPE = "Bearer"
ACCESS = "access"


@dataclass(frozen=True)
class AccessGrant:
    """Who the token speaks for and what it allows.

    A user's token names its session (`sid`); an API key's has none. `tier` is the
    organization's plan tier and `organization_id` the organization (the tenant of a
    live token, or the owner of a sandbox tenant), which the gateway's rate limits read.
    A user's token also carries the user's `scope_version`: once it rises, the gateway
    and every service refuse the older tokens, whose scopes are out of date. An API key's
    token carries its secret's display prefix (`key_prefix`), so a rotation can stop the
    tokens of the previous secret, and never outlives its secret (`not_after`).
    """

    subject_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID | None
    scope: str
    kind: str = USER_KIND
    tier: str = "standard"
    organization_id: uuid.UUID | None = None
    scope_version: int | None = None
    key_prefix: str | None = None
    not_after: datetime | None = None


def access_claims(grant: AccessGrant, *, now: datetime, ttl: timedelta) -> dict[str, Any]:
    issued_at = int(now.timestamp())
    expires_at = issued_at + int(ttl.total_seconds())
    if grant.not_after is not None:
        # Rounded up: `exp` is whole seconds, and the token must not stop before its secret.
        expires_at = min(expires_at, math.ceil(grant.not_after.timestamp()))
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(grant.subject_id),
        "tid": str(grant.tenant_id),
        "scope": grant.scope,
        "typ": ACCESS,
        "kind": grant.kind,
        "tier": grant.tier,
        "iat": issued_at,
        "exp": expires_at,
        "jti": str(uuid.uuid4()),
        "org": str(grant.organization_id or grant.tenant_id),
    }
    if grant.session_id is not None:
        claims["sid"] = str(grant.session_id)
    if grant.scope_version is not None:
        claims[SCOPE_VERSION_CLAIM] = grant.scope_version
    if grant.key_prefix is not None:
        claims[KEY_PREFIX_CLAIM] = grant.key_prefix
    return claims


def sign(claims: dict[str, Any], key: KeyMaterial) -> str:
    return jwt.encode(claims, key.private_key(), algorithm=ALGORITHM, headers={"kid": key.kid})


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_token_digest(token: str) -> str:
    """Only this digest is stored: a database leak does not leak usable refresh tokens."""
    return secret_digest(token)


def secret_digest(secret: str) -> str:
    """The sha256 hex digest under which a random secret (refresh, reset, API key) is stored.

    A plain hash suffices (no argon2): these secrets carry 256 random bits, not a
    guessable password.
    """
    return hashlib.sha256(secret.encode()).hexdigest()
