"""Shared steps of the receivables tests: customers from sales' events, invoices, the ledger."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.customers.consumer import CUSTOMERS, customers_consumer
from millbook_contracts.events import Event
from millbook_contracts.sales import Address, CustomerCreated
from millbook_platform.db import unit_of_work
from millbook_testing.callers import Caller

D = Decimal


async def deliver(app: FastAPI, event: Event, tenant_id: uuid.UUID, subscriptions=CUSTOMERS) -> str:
    """Hand one event to a billing consumer as Kafka would (inbox included)."""
    consumer = customers_consumer(app.state.runtime.settings)(app.state.sessions)
    envelope = event.envelope(tenant_id=tenant_id, source="/millbook/sales")
    return await consumer.apply(envelope, subscriptions[event.event_type])


def customer_created(**overrides: Any) -> CustomerCreated:
    values: dict[str, Any] = {
        "customer_id": uuid.uuid4(),
        "customer_code": "CUST-0001",
        "name": "Acme Machining",
        "company": "Acme Machining Ltd",
        "primary_email": "ap@acme.example",
        "billing_address": Address(
            line1="1 Mill Road", city="Sheffield", postal_code="S1 2AB", country="GB"
        ),
        "payment_terms": "Net 30",
        "currency_code": "USD",
        "status": "active",
        "occurred_at": datetime.now(UTC),
    }
    values.update(overrides)
    return CustomerCreated(**values)


async def a_customer(app: FastAPI, caller: Caller, **overrides: Any) -> uuid.UUID:
    event = customer_created(**overrides)
    assert await deliver(app, event, caller.tenant_id) == "processed"
    return event.customer_id


def lines(*amounts: str, tax_rate: str = "0.10") -> list[dict[str, str]]:
    return [
        {
            "description": f"Machining {i}",
            "quantity": "1",
            "unit_price": amount,
            "tax_rate": tax_rate,
        }
        for i, amount in enumerate(amounts, start=1)
    ]


async def a_draft(caller: Caller, customer_id: uuid.UUID, *amounts: str, **extra: Any) -> dict:
    body = {
        "customer_id": str(customer_id),
        "line_items": lines(*(amounts or ("100.00",))),
        **extra,
    }
    return await caller.created("/v1/invoices", body)


async def a_sent_invoice(
    caller: Caller, customer_id: uuid.UUID, *amounts: str, **extra: Any
) -> dict:
    draft = await a_draft(caller, customer_id, *amounts, **extra)
    response = await caller.post(f"/v1/invoices/{draft['id']}/send")
    assert response.status_code == 200, response.text
    sent: dict = response.json()["data"]
    return sent


async def account_balances(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID
) -> dict[str, Decimal]:
    """Debits minus credits per account code, over every posted line of the tenant."""
    async with unit_of_work(sessions, tenant_id) as session:
        rows = await session.execute(
            text(
                "SELECT account_code, sum(debit) - sum(credit) FROM journal_lines"
                " WHERE tenant_id = :tenant GROUP BY account_code"
            ),
            {"tenant": tenant_id},
        )
        return {code: amount for code, amount in rows if amount != 0}


async def entries_balance(sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID) -> int:
    """How many of the tenant's entries do not balance (always 0), after checking there are some."""
    async with unit_of_work(sessions, tenant_id) as session:
        unbalanced = await session.scalar(
            text(
                "SELECT count(*) FROM (SELECT entry_id FROM journal_lines WHERE tenant_id = :t"
                " GROUP BY entry_id HAVING sum(debit) <> sum(credit)) AS e"
            ),
            {"t": tenant_id},
        )
        return int(unbalanced or 0)


async def document_balance(caller: Caller, account: str, document_id: str) -> Decimal:
    """Debits minus credits on one account for one document, read through
    GET /v1/ledger/entries (the API a user would check it with)."""
    response = await caller.get(
        "/v1/ledger/entries", params={"document_id": document_id, "account": account, "limit": 100}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert 0 < body["meta"]["total"] < 100
    return sum(
        (
            Decimal(line["debit"]) - Decimal(line["credit"])
            for entry in body["data"]
            for line in entry["lines"]
            if line["account_code"] == account and line["document_id"] == document_id
        ),
        Decimal(0),
    )
