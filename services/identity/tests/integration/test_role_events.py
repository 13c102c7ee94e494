"""A custom role's creation, change and deletion are published, and land in the audit trail."""

from sqlalchemy import select

from millbook_contracts.envelope import Envelope
from millbook_contracts.events import RoleCreated, RoleDeleted, RoleUpdated
from millbook_identity.audit.consumer import audit_consumer
from millbook_platform.consumer import EVERY_EVENT
from millbook_platform.tables import OutboxRow

from .conftest import add_user, bearer, events


async def create_role(client, org, **overrides) -> dict:
    body = {"name": "shop-floor", "description": "Reads the floor", "scopes": ["orders:read"]}
    response = await client.post(
        "/v1/roles", json={**body, **overrides}, headers=bearer(org.admin_token)
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def published(sessions, event_type: str, subject: object) -> list[Envelope]:
    """The outbox rows as the relay would put them on Kafka."""
    statement = select(OutboxRow).where(
        OutboxRow.event_type == event_type, OutboxRow.key == str(subject)
    )
    async with sessions() as session:
        rows = (await session.scalars(statement.order_by(OutboxRow.id))).all()
    return [
        Envelope.from_kafka([(k, v.encode()) for k, v in row.headers.items()], row.payload)
        for row in rows
    ]


async def test_creating_a_role_publishes_role_created_with_name_scopes_and_organization(
    client, org, sessions
):
    role = await create_role(client, org, scopes=["users:read", "orders:read"])

    [payload] = await events(sessions, "identity.role.created", role["id"])
    event = RoleCreated.model_validate(payload)
    assert (str(event.role_id), event.organization_id) == (role["id"], org.id)
    assert (event.name, event.description) == ("shop-floor", "Reads the floor")
    assert event.scopes == ["orders:read", "users:read"]


async def test_updating_a_role_publishes_what_changed_and_its_previous_name(client, org, sessions):
    role = await create_role(client, org, name="old-name")

    response = await client.patch(
        f"/v1/roles/{role['id']}",
        json={"name": "new-name", "scopes": ["orders:read", "invoices:read"]},
        headers=bearer(org.admin_token),
    )

    assert response.status_code == 200, response.text
    [payload] = await events(sessions, "identity.role.updated", role["id"])
    event = RoleUpdated.model_validate(payload)
    assert (event.name, event.previous_name) == ("new-name", "old-name")
    assert event.changed == ["name", "scopes"]
    assert event.scopes == ["invoices:read", "orders:read"]
    assert event.organization_id == org.id


async def test_an_update_that_changes_nothing_publishes_nothing(client, org, sessions):
    role = await create_role(client, org, scopes=["users:read", "orders:read"])

    response = await client.patch(
        f"/v1/roles/{role['id']}",
        json={"name": "shop-floor", "scopes": ["orders:read", "users:read"]},
        headers=bearer(org.admin_token),
    )

    assert response.status_code == 200
    assert await events(sessions, "identity.role.updated", role["id"]) == []


async def test_deleting_a_role_publishes_role_deleted(client, org, sessions):
    role = await create_role(client, org)

    response = await client.delete(f"/v1/roles/{role['id']}", headers=bearer(org.admin_token))

    assert response.status_code == 204
    [payload] = await events(sessions, "identity.role.deleted", role["id"])
    event = RoleDeleted.model_validate(payload)
    assert (event.name, event.scopes, event.organization_id) == (
        "shop-floor",
        ["orders:read"],
        org.id,
    )


async def test_refused_role_changes_publish_nothing(client, org, sessions):
    role = await create_role(client, org, name="held")
    await add_user(client, org, roles=["held"])
    again = {"name": "held", "scopes": ["orders:read"]}
    duplicate = await client.post("/v1/roles", json=again, headers=bearer(org.admin_token))
    in_use = await client.delete(f"/v1/roles/{role['id']}", headers=bearer(org.admin_token))

    assert (duplicate.status_code, in_use.status_code) == (409, 409)
    assert len(await events(sessions, "identity.role.created", role["id"])) == 1
    assert await events(sessions, "identity.role.deleted", role["id"]) == []


async def test_a_users_roles_changing_still_publishes_role_changed(client, org, sessions):
    user, _ = await add_user(client, org, roles=["viewer"])

    await client.patch(
        f"/v1/users/{user['id']}", json={"roles": ["sales"]}, headers=bearer(org.admin_token)
    )

    [changed] = await events(sessions, "identity.role.changed", user["id"])
    assert (changed["previous_roles"], changed["roles"]) == (["viewer"], ["sales"])
    assert changed["user_id"] == user["id"]


async def test_role_events_land_in_the_audit_trail_with_their_actor(
    client, org, settings, sessions
):
    role = await create_role(client, org)
    await client.patch(
        f"/v1/roles/{role['id']}", json={"description": "x"}, headers=bearer(org.admin_token)
    )
    await client.delete(f"/v1/roles/{role['id']}", headers=bearer(org.admin_token))
    consumer = audit_consumer(settings.kafka_bootstrap_servers, "identity")(sessions)
    subscription = consumer._subscriptions[EVERY_EVENT]
    for event_type in ("identity.role.created", "identity.role.updated", "identity.role.deleted"):
        [envelope] = await published(sessions, event_type, role["id"])
        assert await consumer.apply(envelope, subscription) == "processed"

    response = await client.get(
        "/v1/audit",
        params={"resource_type": "role", "resource_id": role["id"]},
        headers=bearer(org.admin_token),
    )

    entries = response.json()["data"]
    assert sorted(e["action"] for e in entries) == [
        "identity.role.created",
        "identity.role.deleted",
        "identity.role.updated",
    ]
    assert {e["actor"] for e in entries} == {f"user:{org.admin_id}"}
    assert {e["payload"]["name"] for e in entries} == {"shop-floor"}
