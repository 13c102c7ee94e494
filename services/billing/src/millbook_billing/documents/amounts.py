"""Money on a document: subtotal, tax and total by their labels, cross-checked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from millbook_billing.documents.confidence import (
    CONTRADICTED,
    CROSS_CHECKED,
    DERIVED_FACTOR,
    LABEL_ON_NEXT_LINE,
    LABELLED,
    NOTHING,
    WEAK,
    Found,
    letters,
)
from millbook_billing.documents.dates import DATE_PATTERNS

# A number not glued to a word-number (`INV-2026`), a date or a percentage.
_AMOUNT = re.compile(r"(?<![\d.,/-])(\d[\d,.']*\d|\d)(?![\d/])(?!\s?%)")
_SUBTOTAL_LABEL = re.compile(
    r"\b(?:sub[\s-]?total|net (?:amount|total)|total (?:before|excl\.?|excluding) (?:tax|vat)|"
    r"amount before tax|total net)\b",
    re.IGNORECASE,
)
_TAX_LABEL = re.compile(
    r"\b(?:(?:sales |total )?tax(?: amount)?|vat|gst|hst|pst|iva|mwst)\b(?! ?(?:id|no|number|"
    r"reg|registration|rate|exempt|invoice|point|date|%))",
    re.IGNORECASE,
)
_STRONG_TOTAL_LABEL = re.compile(
    r"\b(?:grand total|amount due|total due|balance due|amount payable|total amount|"
    r"total (?:incl\.?|including) (?:tax|vat)|total payable|invoice total)\b",
    re.IGNORECASE,
)
_TOTAL_LABEL = re.compile(r"\btotal\b", re.IGNORECASE)


def parse_amount(text: str) -> Decimal | None:
    """`$1,234.56`, `1.234,56`, `1 234,56` or `1234` as a Decimal; None when not money."""
    raw = text.strip().replace("'", "").replace(" ", "")
    if re.fullmatch(r"-?\d+([.,]\d{1,2})?", raw):
        normalized = raw.replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d{1,2})?", raw):
        normalized = raw.replace(",", "")
    elif re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d{1,2})?", raw):
        normalized = raw.replace(".", "").replace(",", ".")
    else:
        return None
    try:
        return Decimal(normalized)
    except InvalidOperation:
        return None


def amounts_in(line: str) -> list[Decimal]:
    """The money amounts of a line, left to right (percentages and dates left out)."""
    without_dates = line
    for pattern, _shape in DATE_PATTERNS:
        without_dates = pattern.sub(" ", without_dates)
    found = []
    for match in _AMOUNT.finditer(without_dates):
        amount = parse_amount(match.group(0))
        if amount is not None:
            found.append(amount)
    return found


def _labelled_amount(lines: Sequence[str], index: int) -> tuple[Decimal, float] | None:
    """The amount a label line names: its last amount, or the next line's lone amount."""
    amounts = amounts_in(_after_label(lines[index]))
    if amounts:
        return amounts[-1], LABELLED
    if index + 1 < len(lines):
        following = amounts_in(lines[index + 1])
        if len(following) == 1 and letters(lines[index + 1]) <= 3:
            return following[0], LABEL_ON_NEXT_LINE
    return None


def _after_label(line: str) -> str:
    # `Tax (10%): 10.00` -> the amounts after the label, not the rate inside it.
    return re.sub(r"\(?\d+(?:[.,]\d+)?\s?%\)?", " ", line)


def _kind_of(line: str) -> str | None:
    if _SUBTOTAL_LABEL.search(line):
        return "subtotal"
    if _STRONG_TOTAL_LABEL.search(line):
        return "strong_total"
    if _TAX_LABEL.search(line) and not re.search(r"\btotal\b(?!\s+tax)", line, re.IGNORECASE):
        return "tax"
    if _TOTAL_LABEL.search(line):
        return "total"
    return None


def find_amounts(lines: Sequence[str]) -> dict[str, Found]:
    """Subtotal, tax and total by their labels, cross-checked against each other."""
    labelled: dict[str, tuple[Decimal, float]] = {}
    for index, line in enumerate(lines):
        kind = _kind_of(line)
        if kind is None:
            continue
        reading = _labelled_amount(lines, index)
        if reading is None:
            continue
        # The first subtotal and tax; the last total (a summary ends the document).
        if kind in ("total", "strong_total") or kind not in labelled:
            labelled[kind] = reading
    total = labelled.get("strong_total") or labelled.get("total")
    if total is None:
        total = _largest_amount(lines)
    return _cross_checked(labelled.get("subtotal"), labelled.get("tax"), total)


def _largest_amount(lines: Sequence[str]) -> tuple[Decimal, float] | None:
    every = [amount for line in lines for amount in amounts_in(line) if amount > 0]
    return (max(every), WEAK) if every else None


def _cross_checked(
    subtotal: tuple[Decimal, float] | None,
    tax: tuple[Decimal, float] | None,
    total: tuple[Decimal, float] | None,
) -> dict[str, Found]:
    if subtotal and tax and total:
        # All three read: agreeing raises each, disagreeing lowers each.
        agree = subtotal[0] + tax[0] == total[0]
        subtotal, tax, total = (
            (amount, CROSS_CHECKED if agree else confidence * CONTRADICTED)
            for amount, confidence in (subtotal, tax, total)
        )
    elif subtotal and total and subtotal[0] <= total[0]:
        tax = (total[0] - subtotal[0], min(subtotal[1], total[1]) * DERIVED_FACTOR)
    elif tax and total and tax[0] <= total[0]:
        subtotal = (total[0] - tax[0], min(tax[1], total[1]) * DERIVED_FACTOR)
    elif subtotal and tax:
        total = (subtotal[0] + tax[0], min(subtotal[1], tax[1]) * DERIVED_FACTOR)
    return {
        "subtotal": _money(subtotal),
        "tax_amount": _money(tax),
        "total_amount": _money(total),
    }


def _money(reading: tuple[Decimal, float] | None) -> Found:
    if reading is None:
        return NOTHING
    amount, confidence = reading
    return Found(format(amount.quantize(Decimal("0.01")), "f"), round(confidence, 3))
