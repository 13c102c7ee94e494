"""Issue 5's journey, through the gateway only: a completed sales order becomes an invoice
that is sent, rendered, paid in two halves and credited, and the books still balance;
a supplier bill is matched against purchasing's order and delivery, or names its variances.

Purchasing is not built yet: its events are produced to Kafka exactly as its contracts say.
"""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

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

from .test_sales_journey import call

pytestmark = pytest.mark.e2e

LINES = [
    {"product_name": "Flange, 6061", "quantity": 20, "unit_price": "18.50", "tax_rate": "0.10"},
    {"product_name": "Deburring", "quantity": 1, "unit_price": "40.00", "discount_percent": "10"},
]


async def completed_order(gateway, admin) -> tuple[dict, dict]:
    customer = await call(
        gateway,
        admin,
        "POST",
        "/v1/customers",
        {
            "name": "Kestrel Pumps",
            "primary_email": "ap@kestrel.example.com",
            "payment_terms": "Net 30",
            "billing_address": {"line1": "4 Quay Street", "city": "Leeds", "country": "GB"},
        },
    )
    quotation = await call(
        gateway,
        admin,
        "POST",
        "/v1/quotations",
        {"customer_id": customer["id"], "line_items": LINES},
    )
    await call(gateway, admin, "POST", f"/v1/quotations/{quotation['id']}/send")
    await call(gateway, admin, "POST", f"/v1/quotations/{quotation['id']}/accept")
    order = await call(gateway, admin, "POST", "/v1/orders", {"quotation_id": quotation["id"]})
    for step in ("start-production", "ship", "complete"):
        order = await call(gateway, admin, "POST", f"/v1/orders/{order['id']}/{step}")
    return customer, order


async def invoice_of(gateway, admin, customer_id: str, order_id: str) -> dict:
    async def invoices() -> list[dict]:
        response = await gateway.get(
            "/v1/invoices", params={"customer_id": customer_id}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
        return [i for i in response.json()["data"] if i.get("order_id") == order_id]

    found = await eventually(invoices, bool, within_s=30, every_s=0.25, what="the order's invoice")
    return found[0]


async def report(gateway, admin, name: str, **params: str) -> dict:
    response = await gateway.get(f"/v1/reports/{name}", params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def open_for(aging: dict, customer_id: str) -> Decimal:
    return sum(
        (Decimal(d["total"]) for d in aging["details"] if d["customer_id"] == customer_id),
        Decimal(0),
    )


async def pay(gateway, admin, customer_id: str, invoice: dict, amount: Decimal) -> dict:
    return await call(
        gateway,
        admin,
        "POST",
        "/v1/payments",
        {
            "payment_type": "receipt",
            "customer_id": customer_id,
            "amount": str(amount),
            "payment_method": "bank_transfer",
            "payment_reference": invoice["invoice_number"],
            "allocations": [{"invoice_id": invoice["id"], "amount": str(amount)}],
        },
    )


async def test_an_order_is_invoiced_paid_in_halves_credited_and_the_books_balance(gateway, admin):
    customer, order = await completed_order(gateway, admin)
    invoice = await invoice_of(gateway, admin, customer["id"], order["id"])
    assert invoice["status"] == "draft"
    assert invoice["total_amount"] == order["total_amount"]
    assert invoice["quotation_id"] == order["quotation_id"]

    invoice = await call(gateway, admin, "POST", f"/v1/invoices/{invoice['id']}/send")
    assert invoice["status"] == "sent"
    assert invoice["invoice_number"].startswith(f"INV-{date.today().year}-")

    pdf = await gateway.get(f"/v1/invoices/{invoice['id']}/pdf", headers=admin.headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    for expected in (invoice["invoice_number"], "Kestrel Pumps", "4 Quay Street", "Flange"):
        assert expected in text

    total = Decimal(invoice["total_amount"])
    half = (total / 2).quantize(Decimal("0.01"))
    today = date.today().isoformat()
    before = await report(gateway, admin, "accounts-receivable-aging", as_of_date=today)
    assert open_for(before, customer["id"]) == total

    await pay(gateway, admin, customer["id"], invoice, half)
    invoice = await call(gateway, admin, "GET", f"/v1/invoices/{invoice['id']}")
    assert invoice["status"] == "partial"
    assert Decimal(invoice["balance_amount"]) == total - half
    during = await report(gateway, admin, "accounts-receivable-aging", as_of_date=today)
    assert open_for(during, customer["id"]) == total - half
    assert Decimal(during["summary"]["total"]) == Decimal(before["summary"]["total"]) - half

    await pay(gateway, admin, customer["id"], invoice, total - half)
    invoice = await call(gateway, admin, "GET", f"/v1/invoices/{invoice['id']}")
    assert invoice["status"] == "paid"
    after = await report(gateway, admin, "accounts-receivable-aging", as_of_date=today)
    assert open_for(after, customer["id"]) == 0

    credit = await call(
        gateway,
        admin,
        "POST",
        "/v1/credit-notes",
        {"invoice_id": invoice["id"], "amount": "22.00", "reason": "Two flanges out of tolerance"},
    )
    assert credit["credit_note_number"].startswith(f"CN-{date.today().year}-")

    trial = await report(gateway, admin, "trial-balance", as_of_date=today)
    assert Decimal(trial["total_debit"]) == Decimal(trial["total_credit"]) > 0
    sheet = await report(gateway, admin, "balance-sheet", as_of_date=today)
    assert sheet["balanced"] is True
    assert Decimal(sheet["total_assets"]) == Decimal(sheet["total_liabilities"]) + Decimal(
        sheet["total_equity"]
    )


def purchasing_events(
    supplier_id: uuid.UUID,
) -> tuple[SupplierCreated, PurchaseOrderApproved, DeliveryReceived]:
    now = datetime.now(UTC)
    supplier = SupplierCreated(
        supplier_id=supplier_id,
        supplier_code="SUP-0042",
        name="Northern Alloys",
        email="billing@northern-alloys.example.com",
        payment_terms="Net 30",
        currency_code="USD",
        occurred_at=now,
    )
    line = PurchaseOrderLine(
        line_number=1,
        material_id=uuid.uuid4(),
        description="6061 bar, 50 mm",
        quantity=Decimal(100),
        unit_price=Decimal("4.00"),
        tax_rate=Decimal(0),
        subtotal=Decimal("400.00"),
        tax_amount=Decimal(0),
        total_amount=Decimal("400.00"),
    )
    order = PurchaseOrderApproved(
        purchase_order_id=uuid.uuid4(),
        po_number="PO-2026-0042",
        supplier_id=supplier_id,
        supplier_name=supplier.name,
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
        delivery_number="GR-0042",
        purchase_order_id=order.purchase_order_id,
        po_number=order.po_number,
        supplier_id=supplier_id,
        supplier_name=supplier.name,
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
    return supplier, order, received


async def publish(stack, tenant_id: str, event: Event) -> None:
    envelope = event.envelope(tenant_id=uuid.UUID(tenant_id), source="/millbook/purchasing")
    await produce(
        api.kafka_bootstrap(stack.profile),
        event.topic(),
        envelope.data,
        key=envelope.subject.encode(),
        headers=envelope.to_headers(),
    )


async def test_a_supplier_bill_matches_its_order_and_delivery_or_names_its_variances(
    stack, gateway, admin
):
    supplier, order, received = purchasing_events(uuid.uuid4())
    for event in (received, supplier, order):  # the delivery overtakes its order
        await publish(stack, admin.organization_id, event)

    async def bill(number: str, unit_price: str) -> dict:
        body = {
            "supplier_id": str(supplier.supplier_id),
            "purchase_order_id": str(order.purchase_order_id),
            "bill_number": number,
            "line_items": [
                {"description": "6061 bar, 50 mm", "quantity": "100", "unit_price": unit_price,
                 "po_line_number": 1},
            ],
        }  # fmt: skip

        async def created():
            return await gateway.post("/v1/bills", json=body, headers=admin.headers)

        response = await eventually(
            created,
            lambda r: r.status_code == 201,
            within_s=30,
            every_s=0.25,
            what="billing to know the order",
        )
        return response.json()["data"]

    async def matched(bill_id: str, expected: str) -> dict:
        async def match():
            return await call(gateway, admin, "POST", "/v1/matching/match", {"bill_id": bill_id})

        return await eventually(
            match,
            lambda m: m["result"] == expected,
            within_s=30,
            every_s=0.25,
            what=f"a {expected} match",
        )

    exact = await bill("NA-1001", "4.00")
    result = await matched(exact["id"], "matched")
    assert result["variances"] == []
    assert (await call(gateway, admin, "GET", f"/v1/matching/{result['id']}"))[
        "result"
    ] == "matched"

    dearer = await bill("NA-1002", "4.40")  # 10% over the order's price
    result = await matched(dearer["id"], "exception")
    kinds = {v["kind"] for v in result["variances"]}
    assert "price_variance" in kinds


async def test_foreign_documents_take_the_tenants_exchange_rate(stack, gateway, admin):
    """One rate set through the gateway books a foreign receipt that no bill has priced
    and fixes a foreign invoice at issue, so neither needs a rate of its own."""
    accounts = await call(gateway, admin, "GET", "/v1/ledger/accounts")
    base = accounts[0]["currency_code"]
    foreign = "EUR" if base != "EUR" else "GBP"
    yesterday = (date.today() - timedelta(days=1)).isoformat()

    supplier, order, received = purchasing_events(uuid.uuid4())
    order = order.model_copy(update={"currency_code": foreign})
    received = received.model_copy(update={"currency_code": foreign})
    for event in (supplier, order, received):
        await publish(stack, admin.organization_id, event)

    customer = await call(gateway, admin, "POST", "/v1/customers", {"name": "Gannet Marine"})

    async def drafted():
        body = {
            "customer_id": customer["id"],
            "currency_code": foreign,
            "line_items": [{"description": "Impeller", "quantity": 2, "unit_price": "60.00"}],
        }
        return await gateway.post("/v1/invoices", json=body, headers=admin.headers)

    response = await eventually(
        drafted, lambda r: r.status_code == 201, within_s=30, every_s=0.25, what="the customer"
    )
    draft = response.json()["data"]
    assert draft["exchange_rate"] is None  # fixed at issue, from the rate in force then

    refused = await gateway.post(f"/v1/invoices/{draft['id']}/send", headers=admin.headers)
    assert refused.status_code == 422, refused.text
    hint = refused.json()["error"]["details"][0]["message"]
    assert f"/v1/billing/exchange-rates/{foreign}/" in hint

    await call(
        gateway, admin, "PUT", f"/v1/billing/exchange-rates/{foreign}/{yesterday}", {"rate": "1.25"}
    )
    sent = await call(gateway, admin, "POST", f"/v1/invoices/{draft['id']}/send")
    assert Decimal(sent["exchange_rate"]) == Decimal("1.25")
    entries = await call(
        gateway, admin, "GET", "/v1/ledger/entries", params={"document_id": draft["id"]}
    )
    receivable = [
        line for entry in entries for line in entry["lines"] if line["account_code"] == "1100"
    ]
    assert [Decimal(line["debit"]) for line in receivable] == [Decimal("150.00")]  # 120 x 1.25

    async def receipt_entries() -> list[dict]:
        found = await call(
            gateway, admin, "GET", "/v1/ledger/entries", params={"source_type": "goods_received"}
        )
        return [e for e in found if e["source_id"] == str(received.delivery_id)]

    (entry,) = await eventually(
        receipt_entries, bool, within_s=30, every_s=0.25, what="the receipt to be booked"
    )
    inventory = {line["account_code"]: line for line in entry["lines"]}["1200"]
    assert Decimal(inventory["debit"]) == Decimal("500.00")  # 100 x 4.00 x 1.25, no bill yet
