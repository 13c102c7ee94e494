"""Pricing rules: material, hours from history or the complexity table, cost, margin, confidence."""

from dataclasses import replace
from decimal import Decimal as D

import pytest

from millbook_sales.pricing import domain
from millbook_sales.pricing.domain import (
    ComplexityRate,
    EstimateSource,
    HistorySample,
    MaterialPrice,
    MaterialUnit,
    Part,
    PricingInputError,
    PricingRates,
)

RATES = PricingRates(
    currency_code="USD",
    machine_hourly_rate=D("100"),
    labor_hourly_rate=D("50"),
    overhead_percent=D("20"),
    default_margin_percent=D("30"),
    complexity={
        "simple": ComplexityRate(D("0.05"), D("1")),
        "medium": ComplexityRate(D("0.1"), D("1.5")),
        "complex": ComplexityRate(D("0.5"), D("2")),
        "very_complex": ComplexityRate(D("1"), D("3")),
    },
    materials={
        "aluminum": MaterialPrice(D("6.50"), MaterialUnit.KG, D("2.70")),
        "bar_stock": MaterialPrice(D("5"), MaterialUnit.UNIT),
        "exotic": MaterialPrice(D("90"), MaterialUnit.KG),
    },
)


def part(**overrides) -> Part:
    values = {"material_type": "bar_stock", "complexity": "medium", "quantity": D(100)}
    return Part(**{**values, **overrides})


def samples(*per_unit: str, quantity: str = "10") -> list[HistorySample]:
    return [HistorySample(D(quantity), D(p) * D(quantity)) for p in per_unit]


def test_a_table_priced_part_adds_material_machine_labor_and_overhead_then_the_margin():
    estimate = domain.hours_from_table(part(), RATES)
    b = domain.price_part(part(), RATES, estimate, D("30"))
    assert (b.material_cost, b.machining_time_hours) == (D("500.00"), D("10.00"))
    assert (b.machine_cost, b.labor_cost, b.overhead) == (D("1500.00"), D("500.00"), D("400.00"))
    assert b.total_cost == D("2900.00")
    assert b.suggested_price == D("4142.86")  # 2900 / 0.70
    assert (b.unit_price, b.line_amount) == (D("41.43"), D("4143.00"))  # rounded up
    assert (b.estimate_source, b.confidence_score) == (EstimateSource.COMPLEXITY_TABLE, D("0.40"))


def test_the_unit_price_never_falls_below_the_margin_through_rounding():
    estimate = domain.hours_from_table(part(quantity=D(3)), RATES)
    b = domain.price_part(part(quantity=D(3)), RATES, estimate, D("30"))
    assert b.unit_price * 3 >= b.suggested_price
    assert b.unit_price * 3 - b.suggested_price < D("0.03")


def test_a_zero_margin_prices_at_cost_and_a_full_margin_is_refused():
    estimate = domain.hours_from_table(part(), RATES)
    assert domain.price_part(part(), RATES, estimate, D(0)).suggested_price == D("2900.00")
    with pytest.raises(PricingInputError) as raised:
        domain.price_part(part(), RATES, estimate, D(100))
    assert raised.value.field == "desired_margin_percent"


def test_a_per_kg_material_uses_the_given_weight_or_the_stock_block_and_density():
    by_weight = part(material_type="aluminum", quantity=D(10), weight_kg=D("0.5"))
    assert domain.material_cost(by_weight, RATES) == D("32.50")
    # 100 x 50 x 20 mm of aluminum is 100 cm3 x 2.70 g/cm3 = 0.27 kg
    block = (D(100), D(50), D(20))
    by_size = part(material_type="aluminum", quantity=D(10), dimensions_mm=block)
    assert domain.material_cost(by_size, RATES) == D("17.55")


def test_a_per_kg_material_without_weight_or_density_names_the_specifications():
    with pytest.raises(PricingInputError) as raised:
        domain.material_cost(part(material_type="aluminum"), RATES)
    assert raised.value.field == "specifications"
    exotic = part(material_type="exotic", dimensions_mm=(D(1), D(1), D(1)))
    with pytest.raises(PricingInputError, match="density"):
        domain.material_cost(exotic, RATES)


def test_an_unknown_material_or_complexity_is_named():
    with pytest.raises(PricingInputError) as raised:
        domain.material_cost(part(material_type="unobtainium"), RATES)
    assert raised.value.field == "material_type"
    with pytest.raises(PricingInputError) as raised:
        domain.estimate_hours(part(complexity="trivial"), RATES, samples("1", "1", "1"))
    assert raised.value.field == "machining_complexity"


def test_names_are_normalized_and_the_seeds_synonyms_accepted():
    assert domain.normalize_material(" Stainless-Steel ") == "stainless_steel"
    assert domain.normalize_complexity("Moderate") == "medium"
    assert domain.normalize_complexity("very complex") == "very_complex"


def test_history_needs_three_similar_jobs():
    assert domain.hours_from_history(samples("0.2", "0.2"), D(10)) is None
    estimate = domain.estimate_hours(part(), RATES, samples("0.2", "0.2"))
    assert estimate.source == EstimateSource.COMPLEXITY_TABLE
    estimate = domain.estimate_hours(part(), RATES, samples("0.2", "0.2", "0.2"))
    assert (estimate.source, estimate.hours, estimate.sample_size) == (
        EstimateSource.HISTORY,
        D("20.00"),
        3,
    )


def test_history_uses_the_median_so_one_odd_job_does_not_move_the_hours():
    estimate = domain.hours_from_history(samples("0.1", "0.1", "0.1", "5.0"), D(20))
    assert estimate is not None
    assert estimate.hours == D("2.00")


def test_hours_per_unit_scale_with_the_quoted_quantity_not_the_historic_one():
    history = [HistorySample(D(10), D(5)), HistorySample(D(100), D(50)), HistorySample(D(4), D(2))]
    estimate = domain.hours_from_history(history, D(30))
    assert estimate is not None
    assert estimate.hours == D("15.00")


def test_confidence_grows_with_the_number_of_similar_jobs():
    three = domain.history_confidence([D("0.1")] * 3)
    nine = domain.history_confidence([D("0.1")] * 9)
    hundred = domain.history_confidence([D("0.1")] * 100)
    assert (three, nine, hundred) == (D("0.42"), D("0.67"), D("0.90"))


def test_confidence_shrinks_with_dispersion():
    tight = domain.history_confidence([D("0.20"), D("0.21"), D("0.19")])
    loose = domain.history_confidence([D("0.1"), D("0.2"), D("0.3")])
    assert loose == D("0.28")  # 0.42 / (1 + 0.1/0.2)
    assert D(0) < loose < tight <= D(1)


def test_the_history_estimate_carries_its_own_confidence_not_the_tables():
    estimate = domain.hours_from_history(samples(*["0.1"] * 16), D(10))
    assert estimate is not None
    assert estimate.confidence == D("0.75")
    b = domain.price_part(part(quantity=D(10)), RATES, estimate, D("30"))
    assert (b.confidence_score, b.history_sample_size) == (D("0.75"), 16)


def test_the_defaults_are_a_complete_usable_rate_card():
    assert domain.check_rates(domain.DEFAULT_RATES) == []


def test_bad_rates_are_each_named():
    bad = replace(
        RATES,
        machine_hourly_rate=D(-1),
        default_margin_percent=D(100),
        complexity={**RATES.complexity, "trivial": ComplexityRate(D(1), D(1))},
        materials={"x": MaterialPrice(D(-2), MaterialUnit.UNIT)},
    )
    fields = {name for name, _ in domain.check_rates(bad)}
    assert fields == {
        "machine_hourly_rate",
        "default_margin_percent",
        "complexity.trivial",
        "materials.x.price",
    }
    missing = replace(RATES, complexity={"simple": ComplexityRate(D(1), D(1))})
    assert [name for name, _ in domain.check_rates(missing)] == ["complexity"]
