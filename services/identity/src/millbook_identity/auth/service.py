"""Login, sessions and the keys that sign access tokens. Services flush; the caller commits.

Two refusals must outlive the request's rolled-back transaction: a failed
password (the lockout counts it) and a reused refresh token (its family is
revoked). They are written in a transaction of their own from `sessions`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_identity.audit import domain as audit_actions
from millbook_identity.audit import service as audit
from millbook_identity.auth import repository, revocation
from millbook_identity.auth.domain import (
    INVALID_CREDENTIALS,
    LoginCandidate,
    RefreshOutcome,
    RefreshState,
    choose_account,
    refresh_outcome,
)
from millbook_identity.auth.keys import KeyMaterial, KeyVault, generate_key_material
from millbook_identity.auth.lockout import (
    DEFAULT_POLICY,
    UNKNOWN_SOURCE,
    LockoutPolicy,
    email_digest,
    locked_until,
    retry_after_seconds,
    throttled_until,
)
from millbook_identity.auth.passwords import password_matches_async, waste_a_verification_async
from millbook_identity.auth.tokens import (
    AccessGrant,
    access_claims,
    new_refresh_token,
    refresh_token_digest,
    sign,
)
from millbook_identity.models import (
    AnonymousLoginFailure,
    LoginFailure,
    SigningKey,
    User,
    UserSession,
)
from millbook_identity.organizations import repository as organizations
from millbook_identity.roles import repository as roles
from millbook_identity.roles.domain import scope_claim
from millbook_identity.users.domain import UserStatus, normalize_email
from millbook_platform.db import scope_to_tenant, unit_of_work, utcnow
from millbook_platform.errors import AuthInvalid, RateLimited

log = logging.getLogger("millbook.identity.auth")

INVALID_REFRESH = "The refresh token is not valid; log in again."
LOCKED = "Too many failed logins for this account from your address; try again later."
# A rotated key keeps verifying for an access token's lifetime plus this margin.
RETIREMENT_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenPolicy:
    access_ttl: timedelta
    refresh_ttl: timedelta
    vault: KeyVault
    remember_ttl: timedelta = timedelta(days=30)
    lockout: LockoutPolicy = field(default=DEFAULT_POLICY)


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


@dataclass(frozen=True)
class Refusals:
    """Where refusals are written so that they survive the request's rollback."""

    sessions: async_sessionmaker[AsyncSession]
    source: str
    # Keys the digest an email without an account has its failures counted under.
    email_key: bytes | None = None


async def login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    organization_id: uuid.UUID | None,
    policy: TokenPolicy,
    refusals: Refusals,
    remember_me: bool = False,
    client: str = UNKNOWN_SOURCE,
) -> IssuedTokens:
    """Open a session for the account the credentials name and issue its tokens.

    `client` is the caller's address: failures are counted, and locks apply, per
    account and client, so that failing on purpose elsewhere cannot lock the owner out.
    """
    normalized = normalize_email(email)
    accounts = _in_organization(
        await repository.users_with_email_in_any_tenant(session, normalized), organization_id
    )
    digest = email_digest(normalized, refusals.email_key)
    await _refuse_when_locked(session, accounts, digest, client, policy.lockout)
    candidates = await _check_password(accounts, password)
    try:
        chosen = choose_account(candidates, organization_id)
    except AuthInvalid:
        await _record_failures(refusals, accounts, candidates, digest, client, policy.lockout)
        raise
    user = next(u for u in accounts if u.id == chosen.user_id)
    await scope_to_tenant(session, user.tenant_id)
    org = await organizations.get(session, user.tenant_id)
    if org is None or org.status != "active":
        raise AuthInvalid(INVALID_CREDENTIALS)
    await repository.forget_failures(session, user.tenant_id, user.id, source=client)
    issued = await open_session(session, user, policy, remember_me=remember_me)
    audit.record_own_account(
        session,
        user.id,
        user.tenant_id,
        audit_actions.LOGIN_SUCCEEDED,
        {"remember_me": remember_me},
    )
    return issued


def _in_organization(users: Sequence[User], organization_id: uuid.UUID | None) -> list[User]:
    # Filtered before verifying, so other organizations' hashes cost no time.
    return [u for u in users if organization_id is None or u.tenant_id == organization_id]


async def _refuse_when_locked(
    session: AsyncSession,
    accounts: Sequence[User],
    digest: str,
    client: str,
    policy: LockoutPolicy,
) -> None:
    """429 when every account the login could open is locked for this client; no
    password is checked.

    An email without an account is locked by its own failures, by the same rule and
    with the same answer, so that a 429 does not reveal whether an account exists.
    """
    now = utcnow()
    since = now - policy.lookback
    if accounts:
        failures = await repository.recent_failures(session, [u.id for u in accounts], since)
        locks = [throttled_until(failures[u.id], client, now, policy) for u in accounts]
    else:
        anonymous = await repository.recent_anonymous_failures(session, digest, since)
        locks = [throttled_until(anonymous, client, now, policy)]
    if all(until is not None for until in locks):
        soonest = min(until for until in locks if until is not None)
        seconds = retry_after_seconds(soonest, now)
        raise RateLimited(LOCKED, headers={"Retry-After": str(seconds)})


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


async def _record_failures(
    refusals: Refusals,
    accounts: Sequence[User],
    candidates: Sequence[LoginCandidate],
    digest: str,
    client: str,
    policy: LockoutPolicy,
) -> None:
    if not accounts:
        async with unit_of_work(refusals.sessions) as session:
            await _record_anonymous_failure(session, digest, client, policy)
        return
    wrong = {c.user_id for c in candidates if not c.password_matches}
    for user in (u for u in accounts if u.id in wrong):
        async with unit_of_work(refusals.sessions, user.tenant_id) as session:
            await _record_failure(session, user, client, policy)


async def _record_anonymous_failure(
    session: AsyncSession, digest: str, client: str, policy: LockoutPolicy
) -> None:
    now = utcnow()
    await repository.forget_anonymous_failures_before(session, now - policy.lookback)
    failure = AnonymousLoginFailure(
        id=uuid.uuid4(), email_digest=digest, source=client, created_at=now
    )
    repository.add_anonymous_failure(session, failure)


async def _record_failure(
    session: AsyncSession, user: User, client: str, policy: LockoutPolicy
) -> None:
    now = utcnow()
    await repository.forget_failures(session, user.tenant_id, user.id, before=now - policy.lookback)
    failure = LoginFailure(
        id=uuid.uuid4(), tenant_id=user.tenant_id, user_id=user.id, source=client, created_at=now
    )
    repository.add_failure(session, failure)
    await session.flush()
    seen_from = {"client_ip": client}
    audit.record_own_account(
        session, user.id, user.tenant_id, audit_actions.LOGIN_FAILED, seen_from
    )
    failures = (await repository.recent_failures(session, [user.id], now - policy.lookback))[
        user.id
    ]
    until = locked_until([at for source, at in failures if source == client], now, policy)
    if until is not None:
        audit.record_own_account(
            session,
            user.id,
            user.tenant_id,
            audit_actions.ACCOUNT_LOCKED,
            {"locked_until": until.isoformat(), **seen_from},
        )


async def open_session(
    session: AsyncSession,
    user: User,
    policy: TokenPolicy,
    *,
    remember_me: bool = False,
    predecessor: UserSession | None = None,
) -> IssuedTokens:
    """A new refresh token (succeeding `predecessor`, if any) and its access token."""
    now = utcnow()
    lifetime = (
        predecessor.expires_at - predecessor.created_at
        if predecessor is not None
        else (policy.remember_ttl if remember_me else policy.refresh_ttl)
    )
    refresh_token = new_refresh_token()
    session_id = uuid.uuid4()
    user_session = UserSession(
        id=session_id,
        tenant_id=user.tenant_id,
        user_id=user.id,
        refresh_token_hash=refresh_token_digest(refresh_token),
        family_id=predecessor.family_id if predecessor is not None else session_id,
        created_at=now,
        expires_at=now + lifetime,
    )
    repository.add_session(session, user_session)
    user.last_login_at = now if predecessor is None else user.last_login_at
    await session.flush()
    access_token = await user_access_token(
        session, user, session_id, policy.access_ttl, policy.vault
    )
    expires_in = int(policy.access_ttl.total_seconds())
    return IssuedTokens(access_token, refresh_token, expires_in, user)


async def user_access_token(
    session: AsyncSession, user: User, session_id: uuid.UUID, ttl: timedelta, vault: KeyVault
) -> str:
    org = await organizations.get(session, user.tenant_id)
    custom = await roles.custom_scopes(session, user.tenant_id)
    grant = AccessGrant(
        subject_id=user.id,
        tenant_id=user.tenant_id,
        session_id=session_id,
        scope=scope_claim(user.roles, custom),
        tier=org.plan_tier if org is not None else "standard",
        scope_version=user.scope_version,
    )
    claims = access_claims(grant, now=utcnow(), ttl=ttl)
    return sign(claims, await current_signing_key(session, vault))


async def refresh(
    session: AsyncSession, *, refresh_token: str, policy: TokenPolicy, refusals: Refusals
) -> IssuedTokens:
    """Rotate a refresh token; a used one revokes its whole family (theft detection)."""
    now = utcnow()
    current = await repository.session_by_refresh_digest(
        session, refresh_token_digest(refresh_token)
    )
    state = (
        RefreshState(current.expires_at, current.used_at, current.revoked_at)
        if current is not None
        else None
    )
    outcome = refresh_outcome(state, now)
    if current is not None and outcome is RefreshOutcome.ROTATE:
        await scope_to_tenant(session, current.tenant_id)
        if not await repository.mark_used(session, current.id, now):
            outcome = RefreshOutcome.REUSED  # a concurrent refresh consumed it first
    if current is not None and outcome is RefreshOutcome.REUSED:
        await _revoke_family(refusals, current)
    if current is None or outcome is not RefreshOutcome.ROTATE:
        raise AuthInvalid(INVALID_REFRESH)
    user = await session.get(User, current.user_id)
    if user is None or user.status != UserStatus.ACTIVE:
        raise AuthInvalid(INVALID_REFRESH)
    return await open_session(session, user, policy, predecessor=current)


async def _revoke_family(refusals: Refusals, reused: UserSession) -> None:
    async with unit_of_work(refusals.sessions, reused.tenant_id) as session:
        family = await repository.family(session, reused.tenant_id, reused.family_id)
        actor = f"user:{reused.user_id}"
        ended = revocation.revoke(
            session, family, reason="refresh_token_reuse", source=refusals.source, actor=actor
        )
        audit.record(
            session,
            tenant_id=reused.tenant_id,
            action=audit_actions.REFRESH_REUSE_DETECTED,
            resource_type="session",
            resource_id=reused.family_id,
            actor=actor,
            payload={"revoked_sessions": [str(s.id) for s in ended]},
        )


async def logout(
    session: AsyncSession, tenant_id: uuid.UUID, session_id: uuid.UUID, *, source: str
) -> None:
    """End the caller's session; its refresh token stops working and the gateway is told."""
    user_session = await repository.get_session(session, tenant_id, session_id)
    if user_session is None:
        return
    revocation.revoke(session, [user_session], reason="logout", source=source)
    audit.record(
        session,
        tenant_id=tenant_id,
        action=audit_actions.LOGOUT,
        resource_type="session",
        resource_id=session_id,
    )


async def session_is_live(session: AsyncSession, session_id: uuid.UUID) -> bool:
    found = await repository.session_in_any_tenant(session, session_id)
    return found is not None and found.revoked_at is None


async def current_signing_key(session: AsyncSession, vault: KeyVault) -> KeyMaterial:
    """The newest active key, decrypted; created on first need."""
    keys = await repository.active_signing_keys(session)
    if not keys:
        await repository.lock_signing_keys(session)
        keys = await repository.active_signing_keys(session)
    if not keys:
        keys = [await _create_signing_key(session, vault)]
    key = keys[0]
    return vault.open(key.kid, key.private_key_pem, key.public_jwk)


async def _create_signing_key(session: AsyncSession, vault: KeyVault) -> SigningKey:
    material = generate_key_material()
    key = SigningKey(
        kid=material.kid,
        private_key_pem=vault.seal(material),
        public_jwk=material.public_jwk,
        created_at=utcnow(),
    )
    repository.add_signing_key(session, key)
    await session.flush()
    return key


@dataclass(frozen=True)
class Rotation:
    current: str
    retiring: list[tuple[str, datetime]]


async def rotate_signing_keys(
    session: AsyncSession, access_ttl: timedelta, vault: KeyVault
) -> Rotation:
    """Make a new key current; older keys keep verifying until their tokens have expired."""
    await repository.lock_signing_keys(session)
    key = await _create_signing_key(session, vault)
    retire_at = utcnow() + access_ttl + RETIREMENT_MARGIN
    retiring = await repository.signing_keys_to_retire(session, keep=key.kid)
    for old in retiring:
        old.retired_at = retire_at
    await session.flush()
    return Rotation(key.kid, [(old.kid, retire_at) for old in retiring])


async def check_signing_keys(sessions: async_sessionmaker[AsyncSession], vault: KeyVault) -> None:
    """SigningKeyUnavailable, at startup rather than at the first login, when a key that
    still signs or verifies does not open with the configured passphrase."""
    try:
        async with unit_of_work(sessions) as session:
            keys = await repository.active_signing_keys(session)
    except (DBAPIError, OSError):
        log.warning("signing keys not checked at startup: the database is not reachable")
        return
    for key in keys:
        vault.open(key.kid, key.private_key_pem, key.public_jwk)


async def jwks(session: AsyncSession, vault: KeyVault) -> dict[str, Any]:
    """The public keys of every active signing key, creating the first if there is none."""
    await current_signing_key(session, vault)
    keys = await repository.active_signing_keys(session)
    return {"keys": [dict(key.public_jwk) for key in keys]}
