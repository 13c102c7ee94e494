"""Input the audit found accepted although it breaks a rule elsewhere in billing."""

from __future__ import annotations

import pytest

from millbook_testing.callers import fields_named


@pytest.mark.parametrize("path", ["/v1/bills", "/v1/expenses", "/v1/ledger/entries"])
async def test_a_list_date_range_that_ends_before_it_starts_is_refused(caller, path):
    """As the reports do (end_date before start_date), rather than an empty list."""
    response = await caller.get(path, params={"date_from": "2026-05-01", "date_to": "2026-01-01"})
    assert response.status_code == 422, response.text
    assert fields_named(response) == {"date_to"}
    same_day = await caller.get(path, params={"date_from": "2026-05-01", "date_to": "2026-05-01"})
    assert same_day.status_code == 200, same_day.text
