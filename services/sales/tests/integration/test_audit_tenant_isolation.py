"""Tenant isolation across sales: another tenant's ids are 404 on every endpoint.

Tenant A gets one resource of every kind (customer, contact, lead, opportunity,
quotation, order, task, a saved rate card); tenant B, holding every scope, then asks
for each by id on every endpoint that takes one, refers to A's ids in its own
requests, and reads every list: nothing of A's shows, and nothing of A's changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio

from millbook_testing.callers import Caller, error_of

from .conftest import KEY
from .test_pricing import item, rate_card

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass
class World:
    owner: Caller
    stranger: Caller
    ids: dict[str, str]
    names: tuple[str, ...]  # A's names that must never reach B


LINES = [
    {"product_name": "Isolated bracket", "quantity": 2, "unit_price": "10", "tax_rate": "0.10"}
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(http: httpx.AsyncClient) -> World:
    owner = Caller(http, KEY, uuid.uuid4(), uuid.uuid4())
    stranger = Caller(http, KEY, uuid.uuid4(), uuid.uuid4())
    saved = await owner.put("/v1/sales/pricing-settings", rate_card(machine_hourly_rate="977"))
    assert saved.status_code == 200, saved.text
    customer = await owner.created(
        "/v1/customers", {"name": "Isolated Machining", "currency_code": "USD"}
    )
    contact = await owner.created(
        "/v1/contacts",
        {"customer_id": customer["id"], "first_name": "Isolda", "last_name": "Secret"},
    )
    lead = await owner.created("/v1/leads", {"name": "Isolated Lead", "company": "Isolated Co"})
    opportunity = await owner.created(
        "/v1/opportunities",
        {"opportunity_name": "Isolated deal", "customer_id": customer["id"]},
    )
    quotation_body = {
        "customer_id": customer["id"],
        "quotation_date": "2026-01-15",
        "line_items": LINES,
    }
    draft = await owner.created("/v1/quotations", quotation_body)
    accepted = await owner.created("/v1/quotations", quotation_body)
    for verb in ("send", "accept"):
        response = await owner.post(f"/v1/quotations/{accepted['id']}/{verb}")
        assert response.status_code == 200, response.text
    order = await owner.created("/v1/orders", {"quotation_id": accepted["id"]})
    task = await owner.created(
        "/v1/tasks",
        {"title": "Isolated call", "related_to": {"type": "customer", "id": customer["id"]}},
    )
    ids = {
        "customer": customer["id"],
        "contact": contact["id"],
        "lead": lead["id"],
        "opportunity": opportunity["id"],
        "draft": draft["id"],
        "quotation": accepted["id"],
        "order": order["id"],
        "task": task["id"],
    }
    names = ("Isolated Machining", "Isolda", "Isolated Lead", "Isolated deal", "Isolated call")
    return World(owner, stranger, ids, names)


CUSTOMER = {"name": "Mine", "currency_code": "USD"}
OPPORTUNITY = {"opportunity_name": "Mine", "customer_id": "{customer}"}
QUOTATION = {"customer_id": "{customer}", "quotation_date": "2026-01-15", "line_items": LINES}

# (method, path, json body or None); {name} is tenant A's id of that kind.
BY_ID: list[tuple[str, str, Any]] = [
    ("GET", "/v1/customers/{customer}", None),
    ("PUT", "/v1/customers/{customer}", CUSTOMER),
    ("PATCH", "/v1/customers/{customer}", {"name": "Mine"}),
    ("POST", "/v1/customers/{customer}/archive", None),
    ("DELETE", "/v1/customers/{customer}", None),
    ("GET", "/v1/clients/{customer}", None),
    ("GET", "/v1/contacts/{contact}", None),
    ("PATCH", "/v1/contacts/{contact}", {"first_name": "Mine"}),
    ("DELETE", "/v1/contacts/{contact}", None),
    ("POST", "/v1/contacts", {"customer_id": "{customer}", "first_name": "A", "last_name": "B"}),
    ("GET", "/v1/leads/{lead}", None),
    ("PATCH", "/v1/leads/{lead}", {"name": "Mine"}),
    ("POST", "/v1/leads/{lead}/convert", {}),
    ("GET", "/v1/opportunities/{opportunity}", None),
    (
        "PUT",
        "/v1/opportunities/{opportunity}",
        {"opportunity_name": "M", "customer_id": "{customer}"},
    ),
    ("PATCH", "/v1/opportunities/{opportunity}", {"opportunity_name": "Mine"}),
    ("DELETE", "/v1/opportunities/{opportunity}", None),
    ("POST", "/v1/opportunities/{opportunity}/win", None),
    ("POST", "/v1/opportunities/{opportunity}/lose", {"lost_reason": "price"}),
    ("POST", "/v1/opportunities/{opportunity}/reopen", None),
    ("GET", "/v1/opportunities/{opportunity}/win-probability", None),
    ("POST", "/v1/opportunities", OPPORTUNITY),
    ("GET", "/v1/quotations/{draft}", None),
    ("PUT", "/v1/quotations/{draft}", QUOTATION),
    ("PATCH", "/v1/quotations/{draft}", {"notes": "mine"}),
    ("DELETE", "/v1/quotations/{draft}", None),
    ("GET", "/v1/quotations/{draft}/pdf", None),
    ("POST", "/v1/quotations/{draft}/send", None),
    ("POST", "/v1/quotations/{quotation}/accept", None),
    ("POST", "/v1/quotations/{quotation}/reject", None),
    ("POST", "/v1/quotations/{draft}/duplicate", None),
    ("POST", "/v1/quotations/{draft}/calculate-pricing", {"line_items": [item()]}),
    ("POST", "/v1/quotations", QUOTATION),
    ("GET", "/v1/orders/{order}", None),
    ("POST", "/v1/orders", {"quotation_id": "{quotation}"}),
    ("POST", "/v1/orders/{order}/start-production", None),
    ("POST", "/v1/orders/{order}/ship", None),
    ("POST", "/v1/orders/{order}/complete", None),
    ("POST", "/v1/orders/{order}/cancel", None),
    ("GET", "/v1/tasks/{task}", None),
    ("PATCH", "/v1/tasks/{task}", {"title": "Mine"}),
    ("DELETE", "/v1/tasks/{task}", None),
    ("POST", "/v1/tasks", {"title": "x", "related_to": {"type": "customer", "id": "{customer}"}}),
]

LISTS = [
    "/v1/customers",
    "/v1/customers?search=Isolated",
    "/v1/customers/export",
    "/v1/contacts",
    "/v1/contacts?customer_id={customer}",
    "/v1/leads",
    "/v1/opportunities",
    "/v1/opportunities?customer_id={customer}",
    "/v1/quotations",
    "/v1/quotations?customer_id={customer}",
    "/v1/orders",
    "/v1/tasks",
    "/v1/tasks?related_type=customer&related_id={customer}",
    "/v1/sales/pricing-settings",
]


def _filled(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _filled(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_filled(item, ids) for item in value]
    return value


@pytest.mark.parametrize(("method", "path", "body"), BY_ID, ids=[f"{m} {p}" for m, p, _ in BY_ID])
async def test_another_tenants_id_is_not_found(world: World, method: str, path: str, body: Any):
    kwargs = {} if body is None else {"json": _filled(body, world.ids)}
    response = await world.stranger.request(method, _filled(path, world.ids), **kwargs)
    assert response.status_code == 404, response.text
    assert error_of(response)["code"] == "RESOURCE_NOT_FOUND"
    assert not any(name in response.text for name in world.names)


@pytest.mark.parametrize("path", LISTS)
async def test_lists_show_nothing_of_another_tenant(world: World, path: str):
    response = await world.stranger.get(_filled(path, world.ids))
    assert response.status_code == 200, response.text
    leaked = [text for text in (*world.ids.values(), *world.names) if text in response.text]
    assert leaked == []
    assert "977" not in response.text  # A's machine rate


async def test_the_owner_still_has_everything_unchanged(world: World):
    """Runs after the stranger's attempts in this module: none of them changed A's data."""
    owner, ids = world.owner, world.ids
    expected = {
        "customers/{customer}": ("name", "Isolated Machining"),
        "contacts/{contact}": ("first_name", "Isolda"),
        "leads/{lead}": ("status", "new"),
        "opportunities/{opportunity}": ("status", "open"),
        "quotations/{draft}": ("status", "draft"),
        "quotations/{quotation}": ("status", "accepted"),
        "orders/{order}": ("status", "confirmed"),
        "tasks/{task}": ("title", "Isolated call"),
    }
    found = {}
    for path, (field, _) in expected.items():
        response = await owner.get("/v1/" + path.format(**ids))
        assert response.status_code == 200, response.text
        found[path] = (field, response.json()["data"][field])
    assert found == expected
    assert len((await owner.get("/v1/quotations")).json()["data"]) == 2
    assert len((await owner.get("/v1/orders")).json()["data"]) == 1
