"""Tasks: every change is published; deletion; `related_to` must exist in the tenant."""

import uuid
from datetime import UTC, datetime, timedelta

from millbook_testing.callers import error_of, fields_named

from .conftest import events_of
from .test_quotations import customer_of, quote


def at(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


async def test_create_update_complete_and_delete_each_publish_their_event(caller, sessions):
    customer = await customer_of(caller)
    task = await caller.created(
        "/v1/tasks",
        {
            "title": "Call back",
            "due_at": at(2),
            "related_to": {"type": "customer", "id": customer["id"]},
        },
    )
    (created,) = await events_of(sessions, caller.tenant_id, "sales.task.created")
    assert (created["task_id"], created["related_type"], created["related_id"]) == (
        task["id"],
        "customer",
        customer["id"],
    )

    await caller.patch(f"/v1/tasks/{task['id']}", {"priority": "urgent", "related_to": None})
    await caller.patch(f"/v1/tasks/{task['id']}", {"priority": "urgent"})  # no change
    await caller.patch(f"/v1/tasks/{task['id']}", {"status": "done", "title": "Called back"})

    updated = await events_of(sessions, caller.tenant_id, "sales.task.updated")
    assert [u["changed"] for u in updated] == [["priority", "related_to"], ["title"]]
    (completed,) = await events_of(sessions, caller.tenant_id, "sales.task.completed")
    assert (completed["status"], completed["title"]) == ("done", "Called back")

    response = await caller.delete(f"/v1/tasks/{task['id']}")
    assert response.status_code == 204
    assert (await caller.get(f"/v1/tasks/{task['id']}")).status_code == 404
    assert (await caller.delete(f"/v1/tasks/{task['id']}")).status_code == 404
    (deleted,) = await events_of(sessions, caller.tenant_id, "sales.task.deleted")
    assert (deleted["task_id"], deleted["title"]) == (task["id"], "Called back")


async def test_another_tenant_can_neither_see_change_nor_delete_a_task(
    caller, other_tenant, sessions
):
    task = await caller.created("/v1/tasks", {"title": "Mine"})
    assert (await other_tenant.delete(f"/v1/tasks/{task['id']}")).status_code == 404
    assert (await other_tenant.patch(f"/v1/tasks/{task['id']}", {"title": "x"})).status_code == 404
    assert (await caller.get(f"/v1/tasks/{task['id']}")).json()["data"]["title"] == "Mine"
    assert await events_of(sessions, other_tenant.tenant_id, "sales.task.deleted") == []


async def test_related_to_must_exist_in_the_tenant_for_every_kind(caller, other_tenant, sessions):
    customer = await customer_of(caller)
    quotation = await caller.created("/v1/quotations", quote(customer["id"]))
    ok = await caller.post(
        "/v1/tasks", {"title": "Chase", "related_to": {"type": "quotation", "id": quotation["id"]}}
    )
    assert ok.status_code == 201, ok.text
    for kind in ("customer", "lead", "opportunity", "quotation", "order"):
        response = await caller.post(
            "/v1/tasks", {"title": "x", "related_to": {"type": kind, "id": str(uuid.uuid4())}}
        )
        assert response.status_code == 404, kind
        assert fields_named(response) == {"related_to.id"}
    foreign = await other_tenant.post(
        "/v1/tasks", {"title": "x", "related_to": {"type": "quotation", "id": quotation["id"]}}
    )
    assert foreign.status_code == 404
    moved = await caller.patch(
        f"/v1/tasks/{ok.json()['data']['id']}",
        {"related_to": {"type": "order", "id": str(uuid.uuid4())}},
    )
    assert error_of(moved)["code"] == "RESOURCE_NOT_FOUND"
    assert len(await events_of(sessions, caller.tenant_id, "sales.task.created")) == 1
    assert await events_of(sessions, caller.tenant_id, "sales.task.updated") == []


async def test_a_deleted_customer_takes_no_new_tasks(caller):
    customer = await customer_of(caller)
    assert (await caller.delete(f"/v1/customers/{customer['id']}")).status_code == 204
    response = await caller.post(
        "/v1/tasks", {"title": "x", "related_to": {"type": "customer", "id": customer["id"]}}
    )
    assert response.status_code == 404


async def test_an_inverted_due_range_is_a_validation_error(caller):
    response = await caller.get("/v1/tasks", params={"due_at__gte": at(5), "due_at__lte": at(1)})
    assert response.status_code == 422
    assert fields_named(response) == {"due_at__lte"}
