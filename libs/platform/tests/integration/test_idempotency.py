"""Idempotency keys against real PostgreSQL: no crash window or race runs a handler twice.

`/things` creates a row in the request's `TenantSession` (the key is claimed in that
transaction, which commits with the response); `/pings` has no database session (the
key is claimed in a transaction of its own). `gates` lets a test hold a handler
mid-way instead of sleeping.
"""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select, text, update

from millbook_platform import idempotency
from millbook_platform.app import ServiceSpec, create_app
from millbook_platform.auth import JwksVerifier
from millbook_platform.db import tenant_rls_sql
from millbook_platform.deps import CurrentPrincipal, TenantSession
from millbook_platform.errors import NotFound
from millbook_platform.settings import PlatformSettings
from millbook_platform.tables import IdempotencyKey
from millbook_testing.apps import in_process
from millbook_testing.tokens import TestKey

KEY = TestKey()
LIMIT = 4096
router = APIRouter()
pings: Counter[str] = Counter()
gates: dict[str, asyncio.Event] = {}
entered: dict[str, asyncio.Event] = {}
failures: Counter[str] = Counter()


async def _gate(name: str) -> None:
    if name in gates:
        entered.setdefault(name, asyncio.Event()).set()
        await gates[name].wait()


@router.post("/things", status_code=201, response_model=None)
async def create_thing(
    body: dict, principal: CurrentPrincipal, session: TenantSession
) -> dict | JSONResponse:
    name = body["name"]
    thing_id = uuid.uuid4()
    await session.execute(
        text("INSERT INTO things (id, tenant_id, name) VALUES (:id, :tenant, :name)"),
        {"id": thing_id, "tenant": principal.tenant_id, "name": name},
    )
    await _gate(name)
    if failures[name] > 0:
        failures[name] -= 1
        raise RuntimeError("the first attempt dies before its commit")
    if body.get("missing"):
        raise NotFound("No such parent.")
    if body.get("answer_status"):
        return JSONResponse({"upstream": "failed"}, status_code=body["answer_status"])
    return {"data": {"id": str(thing_id), "name": name}}


@router.post("/probe")
async def probe(session: TenantSession) -> dict:
    return {"lock_timeout": await session.scalar(text("SELECT current_setting('lock_timeout')"))}


@router.post("/pings")
async def ping(body: dict, principal: CurrentPrincipal) -> dict:
    name = body["name"]
    pings[name] += 1
    await _gate(name)
    if failures[name] > 0:
        failures[name] -= 1
        raise RuntimeError("upstream failed")
    return {"data": {"name": name, "run": pings[name]}}


@router.post("/uploads")
async def upload(request: Request, principal: CurrentPrincipal) -> dict:
    return {"data": {"size": len(await request.body())}}


@pytest.fixture
async def client(platform_db):
    async with platform_db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE things (id uuid, tenant_id uuid, name text)"))
        for statement in tenant_rls_sql("things"):
            await conn.execute(text(statement))
    settings = PlatformSettings(
        service_name="test",
        database_url=platform_db.url,
        run_background=False,
        max_request_body_bytes=LIMIT,
        idempotency_wait_s=0.5,
    )
    app = create_app(settings, ServiceSpec(title="t", description="t", routers=[router]))
    async with in_process(app, verifier=JwksVerifier(KEY.fetch)) as http:
        yield http
    gates.clear()
    entered.clear()
    failures.clear()


def auth(tenant: uuid.UUID, key: str | None = None, header: str = "Idempotency-Key") -> dict:
    headers = {"Authorization": f"Bearer {KEY.token(tid=str(tenant))}"}
    if key:
        headers[header] = key
    return headers


async def things_named(platform_db, name: str) -> int:
    async with platform_db.sessions() as session:
        await session.execute(text("SELECT set_config('app.all_tenants', 'on', false)"))
        return len(
            (await session.execute(text("SELECT 1 FROM things WHERE name = :n"), {"n": name})).all()
        )


async def key_row(platform_db, tenant: uuid.UUID, key: str) -> IdempotencyKey | None:
    async with platform_db.sessions() as session:
        return await session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.tenant_id == tenant, IdempotencyKey.key == key
            )
        )


def fail_store_once(monkeypatch) -> list[str]:
    """The response store fails once, as if the process died between commit and store."""
    failed: list[str] = []
    real = idempotency._write_response

    async def flaky(store, response):
        if not failed:
            failed.append(store.key)
            raise ConnectionError("the database went away")
        await real(store, response)

    monkeypatch.setattr(idempotency, "_write_response", flaky)
    return failed


def new_name() -> str:
    return f"n-{uuid.uuid4().hex[:8]}"


# ---- a handler in a TenantSession: the claim commits with the business change


def lose_the_first_response(monkeypatch) -> list[int]:
    """The first response never reaches the client, as if the process died after its commit."""
    lost: list[int] = []
    real = idempotency._respond

    async def dying(send, status, headers, body):
        if not lost:
            lost.append(status)
            raise ConnectionError("the process died before the response left")
        await real(send, status, headers, body)

    monkeypatch.setattr(idempotency, "_respond", dying)
    return lost


async def test_a_response_lost_after_the_commit_is_replayed_to_the_retry(
    client, platform_db, monkeypatch
):
    lost = lose_the_first_response(monkeypatch)
    tenant, name = uuid.uuid4(), new_name()
    with pytest.raises(ConnectionError):
        await client.post("/things", json={"name": name}, headers=auth(tenant, "crash-1"))
    assert lost == [201]
    row = await key_row(platform_db, tenant, "crash-1")
    assert row is not None
    assert row.status_code == 201  # committed with the row it created
    retry = await client.post("/things", json={"name": name}, headers=auth(tenant, "crash-1"))
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["data"]["name"] == name
    assert await things_named(platform_db, name) == 1


async def test_a_commit_that_fails_answers_503_and_leaves_nothing_done(
    client, platform_db, monkeypatch
):
    real, failed = idempotency._store_response, []

    async def database_gone(session, store, response):
        if not failed:
            failed.append(store.key)
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        await real(session, store, response)

    monkeypatch.setattr(idempotency, "_store_response", database_gone)
    tenant, name = uuid.uuid4(), new_name()
    first = await client.post("/things", json={"name": name}, headers=auth(tenant, "gone-1"))
    assert first.status_code == 503
    assert first.json()["error"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert int(first.headers["retry-after"]) > 0
    assert await key_row(platform_db, tenant, "gone-1") is None
    assert await things_named(platform_db, name) == 0
    retry = await client.post("/things", json={"name": name}, headers=auth(tenant, "gone-1"))
    assert retry.status_code == 201
    assert "idempotent-replayed" not in retry.headers
    assert await things_named(platform_db, name) == 1


async def test_a_5xx_answer_after_the_handlers_writes_commits_nothing(client, platform_db):
    tenant, name = uuid.uuid4(), new_name()
    body = {"name": name, "answer_status": 502}
    first = await client.post("/things", json=body, headers=auth(tenant, "bad-1"))
    assert first.status_code == 502
    assert await key_row(platform_db, tenant, "bad-1") is None
    assert await things_named(platform_db, name) == 0
    retry = await client.post("/things", json=body, headers=auth(tenant, "bad-1"))
    assert retry.status_code == 502
    assert await things_named(platform_db, name) == 0


async def test_the_claim_leaves_the_handlers_lock_timeout_as_it_was(client):
    response = await client.post("/probe", json={}, headers=auth(uuid.uuid4(), "probe-1"))
    assert response.status_code == 200
    assert response.json() == {"lock_timeout": "0"}


async def test_the_claim_is_part_of_the_business_transaction(client, platform_db):
    tenant, name = uuid.uuid4(), new_name()
    gates[name] = asyncio.Event()
    first = asyncio.create_task(
        client.post("/things", json={"name": name}, headers=auth(tenant, "tx-1"))
    )
    await asyncio.wait_for(entered.setdefault(name, asyncio.Event()).wait(), 5)
    assert await key_row(platform_db, tenant, "tx-1") is None  # uncommitted, like the row
    gates[name].set()
    assert (await first).status_code == 201
    row = await key_row(platform_db, tenant, "tx-1")
    assert row is not None
    assert row.status_code == 201


async def test_a_sessionless_handler_holds_its_claim_while_it_runs(client, platform_db):
    tenant, name = uuid.uuid4(), new_name()
    gates[name] = asyncio.Event()
    first = asyncio.create_task(
        client.post("/pings", json={"name": name}, headers=auth(tenant, "own-1"))
    )
    await asyncio.wait_for(entered.setdefault(name, asyncio.Event()).wait(), 5)
    row = await key_row(platform_db, tenant, "own-1")
    assert row is not None
    assert row.status_code is None
    gates[name].set()
    assert (await first).status_code == 200


async def test_a_first_attempt_that_died_before_its_commit_leaves_the_key_free(client, platform_db):
    tenant, name = uuid.uuid4(), new_name()
    failures[name] = 1
    first = await client.post("/things", json={"name": name}, headers=auth(tenant, "died-1"))
    assert first.status_code == 500
    assert await key_row(platform_db, tenant, "died-1") is None  # rolled back with the row
    retry = await client.post("/things", json={"name": name}, headers=auth(tenant, "died-1"))
    assert retry.status_code == 201
    again = await client.post("/things", json={"name": name}, headers=auth(tenant, "died-1"))
    assert again.json() == retry.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await things_named(platform_db, name) == 1


async def test_the_alias_header_and_the_response_are_kept(client, platform_db):
    tenant, name = uuid.uuid4(), new_name()
    headers = auth(tenant, "alias-1", header="X-Idempotency-Key")
    first = await client.post("/things", json={"name": name}, headers=headers)
    again = await client.post("/things", json={"name": name}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    row = await key_row(platform_db, tenant, "alias-1")
    assert row is not None
    assert row.status_code == 201
    assert row.expires_at - row.created_at == timedelta(hours=24)
    assert await things_named(platform_db, name) == 1


async def test_concurrent_duplicates_wait_for_the_first_and_replay_it(client, platform_db):
    tenant, name = uuid.uuid4(), new_name()
    gates[name] = asyncio.Event()
    first = asyncio.create_task(
        client.post("/things", json={"name": name}, headers=auth(tenant, "race-1"))
    )
    await asyncio.wait_for(entered.setdefault(name, asyncio.Event()).wait(), 5)
    duplicates = [
        asyncio.create_task(
            client.post("/things", json={"name": name}, headers=auth(tenant, "race-1"))
        )
        for _ in range(5)
    ]
    gates[name].set()
    responses = [await first, *await asyncio.gather(*duplicates)]
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["data"]["id"] for r in responses}) == 1
    assert await things_named(platform_db, name) == 1


async def test_a_duplicate_held_up_longer_than_the_wait_gets_409(client, platform_db):
    tenant, name = uuid.uuid4(), new_name()
    gates[name] = asyncio.Event()
    first = asyncio.create_task(
        client.post("/things", json={"name": name}, headers=auth(tenant, "slow-1"))
    )
    await asyncio.wait_for(entered.setdefault(name, asyncio.Event()).wait(), 5)
    duplicate = await client.post("/things", json={"name": name}, headers=auth(tenant, "slow-1"))
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "RESOURCE_CONFLICT"
    gates[name].set()
    assert (await first).status_code == 201
    replay = await client.post("/things", json={"name": name}, headers=auth(tenant, "slow-1"))
    assert replay.status_code == 201
    assert replay.json() == (await first).json()
    assert await things_named(platform_db, name) == 1


async def test_a_different_body_is_refused_even_while_the_first_is_in_flight(client, platform_db):
    tenant, name = uuid.uuid4(), new_name()
    gates[name] = asyncio.Event()
    first = asyncio.create_task(
        client.post("/things", json={"name": name}, headers=auth(tenant, "body-1"))
    )
    await asyncio.wait_for(entered.setdefault(name, asyncio.Event()).wait(), 5)
    other = asyncio.create_task(
        client.post("/things", json={"name": "other"}, headers=auth(tenant, "body-1"))
    )
    gates[name].set()
    assert (await first).status_code == 201
    reused = await other
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    later = await client.post("/things", json={"name": "other"}, headers=auth(tenant, "body-1"))
    assert later.status_code == 422
    assert await things_named(platform_db, "other") == 0


async def test_a_refusal_is_kept_and_replayed_without_running_again(client, platform_db):
    tenant, name = uuid.uuid4(), new_name()
    body = {"name": name, "missing": True}
    first = await client.post("/things", json=body, headers=auth(tenant, "refused-1"))
    assert first.status_code == 404
    again = await client.post("/things", json=body, headers=auth(tenant, "refused-1"))
    assert again.status_code == 404
    assert again.headers["idempotent-replayed"] == "true"
    assert await things_named(platform_db, name) == 0  # the 404 rolled its insert back


async def test_an_expired_key_is_taken_over(client, platform_db):
    tenant, name = uuid.uuid4(), new_name()
    long_ago = datetime.now(UTC) - timedelta(days=2)
    async with platform_db.sessions() as session, session.begin():
        session.add(
            IdempotencyKey(
                tenant_id=tenant,
                key="old-1",
                request_hash="0" * 64,
                status_code=201,
                response_headers=[],
                response_body=b"{}",
                created_at=long_ago,
                expires_at=long_ago + timedelta(hours=24),
            )
        )
    response = await client.post("/things", json={"name": name}, headers=auth(tenant, "old-1"))
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers
    assert await things_named(platform_db, name) == 1


async def test_every_service_purges_expired_keys_hourly_and_keeps_live_ones(platform_db):
    settings = PlatformSettings(
        service_name="test", database_url=platform_db.url, run_background=False
    )
    app = create_app(settings, ServiceSpec(title="t", description="t"))
    async with in_process(app, verifier=JwksVerifier(KEY.fetch)):
        jobs = {job.name: job for job in app.state.runtime.jobs}
    assert jobs["idempotency-purge"].every_s == 3600
    tenant, now = uuid.uuid4(), datetime.now(UTC)
    async with platform_db.sessions() as session, session.begin():
        for key, created in (("stale", now - timedelta(days=2)), ("live", now)):
            session.add(
                IdempotencyKey(
                    tenant_id=tenant,
                    key=key,
                    request_hash="0" * 64,
                    status_code=201,
                    response_headers=[],
                    response_body=b"{}",
                    created_at=created,
                    expires_at=created + timedelta(hours=24),
                )
            )
    await jobs["idempotency-purge"].run(platform_db.sessions)
    async with platform_db.sessions() as session:
        kept = await session.scalars(
            select(IdempotencyKey.key).where(IdempotencyKey.tenant_id == tenant)
        )
        assert kept.all() == ["live"]


# ---- a handler without a database session: the key is claimed on its own


async def test_a_sessionless_claim_without_a_response_is_free_again_after_its_lease(
    client, platform_db, monkeypatch
):
    fail_store_once(monkeypatch)
    tenant, name = uuid.uuid4(), new_name()
    first = await client.post("/pings", json={"name": name}, headers=auth(tenant, "p-1"))
    assert first.status_code == 200
    retry = await client.post("/pings", json={"name": name}, headers=auth(tenant, "p-1"))
    assert retry.status_code == 409  # within the lease the outcome is unknown: not run again
    assert pings[name] == 1
    row = await key_row(platform_db, tenant, "p-1")
    assert row.expires_at - row.created_at == idempotency.ALONE_LEASE
    async with platform_db.sessions() as session, session.begin():
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.tenant_id == tenant, IdempotencyKey.key == "p-1")
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    after_lease = await client.post("/pings", json={"name": name}, headers=auth(tenant, "p-1"))
    assert after_lease.status_code == 200
    assert after_lease.json()["data"]["run"] == 2
    kept = await key_row(platform_db, tenant, "p-1")
    assert kept.expires_at - kept.created_at == timedelta(hours=24)


async def test_a_sessionless_handler_runs_once_for_concurrent_duplicates(client):
    tenant, name = uuid.uuid4(), new_name()
    gates[name] = asyncio.Event()
    first = asyncio.create_task(
        client.post("/pings", json={"name": name}, headers=auth(tenant, "p-2"))
    )
    await asyncio.wait_for(entered.setdefault(name, asyncio.Event()).wait(), 5)
    duplicates = [
        asyncio.create_task(client.post("/pings", json={"name": name}, headers=auth(tenant, "p-2")))
        for _ in range(3)
    ]
    gates[name].set()
    responses = [await first, *await asyncio.gather(*duplicates)]
    assert {r.status_code for r in responses} == {200}
    assert {r.json()["data"]["run"] for r in responses} == {1}
    assert pings[name] == 1


async def test_a_sessionless_5xx_releases_the_key(client, platform_db):
    tenant, name = uuid.uuid4(), new_name()
    failures[name] = 1
    first = await client.post("/pings", json={"name": name}, headers=auth(tenant, "p-3"))
    assert first.status_code == 500
    assert await key_row(platform_db, tenant, "p-3") is None
    retry = await client.post("/pings", json={"name": name}, headers=auth(tenant, "p-3"))
    assert retry.status_code == 200
    assert retry.json()["data"]["run"] == 2


# ---- the body is read only up to the limit


async def test_a_declared_oversized_body_is_refused_before_it_is_read(client):
    tenant = uuid.uuid4()
    response = await client.post(
        "/uploads", content=b"x" * (LIMIT + 1), headers=auth(tenant, "big-1")
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_streamed_oversized_body_is_refused_without_reading_it_all(client, platform_db):
    tenant, sent = uuid.uuid4(), []

    async def chunks():
        for _ in range(100):
            sent.append(1)
            yield b"x" * 1024

    response = await client.post("/uploads", content=chunks(), headers=auth(tenant, "big-2"))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert len(sent) <= LIMIT // 1024 + 1  # stopped at the limit, 95 chunks never read
    assert await key_row(platform_db, tenant, "big-2") is None


async def test_a_body_at_the_limit_passes_and_multipart_gets_its_envelope(client):
    tenant = uuid.uuid4()
    at_limit = await client.post("/uploads", content=b"x" * LIMIT, headers=auth(tenant, "size-1"))
    assert at_limit.status_code == 200
    assert at_limit.json()["data"]["size"] == LIMIT
    multipart = {**auth(tenant, "size-2"), "Content-Type": "multipart/form-data; boundary=b"}
    upload = await client.post("/uploads", content=b"x" * (LIMIT + 1000), headers=multipart)
    assert upload.status_code == 200
    assert upload.json()["data"]["size"] == LIMIT + 1000


def test_the_fingerprint_streams_to_the_same_digest():
    whole = idempotency.request_fingerprint("POST", "/x", b"a=1", b"hello world")
    streamed = idempotency.Fingerprint("POST", "/x", b"a=1")
    for chunk in (b"hel", b"lo w", b"orld"):
        streamed.update(chunk)
    assert streamed.hexdigest() == whole
    assert idempotency.request_fingerprint("POST", "/x", b"a=1", b"hello") != whole
