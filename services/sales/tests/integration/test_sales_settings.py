"""Tenant settings: identity's organization read model and the currencies sales accepts."""

from datetime import UTC, datetime, timedelta

from millbook_testing.callers import error_of, fields_named

from .organizations import organization_created, organization_updated

LINE = {"product_name": "Part", "quantity": 1, "unit_price": "10"}


async def settings_of(caller) -> dict:
    response = await caller.get("/v1/sales/settings")
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_before_identity_speaks_any_currency_goes_and_the_base_is_usd(caller):
    assert await settings_of(caller) == {
        "organization_name": None,
        "base_currency": "USD",
        "accepted_currencies": None,
        "updated_at": None,
    }
    plain = await caller.created("/v1/customers", {"name": "Plain"})
    euro = await caller.created("/v1/customers", {"name": "Euro", "currency_code": "EUR"})
    assert (plain["currency_code"], euro["currency_code"]) == ("USD", "EUR")


async def test_the_organization_base_currency_is_the_default_and_the_only_one(caller, sessions):
    await organization_created(sessions, caller.tenant_id, name="Werk GmbH", base_currency="EUR")
    settings = await settings_of(caller)
    assert (settings["organization_name"], settings["base_currency"]) == ("Werk GmbH", "EUR")
    assert settings["accepted_currencies"] == ["EUR"]
    customer = await caller.created("/v1/customers", {"name": "Kunde"})
    assert customer["currency_code"] == "EUR"
    refused = await caller.post("/v1/customers", {"name": "Yankee", "currency_code": "USD"})
    assert refused.status_code == 422
    assert error_of(refused)["code"] == "VALIDATION_ERROR"
    assert fields_named(refused) == {"currency_code"}
    patch = await caller.patch(f"/v1/customers/{customer['id']}", {"currency_code": "GBP"})
    assert fields_named(patch) == {"currency_code"}
    quote = {"customer_id": customer["id"], "currency_code": "JPY", "line_items": [LINE]}
    assert fields_named(await caller.post("/v1/quotations", quote)) == {"currency_code"}
    listed = await caller.get("/v1/customers")
    assert listed.json()["meta"]["total"] == 1


async def test_an_admin_accepts_more_currencies_and_the_base_stays_accepted(caller, sessions):
    await organization_created(sessions, caller.tenant_id, base_currency="EUR")
    response = await caller.put("/v1/sales/settings", {"accepted_currencies": ["USD", "GBP"]})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["accepted_currencies"] == ["EUR", "GBP", "USD"]
    customer = await caller.created("/v1/customers", {"name": "Brit", "currency_code": "GBP"})
    quote = await caller.created(
        "/v1/quotations", {"customer_id": customer["id"], "line_items": [LINE]}
    )
    assert quote["currency_code"] == "GBP"
    in_usd = {"customer_id": customer["id"], "currency_code": "USD", "line_items": [LINE]}
    assert (await caller.created("/v1/quotations", in_usd))["currency_code"] == "USD"
    narrowed = await caller.put("/v1/sales/settings", {"accepted_currencies": ["EUR"]})
    assert narrowed.json()["data"]["accepted_currencies"] == ["EUR"]
    # The customer's GBP is no longer accepted: a quotation cannot default to it.
    again = await caller.post(
        "/v1/quotations", {"customer_id": customer["id"], "line_items": [LINE]}
    )
    assert fields_named(again) == {"currency_code"}


async def test_settings_set_before_the_organization_event_survive_it(caller, sessions):
    await caller.put("/v1/sales/settings", {"accepted_currencies": ["CHF"]})
    await organization_created(sessions, caller.tenant_id, name="Uhren AG", base_currency="CHF")
    settings = await settings_of(caller)
    assert (settings["organization_name"], settings["accepted_currencies"]) == (
        "Uhren AG",
        ["CHF"],
    )


async def test_an_older_organization_event_does_not_roll_the_name_back(caller, sessions):
    now = datetime.now(UTC)
    await organization_created(sessions, caller.tenant_id, name="Old", at=now - timedelta(days=1))
    await organization_updated(sessions, caller.tenant_id, name="New", base_currency="EUR", at=now)
    await organization_created(sessions, caller.tenant_id, name="Old", at=now - timedelta(days=1))
    settings = await settings_of(caller)
    assert (settings["organization_name"], settings["base_currency"]) == ("New", "EUR")


async def test_settings_are_per_tenant_and_only_an_admin_changes_them(
    caller, other_tenant, sessions
):
    await organization_created(sessions, caller.tenant_id, name="Mine", base_currency="EUR")
    assert (await settings_of(other_tenant))["organization_name"] is None
    sales = caller.as_scope("quotations:read quotations:write customers:write")
    denied = await sales.put("/v1/sales/settings", {"accepted_currencies": ["USD"]})
    assert denied.status_code == 403
    assert (await settings_of(sales))["accepted_currencies"] == ["EUR"]


async def test_bad_settings_name_the_field(caller):
    for body in ({"accepted_currencies": []}, {"accepted_currencies": ["XXX"]}, {}):
        response = await caller.put("/v1/sales/settings", body)
        assert response.status_code == 422
        assert {f.split("[")[0] for f in fields_named(response)} == {"accepted_currencies"}
