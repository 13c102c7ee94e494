"""Purchasing's events, built from the contracts, and handed to billing's consumer.

Purchasing is not built yet: these are exactly the payloads it will publish.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from millbook_billing.purchase_orders.consumer import PURCHASING, purchasing_consumer
from millbook_contracts.base import Event
from millbook_contracts.purchasing import (
    DeliveryLine,
    DeliveryReceived,
    PurchaseOrderApproved,
    PurchaseOrderLine,
    SupplierCreated,
)
from millbook_platform.money import round_money

D = Decimal
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def deliver(app: Any, tenant_id: uuid.UUID, event: Event) -> str:
    """Hand one event to the purchasing consumer as Kafka would (inbox included)."""
    consumer = purchasing_consumer(app.state.runtime.settings)(app.state.sessions)
    envelope = event.envelope(tenant_id=tenant_id, source="/millbook/purchasing")
    return await consumer.apply(envelope, PURCHASING[event.event_type])


def supplier_created(
    name: str = "ABC Materials Inc.",
    *,
    currency: str = "USD",
    terms: str = "Net 30",
    supplier_id: uuid.UUID | None = None,
) -> SupplierCreated:
    return SupplierCreated(
        supplier_id=supplier_id or uuid.uuid4(),
        supplier_code="SUP-001",
        name=name,
        email="ap@abc.example",
        payment_terms=terms,
        currency_code=currency,
        occurred_at=T0,
    )


def po_line(number: int, quantity: str, price: str, tax_rate: str = "0.10") -> PurchaseOrderLine:
    subtotal = round_money(D(quantity) * D(price), "USD")
    tax = round_money(subtotal * D(tax_rate), "USD")
    return PurchaseOrderLine(
        line_number=number,
        material_id=uuid.uuid4(),
        description=f"Material {number}",
        quantity=D(quantity),
        unit_price=D(price),
        tax_rate=D(tax_rate),
        subtotal=subtotal,
        tax_amount=tax,
        total_amount=subtotal + tax,
    )


def purchase_order(
    supplier: SupplierCreated,
    lines: Sequence[PurchaseOrderLine],
    *,
    event: type[Any] = PurchaseOrderApproved,
    po_id: uuid.UUID | None = None,
    currency: str = "USD",
    status: str = "approved",
    at: datetime = T0,
) -> Any:
    return event(
        purchase_order_id=po_id or uuid.uuid4(),
        po_number="PO-2026-0001",
        supplier_id=supplier.supplier_id,
        supplier_name=supplier.name,
        status=status,
        currency_code=currency,
        order_date=date(2026, 3, 1),
        expected_date=date(2026, 3, 15),
        payment_terms="Net 30",
        lines=list(lines),
        subtotal=sum((line.subtotal for line in lines), D(0)),
        tax_amount=sum((line.tax_amount for line in lines), D(0)),
        total_amount=sum((line.total_amount for line in lines), D(0)),
        occurred_at=at,
    )


def delivery(
    po: Any,
    received: Sequence[tuple[int, str, str]],
    *,
    delivery_id: uuid.UUID | None = None,
    day: date = date(2026, 3, 10),
) -> DeliveryReceived:
    """`received` is (po_line_number, quantity_received, quantity_accepted) per line."""
    prices = {line.line_number: line.unit_price for line in po.lines}
    return DeliveryReceived(
        delivery_id=delivery_id or uuid.uuid4(),
        delivery_number="GR-0001",
        purchase_order_id=po.purchase_order_id,
        po_number=po.po_number,
        supplier_id=po.supplier_id,
        supplier_name=po.supplier_name,
        currency_code=po.currency_code,
        delivery_date=day,
        received_at=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9),
        lines=[
            DeliveryLine(
                po_line_number=number,
                quantity_received=D(got),
                quantity_accepted=D(accepted),
                quantity_rejected=D(got) - D(accepted),
                unit_cost=prices.get(number, D(0)),
            )
            for number, got, accepted in received
        ],
    )


def bill_body(
    supplier: SupplierCreated,
    po: Any | None,
    lines: Sequence[dict[str, Any]],
    *,
    number: str = "INV-7781",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "supplier_id": str(supplier.supplier_id),
        "bill_number": number,
        "bill_date": "2026-03-12",
        "line_items": list(lines),
        **extra,
    }
    if po is not None:
        body["purchase_order_id"] = str(po.purchase_order_id)
    return body


def po_bill_line(
    po_line_number: int, quantity: str, price: str, tax: str = "0.10"
) -> dict[str, Any]:
    return {
        "description": f"Material {po_line_number}",
        "po_line_number": po_line_number,
        "quantity": quantity,
        "unit_price": price,
        "tax_rate": tax,
    }


async def balances(caller: Any) -> dict[str, Decimal]:
    """Each ledger account's balance on its normal side, by account code."""
    response: httpx.Response = await caller.get("/v1/ledger/accounts")
    assert response.status_code == 200, response.text
    return {row["code"]: D(row["balance"]) for row in response.json()["data"]}
