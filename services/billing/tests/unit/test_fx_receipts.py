"""Foreign goods receipts: the rate a receipt books at, and GRNI cleared at what was booked."""

import random
import uuid
from datetime import date
from decimal import Decimal as D

import pytest

from millbook_billing.ledger.postings import (
    Account,
    DocumentRef,
    Fx,
    JournalDraft,
    Party,
    bill_posted,
    goods_received,
)
from millbook_billing.purchase_orders.grni import (
    BILL,
    RECEIPT,
    Carried,
    LineMove,
    move,
    move_lines,
)
from millbook_billing.settings.exchange_rates.domain import rate_on
from millbook_platform.money import round_money

SUPPLIER = Party("supplier", uuid.uuid4(), "Euro Parts")
DAY = date(2026, 3, 10)


def eur(rate: str) -> Fx:
    return Fx("EUR", "USD", D(rate))


def sides(draft: JournalDraft) -> dict[Account, D]:
    totals: dict[Account, D] = {}
    for line in draft.lines:
        totals[line.account] = totals.get(line.account, D(0)) + line.debit - line.credit
    return totals


# -- which rate applies ---------------------------------------------------------------


RATES = [(date(2026, 3, 1), D("1.08")), (date(2026, 3, 15), D("1.10")), (date(2026, 2, 1), D("1"))]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 31), None),  # before any rate
        (date(2026, 2, 1), D("1")),  # effective on its own day
        (date(2026, 3, 10), D("1.08")),
        (date(2026, 3, 14), D("1.08")),
        (date(2026, 3, 15), D("1.10")),
        (date(2027, 1, 1), D("1.10")),  # the latest stays in force
    ],
)
def test_a_day_takes_the_latest_rate_effective_on_or_before_it(day: date, expected: D) -> None:
    assert rate_on(RATES, day) == expected


def test_no_rates_means_no_rate() -> None:
    assert rate_on([], DAY) is None


# -- one PO line --------------------------------------------------------------------


def test_a_receipt_books_its_units_at_its_own_rate() -> None:
    moved = move(Carried(), RECEIPT, D("100"), D("5.50"), eur("1.10"))
    assert moved.base == D("605.00")
    assert moved.after == Carried(D("100"), D("605.00"))


def test_a_bill_clears_the_average_booked_base_per_unit_not_its_own_rate() -> None:
    carried = Carried(D("100"), D("605.00"))  # 100 received at 1.10
    part = move(carried, BILL, D("30"), D("5.50"), eur("1.25"))
    assert part.base == D("181.50")  # 30/100 of 605.00, not 30 x 5.50 x 1.25
    rest = move(part.after, BILL, D("70"), D("5.50"), eur("1.30"))
    assert rest.base == D("423.50")
    assert rest.after == Carried(D(0), D(0))


def test_the_bill_of_the_last_received_units_takes_exactly_what_is_left() -> None:
    carried = Carried(D("3"), D("1.00"))  # three units booked at 0.33, 0.33, 0.34
    first = move(carried, BILL, D("1"), D("1"), eur("1.20"))
    second = move(first.after, BILL, D("1"), D("1"), eur("1.20"))
    last = move(second.after, BILL, D("1"), D("1"), eur("1.20"))
    assert (first.base, second.base, last.base) == (D("0.33"), D("0.34"), D("0.33"))
    assert last.after == Carried(D(0), D(0))


def test_units_billed_ahead_of_receipt_are_carried_at_the_bills_rate_and_cleared_by_it() -> None:
    ahead = move(Carried(), BILL, D("10"), D("4.00"), eur("1.20"))
    assert ahead.base == D("48.00")
    assert ahead.after == Carried(D("-10"), D("-48.00"))
    received = move(ahead.after, RECEIPT, D("12"), D("4.00"), eur("1.05"))
    # 10 units clear the 48.00 their bill debited; 2 more are booked at 1.05 (8.40).
    assert received.base == D("56.40")
    assert received.after == Carried(D("2"), D("8.40"))


def test_a_moved_quantity_is_not_negative() -> None:
    with pytest.raises(ValueError, match="not negative"):
        move(Carried(), RECEIPT, D("-1"), D("1"), eur("1.1"))


def test_lines_on_the_same_po_line_follow_one_another() -> None:
    carried = {1: Carried(D("10"), D("110.00")), 2: Carried(D("5"), D("60.00"))}
    lines = [
        LineMove(1, D("4"), D("10")),
        LineMove(1, D("6"), D("10")),
        LineMove(2, D("1"), D("12")),
    ]
    bases, after = move_lines(carried, BILL, lines, eur("1.30"))
    assert bases == [D("44.00"), D("66.00"), D("12.00")]
    assert after == {1: Carried(D(0), D(0)), 2: Carried(D("4"), D("48.00"))}


# -- the entries ------------------------------------------------------------------


def bill_of(goods: D, cleared: D, fx: Fx) -> JournalDraft:
    return bill_posted(
        bill=DocumentRef("bill", uuid.uuid4(), "BILL-2026-0001", DAY),
        supplier=SUPPLIER,
        entry_date=DAY,
        received_goods_at_po_price=goods,
        goods_billed_net=goods,
        expense_lines=[],
        tax=D(0),
        total=goods,
        fx=fx,
        grni_cleared=cleared,
    )


def test_a_bill_at_a_higher_rate_than_its_receipt_books_an_fx_loss() -> None:
    draft = bill_of(D("550.00"), D("605.00"), eur("1.20"))  # booked at 1.10, billed at 1.20
    assert sides(draft) == {
        Account.ACCOUNTS_PAYABLE: D("-660.00"),
        Account.GOODS_RECEIVED_NOT_INVOICED: D("605.00"),
        Account.FX_GAIN_LOSS: D("55.00"),
    }


def test_a_bill_at_a_lower_rate_than_its_receipt_books_an_fx_gain() -> None:
    draft = bill_of(D("550.00"), D("605.00"), eur("1.00"))
    assert sides(draft)[Account.FX_GAIN_LOSS] == D("-55.00")


def test_a_base_currency_bill_puts_a_clearing_rest_on_the_price_variance() -> None:
    draft = bill_of(D("1.00"), D("0.99"), Fx.same("USD"))
    assert sides(draft) == {
        Account.ACCOUNTS_PAYABLE: D("-1.00"),
        Account.GOODS_RECEIVED_NOT_INVOICED: D("0.99"),
        Account.PURCHASE_PRICE_VARIANCE: D("0.01"),
    }


def test_a_receipt_of_goods_billed_ahead_books_inventory_at_its_rate_and_the_rest_as_fx() -> None:
    draft = goods_received(
        delivery_id=uuid.uuid4(),
        supplier=SUPPLIER,
        entry_date=DAY,
        value=D("40.00"),
        fx=eur("1.05"),
        grni=D("48.00"),
    )
    assert sides(draft) == {
        Account.INVENTORY: D("42.00"),
        Account.GOODS_RECEIVED_NOT_INVOICED: D("-48.00"),
        Account.FX_GAIN_LOSS: D("6.00"),
    }


def test_a_receipt_without_a_grni_override_posts_as_before() -> None:
    draft = goods_received(
        delivery_id=uuid.uuid4(), supplier=SUPPLIER, entry_date=DAY, value=D("550"), fx=eur("1.1")
    )
    assert sides(draft) == {
        Account.INVENTORY: D("605.00"),
        Account.GOODS_RECEIVED_NOT_INVOICED: D("-605.00"),
    }


# -- random sequences -----------------------------------------------------------------


def _random_rate(rng: random.Random) -> Fx:
    return eur(str(round(D(rng.uniform(0.5, 2.0)), rng.choice([2, 4, 6, 8]))))


@pytest.mark.parametrize("seed", range(200))
def test_receipts_and_partial_bills_at_random_rates_leave_grni_exactly_zero(seed: int) -> None:
    """Receipts and bills (some billed ahead of receipt) of a random order, each at its own
    rate: every entry balances and, once everything received is billed, GRNI is 0 in base."""
    rng = random.Random(seed)
    ordered = {n: D(rng.randint(1, 40)) for n in (1, 2, 3)}
    prices = {n: round(D(rng.uniform(0.01, 99)), rng.choice([2, 3, 4])) for n in ordered}
    to_receive, to_bill = dict(ordered), dict(ordered)
    carried: dict[int, Carried] = {}
    grni = D(0)
    while any(to_receive.values()) or any(to_bill.values()):
        direction = rng.choice([RECEIPT, BILL])
        pending = to_receive if direction == RECEIPT else to_bill
        open_lines = [n for n, left in pending.items() if left > 0]
        if not open_lines:
            continue
        chosen = rng.sample(open_lines, rng.randint(1, len(open_lines)))
        moves = [LineMove(n, D(rng.randint(1, int(pending[n]))), prices[n]) for n in chosen]
        for line in moves:
            pending[line.po_line_number] -= line.quantity
        fx = _random_rate(rng)
        bases, carried = move_lines(carried, direction, moves, fx)
        value = sum((round_money(m.quantity * m.price, "EUR") for m in moves), D(0))
        draft = _entry(direction, value, sum(bases, D(0)), fx)
        assert draft.is_balanced
        grni += sides(draft).get(Account.GOODS_RECEIVED_NOT_INVOICED, D(0))
    assert grni == D(0)
    assert all(line == Carried(D(0), D(0)) for line in carried.values())


def _entry(direction: int, value: D, grni: D, fx: Fx) -> JournalDraft:
    if direction == RECEIPT:
        return goods_received(
            delivery_id=uuid.uuid4(),
            supplier=SUPPLIER,
            entry_date=DAY,
            value=value,
            fx=fx,
            grni=grni,
        )
    return bill_of(value, grni, fx)
