"""API key use cases: create, list, revoke, rotate, and resolve a secret for the gateway."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_contracts.events import ApiKeyCreated, ApiKeyRevoked, ApiKeyRotated
from millbook_identity.api_keys import repository
from millbook_identity.api_keys.domain import (
    KeyMode,
    KeyState,
    Refusal,
    display_prefix,
    needs_last_used_update,
    new_secret,
    refusal,
    usable_until,
)
from millbook_identity.api_keys.schemas import ApiKeyCreate
from millbook_identity.audit import domain as audit_actions
from millbook_identity.audit import service as audit
from millbook_identity.auth.keys import KeyVault
from millbook_identity.auth.service import current_signing_key
from millbook_identity.auth.tokens import (
    AccessGrant,
    access_claims,
    secret_digest,
    sign,
)
from millbook_identity.models import ApiKey
from millbook_identity.organizations import repository as organizations
from millbook_identity.roles.domain import scopes_beyond
from millbook_platform.auth import API_KEY_KIND, Principal
from millbook_platform.db import scope_to_tenant, utcnow
from millbook_platform.errors import (
    AuthInvalid,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    field_error,
)
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams

# One message for every refusal of the secret itself: a caller learns nothing about which
# check failed. Only the holder of a valid secret learns that its address is not allowed.
INVALID_KEY = "The API key is not valid."
ADDRESS_NOT_ALLOWED = "This key may not be used from this address."


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str


async def create_key(
    session: AsyncSession, principal: Principal, data: ApiKeyCreate, *, source: str
) -> IssuedKey:
    """A new key with at most the creator's scopes; ApiKeyCreated goes out with it."""
    _refuse_scopes_beyond(principal, data.scopes)
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise _invalid("expires_at", "must be in the future")
    secret = new_secret(data.mode)
    key = ApiKey(
        id=uuid.uuid4(),
        tenant_id=principal.tenant_id,
        name=data.name,
        mode=data.mode.value,
        scopes=data.scopes,
        prefix=display_prefix(secret),
        secret_hash=secret_digest(secret),
        allowed_ips=data.allowed_ips,
        expires_at=data.expires_at,
        created_by=principal.actor,
    )
    repository.add(session, key)
    await session.flush()
    event = ApiKeyCreated(
        key_id=key.id,
        organization_id=key.tenant_id,
        name=key.name,
        mode=key.mode,
        scopes=list(key.scopes),
        expires_at=key.expires_at,
        created_at=key.created_at,
    )
    record_event(session, event, tenant_id=key.tenant_id, source=source)
    return IssuedKey(key, secret)


def _refuse_scopes_beyond(principal: Principal, scopes: Sequence[str]) -> None:
    beyond = scopes_beyond(scopes, principal.scopes)
    if beyond:
        raise PermissionDenied(
            f"A key cannot have more than its creator: you lack the scope {', '.join(beyond)}.",
            details=[field_error("scopes", f"you lack {scope}") for scope in beyond],
        )


async def get_key(session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    key = await repository.get(session, tenant_id, key_id)
    if key is None:
        raise NotFound("No API key with this id.")
    return key


async def list_keys(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[Sequence[ApiKey], PageMeta]:
    return await repository.list_page(session, tenant_id, page)


async def revoke_key(
    session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID, *, source: str
) -> ApiKey:
    """Stop the key (both its secrets) now; the gateway drops it on ApiKeyRevoked."""
    key = await get_key(session, tenant_id, key_id)
    if key.revoked_at is not None:
        return key  # revoking twice changes nothing
    key.revoked_at = utcnow()
    await session.flush()
    event = ApiKeyRevoked(key_id=key.id, organization_id=key.tenant_id, revoked_at=key.revoked_at)
    record_event(session, event, tenant_id=key.tenant_id, source=source)
    return key


async def rotate_key(
    session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID, grace: timedelta, *, source: str
) -> IssuedKey:
    """A new secret; the current one keeps working for `grace`, then stops.

    ApiKeyRotated makes every gateway forget what the old secret resolved to, so a
    rotation without grace stops the old secret at once; it names the new secret's
    prefix, so every service stops the old secret's tokens then too.
    """
    key = await get_key(session, tenant_id, key_id)
    if key.revoked_at is not None:
        raise Conflict("A revoked key cannot be rotated; create a new one.")
    secret = new_secret(KeyMode(key.mode))
    now = utcnow()
    key.previous_secret_hash = key.secret_hash if grace > timedelta(0) else None
    key.previous_expires_at = now + grace if grace > timedelta(0) else None
    key.secret_hash = secret_digest(secret)
    key.prefix = display_prefix(secret)
    await session.flush()
    audit.record(
        session,
        tenant_id=tenant_id,
        action=audit_actions.API_KEY_ROTATED,
        resource_type="api_key",
        resource_id=key.id,
        payload={"grace_period_seconds": int(grace.total_seconds())},
    )
    event = ApiKeyRotated(
        key_id=key.id,
        organization_id=key.tenant_id,
        rotated_at=now,
        previous_secret_expires_at=key.previous_expires_at,
        prefix=key.prefix,
    )
    record_event(session, event, tenant_id=key.tenant_id, source=source)
    return IssuedKey(key, secret)


@dataclass(frozen=True)
class Resolution:
    access_token: str
    expires_in: int
    key: ApiKey
    tenant_id: uuid.UUID
    tier: str
    usable_until: datetime | None


async def resolve(
    session: AsyncSession,
    secret: str,
    client_ip: str | None,
    *,
    token_ttl: timedelta,
    vault: KeyVault,
) -> Resolution:
    """Exchange a key's secret for a short access token in the tenant its mode acts in."""
    digest = secret_digest(secret)
    key = await repository.by_secret_digest(session, digest)
    now = utcnow()
    if key is None:
        raise AuthInvalid(INVALID_KEY)
    state = _state(key, digest)
    _refuse_if(refusal(state, now, client_ip))
    org = await organizations.owning_tenant(session, key.tenant_id)
    if org is None or org.status != "active":
        raise AuthInvalid(INVALID_KEY)
    tenant_id = org.id if key.mode == KeyMode.LIVE else org.sandbox_tenant_id
    until = usable_until(state)
    grant = AccessGrant(
        subject_id=key.id,
        tenant_id=tenant_id,
        session_id=None,
        scope=" ".join(sorted(key.scopes)),
        kind=API_KEY_KIND,
        tier=org.plan_tier,
        organization_id=org.id,
        key_prefix=display_prefix(secret),
        not_after=until,
    )
    claims = access_claims(grant, now=now, ttl=token_ttl)
    token = sign(claims, await current_signing_key(session, vault))
    if needs_last_used_update(key.last_used_at, now):
        await _touch(session, key, now)
    expires_in = int(claims["exp"]) - int(claims["iat"])
    return Resolution(token, expires_in, key, tenant_id, org.plan_tier, until)


def _refuse_if(refused: Refusal | None) -> None:
    if refused is Refusal.ADDRESS_NOT_ALLOWED:
        raise PermissionDenied(ADDRESS_NOT_ALLOWED)
    if refused is not None:
        raise AuthInvalid(INVALID_KEY)


def _state(key: ApiKey, digest: str) -> KeyState:
    return KeyState(
        revoked_at=key.revoked_at,
        expires_at=key.expires_at,
        allowed_ips=key.allowed_ips,
        matched_previous_secret=key.secret_hash != digest,
        previous_expires_at=key.previous_expires_at,
    )


async def _touch(session: AsyncSession, key: ApiKey, now: datetime) -> None:
    await scope_to_tenant(session, key.tenant_id)
    await session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))


async def key_is_live(session: AsyncSession, key_id: uuid.UUID) -> bool:
    key = await repository.in_any_tenant(session, key_id)
    return key is not None and key.revoked_at is None


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed("The API key is not valid.", details=[field_error(field, message)])
