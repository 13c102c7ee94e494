"""Reading supplier invoices and receipts: each field, and how sure each reading is."""

from datetime import date
from decimal import Decimal

import pytest

from millbook_billing.documents.amounts import amounts_in, parse_amount
from millbook_billing.documents.confidence import CROSS_CHECKED, HEURISTIC, LABELLED
from millbook_billing.documents.dates import parse_date
from millbook_billing.documents.extraction import (
    extract_fields,
    find_currency,
    find_document_number,
    find_supplier_name,
)

SUPPLIER_INVOICE = """
Precision Steel Supply Co.
123 Foundry Road, Pittsburgh PA
INVOICE
Invoice No: PSS-2026-0042
Invoice Date: 2026-03-04
Due Date: 2026-04-03
Bill To: Acme Machining
Description Qty Unit Price Total
Aluminium bar 6061 10 50.00 500.00
Steel plate 2 250.00 500.00
Subtotal: $1,000.00
Tax (10%): $100.00
Total: $1,100.00
"""


def test_a_well_labelled_invoice_gives_every_field_with_high_confidence():
    found = extract_fields(SUPPLIER_INVOICE)
    assert found.supplier_name.value == "Precision Steel Supply Co"
    assert found.supplier_name.confidence == HEURISTIC
    assert (found.document_number.value, found.document_number.confidence) == (
        "PSS-2026-0042",
        LABELLED,
    )
    assert found.document_date.value == "2026-03-04"
    assert found.due_date.value == "2026-04-03"
    assert found.currency_code.value == "USD"
    assert (found.subtotal.value, found.tax_amount.value, found.total_amount.value) == (
        "1000.00",
        "100.00",
        "1100.00",
    )
    assert found.total_amount.confidence == CROSS_CHECKED


def test_totals_that_do_not_add_up_are_trusted_less_than_ones_that_do():
    wrong = SUPPLIER_INVOICE.replace("Total: $1,100.00", "Total: $1,150.00")
    found = extract_fields(wrong)
    assert found.total_amount.value == "1150.00"
    assert found.total_amount.confidence < LABELLED
    assert found.total_amount.confidence < extract_fields(SUPPLIER_INVOICE).total_amount.confidence


def test_text_read_by_ocr_is_trusted_a_little_less():
    layer = extract_fields(SUPPLIER_INVOICE)
    ocr = extract_fields(SUPPLIER_INVOICE, ocr=True)
    assert ocr.total_amount.value == layer.total_amount.value
    assert 0 < ocr.total_amount.confidence < layer.total_amount.confidence


def test_a_labelled_supplier_beats_the_first_line():
    lines = ["TAX INVOICE", "Ship to: Acme", "From: Northwind Traders Ltd", "Invoice # 7781"]
    found = find_supplier_name(lines)
    assert (found.value, found.confidence) == ("Northwind Traders Ltd", LABELLED)


def test_the_first_prominent_line_skips_titles_and_labels():
    found = find_supplier_name(["RECEIPT", "Date: 2026-01-02", "Corner Cafe", "Latte 4.50"])
    assert (found.value, found.confidence) == ("Corner Cafe", HEURISTIC)


def test_no_supplier_in_a_page_of_numbers():
    assert find_supplier_name(["12345", "2026-01-01", "10.00"]).value is None


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("Invoice No: INV-2026-0001", "INV-2026-0001"),
        ("Invoice #: 10042", "10042"),
        ("Invoice # A/778", "A/778"),
        ("INVOICE NUMBER 5531-B", "5531-B"),
        ("Receipt No. 000981", "000981"),
        ("Receipt: R-77", "R-77"),
        ("Inv. No. 42.", "42"),
    ],
)
def test_document_numbers_are_found_beside_their_labels(line, number):
    found = find_document_number(["Some Supplier", line])
    assert (found.value, found.confidence) == (number, LABELLED)


def test_an_unlabelled_number_shape_is_only_a_guess():
    found = find_document_number(["Acme", "Ref INV-2026-0007 thanks"])
    assert found.value == "INV-2026-0007"
    assert found.confidence < HEURISTIC


@pytest.mark.parametrize(
    ("text", "expected", "certain"),
    [
        ("2026-03-04", date(2026, 3, 4), True),
        ("2026/3/4", date(2026, 3, 4), True),
        ("04.03.2026", date(2026, 3, 4), True),
        ("25/03/2026", date(2026, 3, 25), True),
        ("03/25/2026", date(2026, 3, 25), True),
        ("03/04/2026", date(2026, 3, 4), False),
        ("4 March 2026", date(2026, 3, 4), True),
        ("4th Mar, 2026", date(2026, 3, 4), True),
        ("15-Jan-2026", date(2026, 1, 15), True),
        ("March 4, 2026", date(2026, 3, 4), True),
        ("Sept 30 2026", date(2026, 9, 30), True),
    ],
)
def test_dates_in_the_usual_formats(text, expected, certain):
    reading = parse_date(f"Date: {text}")
    assert reading is not None
    assert (reading.value, reading.certain) == (expected, certain)


def test_impossible_dates_are_not_dates():
    assert parse_date("2026-02-30") is None
    assert parse_date("no date here") is None


def test_an_ambiguous_date_is_trusted_less():
    sure = extract_fields("Acme\nInvoice Date: 25/03/2026")
    unsure = extract_fields("Acme\nInvoice Date: 03/04/2026")
    assert unsure.document_date.confidence < sure.document_date.confidence


def test_the_due_date_follows_from_net_terms_when_not_written():
    found = extract_fields("Acme\nInvoice Date: 2026-03-01\nTerms: Net 30\nTotal 10.00")
    assert found.due_date.value == "2026-03-31"
    assert 0 < found.due_date.confidence < LABELLED


def test_a_label_with_its_value_on_the_next_line():
    found = extract_fields("Acme\nInvoice Date\n2026-05-06\nAmount Due\n$ 99.50")
    assert found.document_date.value == "2026-05-06"
    assert found.total_amount.value == "99.50"
    assert HEURISTIC < found.total_amount.confidence < LABELLED


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Currency: EUR\nTotal 10", "EUR"),
        ("Total 10.00 GBP", "GBP"),
        ("Total €10,00", "EUR"),
        ("Total £10.00", "GBP"),
        ("Total RM 10.00", "MYR"),
        ("Total $10.00", "USD"),
    ],
)
def test_currency_from_a_code_or_a_symbol(text, code):
    assert find_currency(text).value == code


def test_a_dollar_sign_alone_is_a_weaker_guess_than_a_code():
    assert find_currency("Total $10").confidence < find_currency("Total USD 10").confidence
    assert find_currency("Total 10").value is None


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1,234.56", Decimal("1234.56")),
        ("1.234,56", Decimal("1234.56")),
        ("1234", Decimal("1234")),
        ("12,5", Decimal("12.5")),
        ("1,000", Decimal("1000")),
        ("abc", None),
    ],
)
def test_amounts_in_english_and_european_notation(text, amount):
    assert parse_amount(text) == amount


def test_percentages_dates_and_document_numbers_are_not_amounts():
    assert amounts_in("Tax (10%) on 2026-03-04 for INV-2026-0001: 12.00") == [Decimal("12.00")]


def test_amount_due_beats_a_plain_total_and_tax_ids_are_not_tax():
    text = (
        "Acme\nVAT Reg No: 123456789\nNet amount: 200.00\nVAT 20%: 40.00\n"
        "Total: 240.00\nAmount due: 240.00\n"
    )
    found = extract_fields(text)
    assert (found.subtotal.value, found.tax_amount.value, found.total_amount.value) == (
        "200.00",
        "40.00",
        "240.00",
    )
    assert found.tax_amount.confidence == CROSS_CHECKED


def test_a_missing_tax_is_derived_from_subtotal_and_total_with_less_confidence():
    found = extract_fields("Shop\nSubtotal 90.00\nTotal 99.00")
    assert found.tax_amount.value == "9.00"
    assert found.tax_amount.confidence < LABELLED


def test_without_any_label_the_largest_amount_is_a_weak_total():
    found = extract_fields("Corner Cafe\nLatte 4.50\nBagel 3.25\n7.75")
    assert found.total_amount.value == "7.75"
    assert found.total_amount.confidence < HEURISTIC


def test_empty_text_finds_nothing():
    found = extract_fields("")
    assert all(item["value"] is None for item in found.as_dict().values())
    assert all(item["confidence"] == 0 for item in found.as_dict().values())
