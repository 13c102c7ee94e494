"""Supplier bill rules (pure): status machine, due dates, payments, the AP posting split."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

from millbook_billing.ledger.postings import Account, expense_account
from millbook_platform.money import LinePrice, line_amounts, minor_unit, round_money

ZERO = Decimal(0)
DEFAULT_PAYMENT_TERMS = "Net 30"
EXPENSE_CATEGORIES = ("office", "travel", "meals", "software", "marketing", "other")
_NET_TERMS = re.compile(r"^Net (\d{1,3})$")


class BillStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"  # approved and posted to accounts payable, nothing paid yet
    PARTIAL = "partial"
    PAID = "paid"
    VOIDED = "voided"


PAYABLE = frozenset({BillStatus.OPEN, BillStatus.PARTIAL})


class IllegalStep(Exception):
    """A workflow step the bill's status does not allow."""


def due_date_for(bill_date: date, payment_terms: str) -> date:
    """`Due on receipt` is the bill date; `Net N` is N days after it."""
    if payment_terms == "Due on receipt":
        return bill_date
    found = _NET_TERMS.match(payment_terms)
    if found is None:
        raise ValueError(f"unknown payment terms {payment_terms!r}")
    return bill_date + timedelta(days=int(found.group(1)))


def is_overdue(status: str, due_date: date, today: date) -> bool:
    return status in PAYABLE and due_date < today


def require_draft(status: str, action: str) -> None:
    if status != BillStatus.DRAFT:
        raise IllegalStep(f"Only a draft bill can be {action}; this one is {status}.")


def require_voidable(status: str, paid_amount: Decimal) -> None:
    if status not in (BillStatus.DRAFT, BillStatus.OPEN) or paid_amount != 0:
        raise IllegalStep(
            f"Only a draft or an unpaid open bill can be voided; this one is {status}."
        )


@dataclass(frozen=True)
class PaymentOutcome:
    paid_amount: Decimal
    balance_amount: Decimal
    status: BillStatus


def apply_payment(
    status: str, total: Decimal, paid: Decimal, amount: Decimal, currency: str
) -> PaymentOutcome:
    """The bill after `amount` more is paid; more than the open balance is refused."""
    if status not in PAYABLE:
        raise IllegalStep(f"Only an approved, unpaid bill takes payments; this one is {status}.")
    if amount <= 0 or round_money(amount, currency) != amount:
        raise ValueError(f"a payment is a positive amount in {currency}'s minor unit")
    balance = total - paid
    if amount > balance:
        raise ValueError(f"the bill's open balance is {balance}")
    new_paid = paid + amount
    done = new_paid == total
    return PaymentOutcome(
        new_paid, total - new_paid, BillStatus.PAID if done else BillStatus.PARTIAL
    )


@dataclass(frozen=True)
class LineIn:
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    po_line_number: int | None
    expense_category: str | None
    tax_amount: Decimal | None = None  # the tax printed on the supplier's document, if given


# Tax rates are kept to 6 places: a rate derived from a printed tax (tax / net) reaches it
# only to within half a step of the rate on the net.
RATE_STEP = Decimal("0.000001")


class PrintedTaxRefused(ValueError):
    """A line's given tax amount that its net and tax rate cannot account for."""


def line_totals(line: LineIn, currency: str) -> tuple[Decimal, Decimal, Decimal]:
    """(subtotal, tax, total), half-up per line to the currency's minor unit.

    A line's `tax_amount` (the tax as the supplier's document prints it) is taken as the
    tax instead of net x rate, once `check_printed_tax` accepts it.
    """
    amounts = line_amounts(
        LinePrice(line.quantity, line.unit_price, tax_rate=line.tax_rate), currency
    )
    if line.tax_amount is None:
        return amounts.subtotal, amounts.tax_amount, amounts.total_amount
    check_printed_tax(line.tax_amount, amounts.subtotal, line, currency)
    return amounts.subtotal, line.tax_amount, amounts.subtotal + line.tax_amount


def printed_tax_tolerance(net: Decimal, quantity: Decimal, currency: str) -> Decimal:
    """How far a printed tax may be from net x rate: one minor unit per unit billed (a
    supplier may round the tax per unit or per line of their own) and half a step of a
    6-place rate on the net (a rate derived from the printed tax)."""
    per_unit = minor_unit(currency) * max(Decimal(1), quantity.to_integral_value(ROUND_CEILING))
    return per_unit + net * RATE_STEP / 2


def check_printed_tax(tax: Decimal, net: Decimal, line: LineIn, currency: str) -> None:
    if tax < 0 or round_money(tax, currency) != tax:
        raise PrintedTaxRefused(f"a tax amount is not negative, in {currency}'s minor unit")
    tolerance = printed_tax_tolerance(net, line.quantity, currency)
    if abs(tax - net * line.tax_rate) > tolerance:
        expected = round_money(net * line.tax_rate, currency)
        raise PrintedTaxRefused(
            f"{tax} is not the tax of {net} at {line.tax_rate.normalize():f}"
            f" (about {expected}, within {round_money(tolerance, currency)})"
        )


@dataclass(frozen=True)
class PostingSplit:
    """What approval posts: GRNI cleared at PO price, goods billed, expenses, tax, total."""

    received_goods_at_po_price: Decimal
    goods_billed_net: Decimal
    expense_lines: tuple[tuple[Account, Decimal], ...]
    tax: Decimal
    total: Decimal


def posting_split(
    lines: Sequence[LineIn], po_prices: Mapping[int, Decimal], currency: str
) -> PostingSplit:
    """Split a bill for `bill_posted`.

    Goods lines clear Goods Received Not Invoiced at the PO's price (billed quantity x PO
    unit price), the rest of their net is the purchase price variance; a goods line whose
    PO line is unknown clears at its own price. Expense lines go to their category.
    """
    grni = goods = tax = total = ZERO
    expenses: dict[Account, Decimal] = {}
    for line in lines:
        subtotal, line_tax, line_total = line_totals(line, currency)
        tax += line_tax
        total += line_total
        if line.po_line_number is None:
            account = expense_account(line.expense_category or "other")
            expenses[account] = expenses.get(account, ZERO) + subtotal
            continue
        goods += subtotal
        po_price = po_prices.get(line.po_line_number)
        grni += subtotal if po_price is None else round_money(line.quantity * po_price, currency)
    return PostingSplit(grni, goods, tuple(expenses.items()), tax, total)
