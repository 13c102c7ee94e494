"""Billing's consumer of purchasing's events: suppliers, purchase orders, deliveries."""

from __future__ import annotations

from millbook_billing.config import Settings
from millbook_billing.purchase_orders import projection
from millbook_billing.suppliers.projection import on_supplier_changed
from millbook_contracts.purchasing import (
    DeliveryReceived,
    PurchaseOrderApproved,
    PurchaseOrderCancelled,
    PurchaseOrderCreated,
    PurchaseOrderSent,
    SupplierCreated,
    SupplierUpdated,
)
from millbook_platform.app import ConsumerFactory, consumer_of
from millbook_platform.consumer import subscriptions

PURCHASING = subscriptions(
    (SupplierCreated, on_supplier_changed),
    (SupplierUpdated, on_supplier_changed),
    (PurchaseOrderCreated, projection.on_purchase_order_changed),
    (PurchaseOrderApproved, projection.on_purchase_order_changed),
    (PurchaseOrderSent, projection.on_purchase_order_changed),
    (PurchaseOrderCancelled, projection.on_purchase_order_changed),
    (DeliveryReceived, projection.on_delivery_received),
)


def purchasing_consumer(settings: Settings, *, name: str = "purchasing") -> ConsumerFactory:
    return consumer_of(settings, name, PURCHASING)
