"""Credit by lines (pure): a piece of an invoice line takes the change in the line's rounded
amounts, so the pieces add up to the line exactly, none is negative, and nothing beyond the
line is credited; credits by amount keep net and tax within what is left."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

import pytest

from millbook_billing.credit_notes.domain import (
    CreditRefused,
    CreditSplit,
    InvoiceLineLeft,
    check_within,
    line_credit,
    split_amount,
    split_of,
)
from millbook_platform.money import ZERO as NO_AMOUNTS
from millbook_platform.money import Amounts, LinePrice, line_amounts, minor_unit

D = Decimal
ZERO = D(0)


def a_line(price: LinePrice, currency: str = "USD", credited: D = ZERO) -> InvoiceLineLeft:
    return InvoiceLineLeft(price, line_amounts(price, currency), credited)


def test_a_piece_of_a_line_is_priced_at_the_lines_terms() -> None:
    line = a_line(LinePrice(D(3), D("10.00"), D(10), D("0.10")))  # 30 - 3 + 2.70
    piece = line_credit(line, D(2), "USD", field="q")
    assert piece == Amounts(D("20.00"), D("2.00"), D("1.80"), D("19.80"))


def test_the_last_piece_takes_what_the_rounded_pieces_left() -> None:
    line = a_line(LinePrice(D(3), D("0.3333"), ZERO, D("0.19")))  # 1.00 + 0.19
    first = line_credit(line, D(1), "USD", field="q")
    second = line_credit(replace(line, credited_quantity=D(1)), D(1), "USD", field="q")
    last = line_credit(replace(line, credited_quantity=D(2)), D(1), "USD", field="q")
    assert (first.subtotal, second.subtotal, last.subtotal) == (D("0.33"), D("0.34"), D("0.33"))
    assert first + second + last == line.amounts


def test_more_than_is_left_of_a_line_is_refused_naming_the_field() -> None:
    line = a_line(LinePrice(D(3), D("10.00")), credited=D(2))
    with pytest.raises(CreditRefused) as refused:
        line_credit(line, D("1.5"), "USD", field="line_items[0].quantity")
    assert refused.value.field == "line_items[0].quantity"
    assert str(refused.value) == "only 1 of this invoice line is left to credit, not 1.5"
    with pytest.raises(CreditRefused, match="fully credited"):
        line_credit(replace(line, credited_quantity=D(3)), D(1), "USD", field="q")


@pytest.mark.parametrize("seed", range(30))
def test_a_line_credited_in_random_pieces_adds_up_to_the_line(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        currency = rng.choice(["USD", "JPY", "KWD"])
        quantity = D(rng.randint(1, 4000)) / D(100)
        price = LinePrice(
            quantity=quantity,
            unit_price=D(rng.randint(1, 2_000_000)) / D(10_000),
            discount_percent=D(rng.choice(["0", "5", "12.5", "50", "99", "100"])),
            tax_rate=D(rng.choice(["0", "0.07", "0.19", "0.5", "1"])),
        )
        line, credited = a_line(price, currency), NO_AMOUNTS
        while line.quantity_left > 0:
            steps = int(line.quantity_left * 100)
            piece_quantity = D(rng.randint(1, steps)) / D(100)
            piece = line_credit(line, piece_quantity, currency, field="q")
            assert min(vars(piece).values()) >= 0, (price, piece)
            assert piece.subtotal - piece.discount_amount + piece.tax_amount == piece.total_amount
            credited = credited + piece
            line = replace(line, credited_quantity=line.credited_quantity + piece_quantity)
        assert credited == line.amounts, price
        for amount in vars(credited).values():
            assert amount % minor_unit(currency) == 0


def test_a_credit_by_amount_keeps_its_tax_within_what_is_left() -> None:
    # Lines took all 10.00 of tax: an amount now credits net only.
    no_tax_left = CreditSplit(net=D("100.00"), tax=ZERO, total=D("100.00"))
    split = split_amount(
        D("50.00"),
        invoice_total=D("210.00"),
        invoice_tax=D("10.00"),
        creditable=no_tax_left,
        currency_code="USD",
    )
    assert split == CreditSplit(D("50.00"), ZERO, D("50.00"))
    # Lines took all the net: an amount now credits tax only.
    no_net_left = CreditSplit(net=ZERO, tax=D("5.00"), total=D("5.00"))
    split = split_amount(
        D("3.00"),
        invoice_total=D("210.00"),
        invoice_tax=D("10.00"),
        creditable=no_net_left,
        currency_code="USD",
    )
    assert split == CreditSplit(ZERO, D("3.00"), D("3.00"))


def test_a_credit_beyond_the_invoices_net_or_tax_left_is_refused() -> None:
    left = CreditSplit(net=ZERO, tax=D("5.00"), total=D("5.00"))
    with pytest.raises(CreditRefused, match="net and") as refused:
        check_within(split_of([Amounts(D(4), ZERO, D("0.40"), D("4.40"))]), left, field="lines")
    assert refused.value.field == "lines"
    with pytest.raises(CreditRefused, match="left to credit"):
        check_within(CreditSplit(D(5), D("0.01"), D("5.01")), left)
    check_within(CreditSplit(ZERO, D(5), D(5)), left)
