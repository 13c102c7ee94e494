import csv
import io

import pytest

from millbook_platform.csv_cells import cell_text, csv_record, csv_records, text_cell


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_starts_like_a_formula_is_kept_as_text_and_read_back(start):
    value = f"{start}HYPERLINK(1)"
    assert text_cell(value) == f"'{value}"
    assert cell_text(text_cell(value)) == value


@pytest.mark.parametrize("value", ["Acme", "'quoted", "O'Brien", "1+1", "a=b", ""])
def test_other_text_passes_unchanged_both_ways(value):
    assert text_cell(value) == value
    assert cell_text(value) == value


def test_nothing_is_an_empty_cell():
    assert text_cell(None) == ""


def test_records_are_rfc_4180_with_crlf_and_read_back():
    rows = [["a,b", 'say "hi"', "line\nbreak"], ["", "x", "y"]]
    text = csv_records(rows)
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text, newline=""))) == rows
    assert csv_record(rows[1]) == ",x,y\r\n"
