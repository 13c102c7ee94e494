import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from millbook_contracts.envelope import Envelope
from millbook_identity.audit import service as audit
from millbook_identity.audit.consumer import audit_consumer
from millbook_identity.models import AuditEntry, Organization
from millbook_platform.consumer import EVERY_EVENT
from millbook_platform.db import unit_of_work

from .conftest import add_user, bearer, field_names


def foreign_event(tenant_id, **overrides) -> Envelope:
    values = dict(
        id=uuid.uuid4(),
        source="/millbook/billing",
        type="billing.invoice.paid",
        subject=str(uuid.uuid4()),
        tenant_id=tenant_id,
        time=datetime.now(UTC),
        dataschema="millbook:billing.invoice.paid:v1",
        data=json.dumps({"amount": "1100.00"}).encode(),
        actor="api_key:" + str(uuid.uuid4()),
        request_id="req_from_billing",
    )
    values.update(overrides)
    return Envelope(**values)


async def test_audit_lists_logins_newest_first_with_actor_and_request(client, org):
    response = await client.get(
        "/v1/audit",
        params={"action": "identity.auth.login_succeeded"},
        headers={**bearer(org.admin_token)},
    )

    assert response.status_code == 200, response.text
    [entry] = response.json()["data"]
    assert entry["actor"] == f"user:{org.admin_id}"
    assert entry["actor_id"] == str(org.admin_id)
    assert (entry["resource_type"], entry["resource_id"]) == ("user", str(org.admin_id))
    assert entry["request_id"].startswith("req_")


async def test_every_event_of_every_service_lands_once_in_the_trail(
    client, org, settings, sessions
):
    consumer = audit_consumer(settings.kafka_bootstrap_servers, "identity")(sessions)
    envelope = foreign_event(org.id)
    subscription = consumer._subscriptions[EVERY_EVENT]

    first = await consumer.apply(envelope, subscription)
    again = await consumer.apply(envelope, subscription)
    response = await client.get(
        "/v1/audit", params={"resource_id": envelope.subject}, headers=bearer(org.admin_token)
    )

    assert (first, again) == ("processed", "duplicate")
    [entry] = response.json()["data"]
    assert entry["action"] == "billing.invoice.paid"
    assert entry["resource_type"] == "invoice"
    assert entry["actor"] == envelope.actor
    assert entry["request_id"] == "req_from_billing"
    assert entry["payload"] == {"amount": "1100.00"}
    assert entry["event_id"] == str(envelope.id)


async def test_an_event_that_carries_a_secret_reaches_the_trail_redacted(
    client, org, settings, sessions
):
    consumer = audit_consumer(settings.kafka_bootstrap_servers, "identity")(sessions)
    payload = {
        "email": "owner@example.com",
        "token": "canary-token",
        "settings": {"smtp_password": "canary-smtp", "host": "mail.example.com"},
    }
    envelope = foreign_event(
        org.id, type="identity.password_reset.requested", data=json.dumps(payload).encode()
    )

    await consumer.apply(envelope, consumer._subscriptions[EVERY_EVENT])
    response = await client.get(
        "/v1/audit", params={"resource_id": envelope.subject}, headers=bearer(org.admin_token)
    )

    assert response.status_code == 200, response.text
    assert "canary" not in response.text
    [entry] = response.json()["data"]
    assert entry["payload"] == {
        "email": "owner@example.com",
        "token": "[redacted]",
        "settings": {"smtp_password": "[redacted]", "host": "mail.example.com"},
    }


async def test_filters_and_cursor_pages_do_not_overlap(client, org, settings, sessions):
    consumer = audit_consumer(settings.kafka_bootstrap_servers, "identity")(sessions)
    subscription = consumer._subscriptions[EVERY_EVENT]
    base = datetime.now(UTC) - timedelta(hours=1)
    for minute in range(5):
        await consumer.apply(
            foreign_event(org.id, time=base + timedelta(minutes=minute)), subscription
        )
    headers = bearer(org.admin_token)
    params = {"action": "billing.invoice.paid", "limit": 2}

    first = (await client.get("/v1/audit", params=params, headers=headers)).json()
    second = (
        await client.get(
            "/v1/audit", params={**params, "cursor": first["meta"]["next_cursor"]}, headers=headers
        )
    ).json()
    window = await client.get(
        "/v1/audit",
        params={
            "action": "billing.invoice.paid",
            "date_from": (base + timedelta(minutes=1)).isoformat(),
            "date_to": (base + timedelta(minutes=2)).isoformat(),
        },
        headers=headers,
    )

    times = [e["occurred_at"] for e in first["data"] + second["data"]]
    assert times == sorted(times, reverse=True)
    assert len(set(e["id"] for e in first["data"] + second["data"])) == 4
    assert len(window.json()["data"]) == 2


async def test_another_organization_sees_none_of_my_entries(client, org, found_org):
    other = await found_org()
    mine = (await client.get("/v1/audit", headers=bearer(org.admin_token))).json()["data"]
    entry_id = mine[0]["id"]

    theirs = await client.get(f"/v1/audit/{entry_id}", headers=bearer(other.admin_token))
    listed = (await client.get("/v1/audit", headers=bearer(other.admin_token))).json()["data"]

    assert theirs.status_code == 404
    assert entry_id not in {e["id"] for e in listed}


async def test_audit_needs_audit_read_and_validates_filters(client, org):
    _, viewer = await add_user(client, org, roles=["viewer"])
    denied = await client.get("/v1/audit", headers=bearer(viewer))
    bad_date = await client.get(
        "/v1/audit", params={"date_from": "last tuesday"}, headers=bearer(org.admin_token)
    )
    assert denied.status_code == 403
    assert "audit:read" in denied.json()["error"]["message"]
    assert bad_date.status_code == 422
    assert field_names(bad_date) == ["date_from"]


async def test_purge_removes_only_entries_older_than_the_tenants_retention(org, sessions):
    now = datetime.now(UTC)
    async with unit_of_work(sessions, org.id) as session:
        await session.execute(
            update(Organization).where(Organization.id == org.id).values(audit_retention_days=10)
        )
        for age_days in (11, 9):
            audit.record(
                session,
                tenant_id=org.id,
                action="test.retention",
                resource_type="test",
                resource_id=age_days,
            ).occurred_at = now - timedelta(days=age_days)

    async with unit_of_work(sessions) as session:
        removed = await audit.purge_expired(session, now)
    async with unit_of_work(sessions, org.id) as session:
        left = (
            await session.scalars(
                select(AuditEntry.resource_id).where(AuditEntry.action == "test.retention")
            )
        ).all()

    assert removed >= 1
    assert left == ["9"]
