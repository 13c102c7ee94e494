"""Sales event contracts: customers, contacts, leads, tasks, opportunities, quotations, orders.

Money travels as a decimal string with the currency's minor digits beside its
`currency_code`; rates as in the API (`tax_rate` a fraction, `discount_percent` a
percentage). Each event carries what its known consumers need so they never call back:
billing invoices from `sales.order.completed`, the inbox emails from
`sales.quotation.sent`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from millbook_contracts.base import Event


class Address(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    line1: str
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str  # ISO 3166-1 alpha-2


class DocumentLine(BaseModel):
    """One priced line of a quotation or order; amounts rounded half-up per line."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    line_number: int
    product_name: str
    description: str | None = None
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal


class DocumentTotals(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    currency_code: str
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal


# Customers ---------------------------------------------------------------------------


class _CustomerFacts(Event):
    """The customer as it is after the change."""

    customer_id: uuid.UUID
    customer_code: str
    name: str
    company: str | None = None
    primary_email: str | None = None
    primary_phone: str | None = None
    tax_number: str | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    credit_limit: Decimal | None = None
    payment_terms: str
    currency_code: str
    segment: str | None = None
    status: str  # active | inactive
    tags: list[str] = []
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.customer_id)


class CustomerCreated(_CustomerFacts):
    """A customer was added (by hand, or by converting a lead)."""

    event_type: ClassVar[str] = "sales.customer.created"


class CustomerUpdated(_CustomerFacts):
    """A customer's details changed; `changed` names the fields that did."""

    event_type: ClassVar[str] = "sales.customer.updated"

    changed: list[str]


class CustomerArchived(_CustomerFacts):
    """A customer became inactive: kept for history, offered for no new business."""

    event_type: ClassVar[str] = "sales.customer.archived"


class CustomerDeleted(Event):
    """A customer with no open quotation or order was deleted."""

    event_type: ClassVar[str] = "sales.customer.deleted"

    customer_id: uuid.UUID
    customer_code: str
    deleted_at: datetime

    def subject(self) -> str:
        return str(self.customer_id)


# Contacts ----------------------------------------------------------------------------


class _ContactFacts(Event):
    contact_id: uuid.UUID
    customer_id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.contact_id)


class ContactCreated(_ContactFacts):
    """A person at a customer was added."""

    event_type: ClassVar[str] = "sales.contact.created"


class ContactUpdated(_ContactFacts):
    """A contact's details changed."""

    event_type: ClassVar[str] = "sales.contact.updated"

    changed: list[str]


class ContactDeleted(_ContactFacts):
    """A contact was removed (soft delete: history keeps it)."""

    event_type: ClassVar[str] = "sales.contact.deleted"


# Tasks -------------------------------------------------------------------------------


class TaskReminderDue(Event):
    """A task's reminder time passed; published once per task."""

    event_type: ClassVar[str] = "sales.task.reminder_due"

    task_id: uuid.UUID
    title: str
    due_at: datetime | None = None
    remind_at: datetime
    priority: str
    status: str
    assigned_to: uuid.UUID | None = None
    related_type: str | None = None
    related_id: uuid.UUID | None = None

    def subject(self) -> str:
        return str(self.task_id)


class _TaskFacts(Event):
    """The task as it is after the change."""

    task_id: uuid.UUID
    title: str
    description: str | None = None
    due_at: datetime | None = None
    remind_at: datetime | None = None
    priority: str  # low | normal | high | urgent
    status: str  # open | in_progress | done | cancelled
    assigned_to: uuid.UUID | None = None
    related_type: str | None = None
    related_id: uuid.UUID | None = None
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.task_id)


class TaskCreated(_TaskFacts):
    """A task was created."""

    event_type: ClassVar[str] = "sales.task.created"


class TaskUpdated(_TaskFacts):
    """A task's details changed; `changed` names the fields that did."""

    event_type: ClassVar[str] = "sales.task.updated"

    changed: list[str]


class TaskCompleted(_TaskFacts):
    """A task was marked done."""

    event_type: ClassVar[str] = "sales.task.completed"


class TaskDeleted(_TaskFacts):
    """A task was deleted; the payload is the task as it was."""

    event_type: ClassVar[str] = "sales.task.deleted"


# Leads -------------------------------------------------------------------------------


class LeadCreated(Event):
    """A lead was captured and, unless named, assigned round-robin to a sales user."""

    event_type: ClassVar[str] = "sales.lead.created"

    lead_id: uuid.UUID
    name: str
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    source: str
    status: str
    estimated_value: Decimal | None = None
    currency_code: str
    assigned_to: uuid.UUID | None = None
    auto_assigned: bool
    created_at: datetime

    def subject(self) -> str:
        return str(self.lead_id)


class LeadUpdated(Event):
    """A lead's details changed (status, assignee, value, ...); `changed` names the fields."""

    event_type: ClassVar[str] = "sales.lead.updated"

    lead_id: uuid.UUID
    name: str
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    source: str
    status: str
    estimated_value: Decimal | None = None
    currency_code: str
    assigned_to: uuid.UUID | None = None
    changed: list[str]
    updated_at: datetime

    def subject(self) -> str:
        return str(self.lead_id)


class LeadConverted(Event):
    """A lead became a customer with a contact and an opportunity."""

    event_type: ClassVar[str] = "sales.lead.converted"

    lead_id: uuid.UUID
    customer_id: uuid.UUID
    contact_id: uuid.UUID
    opportunity_id: uuid.UUID
    converted_at: datetime

    def subject(self) -> str:
        return str(self.lead_id)


# Opportunities -----------------------------------------------------------------------


class OpportunityCreated(Event):
    """A sales opportunity was opened."""

    event_type: ClassVar[str] = "sales.opportunity.created"

    opportunity_id: uuid.UUID
    opportunity_name: str
    customer_id: uuid.UUID
    estimated_value: Decimal | None = None
    currency_code: str
    stage: str
    status: str
    expected_close_date: date | None = None
    source: str | None = None
    assigned_to: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    created_at: datetime

    def subject(self) -> str:
        return str(self.opportunity_id)


class _OpportunityFacts(Event):
    """The opportunity as it is after the change."""

    opportunity_id: uuid.UUID
    opportunity_name: str
    customer_id: uuid.UUID
    estimated_value: Decimal | None = None
    currency_code: str
    stage: str
    status: str
    probability: Decimal | None = None
    expected_close_date: date | None = None
    source: str | None = None
    assigned_to: uuid.UUID | None = None
    lost_reason: str | None = None
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.opportunity_id)


class OpportunityUpdated(_OpportunityFacts):
    """Fields of an opportunity changed; `changed_fields` names them."""

    event_type: ClassVar[str] = "sales.opportunity.updated"

    changed_fields: list[str]


class OpportunityStageChanged(_OpportunityFacts):
    """An opportunity moved from one stage to another (forward, back, closed or reopened)."""

    event_type: ClassVar[str] = "sales.opportunity.stage_changed"

    from_stage: str
    to_stage: str
    days_in_previous_stage: Decimal
    changed_by: str | None = None


class OpportunityWon(_OpportunityFacts):
    """An opportunity closed won."""

    event_type: ClassVar[str] = "sales.opportunity.won"


class OpportunityLost(_OpportunityFacts):
    """An opportunity closed lost; `lost_reason` says why."""

    event_type: ClassVar[str] = "sales.opportunity.lost"


class OpportunityDeleted(_OpportunityFacts):
    """An open opportunity was removed from the pipeline (soft delete)."""

    event_type: ClassVar[str] = "sales.opportunity.deleted"


class PricedLine(BaseModel):
    """How one quotation line's price was calculated."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    line_number: int
    material_type: str
    machining_complexity: str
    quantity: Decimal
    machining_hours: Decimal
    material_cost: Decimal
    total_cost: Decimal
    unit_price: Decimal
    margin_percent: Decimal
    estimate_source: str
    confidence_score: Decimal


class QuotationPriced(Event):
    """Calculated prices were written into a draft quotation's lines."""

    event_type: ClassVar[str] = "sales.quotation.priced"

    quotation_id: uuid.UUID
    customer_id: uuid.UUID
    priced_lines: list[PricedLine]
    lines: list[DocumentLine]
    totals: DocumentTotals
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.quotation_id)


# Quotations --------------------------------------------------------------------------


class _QuotationFacts(Event):
    quotation_id: uuid.UUID
    quote_number: str | None = None  # assigned when first sent
    customer_id: uuid.UUID
    quotation_date: date
    valid_until: date | None = None
    status: str
    totals: DocumentTotals
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.quotation_id)


class QuotationCreated(_QuotationFacts):
    """A draft quotation was created (from scratch or by duplicating another)."""

    event_type: ClassVar[str] = "sales.quotation.created"

    duplicated_from: uuid.UUID | None = None


class QuotationSent(_QuotationFacts):
    """A quotation was sent; it carries all the inbox needs to email it."""

    event_type: ClassVar[str] = "sales.quotation.sent"

    quote_number: str
    customer_name: str
    customer_code: str
    recipient_email: str | None = None
    recipient_name: str | None = None
    payment_terms: str | None = None
    lead_time_days: int | None = None
    terms: str | None = None
    notes: str | None = None
    lines: list[DocumentLine]


class QuotationAccepted(_QuotationFacts):
    """The customer accepted a sent quotation."""

    event_type: ClassVar[str] = "sales.quotation.accepted"

    quote_number: str
    lines: list[DocumentLine]


class QuotationRejected(_QuotationFacts):
    """The customer rejected a sent quotation."""

    event_type: ClassVar[str] = "sales.quotation.rejected"

    quote_number: str
    reason: str | None = None


class QuotationExpired(_QuotationFacts):
    """A sent quotation passed its `valid_until` unanswered."""

    event_type: ClassVar[str] = "sales.quotation.expired"

    quote_number: str


class QuotationUpdated(_QuotationFacts):
    """A draft quotation was edited (PUT or PATCH); it carries the lines as they are now."""

    event_type: ClassVar[str] = "sales.quotation.updated"

    changed: list[str]
    lines: list[DocumentLine]


class QuotationDeleted(_QuotationFacts):
    """A draft quotation was deleted; the payload is the draft as it was."""

    event_type: ClassVar[str] = "sales.quotation.deleted"


# Orders ------------------------------------------------------------------------------


class _OrderFacts(Event):
    order_id: uuid.UUID
    order_number: str
    quotation_id: uuid.UUID
    quote_number: str
    customer_id: uuid.UUID
    status: str
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.order_id)


class _OrderWithLines(_OrderFacts):
    customer_name: str
    customer_code: str
    billing_email: str | None = None
    billing_address: Address | None = None
    payment_terms: str | None = None
    order_date: date
    required_date: date | None = None
    totals: DocumentTotals
    lines: list[DocumentLine]


class OrderCreated(_OrderWithLines):
    """An order was confirmed from an accepted quotation; purchasing plans material from it."""

    event_type: ClassVar[str] = "sales.order.created"


class OrderProductionStarted(_OrderFacts):
    """Work on an order began on the shop floor."""

    event_type: ClassVar[str] = "sales.order.production_started"


class OrderShipped(_OrderFacts):
    """An order left the shop."""

    event_type: ClassVar[str] = "sales.order.shipped"


class OrderCompleted(_OrderWithLines):
    """An order was completed; billing invoices it from this event alone."""

    event_type: ClassVar[str] = "sales.order.completed"


class OrderCancelled(_OrderFacts):
    """An order was cancelled before it shipped."""

    event_type: ClassVar[str] = "sales.order.cancelled"

    reason: str | None = None


SALES_EVENTS: tuple[type[Event], ...] = (
    CustomerCreated,
    CustomerUpdated,
    CustomerArchived,
    CustomerDeleted,
    ContactCreated,
    ContactUpdated,
    ContactDeleted,
    TaskReminderDue,
    TaskCreated,
    TaskUpdated,
    TaskCompleted,
    TaskDeleted,
    LeadCreated,
    LeadUpdated,
    LeadConverted,
    OpportunityCreated,
    OpportunityUpdated,
    OpportunityStageChanged,
    OpportunityWon,
    OpportunityLost,
    OpportunityDeleted,
    QuotationPriced,
    QuotationCreated,
    QuotationSent,
    QuotationAccepted,
    QuotationRejected,
    QuotationExpired,
    QuotationUpdated,
    QuotationDeleted,
    OrderCreated,
    OrderProductionStarted,
    OrderShipped,
    OrderCompleted,
    OrderCancelled,
)
