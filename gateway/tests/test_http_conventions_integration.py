"""HTTP conventions through the gateway to real upstream servers: trailing slashes,
redirects, ETags, gzip, Cache-Control and CORS."""

from __future__ import annotations

import asyncio
import json
import uuid
import zlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from urllib.parse import urlsplit

import httpx
import pytest

from millbook_gateway.main import build_app

from .conftest import (
    EXPORT_RELEASES,
    EXPORT_ROW,
    LARGE_JSON_ITEMS,
    PDF_BYTES,
    Stack,
    serving,
)

GZIP = {"Accept-Encoding": "gzip"}


# -- trailing slashes and redirects ------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "received"),
    [
        ("/v1/invoices/", "/v1/invoices"),
        ("/v1/invoices/inv_1/", "/v1/invoices/inv_1"),
        ("/v1/invoices//", "/v1/invoices"),
        ("/v1/invoices/?status=draft", "/v1/invoices"),
    ],
)
async def test_a_trailing_slash_reaches_the_same_resource_without_a_redirect(
    client, stack: Stack, auth, sent, received
):
    request_id = f"req_{uuid.uuid4().hex}"
    response = await client.get(sent, headers={**auth, "X-Request-Id": request_id})

    assert response.status_code == 200
    assert "location" not in response.headers
    call = response.json()
    assert call["path"] == received
    assert call["raw_path"] == received


async def test_a_trailing_slash_on_a_public_route_is_still_public(client, stack: Stack):
    response = await client.get("/.well-known/jwks.json/")

    assert response.status_code == 200
    assert response.json()["keys"]


async def test_the_gateways_own_routes_take_a_trailing_slash_too(client):
    response = await client.get("/health/")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_an_upstream_redirect_to_itself_reaches_the_client_as_a_relative_location(
    client, stack: Stack, auth
):
    response = await client.get("/v1/invoices/redirect?status=draft", headers=auth)

    assert response.status_code == 307  # relayed, never followed by the gateway
    assert response.headers["location"] == "/v1/invoices?status=draft"
    internal = urlsplit(stack.upstreams["billing"]).netloc
    assert internal not in json.dumps(list(response.headers.items()))


async def test_an_upstream_redirect_elsewhere_is_relayed_unchanged(client, auth):
    response = await client.post("/v1/invoices/elsewhere", headers=auth)

    assert response.status_code == 303
    assert response.headers["location"] == "https://pay.example/checkout/1"


# -- ETag and If-None-Match --------------------------------------------------------------


async def test_a_get_carries_an_etag_and_the_same_tag_back_is_a_304_without_body(client, auth):
    first = await client.get("/v1/invoices/doc/inv_etag", headers=auth)
    etag = first.headers["etag"]

    again = await client.get("/v1/invoices/doc/inv_etag", headers={**auth, "If-None-Match": etag})

    assert first.status_code == 200
    assert etag.startswith('W/"')
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert "content-type" not in again.headers
    assert again.headers["x-request-id"]


async def test_an_etag_follows_the_body(client, auth):
    one = await client.get("/v1/invoices/doc/inv_a", headers=auth)
    other = await client.get("/v1/invoices/doc/inv_b", headers=auth)

    assert one.headers["etag"] != other.headers["etag"]
    stale = await client.get(
        "/v1/invoices/doc/inv_b", headers={**auth, "If-None-Match": one.headers["etag"]}
    )
    assert stale.status_code == 200
    assert stale.json()["data"]["id"] == "inv_b"


async def test_if_none_match_star_or_a_list_naming_the_tag_is_a_304(client, auth):
    etag = (await client.get("/v1/invoices/doc/inv_list", headers=auth)).headers["etag"]

    listed = await client.get(
        "/v1/invoices/doc/inv_list", headers={**auth, "If-None-Match": f'"other", {etag}'}
    )
    star = await client.get("/v1/invoices/doc/inv_list", headers={**auth, "If-None-Match": "*"})

    assert listed.status_code == 304
    assert star.status_code == 304


async def test_writes_and_errors_carry_no_etag(client, auth):
    created = await client.post("/v1/invoices", json={"n": 1}, headers=auth)
    missing = await client.get("/v1/nowhere", headers=auth)

    assert created.status_code == 200  # the echo answers 200 to everything
    assert "etag" not in created.headers
    assert missing.status_code == 404
    assert "etag" not in missing.headers


# -- gzip ----------------------------------------------------------------------------------


async def test_a_large_json_answer_is_gzipped_for_a_client_that_accepts_it(client, auth):
    plain = await client.get("/v1/invoices/large", headers={**auth, "Accept-Encoding": "identity"})
    zipped = await client.get("/v1/invoices/large", headers={**auth, **GZIP})

    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert int(zipped.headers["content-length"]) < len(plain.content) / 4
    assert len(zipped.json()["data"]) == LARGE_JSON_ITEMS  # httpx decoded it
    assert zipped.json() == plain.json()


async def test_a_gzipped_answer_keeps_its_etag_and_revalidates(client, auth):
    zipped = await client.get("/v1/invoices/large", headers={**auth, **GZIP})
    again = await client.get(
        "/v1/invoices/large", headers={**auth, **GZIP, "If-None-Match": zipped.headers["etag"]}
    )

    assert zipped.headers["content-encoding"] == "gzip"
    assert again.status_code == 304
    assert "content-encoding" not in again.headers
    assert "accept-encoding" in again.headers["vary"].lower()


async def test_a_small_answer_is_not_gzipped(client, auth):
    response = await client.get("/v1/invoices/doc/inv_small", headers={**auth, **GZIP})

    assert response.status_code == 200
    assert "content-encoding" not in response.headers


async def test_a_pdf_is_never_gzipped(client, auth):
    response = await client.get("/v1/invoices/pdf", headers={**auth, **GZIP})

    assert response.headers["content-type"] == "application/pdf"
    assert "content-encoding" not in response.headers
    assert response.content == PDF_BYTES


async def test_a_gzipped_csv_export_still_streams(client, auth):
    """The first rows reach the client, decompressed, while the service is still writing."""
    key = uuid.uuid4().hex
    EXPORT_RELEASES[key] = asyncio.Event()
    inflate = zlib.decompressobj(wbits=31)
    received = b""
    headers = {**auth, **GZIP}
    async with client.stream("GET", f"/v1/invoices/export?release={key}", headers=headers) as r:
        assert r.headers["content-encoding"] == "gzip"
        assert "content-length" not in r.headers
        async for chunk in r.aiter_raw():
            received += inflate.decompress(chunk)
            if received.count(b"\n") == 11 and not EXPORT_RELEASES[key].is_set():
                EXPORT_RELEASES[key].set()  # the first rows arrived before the rest exist
    received += inflate.flush()

    assert EXPORT_RELEASES[key].is_set()
    assert received == b"number,customer,total,currency\n" + EXPORT_ROW * 2010


async def test_gzip_refused_with_q_zero_is_not_used(client, auth):
    response = await client.get(
        "/v1/invoices/large", headers={**auth, "Accept-Encoding": "gzip;q=0, identity"}
    )

    assert "content-encoding" not in response.headers
    assert len(response.json()["data"]) == LARGE_JSON_ITEMS


# -- Cache-Control --------------------------------------------------------------------------


async def test_an_answer_to_a_credentialed_request_is_no_store_whatever_the_service_said(
    client, auth
):
    response = await client.get("/v1/invoices/large", headers=auth)

    assert response.headers["cache-control"] == "no-store"


async def test_a_refused_credential_is_answered_no_store(client):
    response = await client.get("/v1/invoices", headers={"Authorization": "Bearer nonsense"})

    assert response.status_code == 401
    assert response.headers["cache-control"] == "no-store"


async def test_a_sign_in_answer_is_no_store_though_the_request_carried_no_credential(client):
    response = await client.post(
        "/v1/auth/refresh", json={"refresh_token": "rt_" + uuid.uuid4().hex}
    )

    assert response.status_code == 200  # the echo answers
    assert response.headers["cache-control"] == "no-store"


async def test_a_public_anonymous_answer_is_not_marked_no_store(client):
    response = await client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")


# -- CORS ---------------------------------------------------------------------------------

APP_ORIGIN = "https://app.example"


def preflight(origin: str = APP_ORIGIN, method: str = "POST", headers: str = "authorization"):
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


@asynccontextmanager
async def cors_gateway(stack: Stack, origins: list[str]) -> AsyncIterator[httpx.AsyncClient]:
    """Another gateway over the same upstreams, with these CORS origins."""
    settings = stack.settings_with(cors_allowed_origins=origins)
    async with AsyncExitStack() as stack_of:
        url = await stack_of.enter_async_context(serving(build_app(settings), lifespan="on"))
        yield await stack_of.enter_async_context(httpx.AsyncClient(base_url=url, timeout=10))


async def test_a_preflight_is_answered_without_credentials_and_spends_no_budget(stack: Stack):
    async with cors_gateway(stack, [APP_ORIGIN]) as client:
        before = len(stack.calls)
        answers = [
            await client.options(
                "/v1/invoices", headers=preflight(headers="authorization, x-api-key")
            )
            for _ in range(3)
        ]
        token = stack.signer.token()
        after = await client.get(
            "/v1/invoices", headers={"Authorization": f"Bearer {token}", "Origin": APP_ORIGIN}
        )

    for answer in answers:
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == APP_ORIGIN
        assert "authorization" in answer.headers["access-control-allow-headers"].lower()
        assert "x-api-key" in answer.headers["access-control-allow-headers"].lower()
        assert int(answer.headers["access-control-max-age"]) >= 600
        assert "access-control-allow-credentials" not in answer.headers
        assert "x-ratelimit-remaining" not in answer.headers
    assert len(stack.calls) == before + 1  # only the GET reached a service
    assert (
        int(after.headers["x-ratelimit-remaining"]) == int(after.headers["x-ratelimit-limit"]) - 1
    )
    assert after.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "etag" in after.headers["access-control-expose-headers"].lower()


async def test_a_preflight_from_another_origin_is_refused_in_the_envelope(stack: Stack):
    async with cors_gateway(stack, [APP_ORIGIN]) as client:
        refused = await client.options("/v1/invoices", headers=preflight("https://evil.example"))
        simple = await client.get(
            "/.well-known/jwks.json", headers={"Origin": "https://evil.example"}
        )

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "PERMISSION_DENIED"
    assert refused.json()["error"]["request_id"] == refused.headers["x-request-id"]
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-origin" not in simple.headers


async def test_any_origin_is_star_and_never_with_credentials(stack: Stack):
    async with cors_gateway(stack, ["*"]) as client:
        answer = await client.options("/v1/invoices", headers=preflight("https://any.example"))

    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers
