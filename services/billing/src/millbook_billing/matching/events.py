"""Mapping from a stored match to its contract event."""

from __future__ import annotations

from decimal import Decimal

from millbook_billing.models import Bill, MatchingResult
from millbook_contracts.payables import MatchingCompleted, MatchingVariance
from millbook_platform.db import utcnow


def matching_completed(result: MatchingResult, bill: Bill) -> MatchingCompleted:
    return MatchingCompleted(
        matching_id=result.id,
        bill_id=bill.id,
        purchase_order_id=result.purchase_order_id,
        supplier_id=bill.supplier_id,
        result=result.status,
        currency_code=bill.currency_code,
        price_tolerance=result.price_tolerance,
        quantity_tolerance=result.quantity_tolerance,
        variances=[
            MatchingVariance(
                kind=item["kind"],
                po_line_number=item["po_line_number"],
                bill_line_number=item["bill_line_number"],
                expected=_decimal(item["expected"]),
                actual=_decimal(item["actual"]),
                amount=Decimal(item["amount"]),
                variance_percent=_decimal(item["variance_percent"]),
                blocking=item["blocking"],
            )
            for item in result.variances
        ],
        occurred_at=utcnow(),
    )


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)
