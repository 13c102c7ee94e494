"""Organizations for the security suite, and one resource of every kind in each.

`CREATORS` is keyed by the collection an id route lives under (`/v1/invoices` for
`/v1/invoices/{invoice_id}/send`). The tenant sweep asks for a creator for every
collection of the merged OpenAPI document that has an id route, and fails naming the
route when one is missing: a new resource kind cannot slip past the sweep.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from millbook_contracts.events import Event
from millbook_contracts.purchasing import (
    DeliveryLine,
    DeliveryReceived,
    PurchaseOrderApproved,
    PurchaseOrderLine,
    SupplierCreated,
)
from millbook_stack import api
from millbook_testing.kafka import produce
from millbook_testing.waiting import eventually

# The smallest valid PDF and PNG a sniffer recognises (the OCR pass may fail on them; the
# upload and its id are what the sweeps need).
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e527de7c0000000049454e44ae426082"
)


@dataclass
class Tenant:
    """An organization's admin calling through the gateway, and what it created."""

    client: httpx.AsyncClient
    token: str
    organization_id: str
    email: str
    password: str
    stack: Any
    marker: str = field(default_factory=lambda: f"mark{uuid.uuid4().hex[:10]}")
    ids: dict[str, str] = field(default_factory=dict)
    api_key: str | None = None  # when set, the tenant calls with this key instead

    @property
    def headers(self) -> dict[str, str]:
        if self.api_key is not None:
            return {"X-API-Key": self.api_key}
        return {"Authorization": f"Bearer {self.token}"}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def create(self, path: str, body: dict[str, Any] | None = None, **kw: Any) -> Any:
        response = await self.request("POST", path, json=body, **kw)
        assert response.status_code in (200, 201, 202), f"POST {path}: {response.text}"
        return response.json()["data"]

    def named(self, what: str) -> str:
        return f"{what} {self.marker}"


Creator = Callable[[Tenant], Awaitable[str]]


async def customer(t: Tenant) -> str:
    body = {"name": t.named("Customer"), "primary_email": f"{t.marker}@example.com"}
    return str((await t.create("/v1/customers", body))["id"])


async def contact(t: Tenant) -> str:
    body = {"customer_id": t.ids["/v1/customers"], "first_name": t.named("Contact")}
    return str((await t.create("/v1/contacts", body))["id"])


async def lead(t: Tenant) -> str:
    return str((await t.create("/v1/leads", {"name": t.named("Lead"), "company": "Co"}))["id"])


async def task(t: Tenant) -> str:
    return str((await t.create("/v1/tasks", {"title": t.named("Task")}))["id"])


LINE = {"description": "Flange", "quantity": "2", "unit_price": "45.00"}
BAR = {"description": "6061 bar", "quantity": "100", "unit_price": "4.00"}
QUOTE_LINE = {"product_name": "Flange", "quantity": 2, "unit_price": "45.00"}


async def quotation(t: Tenant) -> str:
    body = {"customer_id": t.ids["/v1/customers"], "line_items": [QUOTE_LINE], "notes": t.marker}
    return str((await t.create("/v1/quotations", body))["id"])


async def order(t: Tenant) -> str:
    accepted = await quotation(t)
    await t.create(f"/v1/quotations/{accepted}/send")
    await t.create(f"/v1/quotations/{accepted}/accept")
    return str((await t.create("/v1/orders", {"quotation_id": accepted}))["id"])


async def opportunity(t: Tenant) -> str:
    body = {"opportunity_name": t.named("Deal"), "customer_id": t.ids["/v1/customers"]}
    return str((await t.create("/v1/opportunities", body))["id"])


async def invoice(t: Tenant) -> str:
    """A sent invoice, so credit notes and payments can name it, and a draft beside it."""
    body = {"customer_id": t.ids["/v1/customers"], "line_items": [LINE], "notes": t.marker}
    created = await t.create("/v1/invoices", body)
    await t.create(f"/v1/invoices/{created['id']}/send")
    t.ids["invoice_line"] = str(created["line_items"][0]["id"])
    t.ids[DRAFT_INVOICE] = str((await t.create("/v1/invoices", body))["id"])
    return str(created["id"])


DRAFT_INVOICE = "/v1/invoices (draft)"


async def credit_note(t: Tenant) -> str:
    body = {"invoice_id": t.ids["/v1/invoices"], "amount": "10.00", "reason": t.marker}
    return str((await t.create("/v1/credit-notes", body))["id"])


async def payment(t: Tenant) -> str:
    body = {
        "payment_type": "receipt",
        "customer_id": t.ids["/v1/customers"],
        "amount": "20.00",
        "notes": t.marker,
        "allocations": [{"invoice_id": t.ids["/v1/invoices"], "amount": "20.00"}],
    }
    return str((await t.create("/v1/payments", body))["id"])


async def recurring_invoice(t: Tenant) -> str:
    body = {
        "customer_id": t.ids["/v1/customers"],
        "line_items": [LINE],
        "interval": "monthly",
        "start_date": (date.today() + timedelta(days=30)).isoformat(),
        "notes": t.marker,
    }
    return str((await t.create("/v1/recurring-invoices", body))["id"])


async def attachment(t: Tenant) -> str:
    files = {"file": (f"{t.marker}.png", PNG, "image/png")}
    return str((await t.create("/v1/expenses/attachments", files=files))["id"])


async def expense(t: Tenant) -> str:
    body = {"description": t.named("Expense"), "amount": "12.50", "expense_date": _today()}
    return str((await t.create("/v1/expenses", body))["id"])


async def document(t: Tenant) -> str:
    files = {"file": (f"{t.marker}.pdf", PDF, "application/pdf")}
    return str((await t.create("/v1/documents/upload", files=files))["id"])


async def bill(t: Tenant) -> str:
    body = {
        "supplier_id": t.ids["supplier"],
        "purchase_order_id": t.ids["purchase_order"],
        "bill_number": t.named("B"),
        "line_items": [{**BAR, "po_line_number": 1}],
        "notes": t.marker,
    }

    # The supplier and its order reach billing as purchasing's events.
    return await _once_known(t, "/v1/bills", body)


async def matching(t: Tenant) -> str:
    return await _once_known(t, "/v1/matching/match", {"bill_id": t.ids["/v1/bills"]})


async def _once_known(t: Tenant, path: str, body: dict[str, Any]) -> str:
    """POST until what the body names has reached the service as events."""

    async def created() -> tuple[int, Any]:
        response = await t.request("POST", path, json=body)
        return response.status_code, response.json()

    answer = await eventually(created, lambda r: r[0] in (200, 201), within_s=30)
    return str(answer[1]["data"]["id"])


async def user(t: Tenant) -> str:
    body = {
        "email": f"user-{t.marker}@security.example.com",
        "password": "a long enough passphrase",
        "first_name": t.marker,
        "last_name": "User",
        "roles": ["viewer"],
    }
    return str((await t.create("/v1/users", body))["id"])


async def role(t: Tenant) -> str:
    body = {"name": f"role-{t.marker}", "scopes": ["customers:read"], "description": t.marker}
    return str((await t.create("/v1/roles", body))["id"])


async def api_key(t: Tenant) -> str:
    body = {"name": t.named("key"), "scopes": ["customers:read"]}
    return str((await t.create("/v1/api-keys", body))["id"])


async def key(t: Tenant) -> str:
    body = {"name": t.named("key"), "scopes": ["customers:read"]}
    return str((await t.create("/v1/keys", body))["id"])


async def audit_entry(t: Tenant) -> str:
    async def entries() -> httpx.Response:
        return await t.request("GET", "/v1/audit")

    response = await eventually(entries, lambda r: bool(r.json().get("data")), within_s=30)
    return str(response.json()["data"][0]["id"])


async def organization(t: Tenant) -> str:
    return t.organization_id


async def exchange_rate(t: Tenant) -> str:
    """Rates are keyed by currency and date, not an id: the path holds both."""
    key = "EUR/2026-01-15"
    response = await t.request("PUT", f"/v1/billing/exchange-rates/{key}", json={"rate": "1.1"})
    assert response.status_code in (200, 201), response.text
    return key


# In creation order: a creator may use the ids of those before it.
CREATORS: dict[str, Creator] = {
    "/v1/organizations": organization,
    "/v1/users": user,
    "/v1/roles": role,
    "/v1/api-keys": api_key,
    "/v1/keys": key,
    "/v1/customers": customer,
    "/v1/contacts": contact,
    "/v1/leads": lead,
    "/v1/tasks": task,
    "/v1/opportunities": opportunity,
    "/v1/quotations": quotation,
    "/v1/orders": order,
    "/v1/invoices": invoice,
    "/v1/credit-notes": credit_note,
    "/v1/payments": payment,
    "/v1/recurring-invoices": recurring_invoice,
    "/v1/expenses/attachments": attachment,
    "/v1/expenses": expense,
    "/v1/documents": document,
    "/v1/bills": bill,
    "/v1/matching": matching,
    "/v1/billing/exchange-rates": exchange_rate,
    "/v1/audit": audit_entry,
}

# A body field that names another resource -> the key of that resource in `Tenant.ids`.
REFERENCES: dict[str, str] = {
    "customer_id": "/v1/customers",
    "contact_id": "/v1/contacts",
    "quotation_id": "/v1/quotations",
    "order_id": "/v1/orders",
    "invoice_id": "/v1/invoices",
    "credit_note_id": "/v1/credit-notes",
    "bill_id": "/v1/bills",
    "document_id": "/v1/documents",
    "expense_id": "/v1/expenses",
    "expense_ids": "/v1/expenses",
    "invoice_line_id": "invoice_line",
    "reference_id": "/v1/bills",  # a document's free reference: filter by another's bill
    "related_id": "/v1/customers",
    "attachment_ids": "/v1/expenses/attachments",
    "supplier_id": "supplier",
    "purchase_order_id": "purchase_order",
    "assigned_to": "/v1/users",
    "id": "/v1/customers",  # a task's `related_to.id`; its `type` samples as `customer`
}


def kind_of(collection: str, first_parameter: str) -> str | None:
    """The kind of resource an id route acts on: its collection's, or the one its parameter
    names (`/v1/bills/from-document/{document_id}` acts on a document)."""
    if collection in CREATORS:
        return collection
    return REFERENCES.get(first_parameter)


def _today() -> str:
    return date.today().isoformat()


async def publish_purchasing(t: Tenant) -> None:
    """A supplier, its approved purchase order and a delivery, as purchasing announces them."""
    supplier_id = uuid.uuid4()
    now = datetime.now(UTC)
    line = PurchaseOrderLine(
        line_number=1,
        material_id=uuid.uuid4(),
        description="6061 bar",
        quantity=Decimal(100),
        unit_price=Decimal("4.00"),
        tax_rate=Decimal(0),
        subtotal=Decimal("400.00"),
        tax_amount=Decimal(0),
        total_amount=Decimal("400.00"),
    )
    approved = PurchaseOrderApproved(
        purchase_order_id=uuid.uuid4(),
        po_number=f"PO-{t.marker}",
        supplier_id=supplier_id,
        supplier_name=t.named("Supplier"),
        status="approved",
        currency_code="USD",
        order_date=date.today(),
        expected_date=date.today() + timedelta(days=7),
        payment_terms="Net 30",
        lines=[line],
        subtotal=line.subtotal,
        tax_amount=line.tax_amount,
        total_amount=line.total_amount,
        occurred_at=now,
    )
    received = DeliveryReceived(
        delivery_id=uuid.uuid4(),
        delivery_number=f"GR-{t.marker}",
        purchase_order_id=approved.purchase_order_id,
        po_number=approved.po_number,
        supplier_id=supplier_id,
        supplier_name=approved.supplier_name,
        currency_code="USD",
        delivery_date=date.today(),
        received_at=now,
        lines=[
            DeliveryLine(
                po_line_number=1,
                quantity_received=Decimal(100),
                quantity_accepted=Decimal(100),
                quantity_rejected=Decimal(0),
                unit_cost=Decimal("4.00"),
            )
        ],
    )
    supplier = SupplierCreated(
        supplier_id=supplier_id,
        supplier_code=f"SUP-{t.marker}",
        name=approved.supplier_name,
        email=f"{t.marker}@supplier.example.com",
        payment_terms="Net 30",
        currency_code="USD",
        occurred_at=now,
    )
    for event in (supplier, approved, received):
        await _publish(t, event)
    t.ids["supplier"] = str(supplier_id)
    t.ids["purchase_order"] = str(approved.purchase_order_id)


async def _publish(t: Tenant, event: Event) -> None:
    envelope = event.envelope(tenant_id=uuid.UUID(t.organization_id), source="/millbook/purchasing")
    await produce(
        api.kafka_bootstrap(t.stack.profile),
        event.topic(),
        envelope.data,
        key=envelope.subject.encode(),
        headers=envelope.to_headers(),
    )


async def populate(t: Tenant) -> None:
    """One resource of every kind the table knows, in its order."""
    await publish_purchasing(t)
    for collection, creator in CREATORS.items():
        t.ids[collection] = await creator(t)
