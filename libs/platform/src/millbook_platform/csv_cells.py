"""CSV for spreadsheets: RFC 4180 records, and text cells that cannot run as formulas.

A cell a spreadsheet would evaluate (one starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) is written with a leading apostrophe, which spreadsheets show
as text (OWASP "CSV injection"). Only text a person or another system chose passes
through `text_cell`; amounts are written as numbers, so a negative amount stays one.
An import that reads back its own export undoes the apostrophe with `cell_text`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


def text_cell(value: str | None) -> str:
    """`value` as a cell a spreadsheet shows as text, never evaluates."""
    if not value:
        return ""
    return _QUOTE + value if value.startswith(FORMULA_STARTS) else value


def cell_text(cell: str) -> str:
    """The text `text_cell` was given: the inverse, for importing an export."""
    if cell.startswith(_QUOTE) and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def csv_records(rows: Iterable[Sequence[str]]) -> str:
    """RFC 4180 records (minimal quoting, CRLF) for a batch of rows."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def csv_record(row: Sequence[str]) -> str:
    """One RFC 4180 record, CRLF-terminated."""
    return csv_records((row,))
