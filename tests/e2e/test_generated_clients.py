"""Clients generated from the merged OpenAPI document work on day one.

A Python client (openapi-python-client) and a TypeScript client (openapi-typescript
types with openapi-fetch, under Node) are generated from the running gateway's
`/openapi.json` and each drives a sale to a paid invoice: customer -> quotation with a
line -> send -> accept -> order -> start-production -> ship -> complete -> billing's
invoice -> send -> payment -> paid. The TypeScript flow is type-checked against the
generated types first, so a document that lies about a body fails here.

The TypeScript package's dependencies come from `npm ci` in `clients/typescript`
(run by `make test` and CI); at run time Node talks only to the local stack.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from millbook_stack.profiles import find_repo_root

from .test_openapi_properties import merged_document

pytestmark = pytest.mark.e2e

TYPESCRIPT_PACKAGE = find_repo_root() / "clients" / "typescript"
PACKAGE = "millbook_client"
LINE = {"product_name": "Flange, 6061", "quantity": 4, "unit_price": "25.00", "tax_rate": "0.10"}
INVOICE_WITHIN_S = 60.0


@pytest.fixture(scope="module")
def document_path(stack, tmp_path_factory) -> Path:
    document = merged_document(stack.gateway)
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture(scope="module")
def python_client(document_path, tmp_path_factory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("python-client")
    config = out / "config.json"
    config.write_text(json.dumps({"package_name_override": PACKAGE, "post_hooks": []}))
    generator = Path(sys.executable).with_name("openapi-python-client")
    command = [str(generator), "generate", "--path", str(document_path), "--meta", "none"]
    result = subprocess.run(
        [*command, "--output-path", str(out / PACKAGE), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert (out / PACKAGE / "client.py").exists(), result.stdout + result.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def ok(response: Any) -> Any:
    """The `data` of a 200/201 answer, or a failure that shows the error envelope."""
    assert response.status_code in (200, 201), (response.status_code, response.content)
    return response.parsed.data


@pytest.mark.timeout(900)  # generating the client takes most of it
def test_the_generated_python_client_takes_a_sale_to_a_paid_invoice(stack, admin, python_client):
    client = python_client.AuthenticatedClient(
        base_url=stack.gateway, token=admin.token, raise_on_unexpected_status=True, timeout=None
    )
    sales, billing = "api.sales", "api.billing"
    customer = ok(
        module(f"{sales}.customers_create").sync_detailed(
            client=client,
            body=module("models").CustomerCreate.from_dict(
                {"name": "Kestrel Pumps", "primary_email": "ap@kestrel.example.com"}
            ),
        )
    )
    quotation = ok(
        module(f"{sales}.quotations_create").sync_detailed(
            client=client,
            body=module("models").QuotationCreate.from_dict(
                {"customer_id": str(customer.id), "line_items": [LINE]}
            ),
            idempotency_key=str(uuid.uuid4()),
        )
    )
    for step in ("send", "accept"):
        ok(module(f"{sales}.quotations_{step}").sync_detailed(quotation.id, client=client))
    order = ok(
        module(f"{sales}.orders_create").sync_detailed(
            client=client,
            body=module("models").OrderCreate.from_dict({"quotation_id": str(quotation.id)}),
        )
    )
    for step in ("start_production", "ship", "complete"):
        order = ok(module(f"{sales}.orders_{step}").sync_detailed(order.id, client=client))
    assert order.status == "completed"

    invoice = wait_for_invoice(client, module(f"{billing}.invoices_list"), customer.id, order.id)
    invoice = ok(module(f"{billing}.invoices_send").sync_detailed(invoice.id, client=client))
    assert invoice.status == "sent"
    total = str(invoice.total_amount)
    ok(
        module(f"{billing}.payments_create").sync_detailed(
            client=client,
            body=module("models").PaymentCreate.from_dict(
                {
                    "payment_type": "receipt",
                    "customer_id": str(customer.id),
                    "amount": total,
                    "payment_method": "bank_transfer",
                    "allocations": [{"invoice_id": str(invoice.id), "amount": total}],
                }
            ),
        )
    )
    paid = ok(module(f"{billing}.invoices_get").sync_detailed(invoice.id, client=client))
    assert paid.status == "paid"
    assert str(paid.balance_amount) == "0.00"


def wait_for_invoice(client: Any, invoices_list: Any, customer_id: Any, order_id: Any) -> Any:
    """Billing invoices the completed order from its event: poll its list, as a user would."""
    deadline = time.monotonic() + INVOICE_WITHIN_S
    while True:
        page = ok(invoices_list.sync_detailed(client=client, customer_id=customer_id))
        found = [invoice for invoice in page if invoice.order_id == order_id]
        if found:
            return found[0]
        assert time.monotonic() < deadline, "billing did not invoice the completed order"
        time.sleep(0.25)


def npm(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which("npm") or "npm", *args],
        cwd=TYPESCRIPT_PACKAGE,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.timeout(600)
def test_the_generated_typescript_client_takes_a_sale_to_a_paid_invoice(
    stack, admin, document_path
):
    assert (TYPESCRIPT_PACKAGE / "node_modules" / "openapi-fetch").exists(), (
        "run `npm ci` in clients/typescript (make test does)"
    )
    generated = npm("run", "--silent", "generate", "--", str(document_path))
    assert generated.returncode == 0, generated.stdout + generated.stderr
    built = npm("run", "--silent", "build")
    assert built.returncode == 0, built.stdout + built.stderr
    env = {**os.environ, "MILLBOOK_BASE_URL": stack.gateway, "MILLBOOK_TOKEN": admin.token}
    flow = subprocess.run(
        [shutil.which("node") or "node", "dist/flow.js"],
        cwd=TYPESCRIPT_PACKAGE,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert flow.returncode == 0, flow.stdout + flow.stderr
    outcome = json.loads(flow.stdout.strip().splitlines()[-1])
    assert outcome["order_status"] == "completed"
    assert outcome["invoice_status"] == "paid"
    assert outcome["balance_amount"] == "0.00"
