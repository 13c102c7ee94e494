"""Three-way matching rules (pure): purchase order x received-and-accepted goods x bill.

Per PO line the bill's price is compared with the PO's price, and the quantity billed
(by this bill plus the bills approved before it) with the quantity delivered and
accepted. Tolerances are fractions: a price within `price` of the PO's (2% by default)
and a quantity over the received one by at most `quantity` (0 by default) pass. Each
difference is named; a blocking one makes the result an `exception`, which only an
approver's override reason lets through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from millbook_platform.money import round_money

ZERO = Decimal(0)
DEFAULT_PRICE_TOLERANCE = Decimal("0.02")
DEFAULT_QUANTITY_TOLERANCE = Decimal(0)


class MatchStatus(StrEnum):
    PENDING = "pending"  # the purchase order has not reached billing yet
    MATCHED = "matched"
    EXCEPTION = "exception"


class VarianceKind(StrEnum):
    PRICE = "price_variance"  # billed unit price differs from the PO's
    QUANTITY = "quantity_variance"  # billed more than was received and accepted
    UNBILLED_RECEIPT = "unbilled_receipt"  # received and accepted, not billed (yet)
    NOT_RECEIVED = "not_received"  # billed, nothing received on that PO line
    LINE_NOT_ON_PO = "line_not_on_po"  # the bill names a PO line the order does not have
    CURRENCY_MISMATCH = "currency_mismatch"  # the bill and the PO are in different currencies


@dataclass(frozen=True)
class Tolerance:
    price: Decimal = DEFAULT_PRICE_TOLERANCE
    quantity: Decimal = DEFAULT_QUANTITY_TOLERANCE

    def __post_init__(self) -> None:
        if self.price < 0 or self.quantity < 0:
            raise ValueError("a tolerance is not negative")


@dataclass(frozen=True)
class OrderedLine:
    line_number: int
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class BilledLine:
    line_number: int
    po_line_number: int | None  # None: an expense line (freight, services), not matched
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class MatchInput:
    bill_currency: str
    po_currency: str
    ordered: Sequence[OrderedLine]
    billed: Sequence[BilledLine]
    received: Mapping[int, Decimal] = field(default_factory=dict)  # accepted qty per PO line
    previously_billed: Mapping[int, Decimal] = field(default_factory=dict)  # by earlier bills


@dataclass(frozen=True)
class LineComparison:
    po_line_number: int
    ordered_quantity: Decimal
    po_unit_price: Decimal
    received_quantity: Decimal
    previously_billed_quantity: Decimal
    billed_quantity: Decimal
    ordered_amount: Decimal
    received_amount: Decimal
    billed_amount: Decimal


@dataclass(frozen=True)
class Variance:
    kind: VarianceKind
    amount: Decimal  # in the bill's currency; positive when the bill asks for more
    blocking: bool
    po_line_number: int | None = None
    bill_line_number: int | None = None
    expected: Decimal | None = None
    actual: Decimal | None = None
    variance_percent: Decimal | None = None


@dataclass(frozen=True)
class MatchOutcome:
    status: MatchStatus
    lines: tuple[LineComparison, ...]
    variances: tuple[Variance, ...]


def match(given: MatchInput, tolerance: Tolerance) -> MatchOutcome:
    """Compare the bill with its purchase order and receipts, line by line."""
    currency = given.bill_currency
    variances: list[Variance] = []
    if given.bill_currency != given.po_currency:
        variances.append(Variance(VarianceKind.CURRENCY_MISMATCH, ZERO, blocking=True))
    ordered = {line.line_number: line for line in given.ordered}
    for billed in given.billed:
        if billed.po_line_number is None:
            continue
        po_line = ordered.get(billed.po_line_number)
        if po_line is None:
            variances.append(_not_on_po(billed, currency))
        elif billed.unit_price != po_line.unit_price:
            variances.append(_price_variance(billed, po_line, tolerance, currency))
    lines = []
    for po_line in sorted(ordered.values(), key=lambda line: line.line_number):
        on_bill = [b for b in given.billed if b.po_line_number == po_line.line_number]
        comparison = _compare(po_line, on_bill, given, currency)
        lines.append(comparison)
        variances.extend(_quantity_variances(comparison, on_bill, tolerance, currency))
    blocked = any(variance.blocking for variance in variances)
    status = MatchStatus.EXCEPTION if blocked else MatchStatus.MATCHED
    return MatchOutcome(status, tuple(lines), tuple(variances))


def _percent(difference: Decimal, base: Decimal) -> Decimal | None:
    if base == 0:
        return None
    return (difference / base * 100).quantize(Decimal("0.01"))


def _not_on_po(billed: BilledLine, currency: str) -> Variance:
    return Variance(
        VarianceKind.LINE_NOT_ON_PO,
        round_money(billed.quantity * billed.unit_price, currency),
        blocking=True,
        po_line_number=billed.po_line_number,
        bill_line_number=billed.line_number,
        actual=billed.quantity,
    )


def _price_variance(
    billed: BilledLine, po_line: OrderedLine, tolerance: Tolerance, currency: str
) -> Variance:
    difference = billed.unit_price - po_line.unit_price
    if po_line.unit_price == 0:
        blocking = True
    else:
        blocking = abs(difference) > tolerance.price * po_line.unit_price
    return Variance(
        VarianceKind.PRICE,
        round_money(difference * billed.quantity, currency),
        blocking=blocking,
        po_line_number=po_line.line_number,
        bill_line_number=billed.line_number,
        expected=po_line.unit_price,
        actual=billed.unit_price,
        variance_percent=_percent(difference, po_line.unit_price),
    )


def _compare(
    po_line: OrderedLine, on_bill: Sequence[BilledLine], given: MatchInput, currency: str
) -> LineComparison:
    number = po_line.line_number
    received = given.received.get(number, ZERO)
    billed_amount = sum((round_money(b.quantity * b.unit_price, currency) for b in on_bill), ZERO)
    return LineComparison(
        po_line_number=number,
        ordered_quantity=po_line.quantity,
        po_unit_price=po_line.unit_price,
        received_quantity=received,
        previously_billed_quantity=given.previously_billed.get(number, ZERO),
        billed_quantity=sum((b.quantity for b in on_bill), ZERO),
        ordered_amount=round_money(po_line.quantity * po_line.unit_price, currency),
        received_amount=round_money(received * po_line.unit_price, currency),
        billed_amount=billed_amount,
    )


def _quantity_variances(
    line: LineComparison, on_bill: Sequence[BilledLine], tolerance: Tolerance, currency: str
) -> list[Variance]:
    billed_in_total = line.previously_billed_quantity + line.billed_quantity
    received = line.received_quantity
    first_bill_line = on_bill[0].line_number if on_bill else None
    if line.billed_quantity > 0 and received == 0:
        return [
            Variance(
                VarianceKind.NOT_RECEIVED,
                line.billed_amount,
                blocking=True,
                po_line_number=line.po_line_number,
                bill_line_number=first_bill_line,
                expected=ZERO,
                actual=line.billed_quantity,
            )
        ]
    if line.billed_quantity > 0 and billed_in_total > received:
        over = billed_in_total - received
        price = line.billed_amount / line.billed_quantity
        return [
            Variance(
                VarianceKind.QUANTITY,
                round_money(over * price, currency),
                blocking=over > tolerance.quantity * received,
                po_line_number=line.po_line_number,
                bill_line_number=first_bill_line,
                expected=received - line.previously_billed_quantity,
                actual=line.billed_quantity,
                variance_percent=_percent(over, received),
            )
        ]
    if received > billed_in_total:
        # The supplier has not billed all that arrived (yet): worth showing, safe to pay.
        unbilled = received - billed_in_total
        return [
            Variance(
                VarianceKind.UNBILLED_RECEIPT,
                -round_money(unbilled * line.po_unit_price, currency),
                blocking=False,
                po_line_number=line.po_line_number,
                bill_line_number=first_bill_line,
                expected=received - line.previously_billed_quantity,
                actual=line.billed_quantity,
            )
        ]
    return []
