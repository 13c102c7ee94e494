"""A draft bill made from an OCR document keeps the document's amounts.

The draft has one line: the document's net at the tax rate tax / net, kept to 6 decimal
places, and the document's own tax as the line's `tax_amount`. A 6-place rate alone
cannot reach every cent above a net of 10,000 (one step of the rate moves the tax by
net / 1,000,000), so the line carries the printed tax and the draft's net, tax and
total are the document's for any amounts.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from millbook_billing.bills import domain
from millbook_billing.bills.entry import line_in
from millbook_billing.bills.from_document import _bill_request
from millbook_billing.bills.schemas import BillFromDocument


def _draft_amounts(subtotal: str, tax: str) -> tuple[Decimal, Decimal]:
    found: dict[str, str | None] = {
        "document_number": "INV-1",
        "document_date": "2026-03-01",
        "currency_code": "USD",
        "subtotal": subtotal,
        "tax_amount": tax,
        "total_amount": str(Decimal(subtotal) + Decimal(tax)),
    }
    request = _bill_request(found, uuid.uuid4(), BillFromDocument())
    (line,) = request.line_items
    net, line_tax, _ = domain.line_totals(line_in(line), "USD")
    return net, line_tax


AMOUNTS = [
    ("100.00", "10.00"),
    ("33.33", "3.33"),
    ("9999.99", "1234.57"),
    ("1234.56", "0.01"),
    ("20000.00", "1234.57"),
    ("987654.32", "0.01"),
    ("123456.78", "24691.36"),
    ("10000.01", "1900.01"),
    ("999999999.99", "190000000.01"),
    ("25000.00", "0.00"),
]


@pytest.mark.parametrize(("subtotal", "tax"), AMOUNTS)
def test_the_draft_has_the_documents_net_and_tax_for_any_amounts(subtotal, tax):
    assert _draft_amounts(subtotal, tax) == (Decimal(subtotal), Decimal(tax))


@pytest.mark.parametrize(("subtotal", "tax"), AMOUNTS)
def test_the_drafts_bill_totals_and_posting_use_the_documents_amounts(subtotal, tax):
    found: dict[str, str | None] = {
        "document_number": "INV-1",
        "currency_code": "USD",
        "subtotal": subtotal,
        "tax_amount": tax,
    }
    request = _bill_request(found, uuid.uuid4(), BillFromDocument(expense_category="software"))
    split = domain.posting_split([line_in(line) for line in request.line_items], {}, "USD")
    assert (split.tax, split.total) == (Decimal(tax), Decimal(subtotal) + Decimal(tax))
    assert split.expense_lines[0][1] == Decimal(subtotal)
