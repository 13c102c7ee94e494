"""Sales' edges: bounded inputs, NUL in a CSV import, unknown filters, inclusive upper bounds."""

from __future__ import annotations

from datetime import UTC, datetime

from millbook_testing.callers import error_of, fields_named
from millbook_testing.input_bounds import unbounded_inputs


def test_every_date_and_integer_sales_takes_is_bounded(app):
    assert [str(found) for found in unbounded_inputs(app)] == []


async def test_a_csv_import_with_a_nul_is_a_422_naming_the_file_and_writes_nothing(caller):
    content = b"name,primary_email\nAcme,buy@acme.io\nNul\x00Co,nul@co.io\n"
    files = {"file": ("customers.csv", content, "text/csv")}
    response = await caller.request("POST", "/v1/customers/import", files=files)
    assert response.status_code == 422, response.text
    assert fields_named(response) == {"file"}
    assert "line 3" in error_of(response)["details"][0]["message"]
    assert (await caller.get("/v1/customers")).json()["meta"]["total"] == 0


async def test_an_unknown_customer_filter_is_refused_with_a_hint(caller):
    response = await caller.get("/v1/customers", params={"segmnt": "vip"})
    assert response.status_code == 422, response.text
    assert fields_named(response) == {"segmnt"}
    assert "did you mean 'segment'?" in error_of(response)["details"][0]["message"]


async def test_a_bare_date_as_created_at_lte_includes_that_whole_day(caller):
    await caller.created("/v1/customers", {"name": "Today Co"})
    today = datetime.now(UTC).date().isoformat()
    response = await caller.get(
        "/v1/customers", params={"created_at__gte": today, "created_at__lte": today}
    )
    assert response.status_code == 200, response.text
    assert [c["name"] for c in response.json()["data"]] == ["Today Co"]


async def test_an_opportunity_source_longer_than_its_column_is_a_422(caller):
    customer = await caller.created("/v1/customers", {"name": "Source Co"})
    body = {"opportunity_name": "Deal", "customer_id": customer["id"], "source": "s" * 21}
    response = await caller.post("/v1/opportunities", json=body)
    assert response.status_code == 422, response.text
    assert fields_named(response) == {"source"}
