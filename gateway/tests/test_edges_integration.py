"""The gateway's own endpoints: health, readiness of the services, metrics, merged OpenAPI."""

from __future__ import annotations

import httpx

from .conftest import Stack


async def test_ready_is_503_and_names_the_service_that_is_down(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["upstreams"]["purchasing"] == "unreachable"
    assert body["upstreams"]["analytics"] == "unreachable"
    assert body["upstreams"]["sales"] == "ready"
    assert body["upstreams"]["identity"] == "ready"
    assert body["revocations"] == "off"  # this test gateway runs no consumer


async def test_health_and_liveness_answer_without_the_services(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok", "service": "gateway"}
    assert (await client.get("/health/live")).json() == {"status": "ok"}


async def test_metrics_count_upstream_requests(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await client.get("/v1/customers", headers=auth)
    response = await client.get("/metrics")

    assert response.status_code == 200
    assert (
        'millbook_gateway_upstream_requests_total{method="GET",service="sales",status="200"}'
        in (response.text)
    )
    assert "millbook_http_requests_total" in response.text


async def test_openapi_merges_the_services_that_answer(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    doc = (await client.get("/openapi.json")).json()

    assert set(doc["paths"]) == {"/v1/customers", "/v1/invoices"}
    assert doc["paths"]["/v1/customers"]["get"]["tags"] == ["sales"]
    assert doc["paths"]["/v1/invoices"]["get"]["security"] == [
        {"bearerAuth": ["invoices:read"]},
        {"apiKeyAuth": ["invoices:read"]},
    ]
    assert {"sales_Customer", "billing_Customer"} <= set(doc["components"]["schemas"])
    assert doc["info"]["x-unavailable"] == ["analytics", "identity", "inbox", "purchasing"]


async def test_docs_serve_swagger_ui_over_the_merged_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")

    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text


async def test_a_wrong_method_on_the_gateways_own_path_is_405_naming_the_allowed_ones(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/health", json={})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in response.headers["allow"]
    missing = await client.post("/health/deep", json={})
    assert missing.status_code == 404
