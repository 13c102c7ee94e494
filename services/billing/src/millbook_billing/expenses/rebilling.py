"""Billing approved expenses on to a customer: lines on the customer's draft invoice.

The invoice is locked first, then the expenses in id order, so two requests that
bill the same expense serialize and the second one sees it already invoiced.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.expenses import domain, events, repository, service
from millbook_billing.invoices import service as invoices
from millbook_billing.invoices.schemas import InvoiceLineIn
from millbook_billing.models import Expense
from millbook_platform.db import utcnow
from millbook_platform.errors import Conflict, NotFound, ValidationFailed, field_error
from millbook_platform.outbox import record_event


async def bill_expenses(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    invoice_id: uuid.UUID,
    expense_ids: Sequence[uuid.UUID],
    *,
    actor: str,
    source: str,
) -> list[Expense]:
    """Each expense becomes one line (its cost net of reclaimable tax, no tax of its own:
    the draft's author sets the customer's tax) and is marked invoiced, never twice."""
    invoice = (await invoices.get_invoice(session, tenant_id, invoice_id, lock=True)).invoice
    wanted = list(dict.fromkeys(expense_ids))
    found = {e.id: e for e in await repository.get_many_locked(session, tenant_id, wanted)}
    expenses = [_billable(found, index, expense_id) for index, expense_id in enumerate(wanted)]
    for index, expense in enumerate(expenses):
        _check(expense, index, invoice.customer_id, invoice.currency_code)
    lines = [_line(expense) for expense in expenses]
    await invoices.add_lines(session, tenant_id, invoice.id, lines, actor=actor)
    now = utcnow()
    for expense in expenses:
        expense.invoiced_invoice_id = invoice.id
        expense.invoiced_at = now
    await session.flush()
    linked = await service.attachments_of(session, tenant_id, [e.id for e in expenses])
    for expense in expenses:
        event = events.expense_invoiced(expense, [a.id for a in linked[expense.id]])
        record_event(session, event, tenant_id=tenant_id, source=source, actor=actor)
    return expenses


def _billable(found: dict[uuid.UUID, Expense], index: int, expense_id: uuid.UUID) -> Expense:
    expense = found.get(expense_id)
    if expense is None:
        raise NotFound(
            "No expense with this id.",
            details=[field_error(f"expense_ids[{index}]", str(expense_id))],
        )
    return expense


def _check(expense: Expense, index: int, customer_id: uuid.UUID, currency_code: str) -> None:
    candidate = domain.BillableCandidate(
        expense_id=expense.id,
        status=expense.status,
        is_billable=expense.is_billable,
        customer_id=expense.customer_id,
        currency_code=expense.currency_code,
        invoiced_invoice_id=expense.invoiced_invoice_id,
    )
    field = f"expense_ids[{index}]"
    if domain.already_invoiced(candidate):
        raise Conflict(
            f"The expense is already on invoice {expense.invoiced_invoice_id}.",
            details=[field_error(field, "already invoiced")],
        )
    refusal = domain.billing_refusal(candidate, customer_id, currency_code)
    if refusal is not None:
        raise ValidationFailed(
            f"The expense cannot be billed on this invoice: it {refusal}.",
            details=[field_error(field, refusal)],
        )


def _line(expense: Expense) -> InvoiceLineIn:
    return InvoiceLineIn(
        description=domain.invoice_line_description(
            expense.description, expense.vendor, expense.expense_date
        ),
        quantity=Decimal(1),
        unit_price=domain.net_amount(expense.amount, expense.tax_amount),
    )
