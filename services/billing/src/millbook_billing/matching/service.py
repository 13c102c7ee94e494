"""Matching use cases: (re)match a bill whenever its PO, a delivery or the bill changes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.bills import repository as bills
from millbook_billing.matching import domain, events, repository
from millbook_billing.matching.domain import MatchStatus, Tolerance
from millbook_billing.models import Bill, BillLine, MatchingResult, PurchaseOrderLine
from millbook_billing.purchase_orders import repository as purchase_orders
from millbook_platform.db import utcnow
from millbook_platform.errors import NotFound, ValidationFailed, field_error
from millbook_platform.money import money_text, price_text, quantity_text
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams


async def get_result(
    session: AsyncSession, tenant_id: uuid.UUID, matching_id: uuid.UUID
) -> MatchingResult:
    found = await repository.get(session, tenant_id, matching_id)
    if found is None:
        raise NotFound(
            "No matching result with this id.", details=[field_error("id", str(matching_id))]
        )
    return found


async def list_pending(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[Sequence[MatchingResult], PageMeta]:
    return await repository.pending_page(session, tenant_id, page)


async def default_tolerance(session: AsyncSession, tenant_id: uuid.UUID) -> Tolerance:
    """The tenant's default tolerances: 2% on price and none on quantity unless set."""
    found = await repository.tenant_settings(session, tenant_id)
    if found is None:
        return Tolerance()
    return Tolerance(found.price_tolerance, found.quantity_tolerance)


async def set_default_tolerance(
    session: AsyncSession, tenant_id: uuid.UUID, tolerance: Tolerance, *, source: str
) -> Tolerance:
    """Change the tenant's defaults and rematch the draft bills that follow them."""
    await repository.save_tenant_settings(session, tenant_id, tolerance.price, tolerance.quantity)
    for bill in await repository.draft_bills_on_defaults(session, tenant_id):
        assert bill.purchase_order_id is not None
        await purchase_orders.lock_order(session, bill.purchase_order_id)
        await rematch_bill(session, tenant_id, bill, source=source)
    return tolerance


async def match_bill(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    bill_id: uuid.UUID,
    tolerance: Tolerance | None,
    *,
    source: str,
) -> MatchingResult:
    """Match one bill now, with the tolerance asked for (kept for later rematches)."""
    bill = await bills.get_for_change(session, tenant_id, bill_id)
    if bill is None:
        raise NotFound("No bill with this id.", details=[field_error("bill_id", str(bill_id))])
    if bill.purchase_order_id is None:
        raise ValidationFailed(
            "This bill is not against a purchase order; there is nothing to match.",
            details=[field_error("bill_id", "bill has no purchase_order_id")],
        )
    result = await rematch_bill(session, tenant_id, bill, tolerance=tolerance, source=source)
    assert result is not None
    return result


async def rematch_purchase_order(
    session: AsyncSession, tenant_id: uuid.UUID, purchase_order_id: uuid.UUID, *, source: str
) -> None:
    for bill in await bills.of_purchase_order(session, tenant_id, purchase_order_id):
        await rematch_bill(session, tenant_id, bill, source=source)


async def rematch_bill(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    bill: Bill,
    *,
    tolerance: Tolerance | None = None,
    source: str,
) -> MatchingResult | None:
    """Recompute and store the bill's match; publish it when it changed (or was asked for)."""
    if bill.purchase_order_id is None:
        return None
    existing = await repository.for_bill(session, tenant_id, bill.id)
    asked = tolerance is not None
    requested = asked or (existing is not None and existing.tolerance_requested)
    if tolerance is None and existing is not None and existing.tolerance_requested:
        tolerance = Tolerance(existing.price_tolerance, existing.quantity_tolerance)
    if tolerance is None:
        tolerance = await default_tolerance(session, tenant_id)
    status, lines, variances = await _compute(session, tenant_id, bill, tolerance)
    result = existing or MatchingResult(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        bill_id=bill.id,
        purchase_order_id=bill.purchase_order_id,
    )
    changed = existing is None or (existing.status, existing.variances, existing.lines) != (
        status,
        variances,
        lines,
    )
    result.purchase_order_id = bill.purchase_order_id
    result.status = status
    result.lines = lines
    result.variances = variances
    result.price_tolerance = tolerance.price
    result.quantity_tolerance = tolerance.quantity
    result.tolerance_requested = requested
    result.matched_at = utcnow()
    session.add(result)
    await session.flush()
    if status != MatchStatus.PENDING and (changed or asked):
        record_event(
            session, events.matching_completed(result, bill), tenant_id=tenant_id, source=source
        )
    return result


async def _compute(
    session: AsyncSession, tenant_id: uuid.UUID, bill: Bill, tolerance: Tolerance
) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    assert bill.purchase_order_id is not None
    order = await purchase_orders.get(session, tenant_id, bill.purchase_order_id)
    if order is None:
        return MatchStatus.PENDING.value, [], []
    bill_lines = (await bills.lines_of(session, tenant_id, [bill.id]))[bill.id]
    given = domain.MatchInput(
        bill_currency=bill.currency_code,
        po_currency=order.currency_code,
        ordered=_ordered(await purchase_orders.lines_of(session, tenant_id, order.id)),
        billed=_billed(bill_lines),
        received=await purchase_orders.accepted_quantities(session, tenant_id, order.id),
        previously_billed=await bills.billed_before(session, tenant_id, bill),
    )
    outcome = domain.match(given, tolerance)
    currency = bill.currency_code
    return (
        outcome.status.value,
        [_line_json(line, currency) for line in outcome.lines],
        [variance_json(variance, currency) for variance in outcome.variances],
    )


def _ordered(lines: Sequence[PurchaseOrderLine]) -> list[domain.OrderedLine]:
    return [domain.OrderedLine(line.line_number, line.quantity, line.unit_price) for line in lines]


def _billed(lines: Sequence[BillLine]) -> list[domain.BilledLine]:
    return [
        domain.BilledLine(line.line_number, line.po_line_number, line.quantity, line.unit_price)
        for line in lines
    ]


def _line_json(line: domain.LineComparison, currency: str) -> dict[str, Any]:
    return {
        "po_line_number": line.po_line_number,
        "ordered_quantity": quantity_text(line.ordered_quantity),
        "po_unit_price": price_text(line.po_unit_price, currency),
        "received_quantity": quantity_text(line.received_quantity),
        "previously_billed_quantity": quantity_text(line.previously_billed_quantity),
        "billed_quantity": quantity_text(line.billed_quantity),
        "ordered_amount": money_text(line.ordered_amount, currency),
        "received_amount": money_text(line.received_amount, currency),
        "billed_amount": money_text(line.billed_amount, currency),
    }


def variance_json(variance: domain.Variance, currency: str) -> dict[str, Any]:
    prices = variance.kind == domain.VarianceKind.PRICE
    shown = (lambda value: price_text(value, currency)) if prices else quantity_text
    return {
        "kind": variance.kind.value,
        "po_line_number": variance.po_line_number,
        "bill_line_number": variance.bill_line_number,
        "expected": shown(variance.expected),
        "actual": shown(variance.actual),
        "amount": money_text(variance.amount, currency),
        "variance_percent": quantity_text(variance.variance_percent),
        "blocking": variance.blocking,
    }
