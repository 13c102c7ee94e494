"""The contract events a contact change becomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from millbook_contracts.sales import ContactCreated, ContactDeleted, ContactUpdated
from millbook_sales.models import Contact


def _facts(contact: Contact, at: datetime) -> dict[str, Any]:
    return {
        "contact_id": contact.id,
        "customer_id": contact.customer_id,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "title": contact.title,
        "occurred_at": at,
    }


def contact_created(contact: Contact) -> ContactCreated:
    return ContactCreated(**_facts(contact, contact.created_at))


def contact_updated(contact: Contact, changed: list[str]) -> ContactUpdated:
    return ContactUpdated(**_facts(contact, contact.updated_at), changed=changed)


def contact_deleted(contact: Contact, at: datetime) -> ContactDeleted:
    return ContactDeleted(**_facts(contact, at))
