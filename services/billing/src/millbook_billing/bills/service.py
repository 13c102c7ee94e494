"""Supplier bill use cases: draft entry, approval to accounts payable, voiding, payments.

`allocate_payment` is the API receivables' supplier payments call to settle a bill.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.bills import domain, entry, events, repository
from millbook_billing.bills.domain import BillStatus, IllegalStep
from millbook_billing.bills.repository import BillFilters
from millbook_billing.bills.schemas import BillCreate, BillPatch
from millbook_billing.ledger.postings import (
    Account,
    DocumentRef,
    Fx,
    OpenItem,
    Party,
    bill_posted,
)
from millbook_billing.ledger.service import carried_base, post_entry, reverse_entry
from millbook_billing.matching import repository as matches
from millbook_billing.matching.domain import MatchStatus
from millbook_billing.matching.service import rematch_bill, rematch_purchase_order
from millbook_billing.models import Bill, BillLine, DocumentCounter, MatchingResult
from millbook_billing.purchase_orders import receipts
from millbook_billing.purchase_orders import repository as purchase_orders
from millbook_billing.settings.exchange_rates import documents as exchange_rates
from millbook_billing.tenants.service import base_currency
from millbook_platform.db import utcnow
from millbook_platform.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
)
from millbook_platform.numbering import document_number, next_number
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams

# allocate_payment's callers pass no settings; this is billing's CloudEvents source.
SOURCE = "/millbook/billing"
NUMBER_PREFIX = "BILL"
NUMBER_SERIES = "bill"


@dataclass(frozen=True)
class BillWithLines:
    bill: Bill
    lines: list[BillLine]
    match: MatchingResult | None


@dataclass(frozen=True)
class BillAllocationResult:
    """What a supplier payment needs to post: the open item, who is owed, its fixed rate,
    and the bill's payable as it stood before this payment."""

    bill: DocumentRef
    supplier: Party
    fx: Fx
    payable: OpenItem


async def get_bill(
    session: AsyncSession, tenant_id: uuid.UUID, bill_id: uuid.UUID, *, lock: bool = False
) -> BillWithLines:
    bill = await _bill(session, tenant_id, bill_id, lock=lock)
    lines = (await repository.lines_of(session, tenant_id, [bill.id]))[bill.id]
    return BillWithLines(bill, lines, await matches.for_bill(session, tenant_id, bill.id))


async def list_bills(
    session: AsyncSession, tenant_id: uuid.UUID, filters: BillFilters, page: PageParams
) -> tuple[list[BillWithLines], PageMeta]:
    rows, meta = await repository.list_page(session, tenant_id, filters, page)
    ids = [row.id for row in rows]
    lines = await repository.lines_of(session, tenant_id, ids)
    found = await matches.for_bills(session, tenant_id, ids)
    return [BillWithLines(row, lines[row.id], found.get(row.id)) for row in rows], meta


async def create_bill(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    body: BillCreate,
    *,
    source: str,
    document_id: uuid.UUID | None = None,
) -> BillWithLines:
    """Enter a supplier's bill as a draft and match it against its purchase order."""
    if body.purchase_order_id is not None:
        # Wait (bounded) for an order purchasing just created before taking its lock:
        # the consumer that writes it takes the same lock.
        await purchase_orders.await_order(session, tenant_id, body.purchase_order_id)
        await purchase_orders.lock_order(session, body.purchase_order_id)
    bill = await entry.new_bill(session, tenant_id, body, document_id=document_id)
    await _refuse_duplicate(session, bill)
    session.add(bill)
    await _flush_unique(session, bill.bill_number)
    lines = entry.bill_lines(bill, body.line_items)
    session.add_all(lines)
    await session.flush()
    match = await rematch_bill(session, tenant_id, bill, source=source)
    origin = "manual" if document_id is None else "document"
    record_event(
        session, events.bill_created(bill, lines, origin), tenant_id=tenant_id, source=source
    )
    return BillWithLines(bill, lines, match)


async def update_bill(
    session: AsyncSession, tenant_id: uuid.UUID, bill_id: uuid.UUID, body: BillPatch, *, source: str
) -> BillWithLines:
    """Change a draft; its totals and match are recomputed."""
    bill = await bill_to_change(session, tenant_id, bill_id)
    _allowed(lambda: domain.require_draft(bill.status, "edited"), bill.status)
    base = await base_currency(session, tenant_id)
    lines = await entry.apply_patch(session, bill, body, base)
    if body.bill_number is not None:
        await _refuse_duplicate(session, bill)
    await _flush_unique(session, bill.bill_number)
    match = await rematch_bill(session, tenant_id, bill, source=source)
    record_event(session, events.bill_updated(bill, lines), tenant_id=tenant_id, source=source)
    return BillWithLines(bill, lines, match)


async def delete_bill(
    session: AsyncSession, tenant_id: uuid.UUID, bill_id: uuid.UUID, *, source: str
) -> None:
    bill = await _bill(session, tenant_id, bill_id, lock=True)
    _allowed(lambda: domain.require_draft(bill.status, "deleted"), bill.status)
    deleted = events.bill_deleted(bill)
    await session.delete(bill)
    await session.flush()
    record_event(session, deleted, tenant_id=tenant_id, source=source)


async def approve_bill(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    bill_id: uuid.UUID,
    override_reason: str | None,
    *,
    source: str,
    actor: str | None = None,
) -> BillWithLines:
    """Approve a draft: number it, post it to accounts payable, open it for payment.

    A bill whose match is not `matched` needs an override reason.
    """
    bill = await bill_to_change(session, tenant_id, bill_id)
    _allowed(lambda: domain.require_draft(bill.status, "approved"), bill.status)
    match = await rematch_bill(session, tenant_id, bill, source=source)
    if match is not None and match.status != MatchStatus.MATCHED and not override_reason:
        raise InvalidTransition(
            f"This bill's match is {match.status}; approving it needs an override_reason.",
            details=[field_error("override_reason", f"required: match is {match.status}")],
        )
    fx = await _fx(session, tenant_id, bill)
    number = await next_number(
        session, DocumentCounter, tenant_id, NUMBER_SERIES, bill.bill_date.year
    )
    bill.internal_number = document_number(NUMBER_PREFIX, bill.bill_date.year, number)
    bill.status = BillStatus.OPEN
    bill.approved_at = utcnow()
    bill.override_reason = override_reason
    bill.base_currency = fx.base_currency
    await session.flush()
    lines = (await repository.lines_of(session, tenant_id, [bill.id]))[bill.id]
    await _post_bill(session, tenant_id, bill, lines, fx, actor=actor)
    match_status = match.status if match is not None else None
    event = events.bill_approved(bill, lines, match_status)
    record_event(session, event, tenant_id=tenant_id, source=source)
    if bill.purchase_order_id is not None:
        await rematch_purchase_order(session, tenant_id, bill.purchase_order_id, source=source)
    return BillWithLines(bill, lines, await matches.for_bill(session, tenant_id, bill.id))


async def void_bill(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    bill_id: uuid.UUID,
    reason: str | None,
    *,
    source: str,
    actor: str | None = None,
) -> BillWithLines:
    """Void a draft or an unpaid open bill; an approved one's posting is reversed."""
    bill = await bill_to_change(session, tenant_id, bill_id)
    _allowed(lambda: domain.require_voidable(bill.status, bill.paid_amount), bill.status)
    if bill.status == BillStatus.OPEN:
        await reverse_entry(
            session,
            tenant_id,
            source_type="bill_posted",
            source_id=bill.id,
            reversal_source_type="bill_voided",
            entry_date=utcnow().date(),
            actor=actor,
        )
    bill.status = BillStatus.VOIDED
    bill.voided_at = utcnow()
    bill.void_reason = reason
    await session.flush()
    record_event(session, events.bill_voided(bill), tenant_id=tenant_id, source=source)
    if bill.purchase_order_id is not None:
        await rematch_purchase_order(session, tenant_id, bill.purchase_order_id, source=source)
    return await get_bill(session, tenant_id, bill.id)


async def allocate_payment(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    bill_id: uuid.UUID,
    amount: Decimal,
    *,
    payment_date: date,
) -> BillAllocationResult:
    """Settle `amount` of an approved bill's balance (the bill row is locked FOR UPDATE).

    NotFound for an unknown or another tenant's bill; ValidationFailed when the amount
    is not positive or exceeds the open balance; InvalidTransition for a draft, paid
    or voided bill. Publishes `billing.bill.paid` when the balance reaches zero.
    """
    bill = await _bill(session, tenant_id, bill_id, lock=True)
    try:
        outcome = domain.apply_payment(
            bill.status, bill.total_amount, bill.paid_amount, amount, bill.currency_code
        )
    except IllegalStep as exc:
        raise InvalidTransition(str(exc), details=[field_error("bill_id", bill.status)]) from exc
    except ValueError as exc:
        raise ValidationFailed(
            f"Cannot allocate {amount} to bill {bill.internal_number}: {exc}.",
            details=[field_error("amount", str(exc))],
        ) from exc
    fx = Fx(bill.currency_code, bill.base_currency, bill.exchange_rate)
    carried = await carried_base(session, tenant_id, Account.ACCOUNTS_PAYABLE, bill.id)
    payable = OpenItem(fx, bill.total_amount, bill.total_amount - bill.paid_amount, carried)
    bill.paid_amount = outcome.paid_amount
    bill.balance_amount = outcome.balance_amount
    bill.status = outcome.status
    if outcome.status == BillStatus.PAID:
        bill.paid_at = payment_date
    await session.flush()
    if outcome.status == BillStatus.PAID:
        record_event(session, events.bill_paid(bill), tenant_id=tenant_id, source=SOURCE)
    return BillAllocationResult(
        bill=_document_ref(bill),
        supplier=Party("supplier", bill.supplier_id, bill.supplier_name),
        fx=fx,
        payable=payable,
    )


async def _bill(
    session: AsyncSession, tenant_id: uuid.UUID, bill_id: uuid.UUID, *, lock: bool = False
) -> Bill:
    bill = await repository.get(session, tenant_id, bill_id, lock=lock)
    if bill is None:
        raise NotFound("No bill with this id.", details=[field_error("bill_id", str(bill_id))])
    return bill


async def bill_to_change(session: AsyncSession, tenant_id: uuid.UUID, bill_id: uuid.UUID) -> Bill:
    bill = await repository.get_for_change(session, tenant_id, bill_id)
    if bill is None:
        raise NotFound("No bill with this id.", details=[field_error("bill_id", str(bill_id))])
    return bill


def _allowed(check: Callable[[], None], status: str) -> None:
    try:
        check()
    except IllegalStep as exc:
        raise InvalidTransition(str(exc), details=[field_error("status", status)]) from exc


async def _refuse_duplicate(session: AsyncSession, bill: Bill) -> None:
    found = await repository.with_supplier_number(
        session, bill.tenant_id, bill.supplier_id, bill.bill_number
    )
    if found is not None and found.id != bill.id:
        raise _duplicate(bill.bill_number, found.id)


def _duplicate(bill_number: str, existing: uuid.UUID | None) -> Conflict:
    detail = {**field_error("bill_number", "already entered for this supplier")}
    if existing is not None:
        detail["id"] = str(existing)
    return Conflict(f"This supplier's bill {bill_number!r} is already entered.", details=[detail])


async def _flush_unique(session: AsyncSession, bill_number: str) -> None:
    """Flush; a concurrent entry of the same supplier bill number is a 409, not a 500."""
    try:
        await session.flush()
    except IntegrityError as exc:
        if "uq_bills_supplier_bill_number" in str(exc.orig):
            raise _duplicate(bill_number, None) from exc
        raise


async def _fx(session: AsyncSession, tenant_id: uuid.UUID, bill: Bill) -> Fx:
    base = await base_currency(session, tenant_id)
    rate = await exchange_rates.document_rate(
        session, tenant_id, bill.currency_code, bill.bill_date, bill.exchange_rate, base=base
    )
    return Fx(bill.currency_code, base, rate)


async def _post_bill(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    bill: Bill,
    lines: Sequence[BillLine],
    fx: Fx,
    *,
    actor: str | None,
) -> None:
    """GRNI at what its receipts booked + FX difference + price variance + expenses + input
    tax / accounts payable."""
    po_prices = {}
    grni_cleared = None
    if bill.purchase_order_id is not None:
        po_lines = await purchase_orders.lines_of(session, tenant_id, bill.purchase_order_id)
        po_prices = {line.line_number: line.unit_price for line in po_lines}
        # Receipts still waiting for a rate post at this bill's; GRNI then clears at what
        # every receipt booked.
        await receipts.post_waiting_receipts(session, tenant_id, bill, fx)
        grni_cleared = await receipts.clear_for_bill(session, tenant_id, bill, lines, po_prices, fx)
    split = domain.posting_split(
        [entry.line_in(line) for line in lines], po_prices, bill.currency_code
    )
    draft = bill_posted(
        bill=_document_ref(bill),
        supplier=Party("supplier", bill.supplier_id, bill.supplier_name),
        entry_date=bill.bill_date,
        received_goods_at_po_price=split.received_goods_at_po_price,
        goods_billed_net=split.goods_billed_net,
        expense_lines=split.expense_lines,
        tax=split.tax,
        total=split.total,
        fx=fx,
        grni_cleared=grni_cleared,
    )
    await post_entry(session, tenant_id, draft, actor=actor)


def _document_ref(bill: Bill) -> DocumentRef:
    return DocumentRef("bill", bill.id, bill.internal_number, bill.due_date)
