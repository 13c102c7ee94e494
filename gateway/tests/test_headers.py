"""Which headers the gateway forwards to a service and relays back to the client."""

from __future__ import annotations

from millbook_gateway.headers import (
    downstream_response_headers,
    end_to_end,
    upstream_request_headers,
)


def names(headers: list[tuple[str, str]]) -> set[str]:
    return {name.lower() for name, _ in headers}


def test_hop_by_hop_headers_are_not_forwarded() -> None:
    incoming = [
        ("Connection", "keep-alive, X-Secret-Hop"),
        ("Keep-Alive", "timeout=5"),
        ("TE", "trailers"),
        ("Trailers", "X-Checksum"),
        ("Transfer-Encoding", "chunked"),
        ("Upgrade", "websocket"),
        ("Proxy-Authorization", "Basic abc"),
        ("Proxy-Connection", "keep-alive"),
        ("Host", "gateway.example"),
        ("X-Secret-Hop", "named by Connection"),
        ("Content-Type", "application/json"),
        ("Authorization", "Bearer t"),
    ]
    assert names(end_to_end(incoming)) == {"content-type", "authorization"}


def test_the_authorization_header_passes_through_unchanged() -> None:
    forwarded = upstream_request_headers(
        [("authorization", "Bearer abc.def.ghi")],
        request_id="req_1",
        traceparent=None,
        client_host="10.0.0.9",
        scheme="https",
    )
    assert ("authorization", "Bearer abc.def.ghi") in forwarded


def test_the_gateway_sets_request_id_trace_and_forwarding_headers() -> None:
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    forwarded = upstream_request_headers(
        [
            ("x-request-id", "client-supplied"),
            ("traceparent", "00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01"),
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-proto", "gopher"),
            ("X-Millbook-Client-Ip", "198.51.100.1"),
        ],
        request_id="req_abc",
        traceparent=traceparent,
        client_host="10.0.0.9",
        scheme="https",
    )
    assert sorted(forwarded) == sorted(
        [
            ("x-request-id", "req_abc"),
            ("traceparent", traceparent),
            ("x-forwarded-for", "203.0.113.7, 10.0.0.9"),
            ("x-forwarded-proto", "https"),
            ("x-millbook-client-ip", "10.0.0.9"),
        ]
    )


def test_a_verified_credential_replaces_the_clients_key_and_authorization() -> None:
    forwarded = upstream_request_headers(
        [("X-API-Key", "sk_live_secret"), ("Authorization", "Basic eA=="), ("accept", "*/*")],
        request_id="r",
        traceparent=None,
        client_host=None,
        scheme="http",
        access_token="identity.signed.jwt",
    )
    assert [(k, v) for k, v in forwarded if k.lower() in ("authorization", "x-api-key")] == [
        ("authorization", "Bearer identity.signed.jwt")
    ]
    assert ("accept", "*/*") in forwarded


def test_an_unverified_api_key_is_never_forwarded() -> None:
    forwarded = upstream_request_headers(
        [("x-api-key", "sk_live_x")],
        request_id="r",
        traceparent=None,
        client_host=None,
        scheme="http",
    )
    assert "x-api-key" not in names(forwarded)


def test_response_headers_keep_cookies_and_drop_hop_by_hop_and_gateway_owned_ones() -> None:
    upstream = [
        ("content-type", "application/json"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
        ("transfer-encoding", "chunked"),
        ("connection", "close"),
        ("x-request-id", "req_from_service"),
        ("date", "Mon, 01 Jan 2024 00:00:00 GMT"),
        ("server", "uvicorn"),
    ]
    assert downstream_response_headers(upstream) == [
        ("content-type", "application/json"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]
