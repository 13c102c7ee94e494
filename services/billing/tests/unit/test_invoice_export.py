"""Invoice export rows (pure): ISO dates, money to the currency's minor digits, safe text."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import Decimal

from millbook_billing.invoices.export import HEADER, csv_chunk, row_of
from millbook_platform.money import money_text

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


def test_amounts_are_exactly_the_wire_form_money_text_gives():
    """The export rounds with the unit looked up once per row; the result must not differ
    from `money_text` anywhere: half-up ties, negatives, 0, 2 and 3 minor digits."""
    amounts = ("0.0050", "0.0049", "2.5000", "-2.5000", "1100.5550", "-0.0050", "12345.9999")
    for currency in ("USD", "JPY", "KWD", "EUR"):
        for amount in amounts:
            row = row_of(
                (None, date(2026, 1, 1), None, CUSTOMER, "A", "draft", currency, D(amount))
            )
            assert row[7] == money_text(D(amount), currency), (currency, amount)
    assert row_of(values(currency="KWD"))[7:9] == ["1000.500", "0.000"]


def test_a_missing_amount_or_due_date_is_an_empty_cell():
    row = row_of(("INV-1", date(2026, 1, 1), None, CUSTOMER, None, "draft", "USD", None, D(1)))
    assert row[2] == row[4] == row[7] == ""
    assert row[8] == "1.00"
