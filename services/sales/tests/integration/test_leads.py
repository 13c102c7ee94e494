"""Leads: duplicate detection, round-robin assignment from identity's events, conversion."""

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from millbook_contracts.events import (
    RoleChanged,
    RoleUpdated,
    UserCreated,
    UserDeactivated,
    UserReactivated,
)
from millbook_platform.consumer import Subscription
from millbook_platform.db import unit_of_work
from millbook_sales.consumers import USERS, users_consumer
from millbook_sales.models import SalesUser
from millbook_sales.users import projection
from millbook_testing.callers import error_of
from millbook_testing.kafka import produce
from millbook_testing.waiting import eventually

from .conftest import events_of


def user_created(tenant: uuid.UUID, roles: list[str], user_id: uuid.UUID | None = None):
    return UserCreated(
        user_id=user_id or uuid.uuid4(),
        organization_id=tenant,
        email="rep@example.com",
        first_name="Sales",
        last_name="Rep",
        roles=roles,
        created_at=datetime.now(UTC),
    )


async def deliver(app, event) -> str:
    """Hand one event to the users consumer as Kafka would (inbox included)."""
    consumer = users_consumer(app.state.runtime.settings)(app.state.sessions)
    envelope = event.envelope(tenant_id=event.organization_id, source="/millbook/identity")
    subscription: Subscription = USERS[event.event_type]
    return await consumer.apply(envelope, subscription)


async def test_leads_are_assigned_round_robin_among_active_sales_users(app, caller, sessions):
    reps = sorted(uuid.uuid4() for _ in range(3))
    for rep in reps:
        await deliver(app, user_created(caller.tenant_id, ["sales"], rep))
    await deliver(app, user_created(caller.tenant_id, ["accountant"]))  # never gets leads

    assigned = [
        (await caller.created("/v1/leads", {"name": f"Lead {i}"}))["assigned_to"] for i in range(4)
    ]
    assert assigned == [str(reps[0]), str(reps[1]), str(reps[2]), str(reps[0])]

    await deliver(
        app,
        UserDeactivated(
            user_id=reps[1], organization_id=caller.tenant_id, deactivated_at=datetime.now(UTC)
        ),
    )
    nxt = await caller.created("/v1/leads", {"name": "After deactivation"})
    assert nxt["assigned_to"] == str(reps[2])
    named = await caller.created("/v1/leads", {"name": "Named", "assigned_to": str(reps[0])})
    assert named["assigned_to"] == str(reps[0])
    # A deactivated user is out of the circle and cannot be named either.
    refused = await caller.post("/v1/leads", {"name": "Refused", "assigned_to": str(reps[1])})
    assert refused.status_code == 422
    created = await events_of(sessions, caller.tenant_id, "sales.lead.created")
    assert [e["auto_assigned"] for e in created] == [True] * 5 + [False]


async def test_concurrent_leads_take_turns(app, caller):
    reps = sorted(uuid.uuid4() for _ in range(2))
    for rep in reps:
        await deliver(app, user_created(caller.tenant_id, ["sales"], rep))
    leads = await asyncio.gather(
        *(caller.created("/v1/leads", {"name": f"L{i}"}) for i in range(6))
    )
    counts = {str(rep): sum(1 for lead in leads if lead["assigned_to"] == str(rep)) for rep in reps}
    assert counts == {str(reps[0]): 3, str(reps[1]): 3}


async def test_a_role_change_moves_a_user_in_or_out_of_the_circle(app, caller):
    rep = uuid.uuid4()
    await deliver(app, user_created(caller.tenant_id, ["viewer"], rep))
    lead = await caller.created("/v1/leads", {"name": "Nobody yet"})
    assert lead["assigned_to"] is None
    await deliver(
        app,
        RoleChanged(
            user_id=rep,
            organization_id=caller.tenant_id,
            previous_roles=["viewer"],
            roles=["viewer", "sales"],
            changed_at=datetime.now(UTC),
        ),
    )
    lead = await caller.created("/v1/leads", {"name": "Now assigned"})
    assert lead["assigned_to"] == str(rep)


async def test_a_redelivered_user_event_changes_nothing(app, caller):
    event = user_created(caller.tenant_id, ["sales"])
    consumer = users_consumer(app.state.runtime.settings)(app.state.sessions)
    envelope = event.envelope(tenant_id=caller.tenant_id, source="/millbook/identity")
    assert await consumer.apply(envelope, USERS[event.event_type]) == "processed"
    assert await consumer.apply(envelope, USERS[event.event_type]) == "duplicate"


@pytest.mark.timeout(60)
async def test_identity_events_on_kafka_feed_the_assignment(app, caller, infra):
    settings = app.state.runtime.settings
    name = f"test-{uuid.uuid4().hex[:8]}"
    consumer = users_consumer(settings, name=name)(app.state.sessions)
    task = asyncio.create_task(consumer.run())
    try:
        event = user_created(caller.tenant_id, ["sales"])
        envelope = event.envelope(tenant_id=caller.tenant_id, source="/millbook/identity")
        await produce(
            infra.kafka_bootstrap,
            event.topic(),
            envelope.data,
            key=envelope.subject.encode(),
            headers=envelope.to_headers(),
        )

        async def assignee():
            lead = await caller.post(
                "/v1/leads", {"name": "Probe"}, params={"allow_duplicate": True}
            )
            return lead.json()["data"]["assigned_to"]

        await eventually(assignee, lambda got: got == str(event.user_id), what="assignment")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_duplicate_lead_is_refused_naming_the_record_it_duplicates(caller):
    customer = await caller.created(
        "/v1/customers", {"name": "Acme", "company": "ACME Corp.", "primary_email": "buy@acme.io"}
    )
    lead = await caller.created(
        "/v1/leads", {"name": "Zed", "company": "Zenith GmbH", "email": "z@zenith.io"}
    )
    by_email = await caller.post("/v1/leads", {"name": "X", "email": "BUY@acme.io"})
    assert by_email.status_code == 409
    detail = error_of(by_email)["details"][0]
    assert (detail["resource"], detail["id"], detail["field"]) == (
        "customer",
        customer["id"],
        "email",
    )

    by_company = await caller.post("/v1/leads", {"name": "Y", "company": "zenith"})
    assert by_company.status_code == 409
    detail = error_of(by_company)["details"][0]
    assert (detail["resource"], detail["id"], detail["field"]) == ("lead", lead["id"], "company")
    assert "allow_duplicate" in error_of(by_company)["message"]

    forced = await caller.post(
        "/v1/leads", {"name": "Y", "company": "Zenith"}, params={"allow_duplicate": "true"}
    )
    assert forced.status_code == 201


async def test_leads_of_another_tenant_are_not_duplicates(caller, other_tenant):
    await caller.created("/v1/leads", {"name": "A", "email": "same@example.com"})
    await other_tenant.created("/v1/leads", {"name": "A", "email": "same@example.com"})


async def test_converting_a_lead_creates_customer_contact_and_opportunity(caller, sessions):
    lead = await caller.created(
        "/v1/leads",
        {
            "name": "Ada King Lovelace",
            "company": "Analytical Engines Ltd",
            "email": "ada@ae.io",
            "source": "referral",
            "estimated_value": "12500.5",
            "currency_code": "GBP",
        },
    )
    response = await caller.post(
        f"/v1/leads/{lead['id']}/convert", {"expected_close_date": "2026-12-31"}
    )
    assert response.status_code == 200, response.text
    ids = response.json()["data"]

    customer = (await caller.get(f"/v1/customers/{ids['customer_id']}")).json()["data"]
    assert (customer["name"], customer["currency_code"]) == ("Analytical Engines Ltd", "GBP")
    contact = (await caller.get(f"/v1/contacts/{ids['contact_id']}")).json()["data"]
    assert (contact["first_name"], contact["last_name"]) == ("Ada", "King Lovelace")
    opportunity = (await caller.get(f"/v1/opportunities/{ids['opportunity_id']}")).json()["data"]
    assert opportunity["estimated_value"] == "12500.50"
    assert (opportunity["stage"], opportunity["status"]) == ("qualification", "open")
    converted = (await caller.get(f"/v1/leads/{lead['id']}")).json()["data"]
    assert converted["status"] == "converted"
    assert converted["customer_id"] == ids["customer_id"]

    for event_type in (
        "sales.customer.created",
        "sales.contact.created",
        "sales.opportunity.created",
        "sales.lead.converted",
    ):
        assert len(await events_of(sessions, caller.tenant_id, event_type)) == 1

    again = await caller.post(f"/v1/leads/{lead['id']}/convert")
    assert again.status_code == 409
    assert error_of(again)["code"] == "INVALID_TRANSITION"


async def test_a_failed_conversion_writes_nothing(caller, sessions):
    lead = await caller.created("/v1/leads", {"name": "Solo"})
    bad = await caller.post(f"/v1/leads/{lead['id']}/convert", {"opportunity_name": ""})
    assert bad.status_code == 422
    assert (await caller.get("/v1/customers")).json()["meta"]["total"] == 0
    assert await events_of(sessions, caller.tenant_id, "sales.customer.created") == []
    unknown = await caller.post(f"/v1/leads/{uuid.uuid4()}/convert")
    assert unknown.status_code == 404


async def test_a_reactivated_sales_user_takes_leads_again_and_a_late_deactivation_does_not_undo_it(
    app, caller
):
    user = user_created(caller.tenant_id, ["sales"])
    await deliver(app, user)
    deactivated_at = datetime.now(UTC)
    gone = UserDeactivated(
        user_id=user.user_id, organization_id=caller.tenant_id, deactivated_at=deactivated_at
    )
    await deliver(app, gone)
    assert not await active_ids(app, caller.tenant_id)
    back = UserReactivated(
        user_id=user.user_id,
        organization_id=caller.tenant_id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        roles=["sales"],
        reactivated_at=deactivated_at + timedelta(minutes=1),
    )
    await deliver(app, back)
    assert await active_ids(app, caller.tenant_id) == [user.user_id]
    # The same deactivation delivered again as a new message (a replay) keeps the user active.
    await deliver(app, gone.model_copy())
    assert await active_ids(app, caller.tenant_id) == [user.user_id]


async def test_a_renamed_role_is_renamed_on_its_holders(app, caller):
    user = user_created(caller.tenant_id, ["sales", "estimators"])
    await deliver(app, user)
    renamed = RoleUpdated(
        role_id=uuid.uuid4(),
        organization_id=caller.tenant_id,
        name="estimating",
        previous_name="estimators",
        description="Prices parts",
        scopes=["quotations:write"],
        changed=["name"],
        updated_at=datetime.now(UTC),
    )
    await deliver(app, renamed)
    async with unit_of_work(app.state.sessions, caller.tenant_id) as session:
        roles = await session.scalar(
            select(SalesUser.roles).where(SalesUser.user_id == user.user_id)
        )
    assert roles == ["sales", "estimating"]


async def active_ids(app, tenant_id):
    async with unit_of_work(app.state.sessions, tenant_id) as session:
        return list(await projection.active_sales_user_ids(session, tenant_id))


async def test_a_lead_change_is_published_with_the_fields_that_changed(caller, sessions):
    lead = await caller.created("/v1/leads", {"name": "Ola Berg", "company": "Berg Marine"})
    response = await caller.patch(
        f"/v1/leads/{lead['id']}", {"status": "contacted", "name": "Ola Berg"}
    )
    assert response.status_code == 200, response.text
    unchanged = await caller.patch(f"/v1/leads/{lead['id']}", {"status": "contacted"})
    assert unchanged.status_code == 200

    updates = await events_of(sessions, caller.tenant_id, "sales.lead.updated")
    assert [u["changed"] for u in updates] == [["status"]]  # a no-op PATCH publishes nothing
    assert updates[0]["status"] == "contacted"
