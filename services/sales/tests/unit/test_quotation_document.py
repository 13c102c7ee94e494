import uuid
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from millbook_platform.pdf import address_lines, amount_text
from millbook_sales.quotations.document import (
    pdf_filename,
    quotation_document,
)


def quotation(**overrides: Any) -> Any:
    fields = {
        "id": uuid.UUID(int=7),
        "quote_number": "QUO-2026-0001",
        "quotation_date": date(2026, 11, 24),
        "valid_until": date(2026, 12, 24),
        "payment_terms": "Net 30",
        "lead_time_days": 14,
        "currency_code": "USD",
        "subtotal": Decimal("2501.005"),
        "discount_amount": Decimal("0.10"),
        "tax_amount": Decimal("250.09"),
        "total_amount": Decimal("2751.00"),
        "terms": "Ex works",
        "notes": None,
    }
    return SimpleNamespace(**{**fields, **overrides})


def line(**overrides: Any) -> Any:
    fields = {
        "product_name": "Fixture",
        "description": "Steel",
        "quantity": Decimal("3.0000"),
        "unit_price": Decimal("0.3350"),
        "discount_percent": Decimal("10.000000"),
        "tax_rate": Decimal("0.100000"),
        "subtotal": Decimal("1.0050"),
        "discount_amount": Decimal("0.1000"),
    }
    return SimpleNamespace(**{**fields, **overrides})


CUSTOMER = SimpleNamespace(
    name="Globex",
    company="Globex Corporation",
    customer_code="CUST-0001",
    tax_number=None,
    billing_address={"line1": "500 Market St", "city": "SF", "state": "CA", "country": "US"},
)


def test_lines_are_formatted_with_rates_as_percentages_and_net_amounts():
    document = quotation_document(quotation(), [line()], CUSTOMER, "Acme")
    assert document.rows == [["Fixture\nSteel", "3", "0.335", "10%", "10%", "0.91"]]
    assert document.seller == ["Acme"]
    assert document.recipient == ["Globex", "Globex Corporation", "500 Market St", "SF, CA", "US"]


def test_totals_show_the_discount_only_when_there_is_one():
    with_discount = quotation_document(quotation(), [], CUSTOMER, None).totals
    assert [label for label, _ in with_discount] == [
        "Gross",
        "Discount",
        "Subtotal",
        "Tax",
        "Total",
    ]
    assert with_discount[-1] == ("Total", "2,751.00 USD")
    plain = quotation_document(quotation(discount_amount=Decimal(0)), [], CUSTOMER, None).totals
    assert [label for label, _ in plain] == ["Subtotal", "Tax", "Total"]


def test_facts_leave_out_what_is_unknown_and_notes_what_is_empty():
    document = quotation_document(
        quotation(valid_until=None, lead_time_days=None), [], CUSTOMER, None
    )
    assert [label for label, _ in document.facts] == [
        "Date",
        "Customer",
        "Payment terms",
        "Currency",
    ]
    assert document.notes == [("Terms", "Ex works")]
    assert document.seller == []


def test_a_draft_is_unnumbered_and_named_by_its_id():
    draft = quotation(quote_number=None)
    assert quotation_document(draft, [], CUSTOMER, None).number is None
    assert pdf_filename(draft) == f"quotation-draft-{uuid.UUID(int=7)}.pdf"
    assert pdf_filename(quotation()) == "QUO-2026-0001.pdf"


def test_amounts_group_thousands_in_the_currency_minor_unit():
    assert amount_text(Decimal("1234567.891"), "USD") == "1,234,567.89"
    assert amount_text(Decimal("1234.5"), "JPY") == "1,235"
    assert address_lines(None) == []
