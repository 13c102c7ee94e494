"""Kafka topic names: one topic per aggregate, keyed by aggregate id, kept forever."""

from __future__ import annotations

from dataclasses import dataclass

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class Topic:
    """A topic and how it is created."""

    name: str
    partitions: int = 3

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX


IDENTITY_ORGANIZATION = Topic("identity.organization")
IDENTITY_USER = Topic("identity.user")
IDENTITY_API_KEY = Topic("identity.api_key")
IDENTITY_SESSION = Topic("identity.session")
IDENTITY_ROLE = Topic("identity.role")
IDENTITY_PASSWORD_RESET = Topic("identity.password_reset")
SALES_CUSTOMER = Topic("sales.customer")
SALES_ORDER = Topic("sales.order")
SALES_CONTACT = Topic("sales.contact")
SALES_LEAD = Topic("sales.lead")
SALES_TASK = Topic("sales.task")
SALES_OPPORTUNITY = Topic("sales.opportunity")
SALES_QUOTATION = Topic("sales.quotation")
BILLING_INVOICE = Topic("billing.invoice")
BILLING_PAYMENT = Topic("billing.payment")
BILLING_CREDIT_NOTE = Topic("billing.credit_note")
BILLING_RECURRING_INVOICE = Topic("billing.recurring_invoice")
BILLING_CREDIT = Topic("billing.credit")
BILLING_EXPENSE = Topic("billing.expense")
BILLING_DOCUMENT = Topic("billing.document")
PURCHASING_PURCHASE_ORDER = Topic("purchasing.purchase_order")
PURCHASING_DELIVERY = Topic("purchasing.delivery")
PURCHASING_SUPPLIER = Topic("purchasing.supplier")
BILLING_BILL = Topic("billing.bill")
BILLING_MATCHING = Topic("billing.matching")
INBOX_EMAIL = Topic("inbox.email")

ALL_TOPICS: tuple[Topic, ...] = (
    IDENTITY_ORGANIZATION,
    IDENTITY_USER,
    IDENTITY_API_KEY,
    IDENTITY_SESSION,
    IDENTITY_ROLE,
    IDENTITY_PASSWORD_RESET,
    SALES_CUSTOMER,
    SALES_ORDER,
    SALES_CONTACT,
    SALES_LEAD,
    SALES_TASK,
    SALES_OPPORTUNITY,
    SALES_QUOTATION,
    BILLING_INVOICE,
    BILLING_PAYMENT,
    BILLING_CREDIT_NOTE,
    BILLING_RECURRING_INVOICE,
    BILLING_CREDIT,
    BILLING_EXPENSE,
    BILLING_DOCUMENT,
    PURCHASING_PURCHASE_ORDER,
    PURCHASING_DELIVERY,
    PURCHASING_SUPPLIER,
    BILLING_BILL,
    BILLING_MATCHING,
    INBOX_EMAIL,
)

# Every topic is kept forever: analytics and the audit trail rebuild from them.
TOPIC_CONFIG: dict[str, str] = {"retention.ms": "-1", "cleanup.policy": "delete"}


def topic_of(event_type: str) -> str:
    """`billing.invoice.paid` is published on `billing.invoice`."""
    service, aggregate, _verb = event_type.split(".", 2)
    return f"{service}.{aggregate}"
