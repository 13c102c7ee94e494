"""Billing's app starts against its migrated database and answers health checks."""

import httpx


async def test_billing_is_ready(http: httpx.AsyncClient) -> None:
    response = await http.get("/health/ready")
    assert response.status_code == 200, response.text
