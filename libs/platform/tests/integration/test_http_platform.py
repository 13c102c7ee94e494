"""The app factory's edges against real PostgreSQL: idempotency keys, RLS, health."""

import asyncio
import uuid
from typing import Annotated

import pytest
from fastapi import APIRouter
from sqlalchemy import text

from millbook_platform.app import ServiceSpec, create_app
from millbook_platform.auth import JwksVerifier, Principal
from millbook_platform.db import scope_to_tenant, tenant_rls_sql
from millbook_platform.deps import CurrentPrincipal, TenantSession, needs
from millbook_platform.settings import PlatformSettings
from millbook_testing.apps import in_process
from millbook_testing.tokens import TestKey

KEY = TestKey()


def token_for(tenant: uuid.UUID) -> str:
    return KEY.token(tid=str(tenant))


router = APIRouter()


@router.post("/things", status_code=201)
async def create_thing(body: dict, principal: CurrentPrincipal, session: TenantSession) -> dict:
    await asyncio.sleep(0.2)  # long enough for a concurrent duplicate to arrive
    thing_id = uuid.uuid4()
    await session.execute(
        text("INSERT INTO things (id, tenant_id, name) VALUES (:id, :tenant, :name)"),
        {"id": thing_id, "tenant": principal.tenant_id, "name": body.get("name")},
    )
    return {"data": {"id": str(thing_id)}}


@router.get("/boom")
async def boom() -> dict:
    raise RuntimeError("internal detail that must not leak")


@router.delete("/things", status_code=204)
async def delete_things(principal: Annotated[Principal, needs("things:delete")]) -> None:
    """Only callers with things:delete get this far."""


@router.get("/things")
async def list_things(principal: CurrentPrincipal, session: TenantSession) -> dict:
    rows = (await session.execute(text("SELECT name FROM things ORDER BY name"))).all()
    return {"data": [r.name for r in rows]}


@pytest.fixture
async def client(platform_db):
    async with platform_db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE things (id uuid, tenant_id uuid, name text)"))
        for statement in tenant_rls_sql("things"):
            await conn.execute(text(statement))
    settings = PlatformSettings(
        service_name="test", database_url=platform_db.url, run_background=False
    )
    app = create_app(settings, ServiceSpec(title="t", description="t", routers=[router]))
    async with in_process(app, verifier=JwksVerifier(KEY.fetch)) as http:
        yield http


def auth(tenant, key=None) -> dict:
    headers = {"Authorization": f"Bearer {token_for(tenant)}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


async def count_things(client, tenant) -> int:
    return len((await client.get("/things", headers=auth(tenant))).json()["data"])


async def test_same_key_same_body_replays_the_first_response(client):
    tenant = uuid.uuid4()
    first = await client.post("/things", json={"name": "a"}, headers=auth(tenant, "k-1"))
    again = await client.post("/things", json={"name": "a"}, headers=auth(tenant, "k-1"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await count_things(client, tenant) == 1


async def test_same_key_different_body_is_refused(client):
    tenant = uuid.uuid4()
    await client.post("/things", json={"name": "a"}, headers=auth(tenant, "k-2"))
    reused = await client.post("/things", json={"name": "b"}, headers=auth(tenant, "k-2"))
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_concurrent_duplicates_create_one_resource(client):
    tenant = uuid.uuid4()
    responses = await asyncio.gather(
        *[client.post("/things", json={"name": "x"}, headers=auth(tenant, "k-3")) for _ in range(4)]
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["data"]["id"] for r in responses}) == 1
    assert await count_things(client, tenant) == 1


async def test_keys_are_per_tenant(client):
    one, two = uuid.uuid4(), uuid.uuid4()
    a = await client.post("/things", json={"name": "a"}, headers=auth(one, "shared"))
    b = await client.post("/things", json={"name": "a"}, headers=auth(two, "shared"))
    assert a.json() != b.json()
    assert "idempotent-replayed" not in b.headers


async def test_each_tenant_sees_only_its_rows(client):
    one, two = uuid.uuid4(), uuid.uuid4()
    await client.post("/things", json={"name": "mine"}, headers=auth(one))
    await client.post("/things", json={"name": "theirs"}, headers=auth(two))
    assert (await client.get("/things", headers=auth(one))).json()["data"] == ["mine"]


async def test_rls_refuses_a_row_written_for_another_tenant(platform_db, client):
    async with platform_db.sessions() as session, session.begin():
        await scope_to_tenant(session, uuid.uuid4())
        with pytest.raises(Exception, match="row-level security"):
            await session.execute(
                text("INSERT INTO things VALUES (:id, :other, 'sneaky')"),
                {"id": uuid.uuid4(), "other": uuid.uuid4()},
            )


async def test_without_a_tenant_no_rows_are_visible(platform_db, client):
    await client.post("/things", json={"name": "hidden"}, headers=auth(uuid.uuid4()))
    async with platform_db.sessions() as session:
        assert (await session.execute(text("SELECT * FROM things"))).all() == []


async def test_responses_carry_the_callers_request_id(client):
    response = await client.get("/things", headers={**auth(uuid.uuid4()), "X-Request-Id": "r-1"})
    assert response.headers["x-request-id"] == "r-1"
    missing = await client.get("/things")
    assert missing.status_code == 401
    assert missing.json()["error"]["request_id"] == missing.headers["x-request-id"]


async def test_ready_checks_the_database(client):
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] is True


async def test_metrics_count_requests_by_route(client):
    await client.get("/things", headers=auth(uuid.uuid4()))
    body = (await client.get("/metrics")).text
    line = 'millbook_http_requests_total{method="GET",route="/things",service="test",status="200"}'
    assert line in body


async def test_an_unhandled_error_is_the_envelope_with_the_request_id(client):
    response = await client.get("/boom", headers={"X-Request-Id": "boom-1"})
    assert response.status_code == 500
    assert response.json()["error"] == {
        "code": "INTERNAL_ERROR",
        "message": "An unexpected error occurred.",
        "details": [],
        "request_id": "boom-1",
    }
    assert response.headers["x-request-id"] == "boom-1"


async def test_an_unusable_request_id_is_replaced_everywhere(client):
    response = await client.get("/boom", headers={"X-Request-Id": "x" * 500})
    assert response.headers["x-request-id"].startswith("req_")
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]


async def test_a_scoped_route_refuses_without_the_scope_and_documents_it(client):
    tenant = uuid.uuid4()
    denied = await client.delete(
        "/things", headers={"Authorization": f"Bearer {KEY.token(tid=str(tenant), scope='x:y')}"}
    )
    assert denied.status_code == 403
    assert "things:delete" in denied.json()["error"]["message"]
    allowed = await client.delete(
        "/things",
        headers={"Authorization": f"Bearer {KEY.token(tid=str(tenant), scope='things:delete')}"},
    )
    assert allowed.status_code == 204
    document = (await client.get("/openapi.json")).json()
    assert document["paths"]["/things"]["delete"]["x-scopes"] == ["things:delete"]
    assert "bearerAuth" in document["components"]["securitySchemes"]


# ---- the database is down: 503 UPSTREAM_UNAVAILABLE with Retry-After, never a 500


def a_dead_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again: nothing listens there


@pytest.fixture
async def without_database():
    settings = PlatformSettings(
        service_name="test",
        database_url=f"postgresql+psycopg://nobody@127.0.0.1:{a_dead_port()}/gone",
        run_background=False,
    )
    app = create_app(settings, ServiceSpec(title="t", description="t", routers=[router]))
    async with in_process(app, verifier=JwksVerifier(KEY.fetch)) as http:
        yield http


@pytest.mark.parametrize(
    ("method", "key"), [("GET", None), ("POST", None), ("POST", "outage-1")], ids=str
)
async def test_a_database_outage_is_503_with_retry_after(without_database, method, key):
    response = await without_database.request(
        method,
        "/things",
        json={"name": "x"} if method == "POST" else None,
        headers=auth(uuid.uuid4(), key),
    )
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "UPSTREAM_UNAVAILABLE"
    assert error["request_id"] == response.headers["x-request-id"]
    assert 1 <= int(response.headers["retry-after"]) <= 10


async def test_readiness_is_503_while_the_database_is_down(without_database):
    response = await without_database.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] is False
