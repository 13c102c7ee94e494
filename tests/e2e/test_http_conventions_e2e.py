"""What a client of the whole stack can count on: one spelling of a path, validators,
compression, no caching of anyone's books, and a browser front end on the local stack."""

from __future__ import annotations

import gzip
import uuid

import pytest

pytestmark = pytest.mark.e2e

GZIP = {"Accept-Encoding": "gzip"}


async def new_customer(gateway, admin) -> dict:
    response = await gateway.post(
        "/v1/customers", json={"name": f"Whitfield {uuid.uuid4().hex[:6]}"}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def test_a_trailing_slash_reads_the_same_customer_and_list_without_a_redirect(gateway, admin):
    customer = await new_customer(gateway, admin)

    one = await gateway.get(f"/v1/customers/{customer['id']}/", headers=admin.headers)
    listed = await gateway.get("/v1/customers/?limit=100", headers=admin.headers)

    assert one.status_code == 200, one.text
    assert one.json()["data"] == customer
    assert listed.status_code == 200, listed.text
    assert customer["id"] in {c["id"] for c in listed.json()["data"]}


async def test_a_customer_revalidates_to_304_until_it_changes(gateway, admin):
    customer = await new_customer(gateway, admin)
    url = f"/v1/customers/{customer['id']}"
    first = await gateway.get(url, headers=admin.headers)
    etag = first.headers["etag"]

    unchanged = await gateway.get(url, headers={**admin.headers, "If-None-Match": etag})
    renamed = await gateway.patch(url, json={"name": "Whitfield Renamed"}, headers=admin.headers)
    changed = await gateway.get(url, headers={**admin.headers, "If-None-Match": etag})

    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert renamed.status_code == 200, renamed.text
    assert changed.status_code == 200
    assert changed.json()["data"]["name"] == "Whitfield Renamed"
    assert changed.headers["etag"] != etag


async def test_the_api_document_and_a_csv_export_arrive_gzipped(gateway, admin):
    await new_customer(gateway, admin)
    async with gateway.stream("GET", "/openapi.json", headers=GZIP) as document:
        compressed = b"".join([chunk async for chunk in document.aiter_raw()])
    export = await gateway.get("/v1/customers/export", headers={**admin.headers, **GZIP})

    assert document.headers["content-encoding"] == "gzip"
    assert len(gzip.decompress(compressed)) > 5 * len(compressed)
    assert export.status_code == 200, export.text
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-encoding"] == "gzip"
    assert "Whitfield" in export.text


async def test_answers_with_credentials_or_tokens_are_never_stored(gateway, admin):
    me = await gateway.get("/v1/users/me", headers=admin.headers)
    signed_in = await gateway.post(
        "/v1/auth/login", json={"email": admin.email, "password": admin.password}
    )
    public = await gateway.get("/.well-known/jwks.json")

    assert me.headers["cache-control"] == "no-store"
    assert signed_in.status_code == 200
    assert signed_in.headers["cache-control"] == "no-store"
    assert "no-store" not in public.headers.get("cache-control", "")


async def test_a_local_front_end_passes_the_preflight_without_credentials(gateway, admin):
    origin = "http://localhost:5173"
    preflight = await gateway.options(
        "/v1/customers",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    call = await gateway.get("/v1/customers", headers={**admin.headers, "Origin": origin})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "access-control-allow-credentials" not in preflight.headers
    assert call.headers["access-control-allow-origin"] == origin
    assert "x-ratelimit-remaining" in call.headers["access-control-expose-headers"].lower()
