import uuid
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from millbook_platform.consumer import RetryPolicy
from millbook_platform.errors import NotFound, ValidationFailed, install_error_handlers
from millbook_platform.idempotency import request_fingerprint
from millbook_platform.pagination import decode_cursor, encode_cursor


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: int


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[Line]


def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/orders")
    async def create(order: Order) -> dict:
        return {"n": len(order.lines)}

    @app.get("/missing")
    async def missing() -> dict:
        raise NotFound("No such order.")

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("secret internals")

    return TestClient(app, raise_server_exceptions=False)


def test_wrong_type_names_the_nested_field():
    response = client().post("/orders", json={"lines": [{"quantity": "many"}]})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["field"] == "lines[0].quantity"


def test_unknown_field_is_a_validation_error():
    response = client().post("/orders", json={"lines": [], "discount": 5})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "discount"


def test_malformed_json_is_a_validation_error():
    response = client().post(
        "/orders", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["message"] == "request body is not valid JSON"


def test_app_errors_carry_their_status_and_code():
    response = client().get("/missing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


def test_unknown_route_is_the_envelope_too():
    response = client().get("/nowhere")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


def test_a_crash_never_shows_its_trace():
    response = client().get("/boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"
    assert "secret" not in response.text


def test_cursor_round_trip():
    at, row_id = datetime(2026, 11, 24, tzinfo=UTC), uuid.uuid4()
    assert decode_cursor(encode_cursor(at, row_id)) == (at, row_id)


def test_a_forged_cursor_is_a_validation_error():
    with pytest.raises(ValidationFailed):
        decode_cursor("bm90IGEgY3Vyc29y")


def test_retry_delays_grow_and_are_capped():
    policy = RetryPolicy(attempts=6, first_delay_s=0.5, max_delay_s=3.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_idempotency_fingerprint_depends_on_body_and_path():
    base = request_fingerprint("POST", "/v1/users", b"", b'{"a":1}')
    assert base == request_fingerprint("POST", "/v1/users", b"", b'{"a":1}')
    assert base != request_fingerprint("POST", "/v1/users", b"", b'{"a":2}')
    assert base != request_fingerprint("POST", "/v1/orders", b"", b'{"a":1}')
