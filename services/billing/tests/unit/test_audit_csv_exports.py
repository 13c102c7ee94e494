"""Report CSVs never hand a spreadsheet a formula someone typed as a name.

A supplier or customer name (from another service's event) or a document number that
starts with = + - @ (or a tab / carriage return) would run as a formula when the
export is opened in a spreadsheet (CSV injection). Such text is kept as text with a
leading apostrophe; amounts, negative ones included, stay numbers.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import Decimal

import pytest

from millbook_billing.reports.aging import OpenItem, age
from millbook_billing.reports.exports import aged_item_row, csv_line


def _exported(party_name: str, number: str, amount: str = "12.50") -> list[str]:
    item = OpenItem(
        party_id=uuid.uuid4(),
        party_name=party_name,
        document_type="bill",
        document_id=uuid.uuid4(),
        document_number=number,
        due_date=date(2026, 3, 1),
        amount=Decimal(amount),
    )
    line = csv_line(aged_item_row(age(item, date(2026, 3, 15)), "USD"))
    return next(csv.reader(io.StringIO(line)))


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("http://x.example","pay")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx"],
)
def test_a_name_that_would_be_a_formula_is_exported_as_text(name):
    row = _exported(name, "BILL-2026-0001")
    assert row[1] == "'" + name
    assert not row[1].startswith(("=", "+", "-", "@", "\t"))


def test_a_document_number_that_would_be_a_formula_is_exported_as_text():
    assert _exported("Acme", "=1+1")[4] == "'=1+1"


def test_ordinary_names_numbers_and_negative_amounts_are_unchanged():
    row = _exported("Acme Machining", "BILL-2026-0001", amount="-12.50")
    assert (row[1], row[4], row[8]) == ("Acme Machining", "BILL-2026-0001", "-12.50")
