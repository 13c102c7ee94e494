"""Every billing table, imported here so the metadata (and alembic) sees them all."""

from millbook_billing.models.base import Base, DocumentCounter
from millbook_billing.models.expenses import Attachment, Document, Expense
from millbook_billing.models.ledger import JournalEntry, JournalLine, LedgerAccount
from millbook_billing.models.payables import (
    Bill,
    BillLine,
    Delivery,
    DeliveryLine,
    MatchingResult,
    MatchingSettings,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)
from millbook_billing.models.receivables import (
    BillingCustomer,
    BillingSettings,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    RecurringInvoice,
    RecurringInvoiceLine,
)
from millbook_billing.models.tenants import ExchangeRate, Organization

__all__ = [
    "Attachment",
    "Base",
    "Bill",
    "BillLine",
    "BillingCustomer",
    "BillingSettings",
    "CreditNote",
    "CreditNoteLine",
    "Delivery",
    "DeliveryLine",
    "Document",
    "DocumentCounter",
    "ExchangeRate",
    "Expense",
    "Invoice",
    "InvoiceLine",
    "JournalEntry",
    "JournalLine",
    "LedgerAccount",
    "MatchingResult",
    "MatchingSettings",
    "Organization",
    "Payment",
    "PaymentAllocation",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "RecurringInvoice",
    "RecurringInvoiceLine",
    "Supplier",
]
