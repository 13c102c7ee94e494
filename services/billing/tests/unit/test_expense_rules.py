"""Expense rules: amounts, billability, the approval state machine and billing on."""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from millbook_billing.expenses.domain import (
    BillableCandidate,
    ExpenseAmounts,
    ExpenseRuleBroken,
    TransitionRefused,
    billing_refusal,
    check_amounts,
    check_billable,
    ensure_decidable,
    ensure_editable,
    invoice_line_description,
    net_amount,
)

D = Decimal
CUSTOMER = uuid.uuid4()


def test_tax_is_a_part_of_the_amount():
    check_amounts(ExpenseAmounts(D("110.00"), D("10.00"), "USD"))
    check_amounts(ExpenseAmounts(D("10.00"), D("10.00"), "USD"))
    assert net_amount(D("110.00"), D("10.00")) == D("100.00")


@pytest.mark.parametrize(
    ("amount", "tax", "currency", "field"),
    [
        ("0", "0", "USD", "amount"),
        ("-1", "0", "USD", "amount"),
        ("10", "-1", "USD", "tax_amount"),
        ("10", "11", "USD", "tax_amount"),
        ("10.001", "0", "USD", "amount"),
        ("10", "0.005", "USD", "tax_amount"),
        ("100.5", "0", "JPY", "amount"),
    ],
)
def test_impossible_amounts_name_their_field(amount, tax, currency, field):
    with pytest.raises(ExpenseRuleBroken) as broken:
        check_amounts(ExpenseAmounts(D(amount), D(tax), currency))
    assert broken.value.field == field


def test_a_billable_expense_needs_a_customer():
    check_billable(False, None)
    check_billable(True, CUSTOMER)
    with pytest.raises(ExpenseRuleBroken) as broken:
        check_billable(True, None)
    assert broken.value.field == "customer_id"


def test_only_pending_expenses_are_edited_or_decided():
    ensure_editable("pending")
    ensure_decidable("pending", "approved")
    for status in ("approved", "rejected"):
        with pytest.raises(TransitionRefused):
            ensure_editable(status)
        with pytest.raises(TransitionRefused, match=f"this one is {status}"):
            ensure_decidable(status, "approved")


def candidate(**overrides):
    values = dict(
        expense_id=uuid.uuid4(),
        status="approved",
        is_billable=True,
        customer_id=CUSTOMER,
        currency_code="USD",
        invoiced_invoice_id=None,
    )
    values.update(overrides)
    return BillableCandidate(**values)


def test_an_approved_billable_expense_of_the_customer_can_be_billed():
    assert billing_refusal(candidate(), CUSTOMER, "USD") is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"status": "pending"}, "only approved"),
        ({"status": "rejected"}, "only approved"),
        ({"is_billable": False}, "not billable"),
        ({"customer_id": uuid.uuid4()}, "another customer"),
        ({"currency_code": "EUR"}, "in EUR"),
    ],
)
def test_what_cannot_be_billed_says_why(overrides, reason):
    refusal = billing_refusal(candidate(**overrides), CUSTOMER, "USD")
    assert refusal is not None
    assert reason in refusal


def test_the_invoice_line_names_vendor_and_date():
    assert (
        invoice_line_description("Hotel stay", "Hilton", date(2026, 3, 4))
        == "Hotel stay (Hilton, 2026-03-04)"
    )
    assert invoice_line_description("Parking", None, date(2026, 3, 4)) == "Parking (2026-03-04)"
