"""Tenant isolation across billing's payables side: another tenant's ids are 404 everywhere.

Tenant A gets one resource of every kind (supplier bill with its match, expense with a
receipt, document, ledger entries from the approved bill); tenant B, holding every
scope, then asks for each by id on every endpoint that takes one, and reads every list
and report: nothing of A's shows, and nothing of A's changes.
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
from .purchasing_events import (
    bill_body,
    deliver,
    delivery,
    po_bill_line,
    po_line,
    purchase_order,
    supplier_created,
)
from .test_attachments import pdf_bytes

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass
class World:
    owner: Caller
    stranger: Caller
    ids: dict[str, str]
    names: tuple[str, ...]  # A's names that must never reach B


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(app, http: httpx.AsyncClient) -> World:
    owner = Caller(http, KEY, uuid.uuid4(), uuid.uuid4())
    stranger = Caller(http, KEY, uuid.uuid4(), uuid.uuid4())
    supplier = supplier_created("Isolated Supplier GmbH")
    await deliver(app, owner.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "10", "7.00")])
    await deliver(app, owner.tenant_id, po)
    await deliver(app, owner.tenant_id, delivery(po, [(1, "10", "10")]))
    approved = await owner.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "10", "7.00")], number="ISO-1")
    )
    approve = await owner.post(f"/v1/bills/{approved['id']}/approve", {})
    assert approve.status_code == 200, approve.text
    draft = await owner.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "1", "7.00")], number="ISO-2")
    )
    match = await owner.post("/v1/matching/match", {"bill_id": draft["id"]})
    assert match.status_code in (200, 201), match.text
    receipt = await owner.post(
        "/v1/expenses/attachments", files={"file": ("isolated.pdf", pdf_bytes())}
    )
    assert receipt.status_code == 201, receipt.text
    expense = await owner.created(
        "/v1/expenses",
        {
            "description": "Isolated travel",
            "amount": "123.45",
            "category": "travel",
            "expense_date": "2026-03-04",
            "vendor": "Isolated Rail",
        },
    )
    document = await owner.post(
        "/v1/documents/upload", files={"file": ("isolated-doc.pdf", pdf_bytes())}
    )
    assert document.status_code == 201, document.text
    ids = {
        "bill": approved["id"],
        "draft": draft["id"],
        "matching": match.json()["data"]["id"],
        "expense": expense["id"],
        "attachment": receipt.json()["data"]["id"],
        "document": document.json()["data"]["id"],
        "supplier": str(supplier.supplier_id),
        "po": str(po.purchase_order_id),
    }
    names = ("Isolated Supplier GmbH", "Isolated travel", "isolated.pdf", "isolated-doc.pdf")
    return World(owner, stranger, ids, names)


EXPENSE_BODY = {
    "description": "Changed",
    "amount": "1.00",
    "category": "office",
    "expense_date": "2026-03-05",
}

# (method, path, json body or None); {name} is tenant A's id of that kind.
BY_ID: list[tuple[str, str, Any]] = [
    ("GET", "/v1/bills/{bill}", None),
    ("GET", "/v1/bills/{draft}", None),
    ("PATCH", "/v1/bills/{draft}", {"notes": "taken over"}),
    ("DELETE", "/v1/bills/{draft}", None),
    ("POST", "/v1/bills/{draft}/approve", {"override_reason": "mine now"}),
    ("POST", "/v1/bills/{bill}/void", {"reason": "mine now"}),
    ("POST", "/v1/bills/from-document/{document}", {}),
    ("GET", "/v1/matching/{matching}", None),
    ("POST", "/v1/matching/match", {"bill_id": "{draft}"}),
    ("GET", "/v1/expenses/{expense}", None),
    ("PUT", "/v1/expenses/{expense}", EXPENSE_BODY),
    ("PATCH", "/v1/expenses/{expense}", {"description": "Changed"}),
    ("POST", "/v1/expenses/{expense}/approve", {}),
    ("POST", "/v1/expenses/{expense}/reject", {"reason": "not yours"}),
    ("DELETE", "/v1/expenses/{expense}", None),
    ("GET", "/v1/expenses/attachments/{attachment}", None),
    ("DELETE", "/v1/expenses/attachments/{attachment}", None),
    ("GET", "/v1/documents/{document}", None),
    ("GET", "/v1/documents/{document}/status", None),
    ("GET", "/v1/documents/{document}/file", None),
]

LISTS = [
    "/v1/bills",
    "/v1/bills?supplier_id={supplier}",
    "/v1/matching/pending",
    "/v1/expenses",
    "/v1/expenses/attachments",
    "/v1/documents",
    "/v1/ledger/accounts",
    "/v1/ledger/entries",
    "/v1/reports/trial-balance",
    "/v1/reports/profit-loss?start_date=2026-01-01&end_date=2026-12-31",
    "/v1/reports/balance-sheet?as_of_date=2026-12-31",
    "/v1/reports/cash-flow?start_date=2026-01-01&end_date=2026-12-31",
    "/v1/reports/accounts-payable-aging",
    "/v1/reports/accounts-payable-aging?format=csv",
    "/v1/reports/accounts-payable-aging?detail=items",
    "/v1/reports/accounts-payable-aging?format=csv&detail=items",
    "/v1/reports/accounts-payable-aging?supplier_id={supplier}",
]


def _filled(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _filled(item, ids) for key, item in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body"), BY_ID, ids=[f"{m} {p}" for m, p, _ in BY_ID])
async def test_another_tenants_id_is_not_found(world: World, method: str, path: str, body: Any):
    url = _filled(path, world.ids)
    kwargs = {} if body is None else {"json": _filled(body, world.ids)}
    response = await world.stranger.request(method, url, **kwargs)
    assert response.status_code == 404, response.text
    assert error_of(response)["code"] == "RESOURCE_NOT_FOUND"
    assert not any(name in response.text for name in world.names)


@pytest.mark.parametrize("path", LISTS)
async def test_lists_and_reports_show_nothing_of_another_tenant(world: World, path: str):
    response = await world.stranger.get(_filled(path, world.ids))
    assert response.status_code == 200, response.text
    leaked = [text for text in (*world.ids.values(), *world.names) if text in response.text]
    assert leaked == []
    if path.startswith("/v1/reports/") and "format=csv" not in path:
        assert "70.00" not in response.text  # A's bill: 10 x 7.00
        assert "77.00" not in response.text  # and its total with tax


async def test_the_owner_still_has_everything_unchanged(world: World):
    """Run last in this module: none of the stranger's writes touched A's resources."""
    owner = world.owner
    bill = (await owner.get(f"/v1/bills/{world.ids['bill']}")).json()["data"]
    assert bill["status"] == "open"
    draft = (await owner.get(f"/v1/bills/{world.ids['draft']}")).json()["data"]
    assert (draft["status"], draft.get("notes")) == ("draft", None)
    expense = (await owner.get(f"/v1/expenses/{world.ids['expense']}")).json()["data"]
    assert (expense["status"], expense["description"]) == ("pending", "Isolated travel")
    attachment = await owner.get(f"/v1/expenses/attachments/{world.ids['attachment']}")
    assert attachment.status_code == 200
    entries = (await owner.get("/v1/ledger/entries")).json()["meta"]["total"]
    assert entries >= 1
