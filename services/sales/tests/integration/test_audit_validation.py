"""Input the audit found accepted although it breaks a rule elsewhere in sales."""

from __future__ import annotations

import pytest

from millbook_testing.callers import error_of, fields_named

from .conftest import events_of


async def test_a_lead_cannot_be_created_already_converted(caller, sessions):
    """Converted means it has its customer, contact and opportunity, which only
    POST /v1/leads/{id}/convert makes; a lead born `converted` had none of them and
    could then neither be converted nor edited."""
    response = await caller.post("/v1/leads", {"name": "Ada Lovelace", "status": "converted"})
    assert response.status_code == 422, response.text
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    assert fields_named(response) == {"status"}
    assert (await caller.get("/v1/leads")).json()["meta"]["total"] == 0
    assert await events_of(sessions, caller.tenant_id, "sales.lead.created") == []


async def test_a_lead_may_be_created_in_any_other_status_and_then_converted(caller):
    for status in ("new", "contacted", "qualified", "unqualified"):
        lead = await caller.created("/v1/leads", {"name": f"Lead {status}", "status": status})
        assert lead["status"] == status
    qualified = (await caller.get("/v1/leads", params={"status": "qualified"})).json()["data"]
    converted = await caller.post(f"/v1/leads/{qualified[0]['id']}/convert", {})
    assert converted.status_code in (200, 201), converted.text


@pytest.mark.parametrize(
    ("path", "start", "end"),
    [
        ("/v1/quotations", "date_from", "date_to"),
        ("/v1/opportunities", "expected_close_date_from", "expected_close_date_to"),
    ],
)
async def test_a_list_date_range_that_ends_before_it_starts_is_refused(caller, path, start, end):
    """As `/v1/tasks` and the reports do, rather than answering an empty list."""
    response = await caller.get(path, params={start: "2026-05-01", end: "2026-01-01"})
    assert response.status_code == 422, response.text
    assert fields_named(response) == {end}
    same_day = await caller.get(path, params={start: "2026-05-01", end: "2026-05-01"})
    assert same_day.status_code == 200, same_day.text
