"""Opportunities: CRUD, the stage machine with its history and events, win probability."""

from sqlalchemy import text

from millbook_testing.callers import error_of, fields_named

from .conftest import events_of
from .users import user_created


async def customer_of(caller, **fields) -> dict:
    return await caller.created("/v1/customers", {"name": "Acme", "currency_code": "EUR", **fields})


async def opportunity_of(caller, customer_id: str, **fields) -> dict:
    body = {"opportunity_name": "Acme - Q1 brackets", "customer_id": customer_id, **fields}
    return await caller.created("/v1/opportunities", body)


async def backdate(sessions, tenant_id, opportunity_id, days: int) -> None:
    """Pretend the opportunity was created, and entered its stage, `days` ago."""
    shift = "make_interval(days => :days)"
    async with sessions() as session, session.begin():
        await session.execute(
            text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant_id)}
        )
        params = {"days": days, "id": str(opportunity_id)}
        await session.execute(
            text(
                f"UPDATE opportunity_stage_changes SET entered_at = entered_at - {shift} "
                "WHERE opportunity_id = CAST(:id AS uuid)"
            ),
            params,
        )
        await session.execute(
            text(
                f"UPDATE opportunities SET created_at = created_at - {shift}, "
                f"stage_entered_at = stage_entered_at - {shift} WHERE id = CAST(:id AS uuid)"
            ),
            params,
        )


async def test_a_new_opportunity_starts_open_with_its_stage_odds_and_history(caller, sessions):
    customer = await customer_of(caller)
    data = await opportunity_of(
        caller, customer["id"], estimated_value="50000", expected_close_date="2026-03-31"
    )
    assert (data["stage"], data["status"], data["probability"]) == ("qualification", "open", "0.1")
    assert (data["currency_code"], data["estimated_value"]) == ("EUR", "50000.00")
    [stay] = data["stage_history"]
    assert (stay["stage"], stay["left_at"], stay["changed_by"]) == (
        "qualification",
        None,
        f"user:{caller.user_id}",
    )
    created = await events_of(sessions, caller.tenant_id, "sales.opportunity.created")
    assert created[0]["opportunity_id"] == data["id"]
    fetched = (await caller.get(f"/v1/opportunities/{data['id']}")).json()["data"]
    assert fetched["stage_history"] == data["stage_history"]


async def test_bad_opportunities_are_refused_and_other_tenants_customers_unknown(
    caller, other_tenant
):
    theirs = await customer_of(other_tenant)
    unknown = await caller.post(
        "/v1/opportunities", {"opportunity_name": "X", "customer_id": theirs["id"]}
    )
    assert (unknown.status_code, error_of(unknown)["code"]) == (404, "RESOURCE_NOT_FOUND")
    mine = await customer_of(caller)
    closed = await caller.post(
        "/v1/opportunities",
        {"opportunity_name": "X", "customer_id": mine["id"], "stage": "closed_won"},
    )
    assert (closed.status_code, fields_named(closed)) == (422, {"stage"})
    bad = await caller.post(
        "/v1/opportunities",
        {"opportunity_name": "", "customer_id": mine["id"], "estimated_value": "-1"},
    )
    assert fields_named(bad) == {"opportunity_name", "estimated_value"}
    opportunity = await opportunity_of(caller, mine["id"])
    foreign = await other_tenant.get(f"/v1/opportunities/{opportunity['id']}")
    assert foreign.status_code == 404


async def test_moving_between_open_stages_keeps_a_history_and_publishes_each_move(caller, sessions):
    customer = await customer_of(caller)
    opportunity = await opportunity_of(caller, customer["id"])
    path = f"/v1/opportunities/{opportunity['id']}"
    forward = await caller.patch(path, {"stage": "negotiation"})
    assert forward.status_code == 200, forward.text
    assert forward.json()["data"]["probability"] == "0.75"
    back = await caller.patch(path, {"stage": "proposal", "probability": "0.3"})
    data = back.json()["data"]
    assert (data["stage"], data["status"], data["probability"]) == ("proposal", "open", "0.3")
    reset = await caller.patch(path, {"probability": None})
    assert reset.json()["data"]["probability"] == "0.5"
    stages = [(s["stage"], s["left_at"] is None) for s in data["stage_history"]]
    assert stages == [("qualification", False), ("negotiation", False), ("proposal", True)]
    moves = await events_of(sessions, caller.tenant_id, "sales.opportunity.stage_changed")
    assert [(m["from_stage"], m["to_stage"]) for m in moves] == [
        ("qualification", "negotiation"),
        ("negotiation", "proposal"),
    ]
    assert moves[0]["changed_by"] == f"user:{caller.user_id}"
    [update] = await events_of(sessions, caller.tenant_id, "sales.opportunity.updated")
    assert (update["changed_fields"], update["probability"]) == (["probability"], "0.5")


async def test_patch_and_put_change_fields_and_say_which(caller, sessions):
    customer = await customer_of(caller)
    other = await customer_of(caller, name="Beta", currency_code="USD")
    opportunity = await opportunity_of(caller, customer["id"], source="website")
    path = f"/v1/opportunities/{opportunity['id']}"
    patched = await caller.patch(path, {"estimated_value": "1200.5", "source": "referral"})
    assert patched.json()["data"]["estimated_value"] == "1200.50"
    assert (await caller.patch(path, {"opportunity_name": None})).status_code == 422
    put = await caller.put(
        path,
        {
            "opportunity_name": "Beta - tooling",
            "customer_id": other["id"],
            "stage": "qualification",
            "expected_close_date": "2026-06-30",
        },
    )
    data = put.json()["data"]
    assert (data["opportunity_name"], data["currency_code"], data["source"]) == (
        "Beta - tooling",
        "USD",
        None,
    )
    assert (data["estimated_value"], data["expected_close_date"]) == (None, "2026-06-30")
    updates = await events_of(sessions, caller.tenant_id, "sales.opportunity.updated")
    assert set(updates[0]["changed_fields"]) == {"estimated_value", "source"}
    assert {"opportunity_name", "customer_id", "currency_code"} <= set(updates[1]["changed_fields"])


async def test_losing_needs_a_reason_and_closed_opportunities_are_final(caller, sessions):
    customer = await customer_of(caller)
    opportunity = await opportunity_of(caller, customer["id"])
    path = f"/v1/opportunities/{opportunity['id']}"
    no_reason = await caller.patch(path, {"stage": "closed_lost"})
    assert (no_reason.status_code, fields_named(no_reason)) == (422, {"lost_reason"})
    assert (await caller.post(f"{path}/lose", {})).status_code == 422
    lost = await caller.post(f"{path}/lose", {"lost_reason": "price too high"})
    data = lost.json()["data"]
    assert (data["stage"], data["status"], data["lost_reason"]) == (
        "closed_lost",
        "lost",
        "price too high",
    )
    assert (data["probability"], data["closed_at"] is not None) == ("0", True)
    for attempt in (
        caller.patch(path, {"stage": "proposal"}),
        caller.patch(path, {"opportunity_name": "renamed"}),
        caller.post(f"{path}/win"),
    ):
        response = await attempt
        assert (response.status_code, error_of(response)["code"]) == (409, "INVALID_TRANSITION")
    [event] = await events_of(sessions, caller.tenant_id, "sales.opportunity.lost")
    assert (event["lost_reason"], event["status"]) == ("price too high", "lost")


async def test_a_reopened_opportunity_returns_to_where_it_closed_and_can_be_won(caller, sessions):
    customer = await customer_of(caller)
    opportunity = await opportunity_of(caller, customer["id"], stage="proposal")
    path = f"/v1/opportunities/{opportunity['id']}"
    await caller.patch(path, {"stage": "closed_lost", "lost_reason": "no budget"})
    assert (await caller.post(f"/v1/opportunities/{opportunity['id']}/reopen")).status_code == 200
    data = (await caller.get(path)).json()["data"]
    assert (data["stage"], data["status"], data["lost_reason"], data["closed_at"]) == (
        "proposal",
        "open",
        None,
        None,
    )
    again = await caller.post(f"{path}/reopen")
    assert error_of(again)["code"] == "INVALID_TRANSITION"
    won = (await caller.post(f"{path}/win")).json()["data"]
    assert (won["stage"], won["status"], won["probability"]) == ("closed_won", "won", "1")
    assert [s["stage"] for s in won["stage_history"]] == [
        "proposal",
        "closed_lost",
        "proposal",
        "closed_won",
    ]
    [event] = await events_of(sessions, caller.tenant_id, "sales.opportunity.won")
    assert event["opportunity_id"] == opportunity["id"]


async def test_only_open_opportunities_can_be_deleted(caller, sessions):
    customer = await customer_of(caller)
    kept = await opportunity_of(caller, customer["id"])
    gone = await opportunity_of(caller, customer["id"])
    assert (await caller.delete(f"/v1/opportunities/{gone['id']}")).status_code == 204
    assert (await caller.get(f"/v1/opportunities/{gone['id']}")).status_code == 404
    listed = (await caller.get("/v1/opportunities")).json()
    assert [row["id"] for row in listed["data"]] == [kept["id"]]
    await caller.post(f"/v1/opportunities/{kept['id']}/win")
    refused = await caller.delete(f"/v1/opportunities/{kept['id']}")
    assert (refused.status_code, error_of(refused)["code"]) == (409, "RESOURCE_CONFLICT")
    deleted = await events_of(sessions, caller.tenant_id, "sales.opportunity.deleted")
    assert [e["opportunity_id"] for e in deleted] == [gone["id"]]


async def test_the_list_filters_searches_sorts_and_pages(caller, sessions):
    acme, beta = await customer_of(caller), await customer_of(caller, name="Beta")
    rep = str(await user_created(sessions, caller.tenant_id))
    a = await opportunity_of(
        caller, acme["id"], opportunity_name="Spindle retrofit", expected_close_date="2026-02-01"
    )
    b = await opportunity_of(
        caller,
        beta["id"],
        opportunity_name="Bracket run",
        assigned_to=rep,
        estimated_value="900",
        expected_close_date="2026-04-01",
    )
    c = await opportunity_of(caller, beta["id"], opportunity_name="Gear housings", stage="proposal")
    await caller.post(f"/v1/opportunities/{c['id']}/win")

    async def ids(query: str) -> list[str]:
        response = await caller.get(f"/v1/opportunities?{query}")
        assert response.status_code == 200, response.text
        return [row["id"] for row in response.json()["data"]]

    assert await ids("status=won") == [c["id"]]
    assert await ids("stage=qualification&sort=opportunity_name") == [b["id"], a["id"]]
    assert await ids(f"customer_id={beta['id']}&sort=-created_at") == [c["id"], b["id"]]
    assert await ids(f"assigned_to={rep}") == [b["id"]]
    assert await ids("expected_close_date_from=2026-03-01&expected_close_date_to=2026-05-01") == [
        b["id"]
    ]
    assert await ids("search=retro") == [a["id"]]
    page = (await caller.get("/v1/opportunities?limit=2&sort=created_at")).json()
    assert (page["meta"]["total"], [r["id"] for r in page["data"]]) == (3, [a["id"], b["id"]])
    assert (await caller.get("/v1/opportunities?stage=won")).status_code == 422


async def test_reading_needs_opportunities_read_and_changing_opportunities_write(caller):
    customer = await customer_of(caller)
    opportunity = await opportunity_of(caller, customer["id"])
    reader = caller.as_scope("opportunities:read")
    assert (await reader.get(f"/v1/opportunities/{opportunity['id']}")).status_code == 200
    refused = await reader.post(f"/v1/opportunities/{opportunity['id']}/win")
    assert refused.status_code == 403


async def test_converting_a_lead_opens_an_opportunity_with_its_first_stage(caller):
    lead = await caller.created(
        "/v1/leads", {"name": "Dana", "company": "Gamma Tools", "estimated_value": "700"}
    )
    conversion = await caller.post(f"/v1/leads/{lead['id']}/convert")
    assert conversion.status_code == 200, conversion.text
    opportunity_id = conversion.json()["data"]["opportunity_id"]
    data = (await caller.get(f"/v1/opportunities/{opportunity_id}")).json()["data"]
    assert (data["stage"], data["probability"], data["lead_id"]) == (
        "qualification",
        "0.1",
        lead["id"],
    )
    assert [s["stage"] for s in data["stage_history"]] == ["qualification"]


async def test_without_closed_history_the_odds_come_from_stage_priors_and_stalling(
    caller, sessions
):
    customer = await customer_of(caller)
    fresh = await opportunity_of(caller, customer["id"], stage="negotiation")
    stalled = await opportunity_of(caller, customer["id"], stage="negotiation")
    await backdate(sessions, caller.tenant_id, stalled["id"], 45)

    fresh_odds = (await caller.get(f"/v1/opportunities/{fresh['id']}/win-probability")).json()
    stalled_odds = (await caller.get(f"/v1/opportunities/{stalled['id']}/win-probability")).json()
    fresh_odds, stalled_odds = fresh_odds["data"], stalled_odds["data"]
    assert (fresh_odds["model"], fresh_odds["sample_size"]) == ("stage_prior", 0)
    assert abs(fresh_odds["probability"] - 0.75) < 0.001
    assert stalled_odds["probability"] < fresh_odds["probability"]
    names = {factor["name"] for factor in stalled_odds["factors"]}
    assert {"stage", "days_in_stage", "stage_regressions", "age_days"} <= names
    assert stalled_odds["recommendations"][0] == (
        "stalled 45 days in negotiation: schedule a decision meeting"
    )


async def test_with_enough_closed_deals_a_regression_learns_the_tenants_own_pattern(caller):
    customer = await customer_of(caller)
    for i in range(24):
        source = "referral" if i % 2 else "trade_show"
        deal = await opportunity_of(caller, customer["id"], source=source)
        if source == "referral":
            assert (await caller.post(f"/v1/opportunities/{deal['id']}/win")).status_code == 200
        else:
            response = await caller.post(
                f"/v1/opportunities/{deal['id']}/lose", {"lost_reason": "went elsewhere"}
            )
            assert response.status_code == 200
    referral = await opportunity_of(caller, customer["id"], source="referral")
    trade_show = await opportunity_of(caller, customer["id"], source="trade_show")

    good = (await caller.get(f"/v1/opportunities/{referral['id']}/win-probability")).json()
    poor = (await caller.get(f"/v1/opportunities/{trade_show['id']}/win-probability")).json()
    good, poor = good["data"], poor["data"]
    assert (good["model"], good["sample_size"]) == ("logistic_regression", 24)
    assert good["probability"] > 0.7 > 0.3 > poor["probability"]
    source_factor = next(f for f in poor["factors"] if f["name"] == "source")
    assert (source_factor["value"], source_factor["contribution"] < 0) == ("trade_show", True)
    assert any("trade_show" in r for r in poor["recommendations"])
    won = (await caller.get(f"/v1/opportunities/{referral['id']}/win-probability")).json()
    assert won["data"]["probability"] == good["probability"]  # deterministic
