"""The fault suite drives the same stack as the end-to-end tests (the test profile's
processes under the supervisor), through the gateway, with an organization on the
enterprise plan so the write load is not throttled."""

from __future__ import annotations

import uuid

import pytest

from ..e2e.conftest import (  # noqa: F401 - fixtures shared with the end-to-end tests
    Admin,
    admin,
    create_organization,
    gateway,
    login,
    stack,
)


@pytest.fixture
async def busy_admin(stack, gateway) -> Admin:  # noqa: F811
    """The admin of a new organization on the enterprise plan (100,000 requests an hour),
    whose completed orders become issued invoices."""
    email, password, org = create_organization(
        stack, f"Fault Shop {uuid.uuid4().hex[:6]}", platform_admin=True
    )
    token = await login(gateway, email, password)
    headers = {"Authorization": f"Bearer {token}"}
    raised = await gateway.patch(
        f"/v1/organizations/{org}", json={"plan_tier": "enterprise"}, headers=headers
    )
    assert raised.status_code == 200, raised.text
    issued = await gateway.put(
        "/v1/billing/settings", json={"invoice_from_order": "issued"}, headers=headers
    )
    assert issued.status_code == 200, issued.text
    return Admin(email, password, org, await login(gateway, email, password))  # the new tier
