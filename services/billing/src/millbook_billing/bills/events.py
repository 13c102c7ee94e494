"""Mapping from bill changes to contract events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from millbook_billing.models import Bill, BillLine
from millbook_contracts import payables
from millbook_platform.db import utcnow


def _facts(bill: Bill) -> dict[str, Any]:
    return {
        "bill_id": bill.id,
        "internal_number": bill.internal_number,
        "bill_number": bill.bill_number,
        "supplier_id": bill.supplier_id,
        "supplier_name": bill.supplier_name,
        "purchase_order_id": bill.purchase_order_id,
        "status": bill.status,
        "bill_date": bill.bill_date,
        "due_date": bill.due_date,
        "currency_code": bill.currency_code,
        "exchange_rate": bill.exchange_rate,
        "subtotal": bill.subtotal,
        "tax_amount": bill.tax_amount,
        "total_amount": bill.total_amount,
        "paid_amount": bill.paid_amount,
        "balance_amount": bill.balance_amount,
        "occurred_at": utcnow(),
    }


def _lines(lines: Sequence[BillLine]) -> list[payables.BillLine]:
    return [
        payables.BillLine(
            line_number=line.line_number,
            po_line_number=line.po_line_number,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            expense_category=line.expense_category,
            subtotal=line.subtotal,
            tax_amount=line.tax_amount,
            total_amount=line.total_amount,
        )
        for line in lines
    ]


def bill_created(bill: Bill, lines: Sequence[BillLine], origin: str) -> payables.BillCreated:
    return payables.BillCreated(**_facts(bill), lines=_lines(lines), origin=origin)


def bill_updated(bill: Bill, lines: Sequence[BillLine]) -> payables.BillUpdated:
    return payables.BillUpdated(**_facts(bill), lines=_lines(lines))


def bill_deleted(bill: Bill) -> payables.BillDeleted:
    return payables.BillDeleted(**_facts(bill))


def bill_approved(
    bill: Bill, lines: Sequence[BillLine], match_result: str | None
) -> payables.BillApproved:
    return payables.BillApproved(
        **_facts(bill),
        lines=_lines(lines),
        match_result=match_result,
        override_reason=bill.override_reason,
    )


def bill_paid(bill: Bill) -> payables.BillPaid:
    assert bill.paid_at is not None
    return payables.BillPaid(**_facts(bill), paid_at=bill.paid_at)


def bill_voided(bill: Bill) -> payables.BillVoided:
    return payables.BillVoided(**_facts(bill), reason=bill.void_reason)
