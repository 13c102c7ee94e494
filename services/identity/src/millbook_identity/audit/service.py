"""Audit use cases: write an entry, take one from any service's event, read, purge."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_contracts.envelope import Envelope
from millbook_identity.audit import repository
from millbook_identity.audit.domain import Actor, resource_type_of, retention_cutoff
from millbook_identity.audit.repository import AuditFilters
from millbook_identity.models import AuditEntry
from millbook_platform.db import across_tenants, utcnow
from millbook_platform.errors import NotFound
from millbook_platform.pagination import PageMeta, PageParams
from millbook_platform.redaction import redact_secrets
from millbook_platform.requestctx import actor_var, current_request_id


def record(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    action: str,
    resource_type: str,
    resource_id: object | None,
    payload: Mapping[str, Any] | None = None,
    actor: str | None = None,
) -> AuditEntry:
    """Add one of identity's own entries to the caller's transaction."""
    who = actor or actor_var.get()
    parsed = Actor.parse(who)
    entry = AuditEntry(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        occurred_at=utcnow(),
        actor=who,
        actor_id=parsed.id,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else None,
        request_id=current_request_id(),
        payload=redact_secrets(dict(payload or {})),
    )
    repository.add(session, entry)
    return entry


def record_own_account(
    session: AsyncSession,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    action: str,
    payload: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """An entry for something a person did to their own account (log in, reset a password)."""
    return record(
        session,
        tenant_id=tenant_id,
        action=action,
        resource_type="user",
        resource_id=user_id,
        actor=f"user:{user_id}",
        payload=payload,
    )


async def record_event(session: AsyncSession, payload: Any, envelope: Envelope) -> None:
    """The catch-all consumer's handler: one entry per event, whichever service sent it,
    its secret-named fields redacted."""
    parsed = Actor.parse(envelope.actor)
    await repository.add_once(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": envelope.tenant_id,
            "occurred_at": envelope.time,
            "actor": envelope.actor,
            "actor_id": parsed.id,
            "action": envelope.type,
            "resource_type": resource_type_of(envelope.type),
            "resource_id": envelope.subject or None,
            "request_id": envelope.request_id,
            "event_id": envelope.id,
            # Never a secret in the trail, even if an event ever carried one.
            "payload": redact_secrets(payload if isinstance(payload, dict) else {"value": payload}),
            "created_at": utcnow(),
            "updated_at": utcnow(),
        },
    )


async def get_entry(session: AsyncSession, tenant_id: uuid.UUID, entry_id: uuid.UUID) -> AuditEntry:
    entry = await repository.get(session, tenant_id, entry_id)
    if entry is None:
        raise NotFound("No audit entry with this id.")
    return entry


async def list_entries(
    session: AsyncSession, tenant_id: uuid.UUID, filters: AuditFilters, page: PageParams
) -> tuple[Sequence[AuditEntry], PageMeta]:
    return await repository.list_page(session, tenant_id, filters, page)


async def purge_expired(session: AsyncSession, now: datetime | None = None) -> int:
    """Delete every tenant's entries older than its organization's retention; returns how many."""
    moment = now or utcnow()
    removed = 0
    async with across_tenants(session):
        for tenant_ids, days in await repository.retention_by_tenant(session):
            removed += await repository.delete_before(
                session, tenant_ids, retention_cutoff(moment, days)
            )
    return removed
