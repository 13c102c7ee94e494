"""The pure parts of the edge's HTTP conventions: paths, locations, tags, encodings, origins."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from starlette.datastructures import Headers

from millbook_gateway.caching import must_not_be_stored
from millbook_gateway.compression import accepts_gzip, compressible
from millbook_gateway.config import GatewaySettings
from millbook_gateway.cors import LOCAL_ORIGINS, check_origin
from millbook_gateway.etags import none_match, weak_etag
from millbook_gateway.locations import internal_origins, public_location
from millbook_gateway.slashes import without_trailing_slashes

# -- trailing slashes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "raw", "expected"),
    [
        ("/v1/customers/", b"/v1/customers/", ("/v1/customers", b"/v1/customers")),
        ("/v1/customers///", b"/v1/customers///", ("/v1/customers", b"/v1/customers")),
        ("/v1/a b/", b"/v1/a%20b/", ("/v1/a b", b"/v1/a%20b")),
        ("/v1/customers", b"/v1/customers", ("/v1/customers", b"/v1/customers")),
        ("/", b"/", ("/", b"/")),
        ("//", b"//", ("//", b"//")),
        # An encoded slash belongs to the segment; it is the service's to judge.
        ("/v1/customers/", b"/v1/customers%2F", ("/v1/customers/", b"/v1/customers%2F")),
    ],
)
def test_trailing_slashes_are_dropped_and_only_literal_ones(path, raw, expected):
    assert without_trailing_slashes(path, raw) == expected


# -- locations ----------------------------------------------------------------------------

INTERNAL = internal_origins(
    {"sales": "http://127.0.0.1:18002", "billing": "http://Billing:8000/", "x": "https://svc"}
)


@pytest.mark.parametrize(
    ("location", "public"),
    [
        ("http://127.0.0.1:18002/v1/customers", "/v1/customers"),
        ("http://127.0.0.1:18002/v1/customers?limit=5#top", "/v1/customers?limit=5#top"),
        ("http://billing:8000/v1/invoices/1", "/v1/invoices/1"),
        ("HTTP://BILLING:8000/v1/invoices/1", "/v1/invoices/1"),
        ("https://svc:443/v1/x", "/v1/x"),
        ("http://127.0.0.1:18002", "/"),
        # Made relative, `//evil.example/` would name another host.
        ("http://127.0.0.1:18002//evil.example/x", "/evil.example/x"),
        # Not a service: unchanged.
        ("/v1/customers", "/v1/customers"),
        ("https://pay.example/checkout", "https://pay.example/checkout"),
        ("http://127.0.0.1:18003/v1/customers", "http://127.0.0.1:18003/v1/customers"),
        ("http://127.0.0.1:notaport/x", "http://127.0.0.1:notaport/x"),
    ],
)
def test_a_location_naming_a_service_becomes_relative(location, public):
    assert public_location(location, INTERNAL) == public


# -- entity tags --------------------------------------------------------------------------


def test_an_etag_is_weak_and_names_the_exact_bytes():
    tag = weak_etag(b'{"data": {"id": 1}}')

    assert tag.startswith('W/"')
    assert tag.endswith('"')
    assert tag == weak_etag(b'{"data": {"id": 1}}')
    assert tag != weak_etag(b'{"data": {"id": 2}}')


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('W/"abc"', True),
        ('"abc"', True),  # weak comparison ignores the W/
        ('"x", W/"abc"', True),
        ('"x,y", "abc"', True),
        ("*", True),
        ('"abd"', False),
        ("", False),
        ("abc", False),  # not a quoted tag
    ],
)
def test_if_none_match_compares_weakly(header, matches):
    assert none_match(header, 'W/"abc"') is matches


# -- gzip ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("*", True),
        ("gzip;q=0", False),
        ("*, gzip;q=0", False),
        ("*;q=0", False),
        ("identity", False),
        ("br", False),
        ("", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_decides_gzip(header, accepted):
    assert accepts_gzip(header) is accepted


@pytest.mark.parametrize(
    ("status", "headers", "ok"),
    [
        (200, {"content-type": "application/json"}, True),
        (404, {"content-type": "application/json"}, True),
        (200, {"content-type": "text/csv; charset=utf-8"}, True),
        (200, {"content-type": "image/svg+xml"}, False),
        (200, {"content-type": "application/pdf"}, False),
        (200, {"content-type": "image/png"}, False),
        (200, {"content-type": "application/zip"}, False),
        (200, {"content-type": "application/json", "content-encoding": "br"}, False),
        (200, {}, False),
        (204, {"content-type": "application/json"}, False),
        (304, {"content-type": "application/json"}, False),
    ],
)
def test_only_uncompressed_bodies_of_textual_types_are_compressible(status, headers, ok):
    assert compressible(status, Headers(headers)) is ok


# -- Cache-Control ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "headers", "no_store"),
    [
        ("/v1/invoices", [(b"authorization", b"Bearer t")], True),
        ("/v1/invoices", [(b"x-api-key", b"sk_test_x")], True),
        ("/v1/invoices", [(b"Cookie", b"a=b")], True),
        ("/v1/auth/login", [], True),
        ("/v1/auth/refresh", [], True),
        ("/.well-known/jwks.json", [], False),
        ("/v1/invoices", [(b"authorization", b"")], False),
        ("/openapi.json", [(b"accept", b"*/*")], False),
    ],
)
def test_credentials_or_token_routes_make_an_answer_no_store(path, headers, no_store):
    assert must_not_be_stored(path, headers) is no_store


# -- CORS origins -------------------------------------------------------------------------


def test_cors_origins_are_read_comma_separated(monkeypatch):
    monkeypatch.setenv(
        "MILLBOOK_CORS_ALLOWED_ORIGINS", "https://app.example.com, http://localhost:3000"
    )

    assert GatewaySettings().cors_allowed_origins == [
        "https://app.example.com",
        "http://localhost:3000",
    ]


def test_cors_is_off_when_the_setting_is_empty(monkeypatch):
    monkeypatch.setenv("MILLBOOK_CORS_ALLOWED_ORIGINS", "")

    assert GatewaySettings().cors_allowed_origins == []


def test_cors_allows_a_local_front_end_by_default(monkeypatch):
    monkeypatch.delenv("MILLBOOK_CORS_ALLOWED_ORIGINS", raising=False)

    origins = GatewaySettings().cors_allowed_origins
    assert origins == list(LOCAL_ORIGINS)
    assert "*" not in origins


@pytest.mark.parametrize(
    "origin",
    [
        "https://app.example.com/",
        "https://app.example.com/path",
        "app.example.com",
        "ftp://app.example.com",
        "https://user@app.example.com",
        "https://app.example.com:port",
    ],
)
def test_a_malformed_origin_is_refused_at_start(monkeypatch, origin):
    with pytest.raises(ValueError, match="origin"):
        check_origin(origin)
    monkeypatch.setenv("MILLBOOK_CORS_ALLOWED_ORIGINS", origin)
    with pytest.raises(ValidationError):
        GatewaySettings()


@pytest.mark.parametrize("origin", ["*", "https://app.example.com", "http://127.0.0.1:5173"])
def test_a_well_formed_origin_is_accepted(origin):
    check_origin(origin)
