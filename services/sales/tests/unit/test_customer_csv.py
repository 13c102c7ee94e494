from decimal import Decimal
from types import SimpleNamespace

from millbook_sales.customers.csv_format import (
    COLUMNS,
    customer_row,
    header_problems,
    normalized_header,
    row_body,
)


def test_the_columns_are_the_fields_with_addresses_by_part():
    assert COLUMNS[:2] == ("customer_code", "name")
    assert "billing_address.line1" in COLUMNS
    assert "shipping_address.country" in COLUMNS
    assert COLUMNS[-1] == "tags"
    assert len(set(COLUMNS)) == len(COLUMNS)


def test_a_good_header_has_no_problems_in_any_order_or_case():
    assert header_problems(normalized_header([" Name ", "TAGS", "billing_address.City"])) == []


def test_unknown_repeated_and_missing_columns_are_named():
    problems = header_problems(["company", "emali", "company", ""])
    assert [(p.column, p.message.split(";")[0]) for p in problems] == [
        ("emali", "unknown column"),
        ("column 4", "unknown column"),
        ("company", "column appears more than once"),
        ("name", "required column is missing"),
    ]


def test_a_row_becomes_a_body_without_its_empty_cells():
    header = ["name", "company", "billing_address.line1", "billing_address.country", "tags"]
    body = row_body(header, [" Acme ", "", "1 Main St", "US", "vip; metal;;"])
    assert body == {
        "name": "Acme",
        "billing_address": {"line1": "1 Main St", "country": "US"},
        "tags": ["vip", "metal"],
    }


def test_a_customer_row_reads_back_as_the_same_body():
    customer = SimpleNamespace(
        customer_code="C-1",
        name='Zoë "Z" Ltd, Inc',
        company=None,
        primary_email="z@z.io",
        primary_phone=None,
        tax_number="T1",
        billing_address={"line1": "1 Main St", "city": "Oslo", "country": "NO"},
        shipping_address=None,
        credit_limit=Decimal("1500.5000"),
        payment_terms="Net 30",
        currency_code="NOK",
        segment=None,
        status="active",
        tags=["a", "b"],
    )
    row = customer_row(customer)
    assert len(row) == len(COLUMNS)
    assert row_body(COLUMNS, row) == {
        "customer_code": "C-1",
        "name": 'Zoë "Z" Ltd, Inc',
        "primary_email": "z@z.io",
        "tax_number": "T1",
        "billing_address": {"line1": "1 Main St", "city": "Oslo", "country": "NO"},
        "credit_limit": "1500.50",
        "payment_terms": "Net 30",
        "currency_code": "NOK",
        "status": "active",
        "tags": ["a", "b"],
    }


def test_text_a_spreadsheet_would_run_is_exported_as_text_and_imported_back():
    customer = SimpleNamespace(
        customer_code="-C-1",
        name="=1+1",
        company="@SUM(A1:A9)",
        primary_email=None,
        primary_phone="+47 22 00 00 00",
        tax_number=None,
        billing_address={"line1": "\t1 Main St", "country": "NO"},
        shipping_address=None,
        credit_limit=None,
        payment_terms=None,
        currency_code="NOK",
        segment=None,
        status="active",
        tags=["-x", "y"],
    )
    row = customer_row(customer)
    assert all(not cell.startswith(("=", "+", "-", "@", "\t")) for cell in row)
    assert row_body(COLUMNS, row) == {
        "customer_code": "-C-1",
        "name": "=1+1",
        "company": "@SUM(A1:A9)",
        "primary_phone": "+47 22 00 00 00",
        "billing_address": {"line1": "1 Main St", "country": "NO"},
        "currency_code": "NOK",
        "status": "active",
        "tags": ["-x", "y"],
    }
