"""The contract events a lead change becomes."""

from __future__ import annotations

from millbook_contracts.sales import LeadConverted, LeadCreated, LeadUpdated
from millbook_platform.db import utcnow
from millbook_sales.models import Lead


def lead_created(lead: Lead, *, auto_assigned: bool) -> LeadCreated:
    return LeadCreated(
        lead_id=lead.id,
        name=lead.name,
        company=lead.company,
        email=lead.email,
        phone=lead.phone,
        source=lead.source,
        status=lead.status,
        estimated_value=lead.estimated_value,
        currency_code=lead.currency_code,
        assigned_to=lead.assigned_to,
        auto_assigned=auto_assigned,
        created_at=lead.created_at,
    )


def lead_converted(lead: Lead) -> LeadConverted:
    assert lead.customer_id
    assert lead.contact_id
    assert lead.opportunity_id
    assert lead.converted_at
    return LeadConverted(
        lead_id=lead.id,
        customer_id=lead.customer_id,
        contact_id=lead.contact_id,
        opportunity_id=lead.opportunity_id,
        converted_at=lead.converted_at,
    )


def lead_updated(lead: Lead, changed: list[str]) -> LeadUpdated:
    return LeadUpdated(
        lead_id=lead.id,
        name=lead.name,
        company=lead.company,
        email=lead.email,
        phone=lead.phone,
        source=lead.source,
        status=lead.status,
        estimated_value=lead.estimated_value,
        currency_code=lead.currency_code,
        assigned_to=lead.assigned_to,
        changed=changed,
        updated_at=utcnow(),
    )
