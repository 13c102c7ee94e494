"""The contract events a customer change becomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from millbook_contracts.sales import (
    CustomerArchived,
    CustomerCreated,
    CustomerDeleted,
    CustomerUpdated,
)
from millbook_platform.money import round_money
from millbook_sales.models import Customer


def _facts(customer: Customer, at: datetime) -> dict[str, Any]:
    limit = customer.credit_limit
    return {
        "customer_id": customer.id,
        "customer_code": customer.customer_code,
        "name": customer.name,
        "company": customer.company,
        "primary_email": customer.primary_email,
        "primary_phone": customer.primary_phone,
        "tax_number": customer.tax_number,
        "billing_address": customer.billing_address,
        "shipping_address": customer.shipping_address,
        "credit_limit": round_money(limit, customer.currency_code) if limit is not None else None,
        "payment_terms": customer.payment_terms,
        "currency_code": customer.currency_code,
        "segment": customer.segment,
        "status": customer.status,
        "tags": list(customer.tags),
        "occurred_at": at,
    }


def customer_created(customer: Customer) -> CustomerCreated:
    return CustomerCreated(**_facts(customer, customer.created_at))


def customer_updated(customer: Customer, changed: list[str]) -> CustomerUpdated:
    return CustomerUpdated(**_facts(customer, customer.updated_at), changed=changed)


def customer_archived(customer: Customer) -> CustomerArchived:
    return CustomerArchived(**_facts(customer, customer.updated_at))


def customer_deleted(customer: Customer, at: datetime) -> CustomerDeleted:
    return CustomerDeleted(
        customer_id=customer.id, customer_code=customer.customer_code, deleted_at=at
    )
