"""Building a draft bill from a request: defaults from supplier and PO, lines and totals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.bills import domain, repository
from millbook_billing.bills.domain import BillStatus, LineIn
from millbook_billing.bills.schemas import BillCreate, BillLineIn, BillPatch
from millbook_billing.models import Bill, BillLine
from millbook_billing.purchase_orders import repository as purchase_orders
from millbook_billing.settings.exchange_rates import documents as exchange_rates
from millbook_billing.suppliers.repository import SupplierRecord
from millbook_billing.suppliers.service import supplier_of
from millbook_billing.tenants.service import base_currency
from millbook_platform.errors import ValidationFailed, field_error

ZERO = Decimal(0)


async def new_bill(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    body: BillCreate,
    *,
    document_id: uuid.UUID | None = None,
) -> Bill:
    """The draft bill a request describes (not yet added to the session), totals included."""
    supplier = await supplier_of(session, tenant_id, body.supplier_id)
    currency = await _currency(session, tenant_id, body, supplier)
    _lines_need_order(body.line_items, body.purchase_order_id)
    base = await base_currency(session, tenant_id)
    terms = body.payment_terms or supplier.payment_terms or domain.DEFAULT_PAYMENT_TERMS
    bill = Bill(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        bill_number=body.bill_number,
        supplier_id=supplier.id,
        supplier_name=supplier.name,
        purchase_order_id=body.purchase_order_id,
        status=BillStatus.DRAFT.value,
        bill_date=body.bill_date,
        due_date=body.due_date or domain.due_date_for(body.bill_date, terms),
        payment_terms=terms,
        currency_code=currency,
        exchange_rate=await exchange_rates.document_rate(
            session, tenant_id, currency, body.bill_date, body.exchange_rate, base=base
        ),
        base_currency=base,
        paid_amount=ZERO,
        notes=body.notes,
        document_id=document_id,
    )
    _set_totals(bill, body.line_items)
    return bill


async def _currency(
    session: AsyncSession, tenant_id: uuid.UUID, body: BillCreate, supplier: SupplierRecord
) -> str:
    """The given currency, else the PO's, else the supplier's; the PO must be the supplier's."""
    if body.purchase_order_id is None:
        return body.currency_code or supplier.currency_code
    order = await purchase_orders.get(session, tenant_id, body.purchase_order_id)
    if order is None:
        # Not here even after `create_bill`'s brief wait: the bill waits in `pending` matching.
        return body.currency_code or supplier.currency_code
    if order.supplier_id != supplier.id:
        raise ValidationFailed(
            "The purchase order is another supplier's.",
            details=[field_error("purchase_order_id", f"ordered from {order.supplier_name}")],
        )
    return body.currency_code or order.currency_code


def _lines_need_order(lines: Sequence[BillLineIn], purchase_order_id: uuid.UUID | None) -> None:
    if purchase_order_id is not None:
        return
    for index, line in enumerate(lines):
        if line.po_line_number is not None:
            raise ValidationFailed(
                "A line against a PO line needs the bill's purchase_order_id.",
                details=[field_error(f"line_items[{index}].po_line_number", "no purchase order")],
            )


def line_in(line: BillLineIn | BillLine) -> LineIn:
    """The line's pricing; a stored line carries the tax it was entered with."""
    return LineIn(
        line.quantity,
        line.unit_price,
        line.tax_rate,
        line.po_line_number,
        line.expense_category,
        line.tax_amount,
    )


def line_totals(line: BillLineIn, currency: str, index: int) -> tuple[Decimal, Decimal, Decimal]:
    """The line's (subtotal, tax, total); a tax amount it cannot carry is a 422 naming it."""
    try:
        return domain.line_totals(line_in(line), currency)
    except domain.PrintedTaxRefused as exc:
        raise ValidationFailed(
            f"Line {index + 1}'s tax amount does not fit its net and tax rate.",
            details=[field_error(f"line_items[{index}].tax_amount", str(exc))],
        ) from exc


def _set_totals(bill: Bill, lines: Sequence[BillLineIn]) -> None:
    subtotal = tax = total = ZERO
    for index, line in enumerate(lines):
        line_subtotal, line_tax, line_total = line_totals(line, bill.currency_code, index)
        subtotal, tax, total = subtotal + line_subtotal, tax + line_tax, total + line_total
    bill.subtotal, bill.tax_amount, bill.total_amount = subtotal, tax, total
    bill.balance_amount = total - bill.paid_amount


def bill_lines(bill: Bill, lines: Sequence[BillLineIn]) -> list[BillLine]:
    rows = []
    for number, line in enumerate(lines, start=1):
        subtotal, tax, total = line_totals(line, bill.currency_code, number - 1)
        rows.append(
            BillLine(
                id=uuid.uuid4(),
                tenant_id=bill.tenant_id,
                bill_id=bill.id,
                line_number=number,
                po_line_number=line.po_line_number,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                expense_category=line.expense_category,
                subtotal=subtotal,
                tax_amount=tax,
                total_amount=total,
            )
        )
    return rows


async def apply_patch(
    session: AsyncSession, bill: Bill, body: BillPatch, base: str
) -> list[BillLine]:
    """Apply a draft's changes; returns its lines (replaced when the patch has lines)."""
    changes = body.model_dump(exclude_unset=True, exclude={"line_items"})
    for name in ("bill_number", "bill_date", "notes", "payment_terms"):
        if name in changes and (changes[name] is not None or name == "notes"):
            setattr(bill, name, changes[name])
    if "exchange_rate" in changes:  # null: the tenant's rate on the (new) bill date
        bill.exchange_rate = await exchange_rates.document_rate(
            session,
            bill.tenant_id,
            bill.currency_code,
            bill.bill_date,
            body.exchange_rate,
            base=base,
        )
    if body.due_date is not None:
        bill.due_date = body.due_date
    elif "bill_date" in changes or "payment_terms" in changes:
        terms = bill.payment_terms or domain.DEFAULT_PAYMENT_TERMS
        bill.due_date = domain.due_date_for(bill.bill_date, terms)
    if bill.due_date < bill.bill_date:
        raise ValidationFailed(
            "The due date is before the bill date.",
            details=[field_error("due_date", "must not be before bill_date")],
        )
    if body.line_items is None:
        return (await repository.lines_of(session, bill.tenant_id, [bill.id]))[bill.id]
    _lines_need_order(body.line_items, bill.purchase_order_id)
    await repository.delete_lines(session, bill.tenant_id, bill.id)
    _set_totals(bill, body.line_items)
    lines = bill_lines(bill, body.line_items)
    session.add_all(lines)
    await session.flush()
    return lines
