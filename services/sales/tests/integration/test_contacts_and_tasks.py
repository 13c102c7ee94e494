"""Contacts (soft delete) and tasks (filters, related records, reminders sent once)."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from millbook_sales.tasks.reminders import send_due_reminders
from millbook_testing.callers import error_of, fields_named

from .conftest import events_of
from .users import user_created

SOURCE = "/millbook/sales"


async def test_a_contact_belongs_to_an_existing_customer_of_the_tenant(caller, other_tenant):
    customer = await caller.created("/v1/customers", {"name": "Acme"})
    unknown = await caller.post(
        "/v1/contacts", {"customer_id": str(uuid.uuid4()), "first_name": "A", "last_name": "B"}
    )
    assert unknown.status_code == 404
    foreign = await other_tenant.post(
        "/v1/contacts", {"customer_id": customer["id"], "first_name": "A", "last_name": "B"}
    )
    assert foreign.status_code == 404
    assert error_of(foreign)["details"][0]["field"] == "customer_id"


async def test_contact_lifecycle_ends_in_a_soft_delete(caller, sessions):
    customer = await caller.created("/v1/customers", {"name": "Acme"})
    other = await caller.created("/v1/customers", {"name": "Other"})
    contact = await caller.created(
        "/v1/contacts",
        {
            "customer_id": customer["id"],
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "Ada@Acme.example",
            "title": "Buyer",
        },
    )
    await caller.created(
        "/v1/contacts", {"customer_id": other["id"], "first_name": "Bo", "last_name": "Other"}
    )
    assert contact["email"] == "ada@acme.example"
    patched = await caller.patch(f"/v1/contacts/{contact['id']}", {"title": "Head of purchasing"})
    assert patched.json()["data"]["title"] == "Head of purchasing"
    mine = await caller.get("/v1/contacts", params={"customer_id": customer["id"]})
    assert [c["id"] for c in mine.json()["data"]] == [contact["id"]]

    assert (await caller.delete(f"/v1/contacts/{contact['id']}")).status_code == 204
    assert (await caller.get(f"/v1/contacts/{contact['id']}")).status_code == 404
    mine = await caller.get("/v1/contacts", params={"customer_id": customer["id"]})
    assert mine.json()["data"] == []
    types = [
        len(await events_of(sessions, caller.tenant_id, f"sales.contact.{verb}"))
        for verb in ("created", "updated", "deleted")
    ]
    assert types == [2, 1, 1]


async def test_contact_validation_names_fields(caller):
    response = await caller.post(
        "/v1/contacts", {"customer_id": "nope", "first_name": "", "email": "not-an-email"}
    )
    assert response.status_code == 422
    assert {"customer_id", "first_name", "email"} <= fields_named(response)


def at(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


async def test_tasks_filter_by_status_priority_assignee_due_range_and_related(caller, sessions):
    customer = await caller.created("/v1/customers", {"name": "Acme"})
    someone = str(await user_created(sessions, caller.tenant_id))
    await caller.created(
        "/v1/tasks",
        {
            "title": "Call",
            "priority": "high",
            "due_at": at(1),
            "assigned_to": someone,
            "related_to": {"type": "customer", "id": customer["id"]},
        },
    )
    await caller.created("/v1/tasks", {"title": "Email", "due_at": at(48)})
    await caller.created("/v1/tasks", {"title": "Done", "status": "done", "due_at": at(2)})

    async def titles(**params) -> list[str]:
        response = await caller.get("/v1/tasks", params={"sort": "title", **params})
        assert response.status_code == 200, response.text
        return [t["title"] for t in response.json()["data"]]

    assert await titles(status="open") == ["Call", "Email"]
    assert await titles(priority="high") == ["Call"]
    assert await titles(assigned_to=someone) == ["Call"]
    assert await titles(due_at__gte=at(0), due_at__lte=at(24)) == ["Call", "Done"]
    assert await titles(related_type="customer", related_id=customer["id"]) == ["Call"]
    task = (await caller.get("/v1/tasks", params={"priority": "high"})).json()["data"][0]
    assert task["related_to"] == {"type": "customer", "id": customer["id"]}


async def test_task_bad_input(caller, other_tenant):
    customer = await caller.created("/v1/customers", {"name": "Acme"})
    foreign = await other_tenant.post(
        "/v1/tasks", {"title": "x", "related_to": {"type": "customer", "id": customer["id"]}}
    )
    assert foreign.status_code == 404
    bad = await caller.post(
        "/v1/tasks",
        {
            "title": "x",
            "priority": "whenever",
            "related_to": {"type": "invoice", "id": "x"},
            "due_at": "2026-01-01T10:00:00",
        },
    )
    assert bad.status_code == 422
    assert {"priority", "related_to.type", "related_to.id", "due_at"} <= fields_named(bad)


async def test_a_due_reminder_is_published_once_even_with_two_schedulers(caller, sessions):
    due = await caller.created("/v1/tasks", {"title": "Due", "remind_at": at(-1)})
    await caller.created("/v1/tasks", {"title": "Later", "remind_at": at(5)})
    await caller.created("/v1/tasks", {"title": "Finished", "status": "done", "remind_at": at(-1)})

    await asyncio.gather(
        send_due_reminders(sessions, source=SOURCE), send_due_reminders(sessions, source=SOURCE)
    )
    await send_due_reminders(sessions, source=SOURCE)

    reminders = await events_of(sessions, caller.tenant_id, "sales.task.reminder_due")
    assert [r["task_id"] for r in reminders] == [due["id"]]
    task = (await caller.get(f"/v1/tasks/{due['id']}")).json()["data"]
    assert task["reminder_sent_at"] is not None


async def test_moving_remind_at_arms_a_new_reminder(caller, sessions):
    task = await caller.created("/v1/tasks", {"title": "Again", "remind_at": at(-1)})
    await send_due_reminders(sessions, source=SOURCE)
    moved = await caller.patch(f"/v1/tasks/{task['id']}", {"remind_at": at(-0.5)})
    assert moved.json()["data"]["reminder_sent_at"] is None
    await send_due_reminders(sessions, source=SOURCE)
    reminders = await events_of(sessions, caller.tenant_id, "sales.task.reminder_due")
    assert len(reminders) == 2
