"""Credit note rules: where a credit goes, and its one balanced entry when it is split."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from millbook_billing.credit_notes.accounting import credit_note_entry
from millbook_billing.credit_notes.domain import CreditRefused, CreditSplit, Placement, place
from millbook_billing.ledger.postings import Account, DocumentRef, Fx, Party

D = Decimal
NOTE = DocumentRef("credit_note", uuid.uuid4(), "CN-2026-0001", None)
INVOICE = DocumentRef("invoice", uuid.uuid4(), "INV-2026-0001", date(2026, 6, 30))
CUSTOMER = Party("customer", uuid.uuid4(), "Acme")
SPLIT = CreditSplit(net=D("20.00"), tax=D("2.00"), total=D("22.00"))


@pytest.mark.parametrize("status", ["sent", "partial", "overdue"])
def test_an_open_invoice_takes_a_credit_within_its_balance_whole(status):
    assert place(D("22.00"), status=status, balance=D("50.00")) == Placement(D("22.00"), D("0"))
    assert place(D("50.00"), status=status, balance=D("50.00")) == Placement(D("50.00"), D("0"))


@pytest.mark.parametrize("status", ["partial", "overdue"])
def test_a_credit_above_the_open_balance_settles_it_and_the_rest_is_customer_credit(status):
    assert place(D("22.00"), status=status, balance=D("10.00")) == Placement(D("10.00"), D("12.00"))


def test_a_paid_invoices_whole_credit_is_customer_credit():
    assert place(D("22.00"), status="paid", balance=D("0")) == Placement(D("0"), D("22.00"))


@pytest.mark.parametrize("status", ["draft", "voided"])
def test_drafts_and_voided_invoices_take_no_credit(status):
    with pytest.raises(CreditRefused) as refused:
        place(D("1.00"), status=status, balance=D("10.00"))
    assert refused.value.field == "invoice_id"


def test_a_credit_is_positive():
    with pytest.raises(CreditRefused):
        place(D("0"), status="partial", balance=D("10.00"))


def _lines(draft):
    return sorted((line.account, line.debit, line.credit) for line in draft.lines)


def _entry(placement: Placement, fx: Fx | None = None, split: CreditSplit = SPLIT):
    return credit_note_entry(
        credit_note=NOTE,
        invoice=INVOICE,
        customer=CUSTOMER,
        entry_date=date(2026, 6, 1),
        split=split,
        placement=placement,
        fx=fx or Fx.same("USD"),
    )


def test_a_split_credit_is_one_balanced_entry_receivable_and_customer_credit():
    draft = _entry(Placement(D("10.00"), D("12.00")))
    assert draft.is_balanced
    assert draft.source_type == "credit_note_issued"
    assert _lines(draft) == sorted(
        [
            (Account.ACCOUNTS_RECEIVABLE, D("0"), D("10.00")),
            (Account.CUSTOMER_CREDITS, D("0"), D("12.00")),
            (Account.TAX_PAYABLE, D("2.00"), D("0")),
            (Account.SALES, D("20.00"), D("0")),
        ]
    )
    by_account = {line.account: line for line in draft.lines}
    assert by_account[Account.ACCOUNTS_RECEIVABLE].document == INVOICE
    assert by_account[Account.CUSTOMER_CREDITS].document == NOTE
    assert by_account[Account.CUSTOMER_CREDITS].party == CUSTOMER


def test_unsplit_credits_post_as_before():
    whole = _lines(_entry(Placement(D("22.00"), D("0"))))
    assert (Account.ACCOUNTS_RECEIVABLE, D("0"), D("22.00")) in whole
    assert all(account != Account.CUSTOMER_CREDITS for account, _, _ in whole)
    credit = _lines(_entry(Placement(D("0"), D("22.00"))))
    assert (Account.CUSTOMER_CREDITS, D("0"), D("22.00")) in credit
    assert all(account != Account.ACCOUNTS_RECEIVABLE for account, _, _ in credit)


def test_a_foreign_split_converts_the_customer_credit_on_its_own():
    # 10.01 EUR at 1.333: the credit part 5.01 -> 6.68, so applying or refunding 5.01
    # later at the same rate clears Customer Credits exactly; the applied 5.00 -> 6.67
    # comes off the receivable, and Sales takes what the two roundings leave.
    split = CreditSplit(net=D("10.01"), tax=D("0"), total=D("10.01"))
    fx = Fx("EUR", "USD", D("1.333"))
    draft = _entry(Placement(D("5.00"), D("5.01")), fx=fx, split=split)
    assert draft.is_balanced
    by_account = {line.account: line for line in draft.lines}
    assert by_account[Account.CUSTOMER_CREDITS].credit == fx.to_base(D("5.01")) == D("6.68")
    assert by_account[Account.ACCOUNTS_RECEIVABLE].credit == fx.to_base(D("5.00")) == D("6.67")
    assert by_account[Account.SALES].debit == D("6.68") + D("6.67")


def test_a_placement_must_add_up_to_the_total():
    with pytest.raises(ValueError, match="add up"):
        _entry(Placement(D("10.00"), D("11.00")))
