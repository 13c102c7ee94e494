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


@dataclass(frozen=True)
class AccessGrant:
    """Who the token speaks for and what it allows."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID
    scope: str


def access_claims(grant: AccessGrant, *, now: datetime, ttl: timedelta) -> dict[str, Any]:
    issued_at = int(now.timestamp())
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(grant.user_id),
        "tid": str(grant.tenant_id),
        "sid": str(grant.session_id),
        "scope": grant.scope,
        "typ": ACCESS,
        "kind": USER_KIND,
        "iat": issued_at,
        "exp": issued_at + int(ttl.total_seconds()),
        "jti": str(uuid.uuid4()),
    }


def sign(claims: dict[str, Any], key: KeyMaterial) -> str:
    return jwt.encode(claims, key.private_key(), algorithm=ALGORITHM, headers={"kid": key.kid})


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_token_digest(token: str) -> str:
    """Only this digest is stored: a database leak does not leak usable refresh tokens."""
    return hashlib.sha256(token.encode()).hexdigest()
