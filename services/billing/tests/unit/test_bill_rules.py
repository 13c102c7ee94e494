"""Supplier bill rules: due dates, payments against the balance, the AP posting split."""

from datetime import date
from decimal import Decimal as D

import pytest

from millbook_billing.bills.domain import (
    BillStatus,
    IllegalStep,
    LineIn,
    apply_payment,
    due_date_for,
    is_overdue,
    posting_split,
    require_draft,
    require_voidable,
)
from millbook_billing.ledger.postings import Account


def test_due_date_follows_payment_terms():
    assert due_date_for(date(2026, 1, 31), "Net 30") == date(2026, 3, 2)
    assert due_date_for(date(2026, 1, 31), "Due on receipt") == date(2026, 1, 31)
    with pytest.raises(ValueError, match="payment terms"):
        due_date_for(date(2026, 1, 31), "whenever")


def test_a_partial_payment_leaves_a_partial_bill_and_the_rest_pays_it():
    first = apply_payment("open", D("110.00"), D(0), D("40.00"), "USD")
    assert (first.paid_amount, first.balance_amount, first.status) == (
        D("40.00"),
        D("70.00"),
        BillStatus.PARTIAL,
    )
    second = apply_payment(first.status, D("110.00"), first.paid_amount, D("70.00"), "USD")
    assert (second.balance_amount, second.status) == (D(0), BillStatus.PAID)


@pytest.mark.parametrize("amount", [D("70.01"), D(0), D(-1), D("0.001")])
def test_a_payment_above_the_balance_or_not_in_cents_is_refused(amount):
    with pytest.raises(ValueError, match=r"balance|positive"):
        apply_payment("partial", D("110.00"), D("40.00"), amount, "USD")


@pytest.mark.parametrize("status", ["draft", "paid", "voided"])
def test_only_approved_unpaid_bills_take_payments(status):
    with pytest.raises(IllegalStep):
        apply_payment(status, D(10), D(0), D(1), "USD")


def test_overdue_means_payable_and_past_due():
    today = date(2026, 6, 1)
    assert is_overdue("open", date(2026, 5, 31), today)
    assert is_overdue("partial", date(2026, 5, 31), today)
    assert not is_overdue("open", date(2026, 6, 1), today)
    assert not is_overdue("paid", date(2026, 5, 1), today)
    assert not is_overdue("draft", date(2026, 5, 1), today)


def test_only_drafts_are_edited_and_paid_bills_are_not_voided():
    require_draft("draft", "edited")
    with pytest.raises(IllegalStep):
        require_draft("open", "edited")
    require_voidable("open", D(0))
    with pytest.raises(IllegalStep):
        require_voidable("open", D(1))
    with pytest.raises(IllegalStep):
        require_voidable("paid", D(0))


def test_posting_split_clears_grni_at_po_price_and_names_the_variance():
    lines = [
        LineIn(D(100), D("5.75"), D("0.10"), 1, None),  # PO price 5.50
        LineIn(D(1), D("45.00"), D(0), None, "travel"),  # freight
        LineIn(D(2), D("10.00"), D("0.10"), 9, None),  # PO line unknown: clears at its own price
    ]
    split = posting_split(lines, {1: D("5.50")}, "USD")
    assert split.received_goods_at_po_price == D("570.00")
    assert split.goods_billed_net == D("595.00")
    assert split.expense_lines == ((Account.EXPENSE_TRAVEL, D("45.00")),)
    assert split.tax == D("59.50")
    assert split.total == D("699.50")
