"""Access and refresh tokens: claims, signing, and the refresh secret's digest."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from millbook_identity.auth.keys import KeyMaterial
from millbook_platform.auth import ALGORITHM, AUDIENCE, ISSUER

TOKEN_TYPE = "Bearer"
ACCESS = "access"
USER_KIND = "user"
API_KEY_KIND = "api_key"
SCOPE_VERSION_CLAIM = "scope_version"


@dataclass(frozen=True)
class AccessGrant:
    """Who the token speaks for and what it allows.

    A user's token names its session (`sid`); an API key's has none. `tier` is the
    organization's plan tier and `organization_id` the organization (the tenant of a
    live token, or the owner of a sandbox tenant), which the gateway's rate limits read.
    A user's token also carries the user's `scope_version`: once it rises, the gateway
    refuses the older tokens, whose scopes are out of date.
    """

    subject_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID | None
    scope: str
    kind: str = USER_KIND
    tier: str = "standard"
    organization_id: uuid.UUID | None = None
    scope_version: int | None = None


def access_claims(grant: AccessGrant, *, now: datetime, ttl: timedelta) -> dict[str, Any]:
    issued_at = int(now.timestamp())
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
        "exp": issued_at + int(ttl.total_seconds()),
        "jti": str(uuid.uuid4()),
        "org": str(grant.organization_id or grant.tenant_id),
    }
    if grant.session_id is not None:
        claims["sid"] = str(grant.session_id)
    if grant.scope_version is not None:
        claims[SCOPE_VERSION_CLAIM] = grant.scope_version
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
