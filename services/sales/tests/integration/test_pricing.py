"""Pricing: the rate card, calculations, prices written into drafts, learning from history."""

import asyncio

from millbook_testing.callers import error_of, fields_named

from .conftest import events_of


def rate_card(medium_hours: str = "0.1", **overrides) -> dict:
    body = {
        "currency_code": "USD",
        "machine_hourly_rate": "100",
        "labor_hourly_rate": "50",
        "overhead_percent": "20",
        "default_margin_percent": "30",
        "complexity": {
            "simple": {"hours_per_unit": "0.05", "multiplier": "1"},
            "medium": {"hours_per_unit": medium_hours, "multiplier": "1.5"},
            "complex": {"hours_per_unit": "0.5", "multiplier": "2"},
            "very_complex": {"hours_per_unit": "1", "multiplier": "3"},
        },
        "materials": {
            "bar_stock": {"price": "5", "unit": "unit"},
            "Aluminum": {"price": "6.50", "unit": "kg", "density_g_cm3": "2.70"},
        },
    }
    return {**body, **overrides}


async def use_rates(caller, **overrides) -> dict:
    response = await caller.put("/v1/sales/pricing-settings", rate_card(**overrides))
    assert response.status_code == 200, response.text
    return response.json()["data"]


def item(**overrides) -> dict:
    return {
        "product_name": "Bracket",
        "machining_complexity": "medium",
        "material_type": "bar_stock",
        "quantity": 100,
        **overrides,
    }


async def calculate(caller, *items, **extra) -> dict:
    response = await caller.post("/v1/pricing/calculate", {"line_items": list(items), **extra})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def draft(caller) -> dict:
    customer = await caller.created("/v1/customers", {"name": "Acme", "currency_code": "USD"})
    body = {
        "customer_id": customer["id"],
        "quotation_date": "2026-01-15",
        "line_items": [
            {"product_name": "Part", "quantity": 1, "unit_price": "1", "tax_rate": "0.10"},
            {
                "product_name": "Fixture",
                "quantity": "3",
                "unit_price": "0.335",
                "discount_percent": "10",
                "tax_rate": "0.10",
            },
        ],
    }
    return await caller.created("/v1/quotations", body)


async def test_a_tenant_prices_with_defaults_until_it_saves_its_own_rate_card(caller, other_tenant):
    defaults = (await caller.get("/v1/sales/pricing-settings")).json()["data"]
    assert defaults["is_default"] is True
    assert set(defaults["complexity"]) == {"simple", "medium", "complex", "very_complex"}
    saved = await use_rates(caller)
    assert (saved["is_default"], saved["machine_hourly_rate"]) == (False, "100.00")
    assert set(saved["materials"]) == {"bar_stock", "aluminum"}
    assert saved["updated_by"] == f"user:{caller.user_id}"
    again = (await caller.get("/v1/sales/pricing-settings")).json()["data"]
    assert again["complexity"]["medium"] == {"hours_per_unit": "0.1", "multiplier": "1.5"}
    theirs = (await other_tenant.get("/v1/sales/pricing-settings")).json()["data"]
    assert theirs["is_default"] is True


async def test_concurrent_first_saves_both_succeed_and_one_rate_card_remains(caller):
    cards = [rate_card(labor_hourly_rate="40"), rate_card(labor_hourly_rate="60")]
    responses = await asyncio.gather(
        *(caller.put("/v1/sales/pricing-settings", card) for card in cards)
    )
    assert [r.status_code for r in responses] == [200, 200]
    saved = (await caller.get("/v1/sales/pricing-settings")).json()["data"]
    assert saved["labor_hourly_rate"] in {"40.00", "60.00"}


async def test_bad_rate_cards_name_each_field_and_change_nothing(caller):
    await use_rates(caller)
    negative = await caller.put("/v1/sales/pricing-settings", rate_card(labor_hourly_rate="-1"))
    assert negative.status_code == 422
    assert fields_named(negative) == {"labor_hourly_rate"}
    full_margin = await caller.put(
        "/v1/sales/pricing-settings", rate_card(default_margin_percent="100")
    )
    assert fields_named(full_margin) == {"default_margin_percent"}
    card = rate_card()
    card["complexity"] = {**card["complexity"], "trivial": {"hours_per_unit": 1, "multiplier": 1}}
    unknown = await caller.put("/v1/sales/pricing-settings", card)
    assert (unknown.status_code, fields_named(unknown)) == (422, {"complexity.trivial"})
    card["complexity"] = {"simple": {"hours_per_unit": 1, "multiplier": 1}}
    missing = await caller.put("/v1/sales/pricing-settings", card)
    assert fields_named(missing) == {"complexity"}
    kept = (await caller.get("/v1/sales/pricing-settings")).json()["data"]
    assert kept["labor_hourly_rate"] == "50.00"


async def test_reading_rates_needs_quotations_read_and_changing_them_quotations_write(caller):
    reader = caller.as_scope("quotations:read")
    assert (await reader.get("/v1/sales/pricing-settings")).status_code == 200
    refused = await reader.put("/v1/sales/pricing-settings", rate_card())
    assert refused.status_code == 403
    assert "quotations:write" in error_of(refused)["message"]


async def test_the_breakdown_adds_material_machine_labor_overhead_and_the_margin(caller):
    await use_rates(caller)
    data = await calculate(caller, item())
    assert data["currency_code"] == "USD"
    line = data["pricing_breakdown"][0]
    assert (line["material_cost"], line["machining_time_hours"]) == ("500.00", "10.00")
    assert (line["machine_cost"], line["labor_cost"], line["overhead"]) == (
        "1500.00",
        "500.00",
        "400.00",
    )
    assert (line["total_cost"], line["suggested_price"], line["unit_price"]) == (
        "2900.00",
        "4142.86",
        "41.43",
    )
    assert (line["margin_percent"], line["estimate_source"], line["confidence_score"]) == (
        "30",
        "complexity_table",
        "0.40",
    )
    assert (data["total_cost"], data["total_amount"]) == ("2900.00", "4143.00")
    at_cost = await calculate(caller, item(), desired_margin_percent="0")
    assert at_cost["pricing_breakdown"][0]["suggested_price"] == "2900.00"


async def test_per_kg_materials_are_priced_from_weight_or_the_stock_block(caller):
    await use_rates(caller)
    seed_like = item(
        material_type="aluminum",
        machining_complexity="Moderate",
        quantity=10,
        specifications={
            "tolerance": "±0.001",
            "dimensions_mm": {"length": 100, "width": 50, "height": 20},
        },
    )
    by_weight = item(material_type="Aluminum", quantity=10, specifications={"weight_kg": "0.5"})
    data = await calculate(caller, seed_like, by_weight)
    first, second = data["pricing_breakdown"]
    assert (first["material_cost"], first["machining_complexity"]) == ("17.55", "medium")
    assert second["material_cost"] == "32.50"


async def test_parts_that_cannot_be_priced_name_their_line_and_field(caller):
    await use_rates(caller)
    response = await caller.post(
        "/v1/pricing/calculate",
        {
            "line_items": [
                item(),
                item(material_type="unobtainium"),
                item(material_type="aluminum"),
                item(machining_complexity="trivial"),
            ]
        },
    )
    assert response.status_code == 422
    assert fields_named(response) == {
        "line_items[1].material_type",
        "line_items[2].specifications",
        "line_items[3].machining_complexity",
    }
    bad = await caller.post(
        "/v1/pricing/calculate",
        {"line_items": [item(quantity=-1)], "desired_margin_percent": "100"},
    )
    assert fields_named(bad) == {"line_items[0].quantity", "desired_margin_percent"}


async def test_applying_prices_rewrites_the_drafts_lines_and_totals(caller, sessions):
    await use_rates(caller)
    quotation = await draft(caller)
    path = f"/v1/quotations/{quotation['id']}/calculate-pricing"
    preview = await caller.post(path, {"line_items": [item()]})
    assert (preview.status_code, preview.json()["data"]["applied"]) == (200, False)
    unchanged = (await caller.get(f"/v1/quotations/{quotation['id']}")).json()["data"]
    assert unchanged["total_amount"] == quotation["total_amount"]

    applied = await caller.post(path, {"line_items": [item(line_number=1)], "apply": True})
    assert applied.status_code == 200, applied.text
    assert applied.json()["data"]["applied"] is True
    after = (await caller.get(f"/v1/quotations/{quotation['id']}")).json()["data"]
    line, untouched = after["line_items"]
    assert (line["product_name"], line["quantity"], line["unit_price"]) == (
        "Bracket",
        "100",
        "41.43",
    )
    assert (line["estimated_hours"], line["material_cost"]) == ("10", "500.00")
    assert (line["subtotal"], line["tax_amount"], line["total_amount"]) == (
        "4143.00",
        "414.30",
        "4557.30",
    )
    assert untouched["total_amount"] == "1.00"
    assert (after["subtotal"], after["discount_amount"], after["tax_amount"]) == (
        "4144.01",
        "0.10",
        "414.39",
    )
    assert after["total_amount"] == "4558.30"
    priced = await events_of(sessions, caller.tenant_id, "sales.quotation.priced")
    assert len(priced) == 1
    assert priced[0]["totals"]["total_amount"] == "4558.30"
    assert priced[0]["priced_lines"][0]["estimate_source"] == "complexity_table"


async def test_only_a_drafts_lines_can_be_written(caller, other_tenant):
    await use_rates(caller)
    quotation = await draft(caller)
    path = f"/v1/quotations/{quotation['id']}/calculate-pricing"
    no_line = await caller.post(path, {"line_items": [item(line_number=7)], "apply": True})
    assert (no_line.status_code, fields_named(no_line)) == (422, {"line_items[0].line_number"})
    twice = await caller.post(
        path, {"line_items": [item(line_number=1), item(line_number=1)], "apply": True}
    )
    assert fields_named(twice) == {"line_items[1].line_number"}
    assert (await caller.post(f"/v1/quotations/{quotation['id']}/send")).status_code == 200
    sent = await caller.post(path, {"line_items": [item()], "apply": True})
    assert (sent.status_code, error_of(sent)["code"]) == (409, "INVALID_TRANSITION")
    assert (await caller.post(path, {"line_items": [item()]})).status_code == 200
    foreign = await other_tenant.post(path, {"line_items": [item()]})
    assert foreign.status_code == 404


async def test_a_quotation_in_another_currency_than_the_rates_is_refused(caller):
    await use_rates(caller, currency_code="EUR")
    quotation = await draft(caller)
    path = f"/v1/quotations/{quotation['id']}/calculate-pricing"
    response = await caller.post(path, {"line_items": [item()], "apply": True})
    assert (response.status_code, fields_named(response)) == (422, {"currency_code"})


async def priced_and_accepted(caller, *, accept: bool = True) -> None:
    quotation = await draft(caller)
    path = f"/v1/quotations/{quotation['id']}/calculate-pricing"
    response = await caller.post(path, {"line_items": [item(quantity=10)], "apply": True})
    assert response.status_code == 200, response.text
    assert (await caller.post(f"/v1/quotations/{quotation['id']}/send")).status_code == 200
    if accept:
        assert (await caller.post(f"/v1/quotations/{quotation['id']}/accept")).status_code == 200


async def test_hours_come_from_three_similar_accepted_quotations(caller, other_tenant):
    await use_rates(caller, medium_hours="0.2")  # the shop's real pace: 0.2 h per part
    for _ in range(2):
        await priced_and_accepted(caller)
    await use_rates(caller, medium_hours="0.5")  # a pessimistic table from now on
    await priced_and_accepted(caller, accept=False)  # sent, never accepted: not history

    two = (await calculate(caller, item(quantity=20)))["pricing_breakdown"][0]
    assert (two["estimate_source"], two["machining_time_hours"]) == ("complexity_table", "10.00")

    await use_rates(caller, medium_hours="0.2")
    await priced_and_accepted(caller)
    await use_rates(caller, medium_hours="0.5")
    data = await calculate(caller, item(quantity=20), item(machining_complexity="complex"))
    learned, other_kind = data["pricing_breakdown"]
    assert (learned["estimate_source"], learned["history_sample_size"]) == ("history", 3)
    assert (learned["machining_time_hours"], learned["confidence_score"]) == ("4.00", "0.42")
    assert other_kind["estimate_source"] == "complexity_table"

    await use_rates(other_tenant, medium_hours="0.5")
    theirs = (await calculate(other_tenant, item(quantity=20)))["pricing_breakdown"][0]
    assert (theirs["estimate_source"], theirs["machining_time_hours"]) == (
        "complexity_table",
        "10.00",
    )
