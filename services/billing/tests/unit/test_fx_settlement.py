"""Foreign-currency open items clear to zero in base: a seeded random walk over the posting
builders (partial receipts at varying rates, credit notes by amount and by lines, split
credit notes, customer credit applied and refunded, supplier payments), in any order.

The rule: when an invoice's (bill's) balance reaches zero in its own currency, what AR
(AP) carries for it in base is exactly zero; every entry balances; and before that, the
base carried never drifts more than one minor unit from the open balance at its rate.
Customer credit (a receipt's unapplied rest, a credit note's customer credit) is held the
same way: Customer Credits carries exactly the credit left at its rate for each source,
so a source whose credit is used up carries nothing.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from millbook_billing.credit_notes import domain as credit_rules
from millbook_billing.credit_notes.accounting import credit_note_entry
from millbook_billing.invoices import domain as invoice_rules
from millbook_billing.ledger import postings
from millbook_billing.ledger.postings import (
    Account,
    DocumentRef,
    Fx,
    HeldCredit,
    JournalDraft,
    OpenItem,
    Party,
    PostingLine,
)
from millbook_platform.money import LinePrice, document_amounts, minor_unit, round_money

D = Decimal
ZERO = D(0)
TODAY = date(2026, 6, 1)
CUSTOMER = Party("customer", uuid.uuid4(), "Acme")
SUPPLIER = Party("supplier", uuid.uuid4(), "Steel Co")
# (document currency, base currency): cents to cents, cents to yen, cents to fils.
PAIRS = [("EUR", "USD"), ("USD", "JPY"), ("EUR", "KWD"), ("JPY", "EUR")]


def ref(kind: str) -> DocumentRef:
    return DocumentRef(kind, uuid.uuid4(), None, None)


@dataclass
class Ledger:
    lines: list[PostingLine] = field(default_factory=list)

    def post(self, draft: JournalDraft) -> None:
        assert draft.is_balanced, draft
        self.lines.extend(draft.lines)

    def carried(self, account: Account, document: DocumentRef) -> Decimal:
        """What the account holds for the document on its normal side, as the service reads it."""
        signed = sum(
            (
                line.debit - line.credit
                for line in self.lines
                if line.account is account and line.document == document
            ),
            ZERO,
        )
        credit_normal = account in (Account.ACCOUNTS_PAYABLE, Account.CUSTOMER_CREDITS)
        return -signed if credit_normal else signed


def a_rate(rng: random.Random) -> D:
    """A positive rate with up to six decimals, sometimes an awkward one (1/3, 1.005)."""
    return rng.choice(
        [
            D(rng.randint(1, 3_000_000)) / D(1_000_000),
            D(rng.randint(1, 400)) / D(100),
            D("1.333333"),
            D("0.666667"),
            D("1.005"),
            D("149.5"),
        ]
    )


def some_lines(rng: random.Random, currency: str) -> list[LinePrice]:
    unit = minor_unit(currency)
    return [
        LinePrice(
            quantity=D(rng.randint(1, 7)),
            unit_price=D(rng.randint(1, 500_000)) * unit,
            discount_percent=D(rng.choice([0, 0, 5, 12.5])),
            tax_rate=D(rng.choice(["0", "0.07", "0.10", "0.19", "0.21"])),
        )
        for _ in range(rng.randint(1, 4))
    ]


def a_piece(rng: random.Random, upto: D, currency: str) -> D:
    """A positive amount of at most `upto`: often all of it, else a random part."""
    if rng.random() < 0.3:
        return upto
    units = int(upto / minor_unit(currency))
    return D(rng.randint(1, units)) * minor_unit(currency)


@dataclass
class Invoice:
    ref: DocumentRef
    fx: Fx
    total: D
    tax: D
    status: str = "sent"
    paid: D = ZERO
    credited: D = ZERO
    credited_net: D = ZERO
    credited_tax: D = ZERO

    @property
    def balance(self) -> D:
        return self.total - self.paid - self.credited


@dataclass
class Credit:
    """Customer credit held by a receipt or a credit note, at the rate it came in."""

    ref: DocumentRef
    fx: Fx
    available: D


class Customer:
    """One customer's foreign-currency invoices walked to settlement by random steps."""

    def __init__(self, rng: random.Random, currency: str, base: str) -> None:
        self.rng, self.currency, self.base = rng, currency, base
        self.ledger = Ledger()
        self.invoices: list[Invoice] = []
        self.credits: list[Credit] = []

    def fx(self) -> Fx:
        return Fx(self.currency, self.base, a_rate(self.rng))

    def open_item(self, invoice: Invoice) -> OpenItem:
        carried = self.ledger.carried(Account.ACCOUNTS_RECEIVABLE, invoice.ref)
        return OpenItem(invoice.fx, invoice.total, invoice.balance, carried)

    def held(self, credit: Credit) -> HeldCredit:
        """The credit as the services read it before a piece of it is used."""
        carried = self.ledger.carried(Account.CUSTOMER_CREDITS, credit.ref)
        return HeldCredit(credit.fx, credit.available, credit.available, carried)

    def settle(self, invoice: Invoice, *, paid: D = ZERO, credited: D = ZERO) -> None:
        done = invoice_rules.apply(
            status=invoice.status,
            total_amount=invoice.total,
            paid_amount=invoice.paid,
            credited_amount=invoice.credited,
            paid=paid,
            credited=credited,
        )
        invoice.paid, invoice.credited = done.paid_amount, done.credited_amount
        invoice.status = done.status.value
        assert done.balance_amount == invoice.balance

    def issue(self) -> None:
        amounts = document_amounts(some_lines(self.rng, self.currency), self.currency)
        invoice = Invoice(ref("invoice"), self.fx(), amounts.total_amount, amounts.tax_amount)
        self.ledger.post(
            postings.invoice_issued(
                invoice=invoice.ref,
                customer=CUSTOMER,
                entry_date=TODAY,
                net=amounts.subtotal - amounts.discount_amount,
                tax=amounts.tax_amount,
                total=amounts.total_amount,
                fx=invoice.fx,
            )
        )
        self.invoices.append(invoice)

    def open_invoices(self) -> list[Invoice]:
        return [invoice for invoice in self.invoices if invoice.balance > 0]

    def receipt(self, targets: list[Invoice]) -> None:
        """One receipt at its own rate over some open invoices, sometimes overpaid."""
        pieces = [(t, a_piece(self.rng, t.balance, self.currency)) for t in targets]
        allocated = sum((amount for _, amount in pieces), ZERO)
        extra = a_piece(self.rng, allocated, self.currency) if self.rng.random() < 0.2 else ZERO
        payment, fx = ref("payment"), self.fx()
        draft = postings.customer_receipt(
            payment=payment,
            customer=CUSTOMER,
            entry_date=TODAY,
            amount=allocated + extra,
            allocations=[(t.ref, amount, self.open_item(t)) for t, amount in pieces],
            fx=fx,
        )
        for target, amount in pieces:
            self.settle(target, paid=amount)
        self.ledger.post(draft)
        if extra:
            self.credits.append(Credit(payment, fx, extra))

    def credit_note(self, invoice: Invoice) -> None:
        """A credit note by amount (tax in proportion) or by lines; split when it exceeds
        the open balance, all customer credit on a paid invoice."""
        left = credit_rules.CreditSplit(
            net=invoice.total - invoice.tax - invoice.credited_net,
            tax=invoice.tax - invoice.credited_tax,
            total=invoice.total - invoice.credited_net - invoice.credited_tax,
        )
        if left.total <= 0:
            return
        if self.rng.random() < 0.5:
            amounts = document_amounts(some_lines(self.rng, self.currency), self.currency)
            split = credit_rules.CreditSplit(
                amounts.subtotal - amounts.discount_amount,
                amounts.tax_amount,
                amounts.total_amount,
            )
        else:
            split = credit_rules.split_amount(
                a_piece(self.rng, left.total, self.currency),
                invoice_total=invoice.total,
                invoice_tax=invoice.tax,
                creditable=left,
                currency_code=self.currency,
            )
        if split.net > left.net or split.tax > left.tax:
            return  # more net or tax than the invoice has left: not a case for this walk
        placement = credit_rules.place(split.total, status=invoice.status, balance=invoice.balance)
        receivable = self.open_item(invoice) if placement.applied else None
        note = ref("credit_note")
        draft = credit_note_entry(
            credit_note=note,
            invoice=invoice.ref,
            customer=CUSTOMER,
            entry_date=TODAY,
            split=split,
            placement=placement,
            fx=invoice.fx,
            receivable=receivable,
        )
        invoice.credited_net += split.net
        invoice.credited_tax += split.tax
        if placement.applied:
            self.settle(invoice, credited=placement.applied)
        self.ledger.post(draft)
        if placement.customer_credit:
            self.credits.append(Credit(note, invoice.fx, placement.customer_credit))

    def held_credits(self) -> list[Credit]:
        return [credit for credit in self.credits if credit.available > 0]

    def apply_credit(self, invoice: Invoice) -> None:
        if not (held := self.held_credits()):
            return
        credit = self.rng.choice(held)
        amount = a_piece(self.rng, min(credit.available, invoice.balance), self.currency)
        draft = postings.customer_credit_applied(
            source=credit.ref,
            invoice=invoice.ref,
            customer=CUSTOMER,
            entry_date=TODAY,
            amount=amount,
            fx=self.held(credit),
            invoice_fx=self.open_item(invoice),
            application_id=uuid.uuid4(),
        )
        self.settle(invoice, credited=amount)
        credit.available -= amount
        self.ledger.post(draft)

    def refund(self) -> None:
        """Pay back a random piece of a held credit, at the rate the credit came in."""
        if not (held := self.held_credits()):
            return
        credit = self.rng.choice(held)
        amount = a_piece(self.rng, credit.available, self.currency)
        draft = postings.customer_refund(
            payment=ref("payment"),
            customer=CUSTOMER,
            entry_date=TODAY,
            amount=amount,
            fx=self.held(credit),
            source=credit.ref,
        )
        credit.available -= amount
        self.ledger.post(draft)

    def step(self) -> None:
        open_now = self.open_invoices()
        choice = self.rng.random()
        if choice < 0.4 and open_now:
            count = self.rng.randint(1, len(open_now))
            self.receipt(self.rng.sample(open_now, count))
        elif choice < 0.7:
            self.credit_note(self.rng.choice(self.invoices))
        elif choice < 0.85 and open_now:
            self.apply_credit(self.rng.choice(open_now))
        else:
            self.refund()

    def check(self) -> None:
        """AR per invoice: zero once settled, else within a minor unit of balance x rate.
        Customer Credits per source: exactly the credit left at its rate, so zero when
        used up."""
        unit = minor_unit(self.base)
        for invoice in self.invoices:
            carried = self.ledger.carried(Account.ACCOUNTS_RECEIVABLE, invoice.ref)
            if invoice.balance == 0:
                assert carried == 0, (invoice, carried)
            else:
                assert abs(carried - invoice.fx.to_base(invoice.balance)) <= unit, invoice
        for credit in self.credits:
            carried = self.ledger.carried(Account.CUSTOMER_CREDITS, credit.ref)
            assert carried == credit.fx.to_base(credit.available), (credit, carried)


@pytest.mark.parametrize("seed", range(40))
def test_a_settled_foreign_invoice_carries_nothing_on_receivables(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(10):  # 400 customers in all, each with a few invoices and many steps
        currency, base = rng.choice(PAIRS)
        customer = Customer(rng, currency, base)
        for _ in range(rng.randint(1, 3)):
            customer.issue()
        for _ in range(rng.randint(1, 25)):
            customer.step()
            customer.check()
        while customer.open_invoices():  # the last pieces settle everything, any way
            _finish(customer, rng.choice(customer.open_invoices()))
            customer.check()
        assert all(invoice.balance == 0 for invoice in customer.invoices)
        while customer.held_credits():  # what credit is left is refunded in pieces
            customer.refund()
            customer.check()
        assert _account_total(customer.ledger, Account.CUSTOMER_CREDITS) == 0


def _account_total(ledger: Ledger, account: Account) -> D:
    return sum((ln.debit - ln.credit for ln in ledger.lines if ln.account is account), ZERO)


def _finish(customer: Customer, invoice: Invoice) -> None:
    """One step towards settling `invoice`: a receipt, a credit note or held credit."""
    choice = customer.rng.random()
    if choice < 0.4:
        customer.receipt([invoice])
    elif choice < 0.7:
        customer.credit_note(invoice)
    else:
        customer.apply_credit(invoice)


def test_without_the_open_item_each_piece_rounded_alone_leaves_cents_behind() -> None:
    """The defect the open item fixes: converting pieces on their own strands base cents."""
    fx = Fx("EUR", "USD", D("1.005"))
    pieces = [D("0.50"), D("0.50")]  # 1.00 EUR is 1.01 USD on AR; each half is 0.50 USD
    stranded = fx.to_base(D("1.00")) - sum((fx.to_base(p) for p in pieces), ZERO)
    assert stranded == D("0.01")
    item = OpenItem(fx, D("1.00"), D("1.00"), fx.to_base(D("1.00")))
    cleared = ZERO
    for piece in pieces:
        cleared += item.base_of(piece)
        item = item.after(piece)
    assert cleared == D("1.01")
    assert (item.balance, item.carried) == (0, 0)


def test_a_foreign_credit_used_in_pieces_leaves_no_cent_on_customer_credits() -> None:
    """The defect held credit fixes: 1.00 EUR of credit at 1.005 is 1.01 USD on Customer
    Credits; applied and refunded in halves rounded alone (0.50 + 0.50), 0.01 stayed."""
    fx, source = Fx("EUR", "USD", D("1.005")), ref("payment")
    ledger = Ledger()
    ledger.post(
        postings.customer_receipt(
            payment=source,
            customer=CUSTOMER,
            entry_date=TODAY,
            amount=D("1.00"),
            allocations=[],
            fx=fx,
        )
    )
    credit = HeldCredit(fx, D("1.00"), D("1.00"), D("1.01"))
    assert ledger.carried(Account.CUSTOMER_CREDITS, source) == credit.carried
    invoice = ref("invoice")
    ledger.post(
        postings.invoice_issued(
            invoice=invoice,
            customer=CUSTOMER,
            entry_date=TODAY,
            net=D("0.50"),
            tax=ZERO,
            total=D("0.50"),
            fx=fx,
        )
    )
    ledger.post(
        postings.customer_credit_applied(
            source=source,
            invoice=invoice,
            customer=CUSTOMER,
            entry_date=TODAY,
            amount=D("0.50"),
            fx=credit,
            invoice_fx=OpenItem(fx, D("0.50"), D("0.50"), D("0.50")),
        )
    )
    credit = credit.after(D("0.50"))
    assert ledger.carried(Account.CUSTOMER_CREDITS, source) == D("0.50") == credit.carried
    refund = ref("payment")
    ledger.post(
        postings.customer_refund(
            payment=refund,
            customer=CUSTOMER,
            entry_date=TODAY,
            amount=D("0.50"),
            fx=credit,
            source=source,
        )
    )
    assert ledger.carried(Account.CUSTOMER_CREDITS, source) == 0
    assert ledger.carried(Account.CUSTOMER_CREDITS, refund) == 0
    assert ledger.carried(Account.ACCOUNTS_RECEIVABLE, invoice) == 0


def test_a_held_credit_heals_a_drift_and_refuses_pieces_beyond_it() -> None:
    # Posted before the rule: 0.02 USD too much carried for 1.00 EUR at 1.005 (1.01 USD).
    credit = HeldCredit(Fx("EUR", "USD", D("1.005")), D("1.00"), D("1.00"), D("1.03"))
    assert credit.base_of(D("0.40")) == D("1.03") - D("0.60")  # leaves 0.60 for 0.60 EUR
    assert credit.after(D("0.40")).carried == D("0.60")
    assert credit.base_of(D("1.00")) == D("1.03")
    for amount in (D("0"), D("1.01")):
        with pytest.raises(ValueError, match="credit left"):
            credit.base_of(amount)


def test_a_piece_is_positive_and_within_the_open_balance() -> None:
    item = OpenItem(Fx("EUR", "USD", D("1.1")), D("10.00"), D("4.00"), D("4.40"))
    for amount in (D("0"), D("-1"), D("4.01")):
        with pytest.raises(ValueError, match="open balance"):
            item.base_of(amount)


def test_the_last_piece_clears_what_is_carried_even_when_it_drifted() -> None:
    # An invoice posted before the rule, its pieces rounded alone: 0.02 USD is left over.
    item = OpenItem(Fx("EUR", "USD", D("1.005")), D("1.00"), D("0.01"), D("0.02"))
    assert item.base_of(D("0.01")) == D("0.02")


@dataclass
class Bill:
    ref: DocumentRef
    fx: Fx
    total: D
    paid: D = ZERO


@pytest.mark.parametrize("seed", range(20))
def test_a_paid_foreign_bill_carries_nothing_on_payables(seed: int) -> None:
    rng = random.Random(1000 + seed)
    for _ in range(10):
        currency, base = rng.choice(PAIRS)
        ledger, bills = Ledger(), []

        def carried(bill: Bill) -> D:
            return ledger.carried(Account.ACCOUNTS_PAYABLE, bill.ref)  # noqa: B023

        for _ in range(rng.randint(1, 3)):
            lines = some_lines(rng, currency)
            amounts = document_amounts(lines, currency)
            net = amounts.subtotal - amounts.discount_amount
            bill = Bill(ref("bill"), Fx(currency, base, a_rate(rng)), amounts.total_amount)
            goods = net if rng.random() < 0.5 else ZERO
            ledger.post(
                postings.bill_posted(
                    bill=bill.ref,
                    supplier=SUPPLIER,
                    entry_date=TODAY,
                    received_goods_at_po_price=round_money(goods * D("0.97"), currency),
                    goods_billed_net=goods,
                    expense_lines=[] if goods else [(Account.EXPENSE_OFFICE, net)],
                    tax=amounts.tax_amount,
                    total=amounts.total_amount,
                    fx=bill.fx,
                )
            )
            bills.append(bill)
        while unpaid := [bill for bill in bills if bill.paid < bill.total]:
            targets = rng.sample(unpaid, rng.randint(1, len(unpaid)))
            pieces = [(b, a_piece(rng, b.total - b.paid, currency)) for b in targets]
            amount = sum((piece for _, piece in pieces), ZERO)
            allocations = [
                (
                    b.ref,
                    piece,
                    OpenItem(
                        b.fx,
                        b.total,
                        b.total - b.paid,
                        ledger.carried(Account.ACCOUNTS_PAYABLE, b.ref),
                    ),
                )
                for b, piece in pieces
            ]
            ledger.post(
                postings.supplier_payment(
                    payment=ref("payment"),
                    supplier=SUPPLIER,
                    entry_date=TODAY,
                    amount=amount,
                    allocations=allocations,
                    fx=Fx(currency, base, a_rate(rng)),
                )
            )
            for b, piece in pieces:
                b.paid += piece
            for b in bills:
                if b.paid == b.total:
                    assert carried(b) == 0, b
                else:
                    assert abs(carried(b) - b.fx.to_base(b.total - b.paid)) <= minor_unit(base)
