"""Login and the keys that sign access tokens. Services flush; the caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.auth import repository
from millbook_identity.auth.domain import LoginCandidate, choose_account
from millbook_identity.auth.keys import KeyMaterial, generate_key_material
from millbook_identity.auth.passwords import password_matches_async, waste_a_verification_async
from millbook_identity.auth.tokens import (
    AccessGrant,
    access_claims,
    new_refresh_token,
    refresh_token_digest,
    sign,
)
from millbook_identity.models import SigningKey, User, UserSession
from millbook_identity.roles.domain import scope_claim
from millbook_identity.users.domain import normalize_email
from millbook_platform.db import scope_to_tenant, utcnow


@dataclass(frozen=True)
class TokenPolicy:
    access_ttl: timedelta
    refresh_ttl: timedelta


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


async def login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    organization_id: uuid.UUID | None,
    policy: TokenPolicy,
) -> IssuedTokens:
    """Open a session for the account the credentials name and issue its tokens."""
    accounts = _in_organization(
        await repository.users_with_email_in_any_tenant(session, normalize_email(email)),
        organization_id,
    )
    candidates = await _check_password(accounts, password)
    chosen = choose_account(candidates, organization_id)
    user = next(u for u in accounts if u.id == chosen.user_id)
    await scope_to_tenant(session, user.tenant_id)
    return await _open_session(session, user, policy)


def _in_organization(users: Sequence[User], organization_id: uuid.UUID | None) -> list[User]:
    # Filtered before verifying, so other organizations' hashes cost no time.
    return [u for u in users if organization_id is None or u.tenant_id == organization_id]


async def _check_password(accounts: Sequence[User], password: str) -> list[LoginCandidate]:
    if not accounts:
        await waste_a_verification_async(password)
    return [
        LoginCandidate(
            user_id=u.id,
            organization_id=u.tenant_id,
            status=u.status,
            password_matches=await password_matches_async(u.password_hash, password),
        )
        for u in accounts
    ]


async def _open_session(session: AsyncSession, user: User, policy: TokenPolicy) -> IssuedTokens:
    now = utcnow()
    refresh_token = new_refresh_token()
    user_session = UserSession(
        id=uuid.uuid4(),
        tenant_id=user.tenant_id,
        user_id=user.id,
        refresh_token_hash=refresh_token_digest(refresh_token),
        expires_at=now + policy.refresh_ttl,
    )
    repository.add_session(session, user_session)
    user.last_login_at = now
    await session.flush()
    grant = AccessGrant(user.id, user.tenant_id, user_session.id, scope_claim(user.roles))
    claims = access_claims(grant, now=now, ttl=policy.access_ttl)
    access_token = sign(claims, await current_signing_key(session))
    expires_in = int(policy.access_ttl.total_seconds())
    return IssuedTokens(access_token, refresh_token, expires_in, user)


async def current_signing_key(session: AsyncSession) -> KeyMaterial:
    """The newest active key, created on first need."""
    keys = await repository.active_signing_keys(session)
    if not keys:
        await repository.lock_signing_keys(session)
        keys = await repository.active_signing_keys(session)
    if not keys:
        keys = [await _create_signing_key(session)]
    key = keys[0]
    return KeyMaterial(kid=key.kid, private_key_pem=key.private_key_pem, public_jwk=key.public_jwk)


async def _create_signing_key(session: AsyncSession) -> SigningKey:
    material = generate_key_material()
    key = SigningKey(
        kid=material.kid,
        private_key_pem=material.private_key_pem,
        public_jwk=material.public_jwk,
        created_at=utcnow(),
    )
    repository.add_signing_key(session, key)
    await session.flush()
    return key


async def jwks(session: AsyncSession) -> dict[str, Any]:
    """The public keys of every active signing key, creating the first if there is none."""
    await current_signing_key(session)
    keys = await repository.active_signing_keys(session)
    return {"keys": [dict(key.public_jwk) for key in keys]}
