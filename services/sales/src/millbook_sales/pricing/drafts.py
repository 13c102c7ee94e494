"""Pricing a quotation: preview its parts' prices, or write them into a draft's lines.

Writing recomputes each line's amounts and the quotation's totals exactly as quotations
do (`millbook_platform.money`: half-up per line, totals as sums of rounded lines), and
records one estimate per line: once the quotation is accepted, those are the history
later calculations learn hours from.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_contracts.sales import PricedLine, QuotationPriced
from millbook_platform import money
from millbook_platform.db import utcnow
from millbook_platform.errors import InvalidTransition, ValidationFailed, field_error
from millbook_platform.money import LinePrice
from millbook_platform.outbox import record_event
from millbook_sales.models import PricingEstimate, Quotation, QuotationLine
from millbook_sales.pricing import repository, service
from millbook_sales.pricing.domain import PricingRates
from millbook_sales.pricing.schemas import PricingResult, QuotationPricingRequest
from millbook_sales.pricing.service import PricedItem
from millbook_sales.quotations import events as quotation_events
from millbook_sales.quotations.domain import is_editable
from millbook_sales.quotations.service import get_quotation


async def calculate_for_quotation(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    quotation_id: uuid.UUID,
    body: QuotationPricingRequest,
    *,
    source: str,
) -> PricingResult:
    """Price the items; with `apply`, write them into the draft's lines and re-total it."""
    current = await get_quotation(session, tenant_id, quotation_id, lock=body.apply)
    quotation = current.quotation
    if body.apply and not is_editable(quotation.status):
        raise InvalidTransition(
            f"Prices can be written only into a draft; this quotation is {quotation.status}.",
            details=[field_error("status", quotation.status)],
        )
    rates = service.rates_of(await repository.settings_of(session, tenant_id))
    priced = await service.price_items(session, tenant_id, rates, body)
    if body.apply:
        await _apply(session, quotation, current.lines, priced, rates, source=source)
    return service.result_of(
        rates.currency_code, priced, quotation_id=quotation.id, applied=body.apply
    )


async def _apply(
    session: AsyncSession,
    quotation: Quotation,
    lines: Sequence[QuotationLine],
    priced: Sequence[PricedItem],
    rates: PricingRates,
    *,
    source: str,
) -> None:
    if quotation.currency_code != rates.currency_code:
        raise ValidationFailed(
            f"The pricing settings are in {rates.currency_code}; "
            f"this quotation is in {quotation.currency_code}.",
            details=[field_error("currency_code", quotation.currency_code)],
        )
    targets = _target_lines(lines, priced)
    for p in priced:
        _write_line(targets[p.index], p, quotation.currency_code)
    total = money.document_amounts([_line_price(line) for line in lines], quotation.currency_code)
    for name, value in vars(total).items():
        setattr(quotation, name, value)
    estimates = [_estimate(quotation, targets[p.index].line_number, p) for p in priced]
    await repository.replace_estimates(session, quotation.tenant_id, quotation.id, estimates)
    record_event(
        session,
        _priced_event(quotation, lines, priced, targets),
        tenant_id=quotation.tenant_id,
        source=source,
    )


def _target_lines(
    lines: Sequence[QuotationLine], priced: Sequence[PricedItem]
) -> dict[int, QuotationLine]:
    """Each item's quotation line: its `line_number`, else the line at its position."""
    by_number = {line.line_number: line for line in lines}
    targets: dict[int, QuotationLine] = {}
    errors, seen = [], set()
    for p in priced:
        number = p.item.line_number or p.index + 1
        field = f"line_items[{p.index}].line_number"
        if number not in by_number:
            errors.append(field_error(field, f"the quotation has no line {number}"))
        elif number in seen:
            errors.append(field_error(field, f"line {number} is priced twice"))
        else:
            targets[p.index] = by_number[number]
        seen.add(number)
    if errors:
        raise ValidationFailed("Some items do not match a line of the quotation.", details=errors)
    return targets


def _write_line(line: QuotationLine, priced: PricedItem, currency: str) -> None:
    b = priced.breakdown
    if priced.item.product_name:
        line.product_name = priced.item.product_name
    line.quantity = priced.part.quantity
    line.unit_price = b.unit_price
    line.estimated_hours = b.machining_time_hours
    line.material_cost = b.material_cost
    for name, value in vars(money.line_amounts(_line_price(line), currency)).items():
        setattr(line, name, value)


def _line_price(line: QuotationLine) -> LinePrice:
    return LinePrice(line.quantity, line.unit_price, line.discount_percent, line.tax_rate)


def _estimate(quotation: Quotation, line_number: int, priced: PricedItem) -> PricingEstimate:
    return PricingEstimate(
        id=uuid.uuid4(),
        tenant_id=quotation.tenant_id,
        quotation_id=quotation.id,
        line_number=line_number,
        material_type=priced.part.material_type,
        machining_complexity=priced.part.complexity,
        quantity=priced.part.quantity,
        machining_hours=priced.breakdown.machining_time_hours,
        estimate_source=priced.breakdown.estimate_source.value,
        unit_price=priced.breakdown.unit_price,
        currency_code=quotation.currency_code,
    )


def _priced_event(
    quotation: Quotation,
    lines: Sequence[QuotationLine],
    priced: Sequence[PricedItem],
    targets: Mapping[int, QuotationLine],
) -> QuotationPriced:
    facts: list[dict[str, Any]] = [
        {
            "line_number": targets[p.index].line_number,
            "material_type": p.part.material_type,
            "machining_complexity": p.part.complexity,
            "quantity": service.plain(p.part.quantity),
            "machining_hours": p.breakdown.machining_time_hours,
            "material_cost": p.breakdown.material_cost,
            "total_cost": p.breakdown.total_cost,
            "unit_price": p.breakdown.unit_price,
            "margin_percent": service.plain(p.breakdown.margin_percent),
            "estimate_source": p.breakdown.estimate_source.value,
            "confidence_score": p.breakdown.confidence_score,
        }
        for p in priced
    ]
    return QuotationPriced(
        quotation_id=quotation.id,
        customer_id=quotation.customer_id,
        priced_lines=[PricedLine(**fact) for fact in facts],
        lines=quotation_events.document_lines(lines, quotation.currency_code),
        totals=quotation_events.totals(quotation),
        occurred_at=utcnow(),
    )
