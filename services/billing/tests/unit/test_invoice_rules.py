"""Invoice status machine, due dates, settlement and totals, without a database."""

from datetime import date
from decimal import Decimal

import pytest

from millbook_billing.invoices.domain import (
    IllegalStep,
    InvoiceStatus,
    apply,
    due_date_for,
    is_editable,
    is_past_due,
    reads_as,
    send,
    void,
)
from millbook_platform.money import LinePrice, document_amounts

D = Decimal


def test_net_terms_count_days_from_the_invoice_date():
    assert due_date_for(date(2026, 1, 15), "Net 30") == date(2026, 2, 14)
    assert due_date_for(date(2026, 12, 20), "Net 15") == date(2027, 1, 4)


def test_due_on_receipt_is_due_on_the_invoice_date():
    assert due_date_for(date(2026, 3, 1), "Due on receipt") == date(2026, 3, 1)


def test_unknown_terms_are_refused():
    with pytest.raises(ValueError, match="payment terms"):
        due_date_for(date(2026, 3, 1), "whenever")


def test_only_a_draft_is_editable_and_sendable():
    assert is_editable("draft")
    assert send("draft") is InvoiceStatus.SENT
    for status in ("sent", "partial", "paid", "overdue", "voided"):
        assert not is_editable(status)
        with pytest.raises(IllegalStep):
            send(status)


@pytest.mark.parametrize("status", ["sent", "overdue"])
def test_an_open_invoice_with_nothing_applied_can_be_voided(status):
    assert void(status, paid_amount=D(0), credited_amount=D(0)) is InvoiceStatus.VOIDED


@pytest.mark.parametrize(
    ("status", "paid", "credited"),
    [("partial", D("10"), D(0)), ("sent", D(0), D("5")), ("paid", D("100"), D(0)), ("draft", 0, 0)],
)
def test_void_is_refused_once_money_was_applied_or_when_not_issued(status, paid, credited):
    with pytest.raises(IllegalStep):
        void(status, paid_amount=D(paid), credited_amount=D(credited))


def test_a_sent_or_partial_invoice_with_a_balance_reads_overdue_the_day_after_its_due_date():
    today = date(2026, 5, 10)
    balance = D("50.00")
    assert reads_as("sent", date(2026, 5, 9), balance, today) is InvoiceStatus.OVERDUE
    assert reads_as("partial", date(2026, 1, 1), balance, today) is InvoiceStatus.OVERDUE
    assert reads_as("sent", date(2026, 5, 10), balance, today) is InvoiceStatus.SENT  # due today
    assert not is_past_due("sent", date(2026, 5, 10), today)


@pytest.mark.parametrize("status", ["draft", "paid", "voided"])
def test_an_invoice_not_open_reads_as_stored_however_late(status):
    assert reads_as(status, date(2026, 1, 1), D("10.00"), date(2026, 5, 10)) == status


def test_an_invoice_with_nothing_left_to_pay_never_reads_overdue():
    assert reads_as("partial", date(2026, 1, 1), D(0), date(2026, 5, 10)) is InvoiceStatus.PARTIAL


def _apply(status="sent", total="100.00", already_paid="0", already_credited="0", **applied):
    return apply(
        status=status,
        total_amount=D(total),
        paid_amount=D(already_paid),
        credited_amount=D(already_credited),
        **{k: D(v) for k, v in applied.items()},
    )


def test_a_partial_payment_moves_the_invoice_to_partial():
    result = _apply(paid="40.00")
    assert (result.status, result.paid_amount, result.balance_amount) == (
        InvoiceStatus.PARTIAL,
        D("40.00"),
        D("60.00"),
    )


def test_paying_the_rest_settles_the_invoice():
    result = _apply(status="partial", already_paid="40.00", paid="60.00")
    assert result.status is InvoiceStatus.PAID
    assert result.balance_amount == 0
    assert result.paid_amount == D("100.00")


def test_a_credit_note_after_a_partial_payment_settles_the_rest():
    settled = _apply(status="partial", already_paid="70", credited="30")
    assert settled.status is InvoiceStatus.PAID
    assert (settled.paid_amount, settled.credited_amount) == (D("70"), D("30"))


def test_a_payment_on_a_late_invoice_stores_partial_or_paid_never_overdue():
    # `overdue` is read from the due date, never stored (a legacy stored one still settles).
    assert _apply(status="overdue", paid="10").status is InvoiceStatus.PARTIAL
    assert _apply(status="overdue", paid="100.00").status is InvoiceStatus.PAID


def test_more_than_the_balance_is_refused_not_capped():
    with pytest.raises(ValueError, match="open balance"):
        _apply(status="partial", already_paid="60.00", paid="40.01")


def test_a_zero_or_negative_amount_is_refused():
    with pytest.raises(ValueError, match="positive"):
        _apply(paid="0")
    with pytest.raises(ValueError, match="positive"):
        _apply(paid="-5")


@pytest.mark.parametrize("status", ["draft", "paid", "voided"])
def test_nothing_is_applied_to_an_invoice_that_is_not_open(status):
    with pytest.raises(IllegalStep):
        _apply(status=status, paid="1")


def test_invoice_totals_are_sums_of_half_up_rounded_lines():
    lines = [
        LinePrice(D("3"), D("0.335"), D("0"), D("0.10")),  # 1.005 -> 1.01, tax 0.101 -> 0.10
        LinePrice(D("10"), D("1500"), D("5"), D("0.10")),  # 15000 - 750 = 14250, tax 1425
    ]
    totals = document_amounts(lines, "USD")
    assert totals.subtotal == D("15001.01")
    assert totals.discount_amount == D("750.00")
    assert totals.tax_amount == D("1425.10")
    assert totals.total_amount == D("15676.11")
