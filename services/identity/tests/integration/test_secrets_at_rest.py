"""A secret shown once is not kept: an Idempotency-Key replay of an API key's creation
or rotation answers the same key with its secret redacted, and says so."""

import uuid

from sqlalchemy import select

from millbook_platform.db import unit_of_work
from millbook_platform.tables import IdempotencyKey

from .conftest import bearer


def with_key(token: str, key: str) -> dict[str, str]:
    return {**bearer(token), "Idempotency-Key": key}


async def stored_body(sessions, tenant, key: str) -> bytes:
    async with unit_of_work(sessions, tenant) as session:
        row = await session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.tenant_id == tenant, IdempotencyKey.key == key
            )
        )
    assert row is not None
    assert row.response_body is not None
    return row.response_body


async def test_a_replayed_key_creation_answers_the_same_key_without_its_secret(
    client, org, sessions
):
    key = f"create-{uuid.uuid4()}"
    body = {"name": "ERP sync", "scopes": ["users:read"], "mode": "live"}

    first = await client.post("/v1/api-keys", json=body, headers=with_key(org.admin_token, key))
    again = await client.post("/v1/api-keys", json=body, headers=with_key(org.admin_token, key))

    assert first.status_code == again.status_code == 201, again.text
    secret = first.json()["data"]["secret"]
    assert secret.startswith("sk_live_")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["x-secrets-redacted"] == "true"
    assert "x-secrets-redacted" not in first.headers
    replayed = again.json()["data"]
    assert replayed == {**first.json()["data"], "secret": "[redacted]"}
    assert secret.encode() not in await stored_body(sessions, org.id, key)
    listed = await client.get("/v1/api-keys", headers=bearer(org.admin_token))
    assert [k["id"] for k in listed.json()["data"]] == [replayed["id"]]


async def test_a_replayed_rotation_does_not_keep_the_new_secret(client, org, sessions):
    created = await client.post(
        "/v1/api-keys",
        json={"name": "CI", "scopes": ["users:read"], "mode": "test"},
        headers=bearer(org.admin_token),
    )
    key_id = created.json()["data"]["id"]
    key = f"rotate-{uuid.uuid4()}"

    first = await client.post(
        f"/v1/api-keys/{key_id}/rotate", json={}, headers=with_key(org.admin_token, key)
    )
    again = await client.post(
        f"/v1/api-keys/{key_id}/rotate", json={}, headers=with_key(org.admin_token, key)
    )

    assert first.status_code == again.status_code == 200, first.text
    assert again.json()["data"]["secret"] == "[redacted]"
    assert first.json()["data"]["secret"].encode() not in await stored_body(sessions, org.id, key)
