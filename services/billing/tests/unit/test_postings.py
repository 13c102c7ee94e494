"""The ledger's postings: every fact balances, in base currency, with the textbook sides."""

from __future__ import annotations

import random
import uuid
from datetime import date
from decimal import Decimal

import pytest

from millbook_billing.ledger.postings import (
    Account,
    DocumentRef,
    Fx,
    JournalDraft,
    Party,
    bill_posted,
    credit_note_issued,
    customer_credit_applied,
    customer_receipt,
    customer_refund,
    expense_account,
    expense_approved,
    goods_received,
    invoice_issued,
    supplier_payment,
)
from millbook_platform.money import minor_unit

D = Decimal
TODAY = date(2026, 3, 15)
USD = Fx.same("USD")
EUR = Fx("EUR", "USD", D("1.10"))
CUSTOMER = Party("customer", uuid.uuid4(), "Acme")
SUPPLIER = Party("supplier", uuid.uuid4(), "Steel Co")


def ref(kind: str = "invoice", number: str | None = "INV-2026-0001") -> DocumentRef:
    return DocumentRef(kind, uuid.uuid4(), number, date(2026, 4, 14))


def sides(draft: JournalDraft) -> dict[Account, Decimal]:
    """Net debit (positive) or credit (negative) per account."""
    net: dict[Account, Decimal] = {}
    for line in draft.lines:
        net[line.account] = net.get(line.account, D(0)) + line.debit - line.credit
    return net


def test_expense_categories_map_to_their_accounts() -> None:
    assert expense_account("travel") is Account.EXPENSE_TRAVEL
    assert expense_account("other") is Account.EXPENSE_OTHER
    with pytest.raises(ValueError, match="unknown expense category"):
        expense_account("yachts")


def test_invoice_debits_receivable_and_credits_sales_and_tax() -> None:
    invoice = ref()
    draft = invoice_issued(
        invoice=invoice,
        customer=CUSTOMER,
        entry_date=TODAY,
        net=D("1000.00"),
        tax=D("100.00"),
        total=D("1100.00"),
        fx=USD,
    )
    assert draft.is_balanced
    assert (draft.source_type, draft.source_id, draft.currency) == (
        "invoice_issued",
        invoice.document_id,
        "USD",
    )
    assert sides(draft) == {
        Account.ACCOUNTS_RECEIVABLE: D("1100.00"),
        Account.TAX_PAYABLE: D("-100.00"),
        Account.SALES: D("-1000.00"),
    }
    receivable = next(line for line in draft.lines if line.account is Account.ACCOUNTS_RECEIVABLE)
    assert receivable.party == CUSTOMER
    assert receivable.document == invoice


def test_zero_tax_leaves_no_tax_line() -> None:
    draft = invoice_issued(
        invoice=ref(), customer=CUSTOMER, entry_date=TODAY, net=D(5), tax=D(0), total=D(5), fx=USD
    )
    assert Account.TAX_PAYABLE not in sides(draft)
    assert all(line.debit == 0 or line.credit == 0 for line in draft.lines)


def test_invoice_whose_parts_do_not_add_up_is_refused() -> None:
    with pytest.raises(ValueError, match="must equal total"):
        invoice_issued(
            invoice=ref(),
            customer=CUSTOMER,
            entry_date=TODAY,
            net=D(1),
            tax=D(1),
            total=D(3),
            fx=USD,
        )


def test_foreign_invoice_posts_in_base_with_the_rounding_rest_on_sales() -> None:
    fx = Fx("EUR", "USD", D("1.0837"))
    draft = invoice_issued(
        invoice=ref(),
        customer=CUSTOMER,
        entry_date=TODAY,
        net=D("10.01"),
        tax=D("1.00"),
        total=D("11.01"),
        fx=fx,
    )
    # 11.01 * 1.0837 = 11.931537 -> 11.93; 1.00 -> 1.08; sales takes 10.85 (10.01 alone is 10.85)
    assert sides(draft) == {
        Account.ACCOUNTS_RECEIVABLE: D("11.93"),
        Account.TAX_PAYABLE: D("-1.08"),
        Account.SALES: D("-10.85"),
    }
    assert draft.currency == "USD"


def test_base_rounds_to_the_base_currency_minor_unit() -> None:
    fx = Fx("USD", "JPY", D("151.237"))
    draft = invoice_issued(
        invoice=ref(),
        customer=CUSTOMER,
        entry_date=TODAY,
        net=D("10.00"),
        tax=D("1.00"),
        total=D("11.00"),
        fx=fx,
    )
    assert sides(draft)[Account.ACCOUNTS_RECEIVABLE] == D("1664")


def test_a_base_currency_fx_must_have_rate_one() -> None:
    with pytest.raises(ValueError, match="rate 1"):
        Fx("USD", "USD", D("1.1"))
    with pytest.raises(ValueError, match="positive"):
        Fx("EUR", "USD", D(0))


def test_credit_note_reduces_the_invoice_receivable() -> None:
    invoice, note = ref(), ref("credit_note", "CN-2026-0001")
    draft = credit_note_issued(
        credit_note=note,
        invoice=invoice,
        customer=CUSTOMER,
        entry_date=TODAY,
        net=D("100.00"),
        tax=D("10.00"),
        total=D("110.00"),
        to_customer_credit=False,
        fx=USD,
    )
    assert sides(draft) == {
        Account.ACCOUNTS_RECEIVABLE: D("-110.00"),
        Account.TAX_PAYABLE: D("10.00"),
        Account.SALES: D("100.00"),
    }
    receivable = next(line for line in draft.lines if line.account is Account.ACCOUNTS_RECEIVABLE)
    assert receivable.document == invoice
    assert draft.source_id == note.document_id


def test_credit_note_on_a_paid_invoice_becomes_customer_credit() -> None:
    draft = credit_note_issued(
        credit_note=ref("credit_note"),
        invoice=ref(),
        customer=CUSTOMER,
        entry_date=TODAY,
        net=D("100.00"),
        tax=D("0"),
        total=D("100.00"),
        to_customer_credit=True,
        fx=USD,
    )
    assert sides(draft) == {Account.CUSTOMER_CREDITS: D("-100.00"), Account.SALES: D("100.00")}


def test_receipt_clears_allocated_invoices_and_keeps_the_rest_as_credit() -> None:
    first, second, payment = ref(), ref(), ref("payment", "PAY-1")
    draft = customer_receipt(
        payment=payment,
        customer=CUSTOMER,
        entry_date=TODAY,
        amount=D("500.00"),
        allocations=[(first, D("300.00"), USD), (second, D("150.00"), USD)],
        fx=USD,
    )
    assert draft.is_balanced
    assert draft.source_type == "payment_received"
    assert sides(draft) == {
        Account.CASH: D("500.00"),
        Account.ACCOUNTS_RECEIVABLE: D("-450.00"),
        Account.CUSTOMER_CREDITS: D("-50.00"),
    }
    by_document = {
        line.document.document_id: line.credit
        for line in draft.lines
        if line.account is Account.ACCOUNTS_RECEIVABLE and line.document
    }
    assert by_document == {first.document_id: D("300.00"), second.document_id: D("150.00")}


def test_receipt_at_a_better_rate_books_an_fx_gain() -> None:
    invoice_fx, payment_fx = Fx("EUR", "USD", D("1.10")), Fx("EUR", "USD", D("1.20"))
    draft = customer_receipt(
        payment=ref("payment"),
        customer=CUSTOMER,
        entry_date=TODAY,
        amount=D("100.00"),
        allocations=[(ref(), D("100.00"), invoice_fx)],
        fx=payment_fx,
    )
    assert sides(draft) == {
        Account.CASH: D("120.00"),
        Account.ACCOUNTS_RECEIVABLE: D("-110.00"),
        Account.FX_GAIN_LOSS: D("-10.00"),
    }


def test_receipt_at_a_worse_rate_books_an_fx_loss() -> None:
    draft = customer_receipt(
        payment=ref("payment"),
        customer=CUSTOMER,
        entry_date=TODAY,
        amount=D("100.00"),
        allocations=[(ref(), D("100.00"), Fx("EUR", "USD", D("1.10")))],
        fx=Fx("EUR", "USD", D("1.05")),
    )
    assert sides(draft)[Account.FX_GAIN_LOSS] == D("5.00")
    assert draft.is_balanced


def test_receipt_refuses_over_allocation_and_mixed_currencies() -> None:
    with pytest.raises(ValueError, match="exceed"):
        customer_receipt(
            payment=ref("payment"),
            customer=CUSTOMER,
            entry_date=TODAY,
            amount=D("10"),
            allocations=[(ref(), D("11"), USD)],
            fx=USD,
        )
    with pytest.raises(ValueError, match="payment's currency"):
        customer_receipt(
            payment=ref("payment"),
            customer=CUSTOMER,
            entry_date=TODAY,
            amount=D("10"),
            allocations=[(ref(), D("10"), EUR)],
            fx=USD,
        )


def test_credit_applied_moves_credit_onto_the_invoice_once_per_pair() -> None:
    source, invoice = ref("payment"), ref()
    make = lambda: customer_credit_applied(  # noqa: E731
        source=source, invoice=invoice, customer=CUSTOMER, entry_date=TODAY, amount=D(40), fx=USD
    )
    draft = make()
    assert sides(draft) == {Account.CUSTOMER_CREDITS: D(40), Account.ACCOUNTS_RECEIVABLE: D(-40)}
    assert make().source_id == draft.source_id != source.document_id
    explicit = uuid.uuid4()
    assert (
        customer_credit_applied(
            source=source,
            invoice=invoice,
            customer=CUSTOMER,
            entry_date=TODAY,
            amount=D(1),
            fx=USD,
            application_id=explicit,
        ).source_id
        == explicit
    )


def test_credit_applied_at_the_invoice_rate_books_the_fx_difference() -> None:
    draft = customer_credit_applied(
        source=ref("payment"),
        invoice=ref(),
        customer=CUSTOMER,
        entry_date=TODAY,
        amount=D(100),
        fx=Fx("EUR", "USD", D("1.20")),
        invoice_fx=Fx("EUR", "USD", D("1.10")),
    )
    assert sides(draft) == {
        Account.CUSTOMER_CREDITS: D("120.00"),
        Account.ACCOUNTS_RECEIVABLE: D("-110.00"),
        Account.FX_GAIN_LOSS: D("-10.00"),
    }


def test_refund_pays_credit_out_of_cash() -> None:
    draft = customer_refund(
        payment=ref("payment"), customer=CUSTOMER, entry_date=TODAY, amount=D("25.50"), fx=USD
    )
    assert sides(draft) == {Account.CUSTOMER_CREDITS: D("25.50"), Account.CASH: D("-25.50")}
    assert draft.source_type == "customer_refund"


def test_supplier_payment_clears_bills_and_books_an_advance_for_the_rest() -> None:
    bill, payment = ref("bill", "B-7"), ref("payment")
    draft = supplier_payment(
        payment=payment,
        supplier=SUPPLIER,
        entry_date=TODAY,
        amount=D("300.00"),
        allocations=[(bill, D("200.00"), USD)],
        fx=USD,
    )
    assert sides(draft) == {Account.CASH: D("-300.00"), Account.ACCOUNTS_PAYABLE: D("300.00")}
    documents = {
        line.document.document_type: line.debit
        for line in draft.lines
        if line.account is Account.ACCOUNTS_PAYABLE and line.document
    }
    assert documents == {"bill": D("200.00"), "payment": D("100.00")}


def test_supplier_payment_in_foreign_currency_books_the_difference() -> None:
    draft = supplier_payment(
        payment=ref("payment"),
        supplier=SUPPLIER,
        entry_date=TODAY,
        amount=D("100.00"),
        allocations=[(ref("bill"), D("100.00"), Fx("EUR", "USD", D("1.10")))],
        fx=Fx("EUR", "USD", D("1.15")),
    )
    # Paying 115 of cash for a 110 payable is a loss of 5.
    assert sides(draft)[Account.FX_GAIN_LOSS] == D("5.00")


def test_goods_received_then_billed_at_a_higher_price_books_the_variance() -> None:
    delivery = uuid.uuid4()
    received = goods_received(
        delivery_id=delivery, supplier=SUPPLIER, entry_date=TODAY, value=D("1000.00"), fx=USD
    )
    assert sides(received) == {
        Account.INVENTORY: D("1000.00"),
        Account.GOODS_RECEIVED_NOT_INVOICED: D("-1000.00"),
    }
    assert received.source_id == delivery
    bill = bill_posted(
        bill=ref("bill"),
        supplier=SUPPLIER,
        entry_date=TODAY,
        received_goods_at_po_price=D("1000.00"),
        goods_billed_net=D("1050.00"),
        expense_lines=[(Account.EXPENSE_OTHER, D("50.00"))],
        tax=D("110.00"),
        total=D("1210.00"),
        fx=USD,
    )
    assert sides(bill) == {
        Account.ACCOUNTS_PAYABLE: D("-1210.00"),
        Account.INPUT_TAX: D("110.00"),
        Account.GOODS_RECEIVED_NOT_INVOICED: D("1000.00"),
        Account.EXPENSE_OTHER: D("50.00"),
        Account.PURCHASE_PRICE_VARIANCE: D("50.00"),
    }


def test_service_bill_rounding_rest_lands_on_the_largest_expense() -> None:
    fx = Fx("EUR", "USD", D("1.005"))
    draft = bill_posted(
        bill=ref("bill"),
        supplier=SUPPLIER,
        entry_date=TODAY,
        received_goods_at_po_price=D(0),
        goods_billed_net=D(0),
        expense_lines=[(Account.EXPENSE_SOFTWARE, D("0.01")), (Account.EXPENSE_OFFICE, D("0.01"))],
        tax=D("0.01"),
        total=D("0.03"),
        fx=fx,
    )
    assert draft.is_balanced
    assert Account.PURCHASE_PRICE_VARIANCE not in sides(draft)


def test_expense_paid_directly_debits_its_category_and_input_tax() -> None:
    expense = uuid.uuid4()
    draft = expense_approved(
        expense_id=expense,
        category="meals",
        entry_date=TODAY,
        net=D("40.00"),
        tax=D("4.00"),
        fx=USD,
    )
    assert sides(draft) == {
        Account.EXPENSE_MEALS: D("40.00"),
        Account.INPUT_TAX: D("4.00"),
        Account.CASH: D("-44.00"),
    }
    assert (draft.source_type, draft.source_id) == ("expense_approved", expense)


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        expense_approved(
            expense_id=uuid.uuid4(), category="meals", entry_date=TODAY, net=D(-1), tax=D(0), fx=USD
        )
    with pytest.raises(ValueError, match="positive"):
        customer_refund(
            payment=ref("payment"), customer=CUSTOMER, entry_date=TODAY, amount=D(0), fx=USD
        )


def _amount(rng: random.Random) -> Decimal:
    return D(rng.randint(1, 10_000_000)) / 100


def _rate(rng: random.Random) -> Fx:
    currency, base = rng.sample(["EUR", "JPY", "KWD", "USD"], 2)
    return Fx(currency, base, D(rng.randint(1, 9_999_999)) / 10_000)


def test_every_builder_balances_for_many_random_amounts_and_rates() -> None:
    rng = random.Random(20260315)
    for _ in range(500):
        fx = _rate(rng)
        net, tax = _amount(rng), _amount(rng)
        drafts = [
            invoice_issued(
                invoice=ref(), customer=CUSTOMER, entry_date=TODAY, net=net, tax=tax,
                total=net + tax, fx=fx,
            ),
            credit_note_issued(
                credit_note=ref("credit_note"), invoice=ref(), customer=CUSTOMER,
                entry_date=TODAY, net=net, tax=tax, total=net + tax,
                to_customer_credit=rng.random() < 0.5, fx=fx,
            ),
            expense_approved(
                expense_id=uuid.uuid4(), category="travel", entry_date=TODAY, net=net, tax=tax,
                fx=fx,
            ),
            bill_posted(
                bill=ref("bill"), supplier=SUPPLIER, entry_date=TODAY,
                received_goods_at_po_price=_amount(rng), goods_billed_net=net,
                expense_lines=[(Account.EXPENSE_OTHER, tax)], tax=tax, total=net + 2 * tax, fx=fx,
            ),
        ]  # fmt: skip
        allocations = [(ref(), _amount(rng), _rate_like(rng, fx)) for _ in range(rng.randint(0, 4))]
        amount = sum((a for _, a, _ in allocations), D(0)) + _amount(rng)
        drafts.append(
            customer_receipt(
                payment=ref("payment"), customer=CUSTOMER, entry_date=TODAY, amount=amount,
                allocations=allocations, fx=fx,
            )
        )  # fmt: skip
        drafts.append(
            supplier_payment(
                payment=ref("payment"), supplier=SUPPLIER, entry_date=TODAY, amount=amount,
                allocations=allocations, fx=fx,
            )
        )  # fmt: skip
        for draft in drafts:
            assert draft.is_balanced, draft
            assert draft.currency == fx.base_currency
            assert all((line.debit > 0) != (line.credit > 0) for line in draft.lines)
            unit = minor_unit(fx.base_currency)
            assert all(line.debit % unit == 0 and line.credit % unit == 0 for line in draft.lines)


def _rate_like(rng: random.Random, fx: Fx) -> Fx:
    """Another rate for the same currency pair, as an earlier invoice would have had."""
    return Fx(fx.currency_code, fx.base_currency, fx.rate * D(rng.randint(80, 120)) / 100)


def test_receivables_clear_exactly_at_the_invoice_rate_whatever_the_receipt_rate() -> None:
    rng = random.Random(7)
    for _ in range(300):
        invoice_fx = Fx("EUR", "USD", D(rng.randint(5_000, 20_000)) / 10_000)
        total = _amount(rng)
        invoice = ref()
        issued = invoice_issued(
            invoice=invoice, customer=CUSTOMER, entry_date=TODAY, net=total, tax=D(0),
            total=total, fx=invoice_fx,
        )  # fmt: skip
        paid = customer_receipt(
            payment=ref("payment"), customer=CUSTOMER, entry_date=TODAY, amount=total,
            allocations=[(invoice, total, invoice_fx)], fx=_rate_like(rng, invoice_fx),
        )  # fmt: skip
        receivable = sides(issued)[Account.ACCOUNTS_RECEIVABLE]
        assert receivable + sides(paid)[Account.ACCOUNTS_RECEIVABLE] == 0
        assert Account.CUSTOMER_CREDITS not in sides(paid)
