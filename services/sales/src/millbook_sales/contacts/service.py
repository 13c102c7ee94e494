"""Contact use cases: people at a customer; deletion is soft."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.db import utcnow
from millbook_platform.errors import NotFound, ValidationFailed, field_error
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams
from millbook_sales.contacts import events, repository
from millbook_sales.contacts.schemas import REQUIRED_FIELDS, ContactCreate, ContactUpdate
from millbook_sales.customers.domain import changed_fields
from millbook_sales.customers.service import get_customer
from millbook_sales.models import Contact

WRITABLE = tuple(ContactUpdate.model_fields)


async def get_contact(
    session: AsyncSession, tenant_id: uuid.UUID, contact_id: uuid.UUID, *, lock: bool = False
) -> Contact:
    contact = await repository.get(session, tenant_id, contact_id, lock=lock)
    if contact is None:
        raise NotFound(
            "No contact with this id.", details=[field_error("contact_id", str(contact_id))]
        )
    return contact


async def list_contacts(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID | None, page: PageParams
) -> tuple[Sequence[Contact], PageMeta]:
    return await repository.list_page(session, tenant_id, customer_id, page)


async def create_contact(
    session: AsyncSession, tenant_id: uuid.UUID, body: ContactCreate, *, source: str
) -> Contact:
    await get_customer(session, tenant_id, body.customer_id)
    contact = Contact(id=uuid.uuid4(), tenant_id=tenant_id, **body.model_dump())
    if contact.email:
        contact.email = contact.email.lower()
    session.add(contact)
    await session.flush()
    record_event(session, events.contact_created(contact), tenant_id=tenant_id, source=source)
    return contact


async def update_contact(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    contact_id: uuid.UUID,
    body: ContactUpdate,
    *,
    source: str,
) -> Contact:
    values = body.model_dump(exclude_unset=True)
    nulls = sorted(name for name in REQUIRED_FIELDS if name in values and values[name] is None)
    if nulls:
        raise ValidationFailed(
            "These fields cannot be null.",
            details=[field_error(n, "may not be null") for n in nulls],
        )
    contact = await get_contact(session, tenant_id, contact_id, lock=True)
    before = {name: getattr(contact, name) for name in WRITABLE}
    for name, value in values.items():
        setattr(contact, name, value.lower() if name == "email" and value else value)
    changed = changed_fields(before, {name: getattr(contact, name) for name in WRITABLE})
    if changed:
        await session.flush()
        event = events.contact_updated(contact, changed)
        record_event(session, event, tenant_id=tenant_id, source=source)
    return contact


async def delete_contact(
    session: AsyncSession, tenant_id: uuid.UUID, contact_id: uuid.UUID, *, source: str
) -> None:
    contact = await get_contact(session, tenant_id, contact_id, lock=True)
    contact.deleted_at = utcnow()
    await session.flush()
    event = events.contact_deleted(contact, contact.deleted_at)
    record_event(session, event, tenant_id=tenant_id, source=source)
