"""Invoice export rows (pure): ISO dates, money to the currency's minor digits, safe text."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import Decimal

from millbook_billing.invoices.export import HEADER, csv_chunk, row_of

D = Decimal
CUSTOMER = uuid.uuid4()


def values(name: str = "Acme", currency: str = "USD", number: str | None = "INV-2026-0001"):
    return (
        number,
        date(2026, 3, 1),
        date(2026, 3, 31),
        CUSTOMER,
        name,
        "partial",
        currency,
        *(D(x) for x in ("1000.5000", "0", "100.0500", "1100.5500", "10", "5", "1085.55")),
    )


def test_a_row_has_every_column_in_the_headers_order():
    row = row_of(values())
    assert len(row) == len(HEADER)
    assert dict(zip(HEADER, row, strict=True)) == {
        "invoice_number": "INV-2026-0001",
        "invoice_date": "2026-03-01",
        "due_date": "2026-03-31",
        "customer_id": str(CUSTOMER),
        "customer_name": "Acme",
        "status": "partial",
        "currency_code": "USD",
        "subtotal": "1000.50",
        "discount_amount": "0.00",
        "tax_amount": "100.05",
        "total_amount": "1100.55",
        "paid_amount": "10.00",
        "credited_amount": "5.00",
        "balance_amount": "1085.55",
    }


def test_money_takes_the_currencys_minor_digits():
    row = dict(zip(HEADER, row_of(values(currency="JPY")), strict=True))
    assert (row["subtotal"], row["total_amount"]) == ("1001", "1101")


def test_a_draft_has_no_number_and_formula_like_names_stay_text():
    row = dict(zip(HEADER, row_of(values(name="=cmd|'/c calc'!A1", number=None)), strict=True))
    assert row["invoice_number"] == ""
    assert row["customer_name"] == "'=cmd|'/c calc'!A1"
    assert row_of(values(name="Smith, Jones & Co"))[4] == "Smith, Jones & Co"


def test_a_chunk_is_rfc_4180_records_that_read_back():
    chunk = csv_chunk([HEADER, row_of(values(name='Acme "Mill", Ltd'))])
    assert chunk.endswith("\r\n")
    header, row = list(csv.reader(io.StringIO(chunk)))
    assert header == list(HEADER)
    assert row[4] == 'Acme "Mill", Ltd'
