"""Double-entry postings: each financial fact as one balanced journal draft (pure, no I/O).

Amounts arrive in the document's currency and are converted to the tenant's base
currency at the document's fixed rate, each rounded half-up to the base minor unit.
Whatever rounding leaves over goes to the revenue or expense side of the entry (Sales,
Purchase Price Variance, the expense account, FX gain/loss), never to a balance that a
customer or supplier owes, so receivables and payables clear to the cent: a piece of an
invoice or bill is cleared through its `OpenItem`, and the piece that settles it takes off
exactly the base amount still carried for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Self

from millbook_platform.money import round_money

ZERO = Decimal(0)


class Account(StrEnum):
    """The seeded chart of accounts; the value is the account number."""

    CASH = "1000"
    ACCOUNTS_RECEIVABLE = "1100"
    INVENTORY = "1200"
    INPUT_TAX = "1300"
    ACCOUNTS_PAYABLE = "2000"
    TAX_PAYABLE = "2100"
    CUSTOMER_CREDITS = "2200"
    GOODS_RECEIVED_NOT_INVOICED = "2300"
    OPENING_EQUITY = "3000"
    RETAINED_EARNINGS = "3100"
    SALES = "4000"
    COST_OF_GOODS_SOLD = "5000"
    PURCHASE_PRICE_VARIANCE = "5100"
    FX_GAIN_LOSS = "5200"
    EXPENSE_OFFICE = "6100"
    EXPENSE_TRAVEL = "6200"
    EXPENSE_MEALS = "6300"
    EXPENSE_SOFTWARE = "6400"
    EXPENSE_MARKETING = "6500"
    EXPENSE_OTHER = "6900"


EXPENSE_ACCOUNTS: dict[str, Account] = {
    "office": Account.EXPENSE_OFFICE,
    "travel": Account.EXPENSE_TRAVEL,
    "meals": Account.EXPENSE_MEALS,
    "software": Account.EXPENSE_SOFTWARE,
    "marketing": Account.EXPENSE_MARKETING,
    "other": Account.EXPENSE_OTHER,
}


def expense_account(category: str) -> Account:
    """The expense account of an expense category (office, travel, meals, software, ...)."""
    try:
        return EXPENSE_ACCOUNTS[category]
    except KeyError:
        raise ValueError(f"unknown expense category {category!r}") from None


@dataclass(frozen=True)
class Fx:
    """A document currency's fixed rate to the tenant's base currency: base = amount * rate."""

    currency_code: str
    base_currency: str
    rate: Decimal

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError("an exchange rate is positive")
        if self.currency_code == self.base_currency and self.rate != 1:
            raise ValueError("a base-currency document has the rate 1")

    @classmethod
    def same(cls, currency_code: str) -> Fx:
        """A document already in the base currency."""
        return cls(currency_code, currency_code, Decimal(1))

    def to_base(self, amount: Decimal) -> Decimal:
        return round_money(amount * self.rate, self.base_currency)


@dataclass(frozen=True)
class OpenItem:
    """An invoice (bill) on AR (AP) just before a piece of it is settled.

    `total` and `balance` (still open) are in the document's currency; `carried` is the
    base amount AR (AP) still holds for it, on the account's normal side. A piece that
    settles the whole balance clears exactly what is carried, so the item ends at zero in
    base too; any other piece clears the change in the rounded base of what is settled
    so far, so the pieces' roundings never drift more than one minor unit.
    """

    fx: Fx
    total: Decimal
    balance: Decimal
    carried: Decimal

    def base_of(self, amount: Decimal) -> Decimal:
        """The base amount a piece of `amount` (document currency) takes off the item."""
        if not ZERO < amount <= self.balance:
            raise ValueError("a settled piece is positive and at most the open balance")
        if amount == self.balance:
            return self.carried
        before = self.total - self.balance
        return self.fx.to_base(before + amount) - self.fx.to_base(before)

    def after(self, amount: Decimal) -> Self:
        """The item once a piece of `amount` is settled."""
        return replace(
            self, balance=self.balance - amount, carried=self.carried - self.base_of(amount)
        )


@dataclass(frozen=True)
class HeldCredit(OpenItem):
    """Customer credit a receipt or credit note holds, as Customer Credits carries it.

    `balance` is the credit left (document currency), `carried` what Customer Credits holds
    for its source document in base. A piece leaves exactly the rounded base of the credit
    left behind, so the credit never drifts (a drift from before heals on the next piece)
    and the piece that uses it up takes what is carried: the source ends at zero in base.
    """

    def base_of(self, amount: Decimal) -> Decimal:
        if not ZERO < amount <= self.balance:
            raise ValueError("a piece of a credit is positive and at most the credit left")
        return self.carried - self.fx.to_base(self.balance - amount)


def piece_base(rate: Fx | OpenItem, amount: Decimal) -> Decimal:
    """A piece of an open item in base: from its OpenItem, or at a bare rate when unknown."""
    return rate.base_of(amount) if isinstance(rate, OpenItem) else rate.to_base(amount)


def _fx_of(rate: Fx | OpenItem) -> Fx:
    return rate.fx if isinstance(rate, OpenItem) else rate


@dataclass(frozen=True)
class Party:
    """Who an AR/AP line is owed by or to, for aging and statements."""

    party_type: str  # "customer" | "supplier"
    party_id: uuid.UUID
    name: str


@dataclass(frozen=True)
class DocumentRef:
    """The open item an AR/AP line belongs to."""

    document_type: str  # "invoice" | "credit_note" | "bill" | "payment"
    document_id: uuid.UUID
    number: str | None
    due_date: date | None


@dataclass(frozen=True)
class PostingLine:
    account: Account
    debit: Decimal
    credit: Decimal
    party: Party | None = None
    document: DocumentRef | None = None
    description: str | None = None


@dataclass(frozen=True)
class JournalDraft:
    """A journal entry not yet posted; `source_type` names the fact, `source_id` its document."""

    source_type: str
    source_id: uuid.UUID
    entry_date: date
    currency: str
    memo: str
    lines: tuple[PostingLine, ...] = field(default_factory=tuple)

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def is_balanced(self) -> bool:
        return self.total_debit == self.total_credit


@dataclass
class _Builder:
    """Collects signed base amounts (positive = debit) and balances on one line at the end."""

    currency: str
    lines: list[PostingLine] = field(default_factory=list)

    def add(
        self,
        account: Account,
        signed: Decimal,
        *,
        party: Party | None = None,
        document: DocumentRef | None = None,
        description: str | None = None,
    ) -> None:
        if signed == 0:
            return
        debit, credit = (signed, ZERO) if signed > 0 else (ZERO, -signed)
        self.lines.append(PostingLine(account, debit, credit, party, document, description))

    def residue(self) -> Decimal:
        """Credits minus debits so far: what a debit on the balancing line must be."""
        return sum((line.credit - line.debit for line in self.lines), ZERO)

    def draft(
        self, source_type: str, source_id: uuid.UUID, entry_date: date, memo: str
    ) -> JournalDraft:
        result = JournalDraft(
            source_type, source_id, entry_date, self.currency, memo, tuple(self.lines)
        )
        if not result.is_balanced:  # a bug in a builder, never a user error
            raise AssertionError(f"unbalanced {source_type} draft")
        return result


def _not_negative(**amounts: Decimal) -> None:
    for name, amount in amounts.items():
        if amount < 0:
            raise ValueError(f"{name} must not be negative")


def _adds_up(net: Decimal, tax: Decimal, total: Decimal) -> None:
    if net + tax != total:
        raise ValueError("net + tax must equal total")


def _same_base(fx: Fx, others: Sequence[Fx]) -> None:
    for other in others:
        if other.base_currency != fx.base_currency:
            raise ValueError("every rate must convert to the same base currency")
        if other.currency_code != fx.currency_code:
            raise ValueError("an allocation is in the payment's currency")


# An open item settled by a payment: the document, the piece (its currency), and its rate
# or, better, its OpenItem.
Allocation = tuple[DocumentRef, Decimal, Fx | OpenItem]


def _label(ref: DocumentRef) -> str:
    return ref.number or str(ref.document_id)


def invoice_issued(
    *,
    invoice: DocumentRef,
    customer: Party,
    entry_date: date,
    net: Decimal,
    tax: Decimal,
    total: Decimal,
    fx: Fx,
) -> JournalDraft:
    """Accounts Receivable (total) / Sales (net after discount) + Tax Payable (tax)."""
    _not_negative(net=net, tax=tax)
    _adds_up(net, tax, total)
    book = _Builder(fx.base_currency)
    book.add(Account.ACCOUNTS_RECEIVABLE, fx.to_base(total), party=customer, document=invoice)
    book.add(Account.TAX_PAYABLE, -fx.to_base(tax), document=invoice)
    book.add(Account.SALES, book.residue(), document=invoice)
    return book.draft(
        "invoice_issued", invoice.document_id, entry_date, f"Invoice {_label(invoice)} issued"
    )


def credit_note_issued(
    *,
    credit_note: DocumentRef,
    invoice: DocumentRef,
    customer: Party,
    entry_date: date,
    net: Decimal,
    tax: Decimal,
    total: Decimal,
    to_customer_credit: bool,
    fx: Fx,
    receivable: OpenItem | None = None,
    applied: Decimal | None = None,
) -> JournalDraft:
    """Sales (net) + Tax Payable (tax) / the invoice's receivable, or Customer Credits.

    With `applied` (and the invoice's `receivable` before it), that much of the total
    comes off the invoice's receivable as a piece of its open item and the rest becomes
    Customer Credits; Sales takes the rounding, so the receivable clears to the cent.
    """
    _not_negative(net=net, tax=tax)
    _adds_up(net, tax, total)
    if applied is None:
        applied = ZERO if to_customer_credit else total
    if not ZERO <= applied <= total:
        raise ValueError("the applied part is within the credit note's total")
    book = _Builder(fx.base_currency)
    if applied > ZERO:
        cleared = piece_base(receivable or fx, applied)
        book.add(Account.ACCOUNTS_RECEIVABLE, -cleared, party=customer, document=invoice)
    if total > applied:
        rest = fx.to_base(total - applied)
        book.add(Account.CUSTOMER_CREDITS, -rest, party=customer, document=credit_note)
    book.add(Account.TAX_PAYABLE, fx.to_base(tax), document=credit_note)
    book.add(Account.SALES, book.residue(), document=credit_note)
    memo = f"Credit note {_label(credit_note)} on invoice {_label(invoice)}"
    return book.draft("credit_note_issued", credit_note.document_id, entry_date, memo)


def _settle(
    book: _Builder,
    *,
    account: Account,
    sign: int,
    party: Party,
    allocations: Sequence[Allocation],
    fx: Fx,
) -> Decimal:
    """Clear each allocated open item at its own rate; return the allocated total.

    `sign` is -1 to credit the items (receivables), +1 to debit them (payables). An
    allocation given with its OpenItem clears what the item carries when it settles it.
    """
    _same_base(fx, [_fx_of(rate) for _, _, rate in allocations])
    allocated = ZERO
    for document, amount, rate in allocations:
        if amount <= 0:
            raise ValueError("an allocation is positive")
        allocated += amount
        book.add(account, sign * piece_base(rate, amount), party=party, document=document)
    return allocated


def customer_receipt(
    *,
    payment: DocumentRef,
    customer: Party,
    entry_date: date,
    amount: Decimal,
    allocations: Sequence[Allocation],
    fx: Fx,
) -> JournalDraft:
    """Cash / AR per allocation at the invoice's rate; the rest to Customer Credits.

    The difference between the cash at the payment's rate and the receivables at
    their invoices' rates is an FX gain (credit) or loss (debit).
    """
    if amount <= 0:
        raise ValueError("a payment amount is positive")
    book = _Builder(fx.base_currency)
    book.add(Account.CASH, fx.to_base(amount), document=payment)
    allocated = _settle(
        book,
        account=Account.ACCOUNTS_RECEIVABLE,
        sign=-1,
        party=customer,
        allocations=allocations,
        fx=fx,
    )
    if allocated > amount:
        raise ValueError("allocations exceed the payment amount")
    book.add(
        Account.CUSTOMER_CREDITS, -fx.to_base(amount - allocated), party=customer, document=payment
    )
    book.add(Account.FX_GAIN_LOSS, book.residue(), document=payment)
    return book.draft(
        "payment_received", payment.document_id, entry_date, f"Payment {_label(payment)} received"
    )


def customer_credit_applied(
    *,
    source: DocumentRef,
    invoice: DocumentRef,
    customer: Party,
    entry_date: date,
    amount: Decimal,
    fx: Fx | OpenItem,
    application_id: uuid.UUID | None = None,
    invoice_fx: Fx | OpenItem | None = None,
) -> JournalDraft:
    """Customer Credits (at the credit's rate `fx`) / the invoice's receivable.

    Given the credit source's OpenItem as `fx` (what Customer Credits carries for it), the
    piece that uses up the credit takes exactly that, so the source clears to the cent.
    With `invoice_fx` the receivable clears at the invoice's own rate (as a piece of its
    OpenItem when given) and the difference is an FX gain or loss; without it both
    sides use `fx`. One entry per
    application: `application_id` when the caller has one, else derived from the
    (source, invoice) pair.
    """
    if amount <= 0:
        raise ValueError("an applied credit is positive")
    rate = _fx_of(fx)
    if invoice_fx is not None:
        _same_base(rate, [_fx_of(invoice_fx)])
    book = _Builder(rate.base_currency)
    book.add(Account.CUSTOMER_CREDITS, piece_base(fx, amount), party=customer, document=source)
    receivable = piece_base(invoice_fx or rate, amount)
    book.add(Account.ACCOUNTS_RECEIVABLE, -receivable, party=customer, document=invoice)
    book.add(Account.FX_GAIN_LOSS, book.residue(), document=invoice)
    source_id = application_id or uuid.uuid5(
        source.document_id, f"credit-applied:{invoice.document_id}"
    )
    memo = f"Credit {_label(source)} applied to invoice {_label(invoice)}"
    return book.draft("customer_credit_applied", source_id, entry_date, memo)


def customer_refund(
    *,
    payment: DocumentRef,
    customer: Party,
    entry_date: date,
    amount: Decimal,
    fx: Fx | OpenItem,
    source: DocumentRef | None = None,
) -> JournalDraft:
    """Customer Credits / Cash: money paid back to a customer out of their credit.

    Given the credit's `source` (the receipt or credit note that holds it) and its OpenItem
    as `fx`, the refund takes the credit off the source, and the refund that uses it up
    takes exactly what Customer Credits carries for it; the rounding against the cash is
    an FX gain or loss.
    """
    if amount <= 0:
        raise ValueError("a refund is positive")
    rate = _fx_of(fx)
    book = _Builder(rate.base_currency)
    book.add(
        Account.CUSTOMER_CREDITS,
        piece_base(fx, amount),
        party=customer,
        document=source or payment,
    )
    book.add(Account.CASH, -rate.to_base(amount), document=payment)
    book.add(Account.FX_GAIN_LOSS, book.residue(), document=payment)
    return book.draft(
        "customer_refund", payment.document_id, entry_date, f"Refund {_label(payment)}"
    )


def supplier_payment(
    *,
    payment: DocumentRef,
    supplier: Party,
    entry_date: date,
    amount: Decimal,
    allocations: Sequence[Allocation],
    fx: Fx,
) -> JournalDraft:
    """Accounts Payable per allocated bill (at its rate) / Cash (at the payment's rate).

    An unallocated rest is an advance to the supplier: a debit on Accounts Payable
    against the payment itself, so it shows as a negative open item.
    """
    if amount <= 0:
        raise ValueError("a payment amount is positive")
    book = _Builder(fx.base_currency)
    book.add(Account.CASH, -fx.to_base(amount), document=payment)
    allocated = _settle(
        book,
        account=Account.ACCOUNTS_PAYABLE,
        sign=1,
        party=supplier,
        allocations=allocations,
        fx=fx,
    )
    if allocated > amount:
        raise ValueError("allocations exceed the payment amount")
    book.add(
        Account.ACCOUNTS_PAYABLE, fx.to_base(amount - allocated), party=supplier, document=payment
    )
    book.add(Account.FX_GAIN_LOSS, book.residue(), document=payment)
    return book.draft(
        "supplier_payment", payment.document_id, entry_date, f"Payment {_label(payment)} sent"
    )


def goods_received(
    *,
    delivery_id: uuid.UUID,
    supplier: Party,
    entry_date: date,
    value: Decimal,
    fx: Fx,
    grni: Decimal | None = None,
) -> JournalDraft:
    """Inventory / Goods Received Not Invoiced, at the purchase order's price.

    `grni` (base), when given, is what GRNI is credited instead of the receipt's own base:
    units billed before they arrived clear what their bill debited. The difference is an
    FX gain or loss (a rounding rest in the base currency goes to the price variance).
    """
    _not_negative(value=value)
    base = fx.to_base(value)
    book = _Builder(fx.base_currency)
    book.add(Account.INVENTORY, base)
    credited = base if grni is None else grni
    book.add(Account.GOODS_RECEIVED_NOT_INVOICED, -credited, party=supplier)
    book.add(_difference_account(fx), book.residue())
    return book.draft("goods_received", delivery_id, entry_date, "Goods received")


def _difference_account(fx: Fx) -> Account:
    """Where a GRNI clearing's difference from the document's own base goes."""
    foreign = fx.currency_code != fx.base_currency
    return Account.FX_GAIN_LOSS if foreign else Account.PURCHASE_PRICE_VARIANCE


def bill_posted(
    *,
    bill: DocumentRef,
    supplier: Party,
    entry_date: date,
    received_goods_at_po_price: Decimal,
    goods_billed_net: Decimal,
    expense_lines: Sequence[tuple[Account, Decimal]],
    tax: Decimal,
    total: Decimal,
    fx: Fx,
    grni_cleared: Decimal | None = None,
) -> JournalDraft:
    """GRNI (at PO price) + Purchase Price Variance + expenses + Input tax / Accounts Payable.

    The rounding rest lands on the price variance when goods are billed, otherwise on
    the largest expense line. `grni_cleared` (base), when given, is what GRNI is debited
    instead of the goods at PO price at the bill's rate (what their receipts booked); the
    difference is an FX gain or loss.
    """
    _not_negative(received=received_goods_at_po_price, goods=goods_billed_net, tax=tax)
    if any(amount < 0 for _, amount in expense_lines):
        raise ValueError("an expense line must not be negative")
    expenses_net = sum((amount for _, amount in expense_lines), ZERO)
    _adds_up(goods_billed_net + expenses_net, tax, total)
    book = _Builder(fx.base_currency)
    book.add(Account.ACCOUNTS_PAYABLE, -fx.to_base(total), party=supplier, document=bill)
    book.add(Account.INPUT_TAX, fx.to_base(tax), document=bill)
    at_bill_rate = fx.to_base(received_goods_at_po_price)
    cleared = at_bill_rate if grni_cleared is None else grni_cleared
    book.add(Account.GOODS_RECEIVED_NOT_INVOICED, cleared)
    if _difference_account(fx) is Account.FX_GAIN_LOSS:
        book.add(Account.FX_GAIN_LOSS, at_bill_rate - cleared, document=bill)
    goods = received_goods_at_po_price > 0 or goods_billed_net > 0
    rest = sorted(expense_lines, key=lambda line: line[1], reverse=True)
    balance_on = Account.PURCHASE_PRICE_VARIANCE
    if not goods and rest:
        balance_on = rest.pop(0)[0]
    for account, amount in rest:
        book.add(account, fx.to_base(amount), document=bill)
    book.add(balance_on, book.residue(), document=bill)
    return book.draft("bill_posted", bill.document_id, entry_date, f"Bill {_label(bill)} posted")


def expense_approved(
    *, expense_id: uuid.UUID, category: str, entry_date: date, net: Decimal, tax: Decimal, fx: Fx
) -> JournalDraft:
    """The category's expense account + Input tax / Cash: an expense paid directly."""
    _not_negative(net=net, tax=tax)
    account = expense_account(category)
    book = _Builder(fx.base_currency)
    book.add(Account.CASH, -fx.to_base(net + tax))
    book.add(Account.INPUT_TAX, fx.to_base(tax))
    book.add(account, book.residue())
    return book.draft("expense_approved", expense_id, entry_date, f"Expense ({category})")
