"""The expiry job: sent quotations past `valid_until` become expired, exactly once."""

import asyncio
from datetime import UTC, datetime

from millbook_sales.quotations.expiry import expire_overdue_quotations

from .conftest import events_of
from .test_quotations import VALID_UNTIL, customer_of, quote

SOURCE = "/millbook/sales"
# The quotations here are valid until 2026-02-15 unless a test says otherwise.
DAY_AFTER = datetime(2026, 2, 16, 0, 0, tzinfo=UTC)
LAST_VALID_DAY = datetime(2026, 2, 15, 23, 59, tzinfo=UTC)


async def sent(caller, customer_id: str, **overrides) -> dict:
    body = quote(customer_id, **{"valid_until": "2026-02-15", **overrides})
    q = await caller.created("/v1/quotations", body)
    response = await caller.post(f"/v1/quotations/{q['id']}/send")
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def status_of(caller, quotation: dict) -> str:
    return (await caller.get(f"/v1/quotations/{quotation['id']}")).json()["data"]["status"]


async def test_a_sent_quotation_expires_the_day_after_its_validity_once(caller, sessions):
    customer = await customer_of(caller)
    quotation = await sent(caller, customer["id"])

    await expire_overdue_quotations(sessions, source=SOURCE, now=LAST_VALID_DAY)
    assert await status_of(caller, quotation) == "sent"

    await expire_overdue_quotations(sessions, source=SOURCE, now=DAY_AFTER)
    await expire_overdue_quotations(sessions, source=SOURCE, now=DAY_AFTER)

    data = (await caller.get(f"/v1/quotations/{quotation['id']}")).json()["data"]
    assert data["status"] == "expired"
    assert data["expired_at"].startswith("2026-02-16T00:00:00")
    (event,) = await events_of(sessions, caller.tenant_id, "sales.quotation.expired")
    assert (event["quotation_id"], event["quote_number"], event["status"]) == (
        quotation["id"],
        quotation["quote_number"],
        "expired",
    )
    assert event["totals"]["total_amount"] == "2751.00"
    accept = await caller.post(f"/v1/quotations/{quotation['id']}/accept")
    assert accept.status_code == 409


async def test_drafts_answered_and_open_ended_quotations_never_expire(caller, sessions):
    customer = await customer_of(caller)
    a_draft = await caller.created("/v1/quotations", quote(customer["id"]))
    accepted = await sent(caller, customer["id"], valid_until=VALID_UNTIL)
    assert (await caller.post(f"/v1/quotations/{accepted['id']}/accept")).status_code == 200
    open_ended = await sent(caller, customer["id"], valid_until=None)

    # Long after every date above: only a sent quotation with a valid_until could expire.
    await expire_overdue_quotations(sessions, source=SOURCE, now=datetime(2100, 1, 1, tzinfo=UTC))

    assert [await status_of(caller, q) for q in (a_draft, accepted, open_ended)] == [
        "draft",
        "accepted",
        "sent",
    ]
    assert await events_of(sessions, caller.tenant_id, "sales.quotation.expired") == []


async def test_two_jobs_racing_expire_each_quotation_once(caller, other_tenant, sessions):
    mine = await customer_of(caller)
    theirs = await customer_of(other_tenant)
    quotations = [await sent(caller, mine["id"]) for _ in range(5)]
    foreign = await sent(other_tenant, theirs["id"])

    counts = await asyncio.gather(
        *(expire_overdue_quotations(sessions, source=SOURCE, now=DAY_AFTER) for _ in range(3))
    )

    assert sum(counts) >= 6  # both tenants; the events below show each went once
    expired = await events_of(sessions, caller.tenant_id, "sales.quotation.expired")
    assert sorted(e["quotation_id"] for e in expired) == sorted(q["id"] for q in quotations)
    (other,) = await events_of(sessions, other_tenant.tenant_id, "sales.quotation.expired")
    assert other["quotation_id"] == foreign["id"]
    assert await status_of(other_tenant, foreign) == "expired"
