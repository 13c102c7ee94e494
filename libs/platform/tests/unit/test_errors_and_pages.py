import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from millbook_platform.consumer import RetryPolicy
from millbook_platform.errors import NotFound, ValidationFailed, install_error_handlers
from millbook_platform.idempotency import request_fingerprint
from millbook_platform.pagination import SortKey, parse_fields, parse_sort


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


def test_malformed_json_is_400_malformed_request():
    response = client().post(
        "/orders", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "MALFORMED_REQUEST"
    assert error["details"] == [{"field": "body", "message": "not valid JSON near character 1"}]


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


def test_sort_parses_fields_and_directions():
    keys = parse_sort("name,-created_at", {"name", "created_at"})
    assert keys == (SortKey("name", False), SortKey("created_at", True))
    assert parse_sort(None, {"name"}) == (SortKey("created_at", True),)


def test_sorting_by_an_unknown_field_names_the_parameter():
    with pytest.raises(ValidationFailed) as raised:
        parse_sort("password_hash", {"name", "created_at"})
    assert raised.value.details[0]["field"] == "sort"


def test_sparse_fields_keep_the_id_and_refuse_unknown_names():
    assert parse_fields("quantity", Line) == frozenset({"quantity"})
    assert parse_fields(None, Line) is None
    with pytest.raises(ValidationFailed):
        parse_fields("secret", Line)


def test_retry_delays_grow_and_are_capped():
    policy = RetryPolicy(attempts=6, first_delay_s=0.5, max_delay_s=3.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_idempotency_fingerprint_depends_on_body_and_path():
    base = request_fingerprint("POST", "/v1/users", b"", b'{"a":1}')
    assert base == request_fingerprint("POST", "/v1/users", b"", b'{"a":1}')
    assert base != request_fingerprint("POST", "/v1/users", b"", b'{"a":2}')
    assert base != request_fingerprint("POST", "/v1/orders", b"", b'{"a":1}')


async def test_a_periodic_job_survives_a_failing_run_and_keeps_its_schedule():
    import asyncio

    from millbook_platform.app import PeriodicJob, _repeat

    runs = []
    done = asyncio.Event()

    async def run(sessions) -> None:
        runs.append(sessions)
        if len(runs) == 1:
            raise RuntimeError("the first run fails")
        if len(runs) == 3:
            done.set()

    task = asyncio.create_task(_repeat(PeriodicJob("test", 0.0, run), "sessions"))
    await asyncio.wait_for(done.wait(), 5)
    task.cancel()
    assert len(runs) >= 3  # the failure did not end the schedule
