"""Three-way matching rules: every variance kind, tolerance edges, partial billing."""

from decimal import Decimal as D

import pytest

from millbook_billing.matching.domain import (
    BilledLine,
    MatchInput,
    MatchStatus,
    OrderedLine,
    Tolerance,
    VarianceKind,
    match,
)

PO = (OrderedLine(1, D(100), D("5.50")), OrderedLine(2, D(10), D("20.00")))


def given(billed, received=None, previously_billed=None, currency="USD", po_currency="USD"):
    return MatchInput(
        bill_currency=currency,
        po_currency=po_currency,
        ordered=PO,
        billed=billed,
        received=received if received is not None else {1: D(100), 2: D(10)},
        previously_billed=previously_billed or {},
    )


def kinds(outcome):
    return [(v.kind, v.po_line_number, v.blocking) for v in outcome.variances]


def test_a_bill_that_agrees_with_order_and_receipt_matches():
    billed = [BilledLine(1, 1, D(100), D("5.50")), BilledLine(2, 2, D(10), D("20.00"))]
    outcome = match(given(billed), Tolerance())
    assert outcome.status == MatchStatus.MATCHED
    assert outcome.variances == ()
    first = outcome.lines[0]
    assert (first.ordered_amount, first.received_amount, first.billed_amount) == (
        D("550.00"),
        D("550.00"),
        D("550.00"),
    )


def test_a_price_above_tolerance_is_a_blocking_price_variance():
    billed = [BilledLine(1, 1, D(100), D("5.75")), BilledLine(2, 2, D(10), D("20.00"))]
    outcome = match(given(billed), Tolerance(price=D("0.02")))
    assert outcome.status == MatchStatus.EXCEPTION
    (variance,) = outcome.variances
    assert variance.kind == VarianceKind.PRICE
    assert (variance.expected, variance.actual, variance.amount) == (D("5.50"), D("5.75"), D(25))
    assert variance.variance_percent == D("4.55")
    assert variance.blocking


@pytest.mark.parametrize(
    ("price", "blocking"),
    [(D("5.61"), False), (D("5.39"), False), (D("5.6101"), True), (D("5.3899"), True)],
)
def test_price_tolerance_edge_is_inclusive(price, blocking):
    # 2% of 5.50 is 0.11: a price 0.11 away passes, anything further does not.
    billed = [BilledLine(1, 1, D(100), price), BilledLine(2, 2, D(10), D("20.00"))]
    outcome = match(given(billed), Tolerance(price=D("0.02")))
    assert [v.blocking for v in outcome.variances] == [blocking]
    assert outcome.status == (MatchStatus.EXCEPTION if blocking else MatchStatus.MATCHED)


def test_a_price_within_tolerance_is_named_but_matches():
    billed = [BilledLine(1, 1, D(100), D("5.45")), BilledLine(2, 2, D(10), D("20.00"))]
    outcome = match(given(billed), Tolerance())
    assert outcome.status == MatchStatus.MATCHED
    assert kinds(outcome) == [(VarianceKind.PRICE, 1, False)]
    assert outcome.variances[0].amount == D("-5.00")


def test_billing_more_than_received_is_a_quantity_variance():
    billed = [BilledLine(1, 1, D(100), D("5.50"))]
    outcome = match(given(billed, received={1: D(95), 2: D(0)}), Tolerance())
    assert outcome.status == MatchStatus.EXCEPTION
    (variance,) = outcome.variances
    assert variance.kind == VarianceKind.QUANTITY
    assert (variance.expected, variance.actual, variance.amount) == (D(95), D(100), D("27.50"))
    assert variance.blocking


@pytest.mark.parametrize(("billed_qty", "blocking"), [(D(105), False), (D("105.01"), True)])
def test_quantity_tolerance_edge_is_inclusive(billed_qty, blocking):
    billed = [BilledLine(1, 1, billed_qty, D("5.50"))]
    outcome = match(given(billed, received={1: D(100)}), Tolerance(quantity=D("0.05")))
    assert [(v.kind, v.blocking) for v in outcome.variances] == [(VarianceKind.QUANTITY, blocking)]


def test_the_default_quantity_tolerance_is_zero():
    billed = [BilledLine(1, 1, D("100.0001"), D("5.50"))]
    outcome = match(given(billed, received={1: D(100)}), Tolerance())
    assert outcome.status == MatchStatus.EXCEPTION


def test_billing_a_line_nothing_was_received_on_is_not_received():
    billed = [BilledLine(1, 1, D(100), D("5.50")), BilledLine(2, 2, D(10), D("20.00"))]
    outcome = match(given(billed, received={1: D(100)}), Tolerance(quantity=D(1)))
    assert kinds(outcome) == [(VarianceKind.NOT_RECEIVED, 2, True)]
    assert outcome.variances[0].amount == D("200.00")
    assert outcome.status == MatchStatus.EXCEPTION


def test_received_goods_not_billed_are_an_unbilled_receipt_that_does_not_block():
    billed = [BilledLine(1, 1, D(90), D("5.50"))]
    outcome = match(given(billed), Tolerance())
    assert kinds(outcome) == [
        (VarianceKind.UNBILLED_RECEIPT, 1, False),
        (VarianceKind.UNBILLED_RECEIPT, 2, False),
    ]
    assert [v.amount for v in outcome.variances] == [D("-55.00"), D("-200.00")]
    assert outcome.status == MatchStatus.MATCHED


def test_a_bill_line_naming_a_po_line_the_order_lacks_is_line_not_on_po():
    billed = [
        BilledLine(1, 1, D(100), D("5.50")),
        BilledLine(2, 2, D(10), D("20.00")),
        BilledLine(3, 7, D(2), D("15.00")),
    ]
    outcome = match(given(billed), Tolerance())
    assert kinds(outcome) == [(VarianceKind.LINE_NOT_ON_PO, 7, True)]
    assert outcome.variances[0].amount == D("30.00")
    assert outcome.variances[0].bill_line_number == 3


def test_expense_lines_are_not_matched():
    billed = [
        BilledLine(1, 1, D(100), D("5.50")),
        BilledLine(2, 2, D(10), D("20.00")),
        BilledLine(3, None, D(1), D("45.00")),  # freight
    ]
    assert match(given(billed), Tolerance()).status == MatchStatus.MATCHED


def test_a_bill_in_another_currency_than_its_po_is_an_exception():
    billed = [BilledLine(1, 1, D(100), D("5.50")), BilledLine(2, 2, D(10), D("20.00"))]
    outcome = match(given(billed, currency="EUR"), Tolerance())
    assert kinds(outcome) == [(VarianceKind.CURRENCY_MISMATCH, None, True)]


def test_earlier_bills_count_against_what_was_received():
    # 60 received, 40 already billed: billing 30 more over-bills by 10.
    billed = [BilledLine(1, 1, D(30), D("5.50"))]
    outcome = match(given(billed, received={1: D(60)}, previously_billed={1: D(40)}), Tolerance())
    (variance,) = outcome.variances
    assert variance.kind == VarianceKind.QUANTITY
    assert (variance.expected, variance.actual) == (D(20), D(30))
    assert variance.amount == D("55.00")


def test_a_second_partial_bill_for_the_rest_matches():
    billed = [BilledLine(1, 1, D(20), D("5.50"))]
    outcome = match(given(billed, received={1: D(60)}, previously_billed={1: D(40)}), Tolerance())
    assert outcome.status == MatchStatus.MATCHED
    assert outcome.lines[0].previously_billed_quantity == D(40)


def test_one_po_line_billed_on_two_bill_lines_is_summed():
    billed = [BilledLine(1, 1, D(60), D("5.50")), BilledLine(2, 1, D(40), D("5.50"))]
    outcome = match(given(billed, received={1: D(100)}), Tolerance())
    assert outcome.status == MatchStatus.MATCHED
    assert outcome.lines[0].billed_quantity == D(100)


def test_matching_improves_as_deliveries_arrive():
    # Arrival order: bill first, then the goods: the same bill goes from exception to matched.
    billed = [BilledLine(1, 1, D(100), D("5.50"))]
    before = match(given(billed, received={}), Tolerance())
    partly = match(given(billed, received={1: D(50)}), Tolerance())
    after = match(given(billed, received={1: D(100)}), Tolerance())
    assert [v.kind for v in before.variances] == [VarianceKind.NOT_RECEIVED]
    assert [v.kind for v in partly.variances] == [VarianceKind.QUANTITY]
    assert (before.status, partly.status, after.status) == (
        MatchStatus.EXCEPTION,
        MatchStatus.EXCEPTION,
        MatchStatus.MATCHED,
    )


def test_a_free_po_line_billed_at_a_price_blocks():
    po = (OrderedLine(1, D(1), D(0)),)
    outcome = match(
        MatchInput("USD", "USD", po, [BilledLine(1, 1, D(1), D("1.00"))], {1: D(1)}),
        Tolerance(price=D("0.5")),
    )
    assert kinds(outcome) == [(VarianceKind.PRICE, 1, True)]
    assert outcome.variances[0].variance_percent is None


def test_a_negative_tolerance_is_refused():
    with pytest.raises(ValueError, match="not negative"):
        Tolerance(price=D("-0.01"))
