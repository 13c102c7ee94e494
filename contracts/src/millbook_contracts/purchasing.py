"""Purchasing event contracts: suppliers, purchase orders and deliveries (goods receipts).

The purchasing service publishes exactly these. Money travels as a `Decimal` with the
currency's minor digits beside its `currency_code`; `tax_rate` is a fraction. Each
event carries what its known consumers need so they never call back: billing keeps
suppliers, purchase orders and deliveries as read models for supplier bills and
three-way matching (ordered x received-and-accepted x billed, per PO line), and posts
goods received to the ledger at the PO price.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from millbook_contracts.base import Event
from millbook_contracts.sales import Address

# Suppliers ---------------------------------------------------------------------------


class _SupplierFacts(Event):
    """The supplier as it is after the change."""

    supplier_id: uuid.UUID
    supplier_code: str | None = None
    name: str
    email: str | None = None
    phone: str | None = None
    payment_terms: str  # "Net 30" | "Due on receipt"
    currency_code: str
    address: Address | None = None
    tax_number: str | None = None
    status: str = "active"  # active | inactive
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.supplier_id)


class SupplierCreated(_SupplierFacts):
    """A supplier was added."""

    event_type: ClassVar[str] = "purchasing.supplier.created"


class SupplierUpdated(_SupplierFacts):
    """A supplier's details changed; `changed` names the fields that did."""

    event_type: ClassVar[str] = "purchasing.supplier.updated"

    changed: list[str] = []


# Purchase orders ---------------------------------------------------------------------


class PurchaseOrderLine(BaseModel):
    """One ordered line; amounts rounded half-up per line to the currency's minor unit."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    line_number: int
    material_id: uuid.UUID | None = None
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    subtotal: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    expected_delivery_date: date | None = None


class _PurchaseOrderFacts(Event):
    """The purchase order as it is after the change, lines included."""

    purchase_order_id: uuid.UUID
    po_number: str  # PO-2026-0001
    supplier_id: uuid.UUID
    supplier_name: str
    status: str  # draft | approved | sent | partially_received | received | cancelled
    currency_code: str
    order_date: date
    expected_date: date | None = None
    payment_terms: str | None = None
    lines: list[PurchaseOrderLine]
    subtotal: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.purchase_order_id)


class PurchaseOrderCreated(_PurchaseOrderFacts):
    """A purchase order was drafted."""

    event_type: ClassVar[str] = "purchasing.purchase_order.created"


class PurchaseOrderApproved(_PurchaseOrderFacts):
    """A purchase order was approved; its lines and prices are what a bill is matched to."""

    event_type: ClassVar[str] = "purchasing.purchase_order.approved"

    approved_by: str | None = None


class PurchaseOrderSent(_PurchaseOrderFacts):
    """An approved purchase order was sent to the supplier."""

    event_type: ClassVar[str] = "purchasing.purchase_order.sent"


class PurchaseOrderCancelled(_PurchaseOrderFacts):
    """A purchase order was cancelled; nothing more should be received or billed on it."""

    event_type: ClassVar[str] = "purchasing.purchase_order.cancelled"

    reason: str | None = None


# Deliveries --------------------------------------------------------------------------


class DeliveryLine(BaseModel):
    """What arrived for one PO line: accepted goods enter stock, rejected go back."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    po_line_number: int
    material_id: uuid.UUID | None = None
    quantity_received: Decimal
    quantity_accepted: Decimal
    quantity_rejected: Decimal
    unit_cost: Decimal  # the PO line's unit price, in the PO's currency
    quality_status: str | None = None  # passed | failed | partial


class DeliveryReceived(Event):
    """Goods were received against a purchase order (a goods receipt)."""

    event_type: ClassVar[str] = "purchasing.delivery.received"

    delivery_id: uuid.UUID
    delivery_number: str | None = None
    purchase_order_id: uuid.UUID
    po_number: str
    supplier_id: uuid.UUID
    supplier_name: str
    currency_code: str
    delivery_date: date
    received_at: datetime
    lines: list[DeliveryLine]

    def subject(self) -> str:
        # Its own topic, so it may overtake its purchase order: consumers keep it until
        # the PO arrives rather than assuming an order between the two topics.
        return str(self.delivery_id)


PURCHASING_EVENTS: tuple[type[Event], ...] = (
    SupplierCreated,
    SupplierUpdated,
    PurchaseOrderCreated,
    PurchaseOrderApproved,
    PurchaseOrderSent,
    PurchaseOrderCancelled,
    DeliveryReceived,
)
