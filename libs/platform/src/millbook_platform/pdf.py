"""Business documents (quotations, invoices, credit notes) as printable data: what a document
prints, the cap on its lines' text, and the small formatting helpers documents share.

`millbook_platform.pdf_layout` lays a document out as A4 PDF, in the renderer's worker process
(`millbook_platform.pdf_rendering`), so a service does not import fpdf2 to start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from millbook_platform.money import round_money

# The most text a document's lines may hold, checked where lines are written (a create or an
# update answers 422 naming it): about 25 pages, which render in a few seconds, well inside
# the render deadline. 500 lines of 100 characters fit.
MAX_LINE_TEXT = 50_000


def check_line_text(texts: Iterable[str | None]) -> None:
    """Refuse (ValueError, a 422 naming the limit) lines whose text passes `MAX_LINE_TEXT`."""
    total = sum(len(text) for text in texts if text)
    if total > MAX_LINE_TEXT:
        raise ValueError(
            f"the lines hold {total:,} characters of text; a document holds at most"
            f" {MAX_LINE_TEXT:,} (split it into several documents)"
        )


@dataclass(frozen=True)
class PdfDocument:
    title: str
    number: str | None
    seller: Sequence[str]
    recipient: Sequence[str]
    facts: Sequence[tuple[str, str]]
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    totals: Sequence[tuple[str, str]]
    notes: Sequence[tuple[str, str]] = ()

    def texts(self) -> Iterable[str]:
        """Every string the document prints."""
        yield self.title
        yield self.number or "DRAFT"
        yield from self.seller
        yield from self.recipient
        for pair in (*self.facts, *self.totals, *self.notes):
            yield from pair
        yield from self.columns
        for row in self.rows:
            yield from row


def address_lines(address: Mapping[str, Any] | None) -> list[str]:
    """A postal address (the API's `Address` shape) as the lines a document prints."""
    if not address:
        return []
    place = " ".join(part for part in (address.get("postal_code"), address.get("city")) if part)
    region = ", ".join(part for part in (place, address.get("state")) if part)
    candidates = (address.get("line1"), address.get("line2"), region, address.get("country"))
    return [str(part) for part in candidates if part]


def amount_text(amount: Decimal, currency: str) -> str:
    """`1,234.50`: grouped thousands, the currency's minor digits."""
    return f"{round_money(amount, currency):,}"
