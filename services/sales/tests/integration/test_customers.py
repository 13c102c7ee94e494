"""Customers over HTTP: codes, validation, search, pagination, PUT/PATCH, archive, delete."""

import asyncio
import uuid

from millbook_testing.callers import Caller, error_of, fields_named

from .conftest import events_of

ACME = {
    "name": "Acme Manufacturing",
    "company": "Acme Manufacturing Inc.",
    "primary_email": "Buyer@Acme.example",
    "primary_phone": "+1-555-0456",
    "credit_limit": 100000,
    "payment_terms": "Net 30",
    "billing_address": {
        "line1": "456 Oak Ave",
        "city": "Los Angeles",
        "state": "CA",
        "postal_code": "90001",
        "country": "us",
    },
    "segment": "VIP",
    "tags": ["aerospace"],
}


async def test_a_customer_without_code_gets_the_next_cust_code_and_an_event(caller, sessions):
    first = await caller.created("/v1/customers", ACME)
    second = await caller.created("/v1/customers", {"name": "Beta Tools"})
    assert (first["customer_code"], second["customer_code"]) == ("CUST-0001", "CUST-0002")
    assert first["credit_limit"] == "100000.00"
    assert first["billing_address"]["country"] == "US"
    assert first["primary_email"] == "buyer@acme.example"
    assert second["payment_terms"] == "Net 30"
    assert second["currency_code"] == "USD"
    created = await events_of(sessions, caller.tenant_id, "sales.customer.created")
    assert [e["customer_code"] for e in created] == ["CUST-0001", "CUST-0002"]
    assert created[0]["credit_limit"] == "100000.00"


async def test_concurrent_creates_get_distinct_gap_free_codes(caller):
    responses = await asyncio.gather(
        *(caller.post("/v1/customers", {"name": f"Shop {i}"}) for i in range(8))
    )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    codes = sorted(r.json()["data"]["customer_code"] for r in responses)
    assert codes == [f"CUST-{n:04d}" for n in range(1, 9)]


async def test_a_code_in_use_is_a_conflict_and_a_generated_code_skips_it(caller):
    await caller.created("/v1/customers", {"name": "Manual", "customer_code": "CUST-0001"})
    again = await caller.post("/v1/customers", {"name": "Again", "customer_code": "CUST-0001"})
    assert again.status_code == 409
    assert error_of(again)["code"] == "RESOURCE_CONFLICT"
    generated = await caller.created("/v1/customers", {"name": "Generated"})
    assert generated["customer_code"] == "CUST-0002"


async def test_codes_are_per_tenant(caller, other_tenant):
    await caller.created("/v1/customers", {"name": "A", "customer_code": "SHARED-1"})
    other = await other_tenant.created("/v1/customers", {"name": "B", "customer_code": "SHARED-1"})
    assert other["customer_code"] == "SHARED-1"


async def test_bad_fields_are_named_and_nothing_is_written(caller, sessions):
    body = {
        "name": "Bad",
        "currency_code": "XYZ",
        "credit_limit": -5,
        "payment_terms": "Net ninety",
        "billing_address": {"line1": "x", "country": "ZZ"},
        "unknown": 1,
    }
    response = await caller.post("/v1/customers", body)
    assert response.status_code == 422
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    assert {
        "currency_code",
        "credit_limit",
        "payment_terms",
        "billing_address.country",
        "unknown",
    } <= fields_named(response)
    listed = await caller.get("/v1/customers")
    assert listed.json()["meta"]["total"] == 0
    assert await events_of(sessions, caller.tenant_id, "sales.customer.created") == []


async def test_another_tenants_customer_and_unknown_ids_are_not_found(caller, other_tenant):
    customer = await caller.created("/v1/customers", ACME)
    for path in (f"/v1/customers/{customer['id']}", f"/v1/customers/{uuid.uuid4()}"):
        response = await other_tenant.get(path)
        assert response.status_code == 404
        assert error_of(response)["code"] == "RESOURCE_NOT_FOUND"
    patched = await other_tenant.patch(f"/v1/customers/{customer['id']}", {"name": "Stolen"})
    assert patched.status_code == 404
    deleted = await other_tenant.delete(f"/v1/customers/{customer['id']}")
    assert deleted.status_code == 404


async def test_search_matches_name_code_email_company_and_forgives_typos(caller):
    await caller.created("/v1/customers", ACME)
    await caller.created(
        "/v1/customers", {"name": "Zenith Aerospace", "primary_email": "ops@zenith.example"}
    )
    await caller.created("/v1/customers", {"name": "Bolt & Nut", "company": "Fastener Group"})

    async def names(term: str) -> list[str]:
        response = await caller.get("/v1/customers", params={"search": term, "sort": "name"})
        assert response.status_code == 200, response.text
        return [c["name"] for c in response.json()["data"]]

    assert await names("acme") == ["Acme Manufacturing"]
    assert await names("CUST-0002") == ["Zenith Aerospace"]
    assert await names("zenith.example") == ["Zenith Aerospace"]
    assert await names("fastener") == ["Bolt & Nut"]
    assert await names("Manufacturng") == ["Acme Manufacturing"]  # typo
    assert await names("Zenit Aerospce") == ["Zenith Aerospace"]  # typos
    assert await names("100%_") == []


async def test_filters_sort_sparse_fields_and_both_paginations(caller):
    for index, segment in enumerate(["VIP", "SMB", "VIP", "SMB", "VIP"]):
        await caller.created("/v1/customers", {"name": f"Shop {index}", "segment": segment})
    vip = await caller.get("/v1/customers", params={"segment": "vip", "sort": "-name"})
    assert [c["name"] for c in vip.json()["data"]] == ["Shop 4", "Shop 2", "Shop 0"]

    sparse = await caller.get("/v1/customers", params={"fields": "customer_code,name", "limit": 2})
    body = sparse.json()
    assert set(body["data"][0]) == {"id", "customer_code", "name"}
    assert body["meta"] == {
        "limit": 2,
        "offset": 0,
        "total": 5,
        "next_cursor": body["meta"]["next_cursor"],
    }

    seen, cursor = [], None
    while True:
        params = {"limit": 2, "sort": "name", **({"cursor": cursor} if cursor else {})}
        page = (await caller.get("/v1/customers", params=params)).json()
        seen += [c["name"] for c in page["data"]]
        cursor = page["meta"].get("next_cursor")
        if not cursor:
            break
    assert seen == [f"Shop {i}" for i in range(5)]

    everything = (await caller.get("/v1/customers", params={"sort": "created_at"})).json()["data"]
    middle = everything[2]["created_at"]
    later = await caller.get("/v1/customers", params={"created_at__gte": middle})
    assert later.json()["meta"]["total"] == 3
    earlier = await caller.get("/v1/customers", params={"created_at__lte": middle})
    assert earlier.json()["meta"]["total"] == 3
    bad_sort = await caller.get("/v1/customers", params={"sort": "password"})
    assert bad_sort.status_code == 422
    assert fields_named(bad_sort) == {"sort"}


async def test_status_filter_and_archive_publishes_archived(caller, sessions):
    kept = await caller.created("/v1/customers", {"name": "Kept"})
    gone = await caller.created("/v1/customers", {"name": "Gone"})
    archived = await caller.post(f"/v1/customers/{gone['id']}/archive")
    assert archived.json()["data"]["status"] == "inactive"
    active = await caller.get("/v1/customers", params={"status": "active"})
    assert [c["id"] for c in active.json()["data"]] == [kept["id"]]
    events = await events_of(sessions, caller.tenant_id, "sales.customer.archived")
    assert [e["customer_id"] for e in events] == [gone["id"]]


async def test_put_replaces_every_field_and_patch_changes_only_what_is_sent(caller, sessions):
    customer = await caller.created("/v1/customers", ACME)
    path = f"/v1/customers/{customer['id']}"

    patched = await caller.patch(path, {"segment": "SMB", "credit_limit": "5000.5"})
    assert patched.status_code == 200, patched.text
    data = patched.json()["data"]
    assert (data["segment"], data["credit_limit"], data["name"]) == ("SMB", "5000.50", ACME["name"])

    replaced = await caller.put(path, {"name": "Acme Two", "currency_code": "JPY"})
    assert replaced.status_code == 200, replaced.text
    data = replaced.json()["data"]
    assert data["customer_code"] == customer["customer_code"]
    assert (data["name"], data["segment"], data["billing_address"]) == ("Acme Two", None, None)
    assert (data["currency_code"], data["tags"]) == ("JPY", [])

    null_name = await caller.patch(path, {"name": None})
    assert null_name.status_code == 422
    assert fields_named(null_name) == {"name"}

    updates = await events_of(sessions, caller.tenant_id, "sales.customer.updated")
    assert updates[0]["changed"] == ["credit_limit", "segment"]
    assert "billing_address" in updates[1]["changed"]


async def test_an_unchanged_patch_publishes_nothing(caller, sessions):
    customer = await caller.created("/v1/customers", {"name": "Same"})
    response = await caller.patch(f"/v1/customers/{customer['id']}", {"name": "Same"})
    assert response.status_code == 200
    assert await events_of(sessions, caller.tenant_id, "sales.customer.updated") == []


async def test_delete_without_open_documents_removes_the_customer(caller, sessions):
    customer = await caller.created("/v1/customers", {"name": "Short lived"})
    response = await caller.delete(f"/v1/customers/{customer['id']}")
    assert response.status_code == 204
    assert (await caller.get(f"/v1/customers/{customer['id']}")).status_code == 404
    deleted = await events_of(sessions, caller.tenant_id, "sales.customer.deleted")
    assert [e["customer_id"] for e in deleted] == [customer["id"]]


async def test_scopes_are_enforced(caller: Caller):
    reader = caller.as_scope("customers:read")
    assert (await reader.get("/v1/customers")).status_code == 200
    refused = await reader.post("/v1/customers", {"name": "Nope"})
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "PERMISSION_DENIED"


async def test_clients_is_an_alias_of_customers(caller):
    created = await caller.created("/v1/clients", {"name": "Via alias"})
    response = await caller.get(f"/v1/customers/{created['id']}")
    assert response.status_code == 200
