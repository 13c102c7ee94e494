"""The tenant's exchange rates: set (upsert), list, delete, validation, scopes, tenants."""

from millbook_testing.callers import error_of, fields_named

PATH = "/v1/billing/exchange-rates"


async def test_a_rate_is_set_once_per_currency_and_day_and_listed_newest_first(caller):
    first = await caller.put(f"{PATH}/EUR/2026-03-01", {"rate": "1.0825"})
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert (data["currency_code"], data["effective_date"], data["rate"]) == (
        "EUR",
        "2026-03-01",
        "1.0825",
    )
    assert (data["base_currency"], data["receipts_posted"]) == ("USD", 0)

    again = await caller.put(f"{PATH}/eur/2026-03-01", {"rate": "1.09"})
    assert again.status_code == 200, again.text
    assert again.json()["data"]["id"] == data["id"]  # the same rate, changed
    await caller.put(f"{PATH}/EUR/2026-04-01", {"rate": "1.1"})
    await caller.put(f"{PATH}/GBP/2026-03-01", {"rate": "1.27"})

    listed = (await caller.get(PATH, params={"currency_code": "EUR"})).json()
    assert listed["meta"]["total"] == 2
    assert [(r["effective_date"], r["rate"]) for r in listed["data"]] == [
        ("2026-04-01", "1.1"),
        ("2026-03-01", "1.09"),
    ]
    paged = (await caller.get(PATH, params={"limit": 1, "offset": 1})).json()
    assert (paged["meta"]["total"], len(paged["data"])) == (3, 1)


async def test_a_rate_is_deleted_once(caller):
    await caller.put(f"{PATH}/EUR/2026-03-01", {"rate": "1.08"})
    deleted = await caller.delete(f"{PATH}/EUR/2026-03-01")
    assert deleted.status_code == 204
    again = await caller.delete(f"{PATH}/EUR/2026-03-01")
    assert again.status_code == 404
    assert error_of(again)["code"] == "RESOURCE_NOT_FOUND"
    assert (await caller.get(PATH)).json()["meta"]["total"] == 0


async def test_bad_rates_are_validation_errors(caller):
    for path, body, field in (
        (f"{PATH}/USD/2026-03-01", {"rate": "1"}, "currency_code"),  # the base currency
        (f"{PATH}/EUR/2026-03-01", {"rate": "0"}, "rate"),
        (f"{PATH}/EUR/2026-03-01", {"rate": "-1.2"}, "rate"),
        (f"{PATH}/EUR/2026-03-01", {"rate": "1.123456789"}, "rate"),  # 9 places
        (f"{PATH}/XXY/2026-03-01", {"rate": "1.1"}, "currency_code"),
        (f"{PATH}/EUR/2026-13-01", {"rate": "1.1"}, "effective_date"),
    ):
        response = await caller.put(path, body)
        assert response.status_code == 422, (path, body, response.text)
        assert error_of(response)["code"] == "VALIDATION_ERROR"
        assert field in fields_named(response), (path, response.text)
    assert (await caller.get(PATH)).json()["meta"]["total"] == 0


async def test_reading_rates_needs_invoices_read_and_setting_them_invoices_write(caller):
    reader = caller.as_scope("invoices:read")
    assert (await reader.get(PATH)).status_code == 200
    refused = await reader.put(f"{PATH}/EUR/2026-03-01", {"rate": "1.1"})
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "PERMISSION_DENIED"
    assert (await reader.delete(f"{PATH}/EUR/2026-03-01")).status_code == 403
    assert (await caller.as_scope("reports:read").get(PATH)).status_code == 403


async def test_another_tenants_rates_are_invisible(caller, other_tenant):
    await caller.put(f"{PATH}/EUR/2026-03-01", {"rate": "1.08"})
    assert (await other_tenant.get(PATH)).json()["meta"]["total"] == 0
    assert (await other_tenant.delete(f"{PATH}/EUR/2026-03-01")).status_code == 404
    assert (await caller.get(PATH)).json()["meta"]["total"] == 1
