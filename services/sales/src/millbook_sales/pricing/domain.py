"""Pricing a machined part: material, machine and labor hours, overhead, margin (pure, no I/O).

The model, in the shop's own numbers (`PricingRates`, per tenant):

- material cost: a material priced per unit is `price x quantity`; one priced per kg is
  `price x weight_kg x quantity`, the weight per part given or computed from the stock
  block `dimensions_mm` and the material's density;
- machining hours: from the tenant's own accepted quotations of the same material and
  complexity when there are at least `MIN_HISTORY` of them (median hours per unit x
  quantity), else from the complexity table (`hours_per_unit x quantity`);
- machine cost: hours x machine rate x the complexity's multiplier (complex work runs on
  costlier machines and setups); labor cost: hours x labor rate;
- overhead: `overhead_percent` of the conversion cost (machine + labor), as job shops
  usually load it, not of the material;
- suggested price (for the line): total cost / (1 - margin); the unit price is that over the
  quantity, rounded *up* to the currency's minor unit so rounding never eats the margin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum

from millbook_platform.money import minor_unit, round_money

HUNDRED = Decimal(100)
HOURS = Decimal("0.01")
SCORE = Decimal("0.01")
MIN_HISTORY = 3
# A complexity-table estimate knows nothing about this shop's real times: a low score by rule.
TABLE_CONFIDENCE = Decimal("0.40")


class Complexity(StrEnum):
    SIMPLE = "simple"
    MEDIUM = "medium"
    COMPLEX = "complex"
    VERY_COMPLEX = "very_complex"


# Names other documents use for the same levels.
COMPLEXITY_ALIASES = {
    "moderate": Complexity.MEDIUM,
    "low": Complexity.SIMPLE,
    "high": Complexity.COMPLEX,
}


class MaterialUnit(StrEnum):
    KG = "kg"
    UNIT = "unit"


class EstimateSource(StrEnum):
    HISTORY = "history"
    COMPLEXITY_TABLE = "complexity_table"


@dataclass(frozen=True)
class ComplexityRate:
    hours_per_unit: Decimal
    multiplier: Decimal


@dataclass(frozen=True)
class MaterialPrice:
    price: Decimal
    unit: MaterialUnit
    density_g_cm3: Decimal | None = None


@dataclass(frozen=True)
class PricingRates:
    currency_code: str
    machine_hourly_rate: Decimal
    labor_hourly_rate: Decimal
    overhead_percent: Decimal
    default_margin_percent: Decimal
    complexity: Mapping[str, ComplexityRate]
    materials: Mapping[str, MaterialPrice]


DEFAULT_RATES = PricingRates(
    currency_code="USD",
    machine_hourly_rate=Decimal("85.00"),
    labor_hourly_rate=Decimal("45.00"),
    overhead_percent=Decimal("30"),
    default_margin_percent=Decimal("30"),
    complexity={
        Complexity.SIMPLE: ComplexityRate(Decimal("0.10"), Decimal("1.00")),
        Complexity.MEDIUM: ComplexityRate(Decimal("0.25"), Decimal("1.15")),
        Complexity.COMPLEX: ComplexityRate(Decimal("0.60"), Decimal("1.35")),
        Complexity.VERY_COMPLEX: ComplexityRate(Decimal("1.50"), Decimal("1.60")),
    },
    materials={
        "aluminum": MaterialPrice(Decimal("6.50"), MaterialUnit.KG, Decimal("2.70")),
        "steel": MaterialPrice(Decimal("3.20"), MaterialUnit.KG, Decimal("7.85")),
        "stainless_steel": MaterialPrice(Decimal("7.80"), MaterialUnit.KG, Decimal("8.00")),
        "brass": MaterialPrice(Decimal("9.50"), MaterialUnit.KG, Decimal("8.50")),
        "titanium": MaterialPrice(Decimal("38.00"), MaterialUnit.KG, Decimal("4.43")),
        "plastic": MaterialPrice(Decimal("4.00"), MaterialUnit.KG, Decimal("1.20")),
    },
)


class PricingInputError(ValueError):
    """A part that cannot be priced with these rates; `field` names the input at fault."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Part:
    material_type: str
    complexity: str
    quantity: Decimal
    weight_kg: Decimal | None = None
    dimensions_mm: tuple[Decimal, Decimal, Decimal] | None = None


@dataclass(frozen=True)
class HistorySample:
    """One accepted quotation line of the same material and complexity."""

    quantity: Decimal
    hours: Decimal


@dataclass(frozen=True)
class HoursEstimate:
    hours: Decimal
    source: EstimateSource
    sample_size: int
    confidence: Decimal


@dataclass(frozen=True)
class Breakdown:
    material_cost: Decimal
    machining_time_hours: Decimal
    machine_cost: Decimal
    labor_cost: Decimal
    overhead: Decimal
    total_cost: Decimal
    suggested_price: Decimal
    unit_price: Decimal
    line_amount: Decimal
    margin_percent: Decimal
    confidence_score: Decimal
    estimate_source: EstimateSource
    history_sample_size: int


def normalize_material(name: str) -> str:
    """`Stainless Steel` and `stainless-steel` are the same key: `stainless_steel`."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def normalize_complexity(name: str) -> str:
    key = normalize_material(name)
    return str(COMPLEXITY_ALIASES.get(key, key))


def material_cost(part: Part, rates: PricingRates) -> Decimal:
    material = rates.materials.get(part.material_type)
    if material is None:
        known = ", ".join(sorted(rates.materials)) or "none"
        raise PricingInputError(
            "material_type", f"no price for {part.material_type!r}; known: {known}"
        )
    if material.unit == MaterialUnit.UNIT:
        return round_money(material.price * part.quantity, rates.currency_code)
    weight = part_weight_kg(part, material)
    return round_money(material.price * weight * part.quantity, rates.currency_code)


def part_weight_kg(part: Part, material: MaterialPrice) -> Decimal:
    if part.weight_kg is not None:
        return part.weight_kg
    if part.dimensions_mm is None:
        raise PricingInputError(
            "specifications",
            f"{part.material_type} is priced per kg: give weight_kg or dimensions_mm",
        )
    if material.density_g_cm3 is None:
        raise PricingInputError(
            "specifications", f"no density for {part.material_type}: give weight_kg"
        )
    length, width, height = part.dimensions_mm
    # mm³ x g/cm³ = 1e-3 g; / 1e6 gives kg
    return length * width * height * material.density_g_cm3 / Decimal(1_000_000)


def complexity_rate(part: Part, rates: PricingRates) -> ComplexityRate:
    rate = rates.complexity.get(part.complexity)
    if rate is None:
        known = ", ".join(sorted(rates.complexity))
        raise PricingInputError(
            "machining_complexity", f"unknown complexity {part.complexity!r}; known: {known}"
        )
    return rate


def hours_from_table(part: Part, rates: PricingRates) -> HoursEstimate:
    rate = complexity_rate(part, rates)
    hours = (rate.hours_per_unit * part.quantity).quantize(HOURS, ROUND_HALF_UP)
    return HoursEstimate(hours, EstimateSource.COMPLEXITY_TABLE, 0, TABLE_CONFIDENCE)


def median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def history_confidence(per_unit_hours: Sequence[Decimal]) -> Decimal:
    """Grows with the sample size, shrinks with its spread.

    size = 1 - 1/√n (3 samples: 0.42, 9: 0.67, 100: 0.90); consistency = 1 / (1 + d), with
    d the median absolute deviation relative to the median (robust to one odd job).
    """
    n = len(per_unit_hours)
    if n == 0:
        return Decimal(0)
    center = median(per_unit_hours)
    spread = median([abs(value - center) for value in per_unit_hours])
    relative = spread / center if center > 0 else Decimal(1)
    size = Decimal(1) - Decimal(1) / Decimal(math.sqrt(n))
    score = size / (Decimal(1) + relative)
    return min(max(score, Decimal(0)), Decimal(1)).quantize(SCORE, ROUND_HALF_UP)


def hours_from_history(samples: Sequence[HistorySample], quantity: Decimal) -> HoursEstimate | None:
    """Median hours per unit of similar accepted lines x quantity; None below `MIN_HISTORY`."""
    per_unit = [s.hours / s.quantity for s in samples if s.quantity > 0]
    if len(per_unit) < MIN_HISTORY:
        return None
    hours = (median(per_unit) * quantity).quantize(HOURS, ROUND_HALF_UP)
    return HoursEstimate(hours, EstimateSource.HISTORY, len(per_unit), history_confidence(per_unit))


def estimate_hours(
    part: Part, rates: PricingRates, history: Sequence[HistorySample]
) -> HoursEstimate:
    complexity_rate(part, rates)  # an unknown complexity is an error even with history
    return hours_from_history(history, part.quantity) or hours_from_table(part, rates)


def check_margin(margin_percent: Decimal) -> None:
    if not Decimal(0) <= margin_percent < HUNDRED:
        raise PricingInputError("desired_margin_percent", "must be at least 0 and below 100")


def price_part(
    part: Part, rates: PricingRates, estimate: HoursEstimate, margin_percent: Decimal
) -> Breakdown:
    """The seed's breakdown for one line, every amount rounded to the currency."""
    check_margin(margin_percent)
    if part.quantity <= 0:
        raise PricingInputError("quantity", "must be greater than 0")
    currency = rates.currency_code
    rate = complexity_rate(part, rates)
    material = material_cost(part, rates)
    machine = round_money(estimate.hours * rates.machine_hourly_rate * rate.multiplier, currency)
    labor = round_money(estimate.hours * rates.labor_hourly_rate, currency)
    overhead = round_money((machine + labor) * rates.overhead_percent / HUNDRED, currency)
    total = material + machine + labor + overhead
    suggested = round_money(total / (Decimal(1) - margin_percent / HUNDRED), currency)
    unit_price = (suggested / part.quantity).quantize(minor_unit(currency), ROUND_CEILING)
    return Breakdown(
        material_cost=material,
        machining_time_hours=estimate.hours,
        machine_cost=machine,
        labor_cost=labor,
        overhead=overhead,
        total_cost=total,
        suggested_price=suggested,
        unit_price=unit_price,
        line_amount=round_money(unit_price * part.quantity, currency),
        margin_percent=margin_percent,
        confidence_score=estimate.confidence,
        estimate_source=estimate.source,
        history_sample_size=estimate.sample_size,
    )


def check_rates(rates: PricingRates) -> list[tuple[str, str]]:
    """Every problem with a tenant's rates as (field, message); empty when they are usable."""
    problems: list[tuple[str, str]] = []
    for name in ("machine_hourly_rate", "labor_hourly_rate", "overhead_percent"):
        if getattr(rates, name) < 0:
            problems.append((name, "must not be negative"))
    if not Decimal(0) <= rates.default_margin_percent < HUNDRED:
        problems.append(("default_margin_percent", "must be at least 0 and below 100"))
    for key, level in rates.complexity.items():
        if key not in {c.value for c in Complexity}:
            known = ", ".join(c.value for c in Complexity)
            problems.append((f"complexity.{key}", f"unknown level; choose from {known}"))
        if level.hours_per_unit < 0 or level.multiplier < 0:
            problems.append(
                (f"complexity.{key}", "hours_per_unit and multiplier must not be negative")
            )
    missing = sorted(set(Complexity) - set(rates.complexity))
    if missing:
        problems.append(("complexity", f"missing levels: {', '.join(missing)}"))
    for key, material in rates.materials.items():
        if material.price < 0:
            problems.append((f"materials.{key}.price", "must not be negative"))
        if material.density_g_cm3 is not None and material.density_g_cm3 <= 0:
            problems.append((f"materials.{key}.density_g_cm3", "must be greater than 0"))
    return problems
