"""A bill keeps the tax its supplier's document prints: from an OCR document above a net of
10,000, in its totals, lines, approval posting and events alike."""

from __future__ import annotations

from decimal import Decimal as D

from millbook_platform.db import unit_of_work
from millbook_testing.callers import fields_named

from .conftest import events_of
from .purchasing_events import balances, bill_body, deliver, supplier_created

INPUT_TAX, AP, SOFTWARE = "1300", "2000", "6400"


async def a_completed_document(sessions, tenant_id, subtotal: str, tax: str):
    from millbook_billing.models import Attachment, Document

    def field(value):
        return {"value": value, "confidence": 0.9}

    async with unit_of_work(sessions, tenant_id) as session:
        attachment = Attachment(
            tenant_id=tenant_id,
            purpose="document",
            filename="invoice.pdf",
            media_type="application/pdf",
            size_bytes=4,
            sha256="1" * 64,
            content=b"%PDF",
        )
        session.add(attachment)
        await session.flush()
        row = Document(
            tenant_id=tenant_id,
            attachment_id=attachment.id,
            document_type="supplier_invoice",
            file_name="invoice.pdf",
            status="completed",
            extracted={
                "supplier_name": field("Big Machines AG"),
                "document_number": field("BM-2026-9"),
                "document_date": field("2026-03-05"),
                "currency_code": field("USD"),
                "subtotal": field(subtotal),
                "tax_amount": field(tax),
                "total_amount": field(str(D(subtotal) + D(tax))),
            },
        )
        session.add(row)
    return row.id


async def test_a_bill_from_a_large_document_keeps_its_tax_through_approval(app, caller, sessions):
    await deliver(app, caller.tenant_id, supplier_created("Big Machines AG"))
    doc_id = await a_completed_document(sessions, caller.tenant_id, "20000.00", "1234.57")
    made = await caller.post(f"/v1/bills/from-document/{doc_id}", {"expense_category": "software"})
    assert made.status_code == 201, made.text
    bill = made.json()["data"]
    assert (bill["subtotal"], bill["tax_amount"], bill["total_amount"]) == (
        "20000.00",
        "1234.57",
        "21234.57",
    )
    (line,) = bill["line_items"]
    assert (line["subtotal"], line["tax_amount"], line["total_amount"]) == (
        "20000.00",
        "1234.57",
        "21234.57",
    )

    approved = await caller.post(f"/v1/bills/{bill['id']}/approve")
    assert approved.status_code == 200, approved.text
    ledger = await balances(caller)
    assert (ledger[SOFTWARE], ledger[INPUT_TAX], ledger[AP]) == (
        D("20000.00"),
        D("1234.57"),
        D("21234.57"),
    )
    (event,) = await events_of(sessions, caller.tenant_id, "billing.bill.approved")
    assert (D(event["tax_amount"]), D(event["total_amount"])) == (D("1234.57"), D("21234.57"))
    assert D(event["lines"][0]["tax_amount"]) == D("1234.57")


async def test_a_printed_tax_its_net_and_rate_cannot_carry_is_a_validation_error(app, caller):
    supplier = supplier_created("Tax Checkers Ltd")
    await deliver(app, caller.tenant_id, supplier)
    line = {
        "description": "Licence",
        "quantity": "1",
        "unit_price": "100.00",
        "tax_rate": "0.10",
        "expense_category": "software",
    }
    refused = await caller.post(
        "/v1/bills", bill_body(supplier, None, [line, {**line, "tax_amount": "10.05"}])
    )
    assert refused.status_code == 422, refused.text
    assert fields_named(refused) == {"line_items[1].tax_amount"}
    kept = await caller.created(
        "/v1/bills", bill_body(supplier, None, [{**line, "tax_amount": "9.99"}], number="T-2")
    )
    assert (kept["tax_amount"], kept["total_amount"]) == ("9.99", "109.99")
