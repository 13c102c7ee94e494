"""Pricing use cases: the tenant's rate card and calculation (see `drafts` for quotations)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform import money
from millbook_platform.errors import ValidationFailed, field_error
from millbook_sales.models import PricingSettings as PricingSettingsRow
from millbook_sales.pricing import domain, repository
from millbook_sales.pricing.domain import (
    Breakdown,
    ComplexityRate,
    HistorySample,
    MaterialPrice,
    MaterialUnit,
    Part,
    PricingInputError,
    PricingRates,
)
from millbook_sales.pricing.schemas import (
    ComplexityLevel,
    LineBreakdown,
    MaterialPriceIn,
    PricingLineIn,
    PricingRequest,
    PricingResult,
    PricingSettings,
    PricingSettingsIn,
)


def plain(value: Decimal) -> Decimal:
    """`30.0000` as `30`, never `3E+1`: without trailing zeros, in plain notation."""
    return Decimal(format(value.normalize(), "f"))


@dataclass(frozen=True)
class PricedItem:
    index: int
    item: PricingLineIn
    part: Part
    breakdown: Breakdown


# Settings -----------------------------------------------------------------------------


def rates_of(row: PricingSettingsRow | None) -> PricingRates:
    if row is None:
        return domain.DEFAULT_RATES
    complexity = {
        key: ComplexityRate(Decimal(v["hours_per_unit"]), Decimal(v["multiplier"]))
        for key, v in row.complexity.items()
    }
    materials = {
        key: MaterialPrice(
            Decimal(v["price"]),
            MaterialUnit(v["unit"]),
            Decimal(v["density_g_cm3"]) if v.get("density_g_cm3") is not None else None,
        )
        for key, v in row.materials.items()
    }
    return PricingRates(
        currency_code=row.currency_code,
        machine_hourly_rate=row.machine_hourly_rate,
        labor_hourly_rate=row.labor_hourly_rate,
        overhead_percent=row.overhead_percent,
        default_margin_percent=row.default_margin_percent,
        complexity=complexity,
        materials=materials,
    )


def settings_view(rates: PricingRates, row: PricingSettingsRow | None) -> PricingSettings:
    currency = rates.currency_code
    return PricingSettings(
        currency_code=currency,
        machine_hourly_rate=money.round_money(rates.machine_hourly_rate, currency),
        labor_hourly_rate=money.round_money(rates.labor_hourly_rate, currency),
        overhead_percent=plain(rates.overhead_percent),
        default_margin_percent=plain(rates.default_margin_percent),
        complexity={
            key: ComplexityLevel(
                hours_per_unit=plain(level.hours_per_unit),
                multiplier=plain(level.multiplier),
            )
            for key, level in rates.complexity.items()
        },
        materials={
            key: MaterialPriceIn(
                price=plain(material.price),
                unit=material.unit,
                density_g_cm3=material.density_g_cm3,
            )
            for key, material in rates.materials.items()
        },
        is_default=row is None,
        updated_at=row.updated_at if row else None,
        updated_by=row.updated_by if row else None,
    )


async def get_settings(session: AsyncSession, tenant_id: uuid.UUID) -> PricingSettings:
    row = await repository.settings_of(session, tenant_id)
    return settings_view(rates_of(row), row)


async def replace_settings(
    session: AsyncSession, tenant_id: uuid.UUID, body: PricingSettingsIn, *, actor: str
) -> PricingSettings:
    rates = _rates_from_body(body)
    problems = domain.check_rates(rates)
    if problems:
        raise ValidationFailed(
            "These pricing settings cannot be used.",
            details=[field_error(name, message) for name, message in problems],
        )
    values = {
        "currency_code": rates.currency_code,
        "machine_hourly_rate": rates.machine_hourly_rate,
        "labor_hourly_rate": rates.labor_hourly_rate,
        "overhead_percent": rates.overhead_percent,
        "default_margin_percent": rates.default_margin_percent,
        "complexity": {k: level.model_dump(mode="json") for k, level in body.complexity.items()},
        "materials": {
            domain.normalize_material(k): m.model_dump(mode="json")
            for k, m in body.materials.items()
        },
        "updated_by": actor,
    }
    row = await repository.save_settings(session, tenant_id, values)
    return settings_view(rates_of(row), row)


def _rates_from_body(body: PricingSettingsIn) -> PricingRates:
    return PricingRates(
        currency_code=body.currency_code,
        machine_hourly_rate=body.machine_hourly_rate,
        labor_hourly_rate=body.labor_hourly_rate,
        overhead_percent=body.overhead_percent,
        default_margin_percent=body.default_margin_percent,
        complexity={
            key: ComplexityRate(level.hours_per_unit, level.multiplier)
            for key, level in body.complexity.items()
        },
        materials={
            domain.normalize_material(key): MaterialPrice(m.price, m.unit, m.density_g_cm3)
            for key, m in body.materials.items()
        },
    )


# Calculation --------------------------------------------------------------------------


async def calculate(
    session: AsyncSession, tenant_id: uuid.UUID, body: PricingRequest
) -> PricingResult:
    rates = rates_of(await repository.settings_of(session, tenant_id))
    priced = await price_items(session, tenant_id, rates, body)
    return result_of(rates.currency_code, priced, quotation_id=None, applied=False)


async def price_items(
    session: AsyncSession, tenant_id: uuid.UUID, rates: PricingRates, body: PricingRequest
) -> list[PricedItem]:
    margin = (
        body.desired_margin_percent
        if body.desired_margin_percent is not None
        else rates.default_margin_percent
    )
    priced, errors = [], []
    for index, item in enumerate(body.line_items):
        part = _part_of(item)
        try:
            samples = await repository.similar_accepted_work(
                session, tenant_id, part.material_type, part.complexity
            )
            history = [HistorySample(quantity, hours) for quantity, hours in samples]
            estimate = domain.estimate_hours(part, rates, history)
            breakdown = domain.price_part(part, rates, estimate, margin)
        except PricingInputError as exc:
            prefix = "" if exc.field == "desired_margin_percent" else f"line_items[{index}]."
            errors.append(field_error(prefix + exc.field, exc.message))
            continue
        priced.append(PricedItem(index, item, part, breakdown))
    if errors:
        raise ValidationFailed("Some line items cannot be priced.", details=errors)
    return priced


def _part_of(item: PricingLineIn) -> Part:
    spec = item.specifications
    dimensions = spec.dimensions_mm
    return Part(
        material_type=domain.normalize_material(item.material_type),
        complexity=domain.normalize_complexity(item.machining_complexity),
        quantity=item.quantity,
        weight_kg=spec.weight_kg,
        dimensions_mm=(dimensions.length, dimensions.width, dimensions.height)
        if dimensions
        else None,
    )


def result_of(
    currency: str, priced: Sequence[PricedItem], *, quotation_id: uuid.UUID | None, applied: bool
) -> PricingResult:
    lines = [_line_view(p) for p in priced]
    return PricingResult(
        quotation_id=quotation_id,
        currency_code=currency,
        pricing_breakdown=lines,
        total_cost=sum((p.breakdown.total_cost for p in priced), Decimal(0)),
        total_amount=sum((p.breakdown.line_amount for p in priced), Decimal(0)),
        applied=applied,
    )


def _line_view(priced: PricedItem) -> LineBreakdown:
    b = priced.breakdown
    return LineBreakdown(
        line_item_index=priced.index,
        line_number=priced.item.line_number,
        product_name=priced.item.product_name,
        material_type=priced.part.material_type,
        machining_complexity=priced.part.complexity,
        quantity=plain(priced.part.quantity),
        material_cost=b.material_cost,
        machining_time_hours=b.machining_time_hours,
        machine_cost=b.machine_cost,
        labor_cost=b.labor_cost,
        overhead=b.overhead,
        total_cost=b.total_cost,
        suggested_price=b.suggested_price,
        unit_price=b.unit_price,
        line_amount=b.line_amount,
        margin_percent=plain(b.margin_percent),
        confidence_score=b.confidence_score,
        estimate_source=b.estimate_source,
        history_sample_size=b.history_sample_size,
    )
