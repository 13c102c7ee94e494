"""The request limits of seed 003 and the timeout each kind of route gets."""

from __future__ import annotations

import json

import pytest

from millbook_gateway.limits import HeadersTooLarge, RequestLimits, UriTooLong, batch_size
from millbook_platform.errors import ValidationFailed

LIMITS = RequestLimits()


def test_a_url_of_8_kb_passes_and_one_byte_more_is_414() -> None:
    path = b"/v1/customers"
    query = b"q=" + b"x" * (8 * 1024 - len(path) - 3)
    LIMITS.check_url(path, query)

    with pytest.raises(UriTooLong) as refused:
        LIMITS.check_url(path, query + b"x")
    assert refused.value.status_code == 414
    assert refused.value.code == "VALIDATION_ERROR"


def test_headers_over_32_kb_in_total_are_431() -> None:
    # Many moderate headers, none large alone: the total is what counts.
    headers = [(f"x-h{i}".encode(), b"v" * 1000) for i in range(32)]
    LIMITS.check_headers(headers[:31])

    with pytest.raises(HeadersTooLarge) as refused:
        LIMITS.check_headers([*headers, (b"x-last", b"v" * 1000)])
    assert refused.value.status_code == 431


def test_more_than_50_query_parameters_is_a_validation_error() -> None:
    fifty = "&".join(f"p{i}=1" for i in range(50)).encode()
    LIMITS.check_query(fifty)
    LIMITS.check_query(b"")

    with pytest.raises(ValidationFailed) as refused:
        LIMITS.check_query(fifty + b"&flag")  # a blank value is a parameter too
    assert refused.value.details[0]["field"] == "query"
    assert "51" in refused.value.message


@pytest.mark.parametrize(
    ("body", "items"),
    [
        (json.dumps([{}] * 101), 101),
        (json.dumps({"items": [1] * 7, "mode": "upsert"}), 7),
        (json.dumps({"data": [1, 2]}), None),
        ("not json", None),
        ("42", None),
        ("[" * 100_000 + "]" * 100_000, None),  # deeper than the parser goes: no 500
    ],
    ids=["array", "items", "other", "malformed", "scalar", "deep"],
)
def test_batch_size_counts_an_array_or_its_items(body: str, items: int | None) -> None:
    assert batch_size(body.encode()) == items


def test_a_batch_of_101_items_is_refused_and_100_pass() -> None:
    LIMITS.check_batch(json.dumps({"items": [{}] * 100}).encode())

    with pytest.raises(ValidationFailed) as refused:
        LIMITS.check_batch(json.dumps([{}] * 101).encode())
    assert refused.value.details[0]["field"] == "items"


def test_each_kind_of_route_gets_its_timeout() -> None:
    upload = "multipart/form-data; boundary=x"
    assert LIMITS.timeout_for("/v1/invoices", "application/json") == 30
    assert LIMITS.timeout_for("/v1/invoices", None) == 30
    assert LIMITS.timeout_for("/v1/customers/batch", "application/json") == 120
    assert LIMITS.timeout_for("/v1/customers/batch/", None) == 120
    assert LIMITS.timeout_for("/v1/customers/batches", None) == 30
    assert LIMITS.timeout_for("/v1/expenses/attachments", upload) == 300


def test_an_upload_may_carry_a_file_of_the_full_limit_in_its_envelope() -> None:
    limits = RequestLimits()
    upload = limits.body_limit_for("multipart/form-data; boundary=x")
    assert upload == limits.body_bytes + 64 * 1024
    assert limits.body_limit_for("application/json") == limits.body_bytes
    assert limits.body_limit_for(None) == limits.body_bytes
