"""Goods Received Not Invoiced per purchase order line (pure rules, no I/O).

A receipt credits GRNI with what its units are worth in base at the rate it was booked
at; a bill debits GRNI for the units it bills. A bill clears, per PO line, the average
booked base per unit of the received quantity not yet billed, and the bill that takes
the last of it takes exactly what is left, so a fully billed line carries nothing in
base. Units billed before they arrive are carried the other way (a debit) and the
receipt that brings them clears what their bill debited. Whatever a clearing differs
from the document's own base goes to FX gain/loss (`ledger.postings`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from millbook_billing.ledger.postings import Fx
from millbook_platform.money import round_money

ZERO = Decimal(0)
RECEIPT, BILL = 1, -1  # which way a fact moves the line: a receipt adds, a bill takes off


@dataclass(frozen=True)
class Carried:
    """What GRNI carries for one PO line: received minus billed quantity, and its base on
    GRNI's credit side (both negative while more is billed than received)."""

    quantity: Decimal = ZERO
    base: Decimal = ZERO


@dataclass(frozen=True)
class Movement:
    """One fact's effect on a line: the base it moves GRNI by (credit for a receipt, debit
    for a bill, positive in the usual case) and the line afterwards."""

    base: Decimal
    after: Carried


def move(carried: Carried, direction: int, quantity: Decimal, price: Decimal, fx: Fx) -> Movement:
    """`quantity` units at `price` (document currency) received or billed on one line.

    The units that offset what the line carries the other way take its share of the
    carried base (all of it when they offset all of it); the rest are valued at `fx`.
    """
    if quantity < 0 or direction not in (RECEIPT, BILL):
        raise ValueError("a moved quantity is not negative; direction is RECEIPT or BILL")
    offset = _offset_quantity(carried, direction, quantity)
    if offset == abs(carried.quantity) and offset > 0:
        taken = carried.base
    elif offset > 0:
        taken = round_money(carried.base * offset / abs(carried.quantity), fx.base_currency)
    else:
        taken = ZERO
    rest = fx.to_base(round_money((quantity - offset) * price, fx.currency_code))
    after = Carried(
        carried.quantity + direction * quantity,
        carried.base - taken + direction * rest,
    )
    return Movement(direction * (after.base - carried.base), after)


def _offset_quantity(carried: Carried, direction: int, quantity: Decimal) -> Decimal:
    """How many of the units offset what the line carries on the other side."""
    if carried.quantity * direction >= 0:
        return ZERO
    return min(quantity, abs(carried.quantity))


@dataclass(frozen=True)
class LineMove:
    """One document line against a PO line: its quantity and the PO's unit price."""

    po_line_number: int
    quantity: Decimal
    price: Decimal


def move_lines(
    carried: Mapping[int, Carried], direction: int, lines: Sequence[LineMove], fx: Fx
) -> tuple[list[Decimal], dict[int, Carried]]:
    """Each line's GRNI base, in order (lines on the same PO line follow one another),
    and every PO line's carried balance afterwards."""
    state = dict(carried)
    bases = []
    for line in lines:
        moved = move(
            state.get(line.po_line_number, Carried()), direction, line.quantity, line.price, fx
        )
        state[line.po_line_number] = moved.after
        bases.append(moved.base)
    return bases, state
