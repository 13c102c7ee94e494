"""A completed OCR document (a supplier's invoice) becomes a draft bill.

The supplier is found by the extracted name (or code) in the suppliers read model;
when none or several match, the caller names `supplier_id`. The draft has one line
for the document's net amount in the chosen expense category, which the user can
replace with lines against the purchase order before approving.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.bills import service
from millbook_billing.bills.schemas import BillCreate, BillFromDocument
from millbook_billing.bills.service import BillWithLines
from millbook_billing.documents.repository import get_document
from millbook_billing.suppliers.repository import suppliers_named
from millbook_platform.db import utcnow
from millbook_platform.errors import (
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
    validation_details,
)

COMPLETED = "completed"
TAX_RATE_PLACES = Decimal("0.000001")


async def bill_from_document(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    body: BillFromDocument,
    *,
    source: str,
) -> BillWithLines:
    document = await get_document(session, tenant_id, document_id)
    if document is None:
        raise NotFound(
            "No document with this id.", details=[field_error("document_id", str(document_id))]
        )
    if document.status != COMPLETED:
        raise InvalidTransition(
            f"Only a completed document becomes a bill; this one is {document.status}.",
            details=[field_error("status", document.status)],
        )
    found = _values(document.extracted)
    supplier_id = body.supplier_id or await _supplier_named(session, tenant_id, found)
    request = _bill_request(found, supplier_id, body)
    return await service.create_bill(
        session, tenant_id, request, source=source, document_id=document_id
    )


def _values(extracted: dict[str, Any] | None) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for name, item in (extracted or {}).items():
        value = item.get("value") if isinstance(item, dict) else None
        values[name] = str(value).strip() if value not in (None, "") else None
    return values


async def _supplier_named(
    session: AsyncSession, tenant_id: uuid.UUID, found: dict[str, str | None]
) -> uuid.UUID:
    name = found.get("supplier_name")
    candidates = await suppliers_named(session, tenant_id, name) if name else []
    if len(candidates) == 1:
        return candidates[0].id
    why = (
        "the document names no supplier"
        if not name
        else f"{len(candidates)} suppliers are named {name!r}"
        if candidates
        else f"no supplier is named {name!r}"
    )
    raise ValidationFailed(
        f"Cannot tell which supplier sent this document: {why}. Give supplier_id.",
        details=[field_error("supplier_id", f"required: {why}")],
    )


def _bill_request(
    found: dict[str, str | None], supplier_id: uuid.UUID, body: BillFromDocument
) -> BillCreate:
    number = found.get("document_number")
    if number is None:
        raise ValidationFailed(
            "The document has no invoice number to enter the bill under.",
            details=[field_error("document_number", "not found in the document")],
        )
    total = _amount(found, "total_amount")
    tax = _amount(found, "tax_amount") or Decimal(0)
    net = _amount(found, "subtotal") or (total - tax if total is not None else None)
    if net is None or net < 0:
        raise ValidationFailed(
            "The document has no usable amount.",
            details=[field_error("subtotal", "not found in the document")],
        )
    rate = (tax / net).quantize(TAX_RATE_PLACES) if net > 0 else Decimal(0)
    bill_date = _date(found, "document_date") or utcnow().date()
    due = _date(found, "due_date")
    raw: dict[str, Any] = {
        "supplier_id": supplier_id,
        "purchase_order_id": body.purchase_order_id,
        "bill_number": number,
        "bill_date": bill_date,
        "due_date": due if due is not None and due >= bill_date else None,
        "currency_code": found.get("currency_code"),
        "exchange_rate": body.exchange_rate,
        "line_items": [
            {
                "description": f"Supplier invoice {number}",
                "quantity": Decimal(1),
                "unit_price": net,
                "tax_rate": min(rate, Decimal(1)),
                # The rate is kept to 6 places and cannot reach every cent of a large net:
                # the line carries the document's own tax.
                "tax_amount": tax,
                "expense_category": body.expense_category,
            }
        ],
    }
    try:
        return BillCreate.model_validate(raw)
    except ValidationError as exc:
        raise ValidationFailed(
            "The document's extracted fields do not make a valid bill.",
            details=validation_details(exc.errors()),
        ) from exc


def _amount(found: dict[str, str | None], name: str) -> Decimal | None:
    text = found.get(name)
    if text is None:
        return None
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _date(found: dict[str, str | None], name: str) -> date | None:
    text = found.get(name)
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
