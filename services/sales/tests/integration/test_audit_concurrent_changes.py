"""Concurrent changes of one task or contact publish each fact once.

Two requests racing to complete, change or delete the same row must not both read it
as it was before, or both would publish the same `completed` / `deleted` fact.
"""

from __future__ import annotations

import asyncio

from .conftest import events_of


async def test_two_concurrent_completions_publish_one_completed_event(caller, sessions):
    for _ in range(3):  # a race: a few rounds make a wrong interleaving near-certain
        task = await caller.created("/v1/tasks", {"title": "Call back"})
        path = f"/v1/tasks/{task['id']}"
        responses = await asyncio.gather(
            *(caller.patch(path, {"status": "done"}) for _ in range(4))
        )
        assert [r.status_code for r in responses] == [200] * 4
        completed = await events_of(sessions, caller.tenant_id, "sales.task.completed")
        assert [e["task_id"] for e in completed].count(task["id"]) == 1


async def test_two_concurrent_deletions_of_a_task_publish_one_deleted_event(caller, sessions):
    for _ in range(3):
        task = await caller.created("/v1/tasks", {"title": "Drop me"})
        path = f"/v1/tasks/{task['id']}"
        responses = await asyncio.gather(*(caller.delete(path) for _ in range(4)))
        assert sorted(r.status_code for r in responses) == [204, 404, 404, 404]
        deleted = await events_of(sessions, caller.tenant_id, "sales.task.deleted")
        assert [e["task_id"] for e in deleted].count(task["id"]) == 1


async def test_two_concurrent_deletions_of_a_contact_publish_one_deleted_event(caller, sessions):
    customer = await caller.created("/v1/customers", {"name": "Acme"})
    for _ in range(3):
        contact = await caller.created(
            "/v1/contacts", {"customer_id": customer["id"], "first_name": "A", "last_name": "B"}
        )
        path = f"/v1/contacts/{contact['id']}"
        responses = await asyncio.gather(*(caller.delete(path) for _ in range(4)))
        assert sorted(r.status_code for r in responses) == [204, 404, 404, 404]
        deleted = await events_of(sessions, caller.tenant_id, "sales.contact.deleted")
        assert [e["contact_id"] for e in deleted].count(contact["id"]) == 1
