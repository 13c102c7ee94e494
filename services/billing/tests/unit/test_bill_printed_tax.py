"""A bill line's printed tax: taken as the line's tax when its net and rate account for it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from millbook_billing.bills import domain
from millbook_billing.bills.domain import LineIn, PrintedTaxRefused, line_totals

D = Decimal


def line(quantity: str, price: str, rate: str, tax: str | None) -> LineIn:
    return LineIn(D(quantity), D(price), D(rate), None, "software", None if tax is None else D(tax))


def test_without_a_printed_tax_the_line_taxes_net_times_rate():
    assert line_totals(line("1", "20000.00", "0.061729", None), "USD") == (
        D("20000.00"),
        D("1234.58"),
        D("21234.58"),
    )


def test_a_printed_tax_is_the_lines_tax_and_makes_its_total():
    assert line_totals(line("1", "20000.00", "0.061729", "1234.57"), "USD") == (
        D("20000.00"),
        D("1234.57"),
        D("21234.57"),
    )


def test_a_supplier_rounding_per_unit_is_within_a_minor_unit_per_unit():
    # 3 x 0.35 at 10%: 0.035 per unit rounds to 0.04, printed 0.12; net x rate is 0.105.
    assert line_totals(line("3", "0.35", "0.10", "0.12"), "USD")[1] == D("0.12")
    assert line_totals(line("3", "0.35", "0.10", "0.08"), "USD")[1] == D("0.08")
    with pytest.raises(PrintedTaxRefused):
        line_totals(line("3", "0.35", "0.10", "0.14"), "USD")


@pytest.mark.parametrize(
    ("price", "rate", "tax"),
    [
        ("100.00", "0.10", "10.02"),  # two cents off on one unit
        ("100.00", "0", "0.02"),  # tax on an untaxed line
        ("987654.32", "0.000001", "1.50"),  # more than a step of the 6-place rate away
    ],
)
def test_a_printed_tax_the_net_and_rate_cannot_account_for_is_refused(price, rate, tax):
    with pytest.raises(PrintedTaxRefused, match="not the tax"):
        line_totals(line("1", price, rate, tax), "USD")


@pytest.mark.parametrize("tax", ["-0.01", "10.005"])
def test_a_printed_tax_is_a_non_negative_amount_in_the_minor_unit(tax):
    with pytest.raises(PrintedTaxRefused, match="minor unit"):
        line_totals(line("1", "100.00", "0.10", tax), "USD")


def test_the_tolerance_grows_with_the_units_billed_and_the_net():
    assert domain.printed_tax_tolerance(D("100.00"), D("1"), "USD") == D("0.01") + D("0.00005")
    assert domain.printed_tax_tolerance(D("1.00"), D("2.5"), "USD") == D("0.03") + D("0.0000005")
    assert domain.printed_tax_tolerance(D("1000"), D("1"), "JPY") == D("1") + D("0.0005")
