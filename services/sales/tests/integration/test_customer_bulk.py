"""Customers and contacts in bulk: batches, CSV import and streamed CSV export."""

import csv
import io
import uuid

from millbook_sales.customers import csv_format, transfer
from millbook_testing.callers import error_of, fields_named

from .conftest import events_of
from .organizations import organization_created

ADDRESS = {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}


async def batch(caller, path: str, items: list, **params):
    return await caller.post(path, {"items": items}, params=params)


async def total(caller, path: str = "/v1/customers") -> int:
    return (await caller.get(path)).json()["meta"]["total"]


async def test_a_batch_creates_the_valid_items_and_reports_each(caller, sessions):
    items = [
        {"name": "Alpha", "customer_code": "A-1"},
        {"name": ""},
        {"name": "Beta", "customer_code": "A-1"},
        {"name": "Gamma", "billing_address": ADDRESS},
        {"name": "Delta", "unknown": 1},
    ]
    response = await batch(caller, "/v1/customers/batch", items)

    assert response.status_code == 207, response.text
    body = response.json()
    assert body["meta"] == {"total": 5, "succeeded": 2, "failed": 3, "atomic": False}
    results = body["data"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["status"] for r in results] == [201, 422, 409, 201, 422]
    assert results[0]["data"]["customer_code"] == "A-1"
    assert results[3]["data"]["billing_address"]["city"] == "Springfield"
    assert results[1]["error"]["code"] == "VALIDATION_ERROR"
    assert {d["field"] for d in results[1]["error"]["details"]} == {"name"}
    assert results[2]["error"]["code"] == "RESOURCE_CONFLICT"
    assert {d["field"] for d in results[4]["error"]["details"]} == {"unknown"}
    assert results[1]["data"] is None
    assert await total(caller) == 2
    created = await events_of(sessions, caller.tenant_id, "sales.customer.created")
    assert sorted(e["name"] for e in created) == ["Alpha", "Gamma"]


async def test_an_atomic_batch_with_one_bad_item_writes_nothing(caller, sessions):
    items = [{"name": "One"}, {"name": "Two", "currency_code": "ZZZ"}, {"name": "Three"}]
    response = await batch(caller, "/v1/customers/batch", items, atomic="true")

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert [(d["field"], d["index"]) for d in error["details"]] == [("items[1].currency_code", 1)]
    assert await total(caller) == 0
    assert await events_of(sessions, caller.tenant_id, "sales.customer.created") == []
    # A currency the tenant does not accept is a failure too, found past validation.
    await organization_created(sessions, caller.tenant_id, base_currency="EUR")
    refused = await batch(
        caller,
        "/v1/customers/batch",
        [{"name": "A"}, {"name": "B", "currency_code": "USD"}],
        atomic="true",
    )
    assert fields_named(refused) == {"items[1].currency_code"}
    assert await total(caller) == 0


async def test_an_atomic_batch_that_succeeds_creates_all(caller, sessions):
    response = await batch(
        caller, "/v1/customers/batch", [{"name": f"C{i}"} for i in range(100)], atomic="true"
    )
    assert response.status_code == 201, response.text
    codes = [r["data"]["customer_code"] for r in response.json()["data"]]
    assert codes == [f"CUST-{n:04d}" for n in range(1, 101)]
    assert await total(caller) == 100
    assert len(await events_of(sessions, caller.tenant_id, "sales.customer.created")) == 100


async def test_batches_are_limited_to_a_hundred_items(caller):
    too_many = await batch(caller, "/v1/customers/batch", [{"name": "x"}] * 101)
    assert too_many.status_code == 422
    assert fields_named(too_many) == {"items"}
    empty = await batch(caller, "/v1/contacts/batch", [])
    assert fields_named(empty) == {"items"}


async def test_a_contact_batch_checks_each_customer_in_the_tenant(caller, other_tenant, sessions):
    mine = await caller.created("/v1/customers", {"name": "Mine"})
    theirs = await other_tenant.created("/v1/customers", {"name": "Theirs"})
    items = [
        {"customer_id": mine["id"], "first_name": "Ann", "email": "ANN@example.com"},
        {"customer_id": theirs["id"], "first_name": "Eve"},
        {"customer_id": str(uuid.uuid4()), "first_name": "Nobody"},
        {"customer_id": mine["id"], "first_name": ""},
    ]
    response = await batch(caller, "/v1/contacts/batch", items)
    assert response.status_code == 207, response.text
    assert [r["status"] for r in response.json()["data"]] == [201, 404, 404, 422]
    assert response.json()["data"][0]["data"]["email"] == "ann@example.com"
    assert await total(caller, "/v1/contacts") == 1
    assert len(await events_of(sessions, caller.tenant_id, "sales.contact.created")) == 1
    atomic = await batch(caller, "/v1/contacts/batch", items, atomic="true")
    assert atomic.status_code == 422
    assert {d["index"] for d in error_of(atomic)["details"]} == {1, 2, 3}
    assert await total(caller, "/v1/contacts") == 1


def csv_file(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


async def upload(caller, content: bytes, **params):
    files = {"file": ("customers.csv", content, "text/csv")}
    return await caller.request("POST", "/v1/customers/import", files=files, params=params)


GOOD_AND_BAD = [
    [
        "name",
        "primary_email",
        "billing_address.line1",
        "billing_address.country",
        "credit_limit",
        "tags",
    ],
    ["Acme", "buy@acme.io", "1 Main St", "US", "5000", "vip;metal"],
    ["", "x@y.io", "", "", "", ""],
    ["Beta", "not-an-email", "2 Side St", "XX", "-1", ""],
    ["Gamma", "", "", "", "", ""],
]


async def test_import_writes_valid_rows_and_reports_rejected_ones_by_row_and_column(
    caller, sessions
):
    response = await upload(caller, csv_file(GOOD_AND_BAD))

    assert response.status_code == 200, response.text
    report = response.json()["data"]
    assert (report["total_rows"], report["created"], report["rejected"]) == (4, 2, 2)
    assert [c["row"] for c in report["customers"]] == [2, 5]
    assert {(e["row"], e["field"]) for e in report["errors"]} == {
        (3, "name"),
        (4, "primary_email"),
        (4, "billing_address.country"),
        (4, "credit_limit"),
    }
    acme = (await caller.get("/v1/customers", params={"search": "Acme"})).json()["data"][0]
    assert (acme["credit_limit"], acme["tags"], acme["billing_address"]["line1"]) == (
        "5000.00",
        ["vip", "metal"],
        "1 Main St",
    )
    assert len(await events_of(sessions, caller.tenant_id, "sales.customer.created")) == 2


async def test_an_atomic_import_with_a_bad_row_writes_nothing(caller, sessions):
    response = await upload(caller, csv_file(GOOD_AND_BAD), atomic="true")

    assert response.status_code == 422
    details = error_of(response)["details"]
    assert {(d["row"], d["field"]) for d in details} >= {(3, "name"), (4, "primary_email")}
    assert await total(caller) == 0
    assert await events_of(sessions, caller.tenant_id, "sales.customer.created") == []


async def test_a_wrong_header_is_rejected_naming_the_column(caller):
    unknown = await upload(caller, csv_file([["name", "emali"], ["A", "a@b.io"]]))
    assert unknown.status_code == 422
    assert fields_named(unknown) == {"emali"}
    missing = await upload(caller, csv_file([["company"], ["Acme"]]))
    assert fields_named(missing) == {"name"}
    twice = await upload(caller, csv_file([["name", "name"], ["A", "B"]]))
    assert fields_named(twice) == {"name"}
    assert fields_named(await upload(caller, b"")) == {"file"}
    assert fields_named(await upload(caller, b"name\n\xff\xfe\n")) == {"file"}
    assert await total(caller) == 0


async def test_codes_named_twice_or_already_in_use_reject_their_rows(caller, sessions):
    await caller.created("/v1/customers", {"name": "Existing", "customer_code": "TAKEN"})
    await caller.created("/v1/customers", {"name": "Typed", "customer_code": "CUST-0001"})
    content = csv_file(
        [
            ["customer_code", "name", "currency_code"],
            ["NEW-1", "First", ""],
            ["NEW-1", "Second", ""],
            ["TAKEN", "Third", ""],
            ["", "Generated A", "EUR"],
            ["", "Generated B", ""],
        ]
    )
    await organization_created(sessions, caller.tenant_id, base_currency="USD")

    report = (await upload(caller, content)).json()["data"]

    assert {(e["row"], e["field"]) for e in report["errors"]} == {
        (3, "customer_code"),
        (4, "customer_code"),
        (5, "currency_code"),
    }
    assert [(c["row"], c["customer_code"]) for c in report["customers"]] == [
        (2, "NEW-1"),
        (6, "CUST-0002"),  # CUST-0001 was typed by hand: the generator skips it
    ]


async def test_a_row_with_the_wrong_number_of_cells_is_rejected(caller):
    response = await upload(caller, b"name,segment\nGood,retail\nBad\n")
    report = response.json()["data"]
    assert (report["created"], report["rejected"]) == (1, 1)
    assert report["errors"][0]["row"] == 3


async def test_more_than_ten_thousand_rows_are_refused_before_any_is_written(caller):
    content = b"name\n" + b"x\n" * 10_001
    response = await upload(caller, content)
    assert response.status_code == 422
    assert fields_named(response) == {"file"}
    assert await total(caller) == 0


async def test_export_streams_the_filtered_customers_and_imports_back(
    caller, other_tenant, monkeypatch
):
    rich = {
        "name": 'Zoë, "Ñandú" & Co',
        "customer_code": "Z-1",
        "company": '=HYPERLINK("http://x.example","Zeta")',
        "primary_email": "z@zeta.de",
        "primary_phone": "+49 30 1234567",
        "billing_address": {**ADDRESS, "line2": "Suite 5", "state": "IL"},
        "shipping_address": ADDRESS,
        "credit_limit": "1234.5",
        "payment_terms": "Net 45",
        "segment": "enterprise",
        "tags": ["a", "b c"],
        "tax_number": "DE123",
    }
    await caller.created("/v1/customers", rich)
    monkeypatch.setattr(transfer, "EXPORT_BATCH", 40)  # several batches from few rows
    for start in (0, 100):
        items = [{"name": f"Bulk {i}", "segment": "retail"} for i in range(start, start + 100)]
        assert (await batch(caller, "/v1/customers/batch", items)).status_code == 207

    response = await caller.get("/v1/customers/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert tuple(rows[0]) == csv_format.COLUMNS
    assert len(rows) == 1 + 201
    assert len({row[0] for row in rows[1:]}) == 201  # no customer twice across batches

    enterprise = await caller.get("/v1/customers/export", params={"segment": "enterprise"})
    exported = enterprise.content
    (header, zeta) = list(csv.reader(io.StringIO(enterprise.text)))
    cells = dict(zip(header, zeta, strict=True))
    # a spreadsheet shows these as text instead of running them
    assert cells["company"] == '\'=HYPERLINK("http://x.example","Zeta")'
    assert cells["primary_phone"] == "'+49 30 1234567"

    imported = await upload(other_tenant, exported)
    assert imported.json()["data"]["created"] == 1, imported.text
    original = (await caller.get("/v1/customers", params={"segment": "enterprise"})).json()["data"][
        0
    ]
    copy = (await other_tenant.get("/v1/customers")).json()["data"][0]
    ignore = {"id", "created_at", "updated_at"}
    assert {k: v for k, v in copy.items() if k not in ignore} == {
        k: v for k, v in original.items() if k not in ignore
    }
    assert (await other_tenant.get("/v1/customers/export")).text.count("Bulk") == 0
