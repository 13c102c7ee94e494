"""The contract events an expense change becomes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from millbook_billing.models import Expense
from millbook_contracts.expenses import (
    ExpenseApproved,
    ExpenseDeleted,
    ExpenseInvoiced,
    ExpenseRecorded,
    ExpenseRejected,
    ExpenseUpdated,
)
from millbook_platform.money import round_money


def _facts(expense: Expense, attachment_ids: Sequence[uuid.UUID], at: datetime) -> dict[str, Any]:
    currency = expense.currency_code
    return {
        "expense_id": expense.id,
        "description": expense.description,
        "amount": round_money(expense.amount, currency),
        "tax_amount": round_money(expense.tax_amount, currency),
        "currency_code": currency,
        "category": expense.category,
        "expense_date": expense.expense_date,
        "receipt_number": expense.receipt_number,
        "vendor": expense.vendor,
        "is_billable": expense.is_billable,
        "customer_id": expense.customer_id,
        "status": expense.status,
        "attachment_ids": list(attachment_ids),
        "occurred_at": at,
    }


def expense_recorded(expense: Expense, attachment_ids: Sequence[uuid.UUID]) -> ExpenseRecorded:
    return ExpenseRecorded(**_facts(expense, attachment_ids, expense.created_at))


def expense_approved(
    expense: Expense, attachment_ids: Sequence[uuid.UUID], journal_entry_id: uuid.UUID | None
) -> ExpenseApproved:
    assert expense.decided_at is not None
    return ExpenseApproved(
        **_facts(expense, attachment_ids, expense.decided_at),
        approved_by=expense.decided_by,
        journal_entry_id=journal_entry_id,
    )


def expense_rejected(expense: Expense, attachment_ids: Sequence[uuid.UUID]) -> ExpenseRejected:
    assert expense.decided_at is not None
    assert expense.rejection_reason is not None
    return ExpenseRejected(
        **_facts(expense, attachment_ids, expense.decided_at),
        reason=expense.rejection_reason,
        rejected_by=expense.decided_by,
    )


def expense_updated(
    expense: Expense, attachment_ids: Sequence[uuid.UUID], changed: list[str]
) -> ExpenseUpdated:
    return ExpenseUpdated(**_facts(expense, attachment_ids, expense.updated_at), changed=changed)


def expense_deleted(expense_id: uuid.UUID, at: datetime) -> ExpenseDeleted:
    return ExpenseDeleted(expense_id=expense_id, deleted_at=at)


def expense_invoiced(expense: Expense, attachment_ids: Sequence[uuid.UUID]) -> ExpenseInvoiced:
    assert expense.invoiced_at is not None
    assert expense.invoiced_invoice_id is not None
    return ExpenseInvoiced(
        **_facts(expense, attachment_ids, expense.invoiced_at),
        invoice_id=expense.invoiced_invoice_id,
    )
