"""Lead use cases: capture with duplicate check and round-robin assignment, conversion."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.db import utcnow
from millbook_platform.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
)
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams
from millbook_sales.contacts import service as contacts
from millbook_sales.contacts.schemas import ContactCreate
from millbook_sales.customers import repository as customer_repository
from millbook_sales.customers import service as customers
from millbook_sales.customers.domain import company_key
from millbook_sales.customers.schemas import CustomerCreate
from millbook_sales.leads import domain, events, repository
from millbook_sales.leads.domain import LeadStatus
from millbook_sales.leads.repository import LeadFilters
from millbook_sales.leads.schemas import REQUIRED_FIELDS, LeadConvert, LeadCreate, LeadUpdate
from millbook_sales.models import Lead, Opportunity
from millbook_sales.opportunities.service import open_opportunity
from millbook_sales.tenants.service import currency_for
from millbook_sales.users.projection import active_sales_user_ids
from millbook_sales.users.service import require_assignee


async def get_lead(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID, *, lock: bool = False
) -> Lead:
    lead = await repository.get(session, tenant_id, lead_id, lock=lock)
    if lead is None:
        raise NotFound("No lead with this id.", details=[field_error("lead_id", str(lead_id))])
    return lead


async def list_leads(
    session: AsyncSession, tenant_id: uuid.UUID, filters: LeadFilters, page: PageParams
) -> tuple[Sequence[Lead], PageMeta]:
    return await repository.list_page(session, tenant_id, filters, page)


async def create_lead(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    body: LeadCreate,
    *,
    allow_duplicate: bool,
    source: str,
) -> Lead:
    lead = Lead(id=uuid.uuid4(), tenant_id=tenant_id, **body.model_dump())
    lead.currency_code = await currency_for(session, tenant_id, body.currency_code)
    lead.email = lead.email.lower() if lead.email else None
    lead.company_key = company_key(lead.company)
    if not allow_duplicate:
        await _refuse_duplicates(session, lead)
    auto_assigned = body.assigned_to is None
    if body.assigned_to is not None:
        await require_assignee(session, tenant_id, body.assigned_to)
    else:
        lead.assigned_to = await _next_sales_user(session, tenant_id)
    session.add(lead)
    await session.flush()
    event = events.lead_created(lead, auto_assigned=auto_assigned)
    record_event(session, event, tenant_id=tenant_id, source=source)
    return lead


async def update_lead(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    body: LeadUpdate,
    *,
    source: str,
) -> Lead:
    values: dict[str, Any] = body.model_dump(exclude_unset=True)
    nulls = sorted(name for name in REQUIRED_FIELDS if name in values and values[name] is None)
    if nulls:
        raise ValidationFailed(
            "These fields cannot be null.",
            details=[field_error(n, "may not be null") for n in nulls],
        )
    lead = await get_lead(session, tenant_id, lead_id, lock=True)
    if lead.status == LeadStatus.CONVERTED or values.get("status") == LeadStatus.CONVERTED:
        raise InvalidTransition(
            "A lead becomes converted only through POST /v1/leads/{id}/convert, and then stays so.",
            details=[field_error("status", f"lead is {lead.status}")],
        )
    if values.get("assigned_to") not in (None, lead.assigned_to):
        await require_assignee(session, tenant_id, values["assigned_to"])
    if values.get("email"):
        values["email"] = values["email"].lower()
    changed = sorted(name for name, value in values.items() if getattr(lead, name) != value)
    for name in changed:
        setattr(lead, name, values[name])
    lead.company_key = company_key(lead.company)
    await session.flush()
    if changed:
        record_event(
            session, events.lead_updated(lead, changed), tenant_id=tenant_id, source=source
        )
    return lead


async def convert_lead(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    body: LeadConvert,
    *,
    source: str,
) -> Lead:
    """Customer, contact and opportunity from one lead, in the caller's single transaction."""
    lead = await get_lead(session, tenant_id, lead_id, lock=True)
    if lead.status in (LeadStatus.CONVERTED, LeadStatus.UNQUALIFIED):
        raise InvalidTransition(
            f"A {lead.status} lead cannot be converted.",
            details=[field_error("status", f"lead is {lead.status}")],
        )
    customer = await customers.create_customer(
        session, tenant_id, _customer_of(lead), source=source
    )
    first, last = domain.split_name(lead.name)
    contact_body = ContactCreate(
        customer_id=customer.id,
        first_name=first,
        last_name=last,
        email=lead.email,
        phone=lead.phone,
    )
    contact = await contacts.create_contact(session, tenant_id, contact_body, source=source)
    opportunity = Opportunity(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        opportunity_name=body.opportunity_name or f"{customer.name} - {lead.source} lead",
        customer_id=customer.id,
        estimated_value=lead.estimated_value,
        currency_code=lead.currency_code,
        expected_close_date=body.expected_close_date,
        source=lead.source,
        assigned_to=lead.assigned_to,
        lead_id=lead.id,
    )
    await open_opportunity(session, opportunity, source=source)
    lead.status, lead.converted_at = LeadStatus.CONVERTED, utcnow()
    lead.customer_id, lead.contact_id, lead.opportunity_id = customer.id, contact.id, opportunity.id
    await session.flush()
    record_event(session, events.lead_converted(lead), tenant_id=tenant_id, source=source)
    return lead


def _customer_of(lead: Lead) -> CustomerCreate:
    return CustomerCreate(
        name=lead.company or lead.name,
        company=lead.company,
        primary_email=lead.email,
        primary_phone=lead.phone,
        currency_code=lead.currency_code,
    )


async def _refuse_duplicates(session: AsyncSession, lead: Lead) -> None:
    tenant_id = lead.tenant_id
    key = lead.company_key
    found: list[dict[str, Any]] = []
    for other in await repository.find_by_email_or_company(session, tenant_id, lead.email, key):
        found.append(_duplicate("lead", other.id, other.name, other.email, other.company_key, lead))
    customers_found = await customer_repository.find_by_email_or_company(
        session, tenant_id, lead.email, key
    )
    for customer in customers_found:
        found.append(
            _duplicate(
                "customer",
                customer.id,
                customer.name,
                customer.primary_email,
                customer.company_key,
                lead,
            )
        )
    if found:
        first = found[0]
        raise Conflict(
            f"This lead duplicates {first['resource']} {first['id']} ({first['name']}); "
            "send ?allow_duplicate=true to create it anyway.",
            details=found,
        )


def _duplicate(
    resource: str,
    row_id: uuid.UUID,
    name: str,
    email: str | None,
    key: str | None,
    lead: Lead,
) -> dict[str, Any]:
    same_email = bool(lead.email and email and email.lower() == lead.email)
    field = "email" if same_email else "company"
    return {
        "field": field,
        "message": f"same {field} as {resource} {row_id}",
        "resource": resource,
        "id": str(row_id),
        "name": name,
    }


async def _next_sales_user(session: AsyncSession, tenant_id: uuid.UUID) -> uuid.UUID | None:
    cursor = await repository.lock_assignment_cursor(session, tenant_id)
    chosen = domain.next_assignee(
        await active_sales_user_ids(session, tenant_id), cursor.last_user_id
    )
    if chosen is not None:
        cursor.last_user_id = chosen
    return chosen
