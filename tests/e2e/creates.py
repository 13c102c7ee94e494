"""Every create route of the merged OpenAPI document, with what it takes to call it.

A create route is a POST whose documented answers include a 201. Each has a factory
here: it makes what the route needs first (through the gateway, as a client would),
and returns the one request to send (its path, its exact body bytes) and the list
whose total counts what the request made. `create_routes` reads the routes from the
gateway's document, so a new create route without a factory fails the tests that use
it, naming it, instead of going untested.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from fpdf import FPDF

from millbook_testing.waiting import eventually

from .test_billing_journey import publish, purchasing_events

# Create routes deliberately left out, each with its reason.
EXCLUDED: dict[str, str] = {
    "POST /v1/auth/signup": (
        "unauthenticated: Idempotency-Keys are kept per tenant and a signup has none, so the "
        "key is ignored (test_a_signup_sent_twice_with_one_key_makes_one_organization); the "
        "sign-in budget is 10 requests a minute per address"
    ),
}

LINES = [
    {"description": "Flange, 6061", "quantity": "20", "unit_price": "18.50", "tax_rate": "0.10"},
    {"description": "Deburring", "quantity": "1", "unit_price": "40.00"},
]
SUPPLIER_NAME = "Northern Alloys"


@dataclass(frozen=True)
class Create:
    """One request to a create route, sent as these exact bytes by every concurrent caller,
    and the list whose `meta.total` grows by `makes` when it creates what it should."""

    path: str
    content: bytes
    content_type: str
    counted_at: str
    count_params: dict[str, str] = field(default_factory=dict)
    makes: int = 1


def json_create(path: str, body: dict[str, Any] | None, counted_at: str, **options: Any) -> Create:
    return Create(path, json.dumps(body or {}).encode(), "application/json", counted_at, **options)


def multipart_create(path: str, name: str, content: bytes, counted_at: str) -> Create:
    """A multipart body encoded once: httpx draws a new boundary for every request it
    encodes, and a different body under the same key is another request."""
    request = httpx.Request("POST", "http://gateway" + path, files={"file": (name, content)})
    return Create(path, request.read(), request.headers["content-type"], counted_at)


@dataclass
class Maker:
    """What a factory may use: a client, and the headers of an organization's admin who is
    a platform admin too."""

    stack: Any
    client: httpx.AsyncClient
    headers: dict[str, str]
    organization_id: str
    marker: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self.client.request(method, path, json=body, headers=self.headers)
        assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
        return response.json()["data"]

    async def customer(self) -> str:
        made = await self.call("POST", "/v1/customers", {"name": f"Kestrel {self.marker}"})
        return str(made["id"])

    async def issued_invoice(self, customer_id: str) -> dict[str, Any]:
        body = {"customer_id": customer_id, "line_items": LINES}
        invoice = await self.call("POST", "/v1/invoices", body)
        return dict(await self.call("POST", f"/v1/invoices/{invoice['id']}/send"))

    async def receipt(self, customer_id: str, amount: str, invoice: dict[str, Any] | None) -> str:
        allocations = [{"invoice_id": invoice["id"], "amount": amount}] if invoice else []
        body = {
            "payment_type": "receipt",
            "customer_id": customer_id,
            "amount": amount,
            "allocations": allocations,
        }
        return str((await self.call("POST", "/v1/payments", body))["id"])

    async def accepted_quotation(self) -> str:
        body = {"customer_id": await self.customer(), "line_items": quotation_lines()}
        quotation = await self.call("POST", "/v1/quotations", body)
        await self.call("POST", f"/v1/quotations/{quotation['id']}/send")
        await self.call("POST", f"/v1/quotations/{quotation['id']}/accept")
        return str(quotation["id"])

    async def supplier(self) -> str:
        """A supplier billing knows (purchasing's event, as purchasing would publish it),
        proven by a first bill that names it."""
        supplier, _, _ = purchasing_events(uuid.uuid4())
        await publish(self.stack, self.organization_id, supplier)
        supplier_id = str(supplier.supplier_id)
        body = bill_body(supplier_id, f"WARM-{self.marker}")

        async def first_bill() -> tuple[int, str]:
            response = await self.client.post("/v1/bills", json=body, headers=self.headers)
            return response.status_code, response.text

        await eventually(first_bill, lambda answer: answer[0] == 201, within_s=30, every_s=0.5)
        return supplier_id

    async def read_document(self, number: str) -> str:
        """A supplier invoice uploaded and read by billing's document job."""
        files = {"file": (f"{number}.pdf", supplier_invoice_pdf(number))}
        response = await self.client.post("/v1/documents/upload", files=files, headers=self.headers)
        assert response.status_code == 201, response.text
        document_id = str(response.json()["data"]["id"])

        async def status() -> str:
            read = await self.call("GET", f"/v1/documents/{document_id}/status")
            return str(read["status"])

        done = await eventually(status, lambda s: s != "processing", within_s=60, every_s=0.5)
        assert done == "completed", done
        return document_id


def quotation_lines() -> list[dict[str, Any]]:
    return [{"product_name": "Manifold block", "quantity": 4, "unit_price": "120.00"}]


def bill_body(supplier_id: str, number: str) -> dict[str, Any]:
    line = {
        "description": "Cutting fluid",
        "quantity": "2",
        "unit_price": "35.00",
        "expense_category": "office",
    }
    return {"supplier_id": supplier_id, "bill_number": number, "line_items": [line]}


def supplier_invoice_pdf(number: str) -> bytes:
    """A supplier invoice with a text layer, so billing reads it without OCR."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    lines = [
        SUPPLIER_NAME,
        "INVOICE",
        f"Invoice No: {number}",
        f"Invoice Date: {date.today().isoformat()}",
        "Subtotal: USD 100.00",
        "Tax (10%): USD 10.00",
        "Total: USD 110.00",
    ]
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def receipt_png() -> bytes:
    # The smallest valid PNG: one white pixel.
    return bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
        "0000000c4944415408d763f8ffff3f0005fe02fea7d6a4e00000000049454e44ae426082"
    )


# -- one factory per create route -----------------------------------------------------


async def api_key(m: Maker, path: str) -> Create:
    body = {"name": f"Machine {m.marker}", "scopes": ["customers:read"], "mode": "test"}
    return json_create(path, body, path)


async def bill(m: Maker) -> Create:
    return json_create("/v1/bills", bill_body(await m.supplier(), f"B-{m.marker}"), "/v1/bills")


async def bill_from_document(m: Maker) -> Create:
    # Named: the organization may know other suppliers of the same name by now.
    supplier_id = await m.supplier()
    document_id = await m.read_document(f"NA-{m.marker}")
    body = {"supplier_id": supplier_id, "expense_category": "office"}
    return json_create(f"/v1/bills/from-document/{document_id}", body, "/v1/bills")


async def contact(m: Maker) -> Create:
    body = {"customer_id": await m.customer(), "first_name": "Ada", "last_name": "Byron"}
    return json_create("/v1/contacts", body, "/v1/contacts")


async def contacts_batch(m: Maker) -> Create:
    customer_id = await m.customer()
    items = [{"customer_id": customer_id, "first_name": name} for name in ("Ada", "Grace")]
    return json_create("/v1/contacts/batch", {"items": items}, "/v1/contacts", makes=2)


async def credit_note(m: Maker) -> Create:
    invoice = await m.issued_invoice(await m.customer())
    body = {"invoice_id": invoice["id"], "amount": "10.00", "reason": "Damaged in transit"}
    return json_create("/v1/credit-notes", body, "/v1/credit-notes")


async def credit_note_refund(m: Maker) -> Create:
    customer_id = await m.customer()
    invoice = await m.issued_invoice(customer_id)
    await m.receipt(customer_id, invoice["total_amount"], invoice)
    note = await m.call("POST", "/v1/credit-notes", {"invoice_id": invoice["id"], "full": True})
    path = f"/v1/credit-notes/{note['id']}/refund"
    return json_create(path, {"amount": "10.00"}, "/v1/payments")


async def customer(m: Maker) -> Create:
    return json_create("/v1/customers", {"name": f"Whitfield {m.marker}"}, "/v1/customers")


async def customers_batch(m: Maker) -> Create:
    items = [{"name": f"{name} {m.marker}"} for name in ("Osprey", "Merlin")]
    return json_create("/v1/customers/batch", {"items": items}, "/v1/customers", makes=2)


async def document_upload(m: Maker) -> Create:
    pdf = supplier_invoice_pdf(f"UP-{m.marker}")
    return multipart_create("/v1/documents/upload", "invoice.pdf", pdf, "/v1/documents")


async def expense(m: Maker) -> Create:
    body = {
        "description": "Carbide end mills",
        "amount": "84.00",
        "expense_date": date.today().isoformat(),
        "category": "office",
    }
    return json_create("/v1/expenses", body, "/v1/expenses")


async def expense_attachment(m: Maker) -> Create:
    path = "/v1/expenses/attachments"
    return multipart_create(path, "receipt.png", receipt_png(), path)


async def invoice(m: Maker) -> Create:
    body = {"customer_id": await m.customer(), "line_items": LINES}
    return json_create("/v1/invoices", body, "/v1/invoices")


async def lead(m: Maker) -> Create:
    body = {"name": "Dana Whitfield", "company": f"Whitfield {m.marker}", "source": "website"}
    return json_create("/v1/leads", body, "/v1/leads")


async def opportunity(m: Maker) -> Create:
    body = {"opportunity_name": "Manifold blocks", "customer_id": await m.customer()}
    return json_create("/v1/opportunities", body, "/v1/opportunities")


async def order(m: Maker) -> Create:
    body = {"quotation_id": await m.accepted_quotation()}
    return json_create("/v1/orders", body, "/v1/orders")


async def organization(m: Maker) -> Create:
    body = {
        "name": f"Idempotent Shop {m.marker}",
        "admin": {"email": f"owner-{m.marker}@e2e.example.com", "password": uuid.uuid4().hex},
    }
    return json_create("/v1/organizations", body, "/v1/organizations")


async def payment(m: Maker) -> Create:
    customer_id = await m.customer()
    body = {"payment_type": "receipt", "customer_id": customer_id, "amount": "250.00"}
    return json_create("/v1/payments", body, "/v1/payments")


async def payment_refund(m: Maker) -> Create:
    receipt_id = await m.receipt(await m.customer(), "100.00", None)
    path = f"/v1/payments/{receipt_id}/refund"
    return json_create(path, {"amount": "10.00"}, "/v1/payments")


async def quotation(m: Maker) -> Create:
    body = {"customer_id": await m.customer(), "line_items": quotation_lines()}
    return json_create("/v1/quotations", body, "/v1/quotations")


async def quotation_duplicate(m: Maker) -> Create:
    body = {"customer_id": await m.customer(), "line_items": quotation_lines()}
    original = await m.call("POST", "/v1/quotations", body)
    path = f"/v1/quotations/{original['id']}/duplicate"
    return json_create(path, None, "/v1/quotations")


async def recurring_invoice(m: Maker) -> Create:
    body = {"customer_id": await m.customer(), "line_items": LINES, "interval": "monthly"}
    return json_create("/v1/recurring-invoices", body, "/v1/recurring-invoices")


async def role(m: Maker) -> Create:
    body = {"name": f"inspector-{m.marker}", "scopes": ["orders:read", "customers:read"]}
    return json_create("/v1/roles", body, "/v1/roles")


async def task(m: Maker) -> Create:
    return json_create("/v1/tasks", {"title": f"Call back {m.marker}"}, "/v1/tasks")


async def user(m: Maker) -> Create:
    body = {
        "email": f"grace-{m.marker}@e2e.example.com",
        "password": uuid.uuid4().hex,
        "first_name": "Grace",
        "last_name": "Hopper",
        "roles": ["sales"],
    }
    return json_create("/v1/users", body, "/v1/users")


Factory = Callable[[Maker], Awaitable[Create]]


async def _api_keys(m: Maker) -> Create:
    return await api_key(m, "/v1/api-keys")


async def _keys(m: Maker) -> Create:
    return await api_key(m, "/v1/keys")


FACTORIES: dict[str, Factory] = {
    "POST /v1/api-keys": _api_keys,
    "POST /v1/bills": bill,
    "POST /v1/bills/from-document/{document_id}": bill_from_document,
    "POST /v1/contacts": contact,
    "POST /v1/contacts/batch": contacts_batch,
    "POST /v1/credit-notes": credit_note,
    "POST /v1/credit-notes/{credit_note_id}/refund": credit_note_refund,
    "POST /v1/customers": customer,
    "POST /v1/customers/batch": customers_batch,
    "POST /v1/documents/upload": document_upload,
    "POST /v1/expenses": expense,
    "POST /v1/expenses/attachments": expense_attachment,
    "POST /v1/invoices": invoice,
    "POST /v1/keys": _keys,
    "POST /v1/leads": lead,
    "POST /v1/opportunities": opportunity,
    "POST /v1/orders": order,
    "POST /v1/organizations": organization,
    "POST /v1/payments": payment,
    "POST /v1/payments/{payment_id}/refund": payment_refund,
    "POST /v1/quotations": quotation,
    "POST /v1/quotations/{quotation_id}/duplicate": quotation_duplicate,
    "POST /v1/recurring-invoices": recurring_invoice,
    "POST /v1/roles": role,
    "POST /v1/tasks": task,
    "POST /v1/users": user,
}


def create_routes(document: dict[str, Any]) -> list[str]:
    """Every POST of the document that answers 201, as `POST <path template>`."""
    return sorted(
        f"POST {path}"
        for path, item in document["paths"].items()
        if "201" in item.get("post", {}).get("responses", {})
    )


def routes_without_factory(document: dict[str, Any]) -> list[str]:
    return [r for r in create_routes(document) if r not in FACTORIES and r not in EXCLUDED]
