"""Through the gateway to real upstream servers: authentication, forwarding, failures, limits."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from .conftest import BIG_CHUNK, BIG_CHUNKS, MAX_BODY, Signer, Stack

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING_TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def unique(prefix: str) -> str:
    return f"{prefix}/{uuid.uuid4().hex}"


def header(call: dict[str, Any], name: str) -> list[str]:
    return [value for key, value in call["headers"] if key == name]


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    assert set(error) == {"code", "message", "details", "request_id"}
    return dict(error)


async def test_a_valid_token_is_proxied_with_request_id_trace_and_credential(
    stack: Stack, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    path = unique("/v1/invoices")
    headers = {**auth, "X-Request-Id": "req_client_42", "traceparent": INCOMING_TRACEPARENT}
    response = await client.get(path, params={"status": "paid", "limit": "5"}, headers=headers)

    assert response.status_code == 200
    assert response.headers.get_list("x-request-id") == ["req_client_42"]
    assert response.headers["x-upstream"] == "billing"
    (call,) = stack.calls_to(path)
    assert call["query"] == "status=paid&limit=5"
    assert header(call, "authorization") == [auth["Authorization"]]
    assert header(call, "x-request-id") == ["req_client_42"]
    (traceparent,) = header(call, "traceparent")
    assert traceparent.split("-")[1] == TRACE_ID  # same trace, continued by the gateway's span
    assert traceparent != INCOMING_TRACEPARENT
    assert header(call, "x-forwarded-for") == ["127.0.0.1"]
    assert header(call, "x-forwarded-proto") == ["http"]
    assert header(call, "host") == [urlsplit(stack.upstreams["billing"]).netloc]


async def test_a_request_without_an_id_gets_one_the_service_sees_too(
    stack: Stack, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    path = unique("/v1/customers")
    response = await client.get(path, headers=auth)

    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    assert request_id.startswith("req_")
    (call,) = stack.calls_to(path)
    assert header(call, "x-request-id") == [request_id]
    assert len(header(call, "traceparent")) == 1


async def test_a_request_body_and_raw_path_reach_the_service_unchanged(
    stack: Stack, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    path = unique("/v1/orders") + "/notes%2Fdraft"
    body = b'{"note": "caf\xc3\xa9"}' * 1000
    response = await client.post(
        path, content=body, headers={**auth, "Content-Type": "application/json"}
    )

    assert response.status_code == 200
    call = response.json()
    assert call["raw_path"] == path
    assert call["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert header(call, "content-type") == ["application/json"]


async def test_a_missing_token_is_refused_before_any_service_is_called(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    path = unique("/v1/invoices")
    response = await client.get(path, headers={"X-Request-Id": "req_no_token"})

    error = assert_envelope(response, 401, "AUTH_REQUIRED")
    assert error["request_id"] == "req_no_token"
    assert stack.calls_to(path) == []


async def test_a_token_signed_by_another_key_is_invalid(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    path = unique("/v1/invoices")
    for impostor in (Signer(kid="key-1"), Signer(kid="key-unknown")):
        response = await client.get(path, headers={"Authorization": f"Bearer {impostor.token()}"})
        assert_envelope(response, 401, "AUTH_INVALID")
    assert stack.calls_to(path) == []


async def test_an_expired_token_is_reported_as_expired(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    path = unique("/v1/invoices")
    expired = stack.signer.token(expires_in=-60)
    response = await client.get(path, headers={"Authorization": f"Bearer {expired}"})

    assert_envelope(response, 401, "AUTH_EXPIRED")
    assert stack.calls_to(path) == []


async def test_a_malformed_authorization_header_is_invalid(client: httpx.AsyncClient) -> None:
    for value in ("Basic dXNlcjpwdw==", "Bearer not-a-jwt"):
        response = await client.get("/v1/users", headers={"Authorization": value})
        assert_envelope(response, 401, "AUTH_INVALID")


async def test_login_is_proxied_without_a_token(stack: Stack, client: httpx.AsyncClient) -> None:
    before = len(stack.calls_to("/v1/auth/login"))
    response = await client.post("/v1/auth/login", json={"email": "a@b.c", "password": "pw"})

    assert response.status_code == 200
    assert response.json()["service"] == "identity"
    assert len(stack.calls_to("/v1/auth/login")) == before + 1


async def test_unknown_and_look_alike_paths_are_not_found(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for path in ("/v1/nothing", "/v1/usersx", "/v1/auth/login/%2e%2e/%2e%2e/users", "/nope"):
        response = await client.post(path, headers=auth)
        assert_envelope(response, 404, "RESOURCE_NOT_FOUND")


async def test_a_service_that_is_down_is_reported_unavailable_by_name(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for method in ("GET", "POST"):
        response = await client.request(method, "/v1/materials", headers=auth)
        error = assert_envelope(response, 503, "UPSTREAM_UNAVAILABLE")
        assert error["message"] == "The purchasing service is unavailable; try again shortly."


async def test_a_slow_service_times_out_with_504(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/v1/emails/slow", headers=auth)

    assert_envelope(response, 504, "UPSTREAM_TIMEOUT")


async def test_a_service_that_does_not_speak_http_is_a_bad_gateway(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/v1/dashboard/overview", headers=auth)

    assert_envelope(response, 502, "UPSTREAM_UNAVAILABLE")


async def test_an_oversized_content_length_is_refused_before_the_body_is_read(
    stack: Stack, token: str
) -> None:
    path = unique("/v1/documents")
    host, port = urlsplit(stack.gateway).netloc.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/pdf\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n".encode()
    )
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 5)  # no body byte was sent
    writer.close()

    assert status_line.startswith(b"HTTP/1.1 413")
    assert stack.calls_to(path) == []


async def test_an_oversized_content_length_gets_the_envelope(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post("/v1/documents", content=b"x" * (MAX_BODY + 1), headers=auth)

    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"y" * piece


async def test_a_chunked_body_over_the_limit_is_refused_while_streaming(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/documents", content=chunks(MAX_BODY + 64 * 1024), headers=auth
    )

    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


async def test_a_chunked_body_under_the_limit_streams_through_intact(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    size = MAX_BODY - 10
    response = await client.post("/v1/documents", content=chunks(size), headers=auth)

    assert response.status_code == 200
    call = response.json()
    assert header(call, "transfer-encoding") == ["chunked"]
    assert call["body_sha256"] == hashlib.sha256(b"y" * size).hexdigest()


async def test_a_large_response_streams_through_intact(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    digest = hashlib.sha256()
    received = 0
    async with client.stream("GET", "/v1/documents/big", headers=auth) as response:
        assert response.status_code == 200
        async for chunk in response.aiter_raw():
            received += len(chunk)
            digest.update(chunk)

    assert received == len(BIG_CHUNK) * BIG_CHUNKS
    assert digest.hexdigest() == hashlib.sha256(BIG_CHUNK * BIG_CHUNKS).hexdigest()


async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for response in (
        await client.get("/v1/invoices", headers=auth),
        await client.get("/v1/invoices"),
        await client.get("/health"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "x-request-id" in response.headers


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "HEAD"])
async def test_every_method_is_forwarded(
    stack: Stack, client: httpx.AsyncClient, auth: dict[str, str], method: str
) -> None:
    path = unique("/v1/tasks")
    response = await client.request(method, path, headers=auth)

    assert response.status_code == 200
    (call,) = stack.calls_to(path)
    assert call["method"] == method


async def test_the_client_address_header_is_the_gateways_peer_whatever_the_client_sent(
    stack: Stack, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    path = unique("/v1/invoices")
    spoofed = {**auth, "X-Millbook-Client-Ip": "203.0.113.66", "x-millbook-client-ip": "10.9.9.9"}
    response = await client.get(path, headers=spoofed)
    public = unique("/v1/auth/login")
    # uvicorn takes a loopback peer's X-Forwarded-For as the client: the gateway's peer.
    peer = {"X-Forwarded-For": "198.18.7.7", "X-Millbook-Client-Ip": "203.0.113.66"}
    await client.post(public, json={}, headers=peer)

    assert response.status_code == 200
    (call,) = stack.calls_to(path)
    assert header(call, "x-millbook-client-ip") == ["127.0.0.1"]
    (login,) = stack.calls_to(public)
    assert header(login, "x-millbook-client-ip") == ["198.18.7.7"]
