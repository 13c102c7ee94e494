"""The contract events a quotation change becomes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from millbook_contracts.sales import (
    DocumentLine,
    DocumentTotals,
    QuotationAccepted,
    QuotationCreated,
    QuotationDeleted,
    QuotationExpired,
    QuotationRejected,
    QuotationSent,
    QuotationUpdated,
)
from millbook_platform.money import round_money
from millbook_sales.models import Customer, OrderLine, Quotation, QuotationLine


def document_lines(
    lines: Sequence[QuotationLine | OrderLine], currency_code: str
) -> list[DocumentLine]:
    def money(amount: Decimal) -> Decimal:
        return round_money(amount, currency_code)

    return [
        DocumentLine(
            line_number=line.line_number,
            product_name=line.product_name,
            description=line.description,
            quantity=line.quantity.normalize(),
            unit_price=line.unit_price.normalize(),
            discount_percent=line.discount_percent.normalize(),
            tax_rate=line.tax_rate.normalize(),
            subtotal=money(line.subtotal),
            discount_amount=money(line.discount_amount),
            tax_amount=money(line.tax_amount),
            total_amount=money(line.total_amount),
        )
        for line in lines
    ]


def totals(document: Any) -> DocumentTotals:
    return DocumentTotals(
        currency_code=document.currency_code,
        subtotal=round_money(document.subtotal, document.currency_code),
        discount_amount=round_money(document.discount_amount, document.currency_code),
        tax_amount=round_money(document.tax_amount, document.currency_code),
        total_amount=round_money(document.total_amount, document.currency_code),
    )


def _facts(quotation: Quotation, at: datetime) -> dict[str, Any]:
    return {
        "quotation_id": quotation.id,
        "quote_number": quotation.quote_number,
        "customer_id": quotation.customer_id,
        "quotation_date": quotation.quotation_date,
        "valid_until": quotation.valid_until,
        "status": quotation.status,
        "totals": totals(quotation),
        "occurred_at": at,
    }


def quotation_created(quotation: Quotation) -> QuotationCreated:
    return QuotationCreated(
        **_facts(quotation, quotation.created_at), duplicated_from=quotation.duplicated_from
    )


def quotation_sent(
    quotation: Quotation, customer: Customer, lines: Sequence[QuotationLine]
) -> QuotationSent:
    assert quotation.sent_at is not None
    return QuotationSent(
        **_facts(quotation, quotation.sent_at),
        customer_name=customer.name,
        customer_code=customer.customer_code,
        recipient_email=customer.primary_email,
        recipient_name=customer.name,
        payment_terms=quotation.payment_terms,
        lead_time_days=quotation.lead_time_days,
        terms=quotation.terms,
        notes=quotation.notes,
        lines=document_lines(lines, quotation.currency_code),
    )


def quotation_accepted(quotation: Quotation, lines: Sequence[QuotationLine]) -> QuotationAccepted:
    assert quotation.accepted_at is not None
    return QuotationAccepted(
        **_facts(quotation, quotation.accepted_at),
        lines=document_lines(lines, quotation.currency_code),
    )


def quotation_rejected(quotation: Quotation) -> QuotationRejected:
    assert quotation.rejected_at is not None
    return QuotationRejected(
        **_facts(quotation, quotation.rejected_at), reason=quotation.rejection_reason
    )


def quotation_updated(
    quotation: Quotation, lines: Sequence[QuotationLine], changed: list[str]
) -> QuotationUpdated:
    return QuotationUpdated(
        **_facts(quotation, quotation.updated_at),
        changed=changed,
        lines=document_lines(lines, quotation.currency_code),
    )


def quotation_deleted(quotation: Quotation, at: datetime) -> QuotationDeleted:
    return QuotationDeleted(**_facts(quotation, at))


def quotation_expired(quotation: Quotation) -> QuotationExpired:
    assert quotation.expired_at is not None
    return QuotationExpired(**_facts(quotation, quotation.expired_at))
