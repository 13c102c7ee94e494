"""Expense rules: categories, the approval state machine, amounts and billing on (pure)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from millbook_platform.money import round_money


class ExpenseCategory(StrEnum):
    OFFICE = "office"
    TRAVEL = "travel"
    MEALS = "meals"
    SOFTWARE = "software"
    MARKETING = "marketing"
    OTHER = "other"


class ExpenseStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ExpenseRuleBroken(ValueError):
    """A rule of the expense itself; `field` names what to correct."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class TransitionRefused(ValueError):
    """The expense's status does not allow the step."""


@dataclass(frozen=True)
class ExpenseAmounts:
    amount: Decimal
    tax_amount: Decimal
    currency_code: str


def check_amounts(amounts: ExpenseAmounts) -> None:
    """`amount` is what was paid, tax included; the tax is a part of it."""
    if amounts.amount <= 0:
        raise ExpenseRuleBroken("amount", "must be greater than 0")
    if amounts.tax_amount < 0:
        raise ExpenseRuleBroken("tax_amount", "may not be negative")
    if amounts.tax_amount > amounts.amount:
        raise ExpenseRuleBroken("tax_amount", "may not exceed the amount (tax is included in it)")
    for field, value in (("amount", amounts.amount), ("tax_amount", amounts.tax_amount)):
        if round_money(value, amounts.currency_code) != value:
            raise ExpenseRuleBroken(field, f"has more decimals than {amounts.currency_code} has")


def check_billable(is_billable: bool, customer_id: uuid.UUID | None) -> None:
    if is_billable and customer_id is None:
        raise ExpenseRuleBroken("customer_id", "is required when the expense is billable")


def net_amount(amount: Decimal, tax_amount: Decimal) -> Decimal:
    """The cost without reclaimable tax: what the expense account and a re-bill carry."""
    return amount - tax_amount


def ensure_editable(status: str) -> None:
    if status != ExpenseStatus.PENDING:
        raise TransitionRefused(f"A {status} expense cannot be changed; only pending ones can.")


def ensure_decidable(status: str, verb: str) -> None:
    if status != ExpenseStatus.PENDING:
        raise TransitionRefused(f"Only a pending expense can be {verb}; this one is {status}.")


@dataclass(frozen=True)
class BillableCandidate:
    expense_id: uuid.UUID
    status: str
    is_billable: bool
    customer_id: uuid.UUID | None
    currency_code: str
    invoiced_invoice_id: uuid.UUID | None


def billing_refusal(
    candidate: BillableCandidate, customer_id: uuid.UUID, currency_code: str
) -> str | None:
    """Why this expense may not go on the customer's invoice, or None when it may."""
    if candidate.status != ExpenseStatus.APPROVED:
        return f"is {candidate.status}; only approved expenses can be billed"
    if not candidate.is_billable:
        return "is not billable"
    if candidate.customer_id != customer_id:
        return "belongs to another customer"
    if candidate.currency_code != currency_code:
        return f"is in {candidate.currency_code}, the invoice in {currency_code}"
    return None


def already_invoiced(candidate: BillableCandidate) -> bool:
    return candidate.invoiced_invoice_id is not None


def invoice_line_description(description: str, vendor: str | None, expense_date: date) -> str:
    """`Hotel stay (Hilton, 2026-03-04)`: what the customer sees on the invoice line."""
    where = f"{vendor}, " if vendor else ""
    return f"{description} ({where}{expense_date.isoformat()})"[:500]
