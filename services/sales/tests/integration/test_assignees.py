"""`assigned_to` names an active user of the caller's organization, or the request is refused."""

import asyncio
import uuid

import pytest

from millbook_platform import read_models
from millbook_sales.users.repository import TABLE
from millbook_testing.callers import error_of
from millbook_testing.waiting import eventually

from .users import user_created, user_deactivated


async def customer_id(caller) -> str:
    return (await caller.created("/v1/customers", {"name": "Acme"}))["id"]


async def refusal(response) -> str:
    assert response.status_code == 422, response.text
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in error["details"]] == ["assigned_to"]
    return error["message"]


CREATES = {
    "task": ("/v1/tasks", lambda _customer: {"title": "Call"}),
    "lead": ("/v1/leads", lambda _customer: {"name": "Lead"}),
    "opportunity": (
        "/v1/opportunities",
        lambda customer: {"opportunity_name": "Deal", "customer_id": customer},
    ),
}


@pytest.mark.parametrize("record", sorted(CREATES))
async def test_a_user_of_another_organization_cannot_be_assigned(
    record, caller, other_tenant, sessions
):
    foreigner = await user_created(sessions, other_tenant.tenant_id)
    path, body_of = CREATES[record]
    body = body_of(await customer_id(caller))

    created = await caller.post(path, {**body, "assigned_to": str(foreigner)})
    unknown = await caller.post(path, {**body, "assigned_to": str(uuid.uuid4())})

    # Exactly like a user who does not exist: nothing tells the other organization apart.
    assert await refusal(created) == await refusal(unknown)
    mine = await caller.created(path, body)
    changed = await caller.patch(f"{path}/{mine['id']}", {"assigned_to": str(foreigner)})
    await refusal(changed)
    assert (await caller.get(f"{path}/{mine['id']}")).json()["data"]["assigned_to"] != str(
        foreigner
    )


@pytest.mark.parametrize("record", sorted(CREATES))
async def test_a_deactivated_user_cannot_be_assigned(record, caller, sessions):
    gone = await user_created(sessions, caller.tenant_id)
    await user_deactivated(sessions, caller.tenant_id, gone)
    path, body_of = CREATES[record]

    response = await caller.post(
        path, {**body_of(await customer_id(caller)), "assigned_to": str(gone)}
    )

    assert "deactivated" in await refusal(response)


@pytest.mark.parametrize("record", sorted(CREATES))
async def test_an_active_user_of_the_organization_is_assigned(record, caller, sessions):
    rep = await user_created(sessions, caller.tenant_id, roles=("accountant",))
    path, body_of = CREATES[record]

    created = await caller.created(
        path, {**body_of(await customer_id(caller)), "assigned_to": str(rep)}
    )

    assert created["assigned_to"] == str(rep)


async def test_a_user_identity_created_a_moment_ago_is_assigned_once_its_event_lands(
    caller, sessions
):
    newcomer = uuid.uuid4()
    request = asyncio.create_task(
        caller.post("/v1/tasks", {"title": "Welcome call", "assigned_to": str(newcomer)})
    )
    # The request is waiting for the user's row before identity's event is applied.
    key = read_models.row_key(TABLE, caller.tenant_id, newcomer)
    await eventually(lambda: _waiting_for(key), what="a request waiting for the user")
    assert not request.done()

    await user_created(sessions, caller.tenant_id, user_id=newcomer)

    response = await request
    assert response.status_code == 201, response.text
    assert response.json()["data"]["assigned_to"] == str(newcomer)


async def _waiting_for(key: str) -> bool:
    listeners = read_models._LISTENERS.get(asyncio.get_running_loop(), {})
    return any(key in listener._waiters for listener in listeners.values())
