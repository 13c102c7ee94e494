"""Quotation totals and status machine, without a database."""

from decimal import Decimal

import pytest

from millbook_platform.money import LinePrice, document_amounts, line_amounts
from millbook_sales.customers.domain import company_key
from millbook_sales.leads.domain import next_assignee, split_name
from millbook_sales.quotations.domain import IllegalStep, QuotationStatus, next_status


def test_line_rounds_half_up_per_amount_and_taxes_the_discounted_amount():
    line = LinePrice(Decimal("3"), Decimal("0.335"), Decimal("10"), Decimal("0.10"))
    amounts = line_amounts(line, "USD")
    assert amounts.subtotal == Decimal("1.01")  # 1.005 -> 1.01 (half-up, not banker's)
    assert amounts.discount_amount == Decimal("0.10")  # 0.101
    assert amounts.tax_amount == Decimal("0.09")  # 0.091
    assert amounts.total_amount == Decimal("1.00")


def test_totals_are_sums_of_rounded_lines():
    lines = [LinePrice(Decimal("1"), Decimal("0.005"))] * 3
    totals = document_amounts(lines, "USD")
    assert totals.subtotal == Decimal("0.03")  # not round(0.015) = 0.02


def test_currency_minor_units_decide_the_rounding():
    line = LinePrice(Decimal("2"), Decimal("10.5"), tax_rate=Decimal("0.08"))
    assert line_amounts(line, "JPY").total_amount == Decimal("23")
    assert line_amounts(line, "KWD").total_amount == Decimal("22.680")


def test_seed_example_totals():
    line = LinePrice(Decimal("100"), Decimal("25.00"), tax_rate=Decimal("0.10"))
    assert line_amounts(line, "USD").total_amount == Decimal("2750.00")


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        ("draft", "send", QuotationStatus.SENT),
        ("sent", "accept", QuotationStatus.ACCEPTED),
        ("sent", "reject", QuotationStatus.REJECTED),
        ("sent", "expire", QuotationStatus.EXPIRED),
    ],
)
def test_legal_steps(status, action, expected):
    assert next_status(status, action) is expected


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("draft", "accept"),
        ("draft", "reject"),
        ("sent", "send"),
        ("accepted", "reject"),
        ("rejected", "accept"),
        ("expired", "accept"),
        ("accepted", "send"),
    ],
)
def test_illegal_steps(status, action):
    with pytest.raises(IllegalStep):
        next_status(status, action)


def test_company_names_match_across_case_punctuation_and_legal_form():
    assert company_key("ACME Corp.") == company_key("Acme, Inc") == "acme"
    assert company_key("Müller & Söhne GmbH") == "muller and sohne"
    assert company_key(None) is None


def test_round_robin_wraps_and_survives_a_departed_user():
    a, b, c = sorted(__import__("uuid").uuid4() for _ in range(3))
    assert next_assignee([a, b, c], None) == a
    assert next_assignee([a, b, c], a) == b
    assert next_assignee([a, b, c], c) == a
    assert next_assignee([a, c], b) == c
    assert next_assignee([], a) is None


def test_split_name():
    assert split_name("Ada King Lovelace") == ("Ada", "King Lovelace")
    assert split_name("Plato") == ("Plato", "")
