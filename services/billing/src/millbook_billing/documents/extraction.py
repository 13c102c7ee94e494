"""Fields of a supplier invoice or receipt, read from its text (pure).

Each field carries a confidence in [0, 1] that says how it was found: a value beside
its label ("Invoice No: 42", "Total: $1,100.00") is trusted more than a guess (the
first prominent line as the supplier, the largest amount as the total), and totals
that add up (subtotal + tax = total) are trusted more than ones that do not. Text
read by OCR is trusted a little less than a PDF's own text layer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from millbook_billing.documents.amounts import find_amounts
from millbook_billing.documents.confidence import (
    HEURISTIC,
    LABELLED,
    NOTHING,
    OCR_FACTOR,
    WEAK,
    Found,
    letters,
)
from millbook_billing.documents.dates import find_document_date, find_due_date

FIELD_NAMES = (
    "supplier_name",
    "document_number",
    "document_date",
    "due_date",
    "currency_code",
    "subtotal",
    "tax_amount",
    "total_amount",
)


@dataclass(frozen=True)
class Extraction:
    supplier_name: Found = field(default=NOTHING)
    document_number: Found = field(default=NOTHING)
    document_date: Found = field(default=NOTHING)
    due_date: Found = field(default=NOTHING)
    currency_code: Found = field(default=NOTHING)
    subtotal: Found = field(default=NOTHING)
    tax_amount: Found = field(default=NOTHING)
    total_amount: Found = field(default=NOTHING)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """`{"total_amount": {"value": "1100.00", "confidence": 0.98}, ...}`"""
        return {name: asdict(getattr(self, name)) for name in FIELD_NAMES}


def extract_fields(text: str, *, ocr: bool = False) -> Extraction:
    """Every field this module knows how to find in the text of one document."""
    lines = _lines(text)
    document_date = find_document_date(lines)
    extraction = Extraction(
        supplier_name=find_supplier_name(lines),
        document_number=find_document_number(lines),
        document_date=document_date,
        due_date=find_due_date(lines, document_date),
        currency_code=find_currency(text),
        **find_amounts(lines),
    )
    return _scaled(extraction, OCR_FACTOR) if ocr else extraction


def _lines(text: str) -> list[str]:
    return [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines() if line.strip()]


def _scaled(extraction: Extraction, factor: float) -> Extraction:
    changes = {
        name: Found(found.value, round(found.confidence * factor, 3))
        for name in FIELD_NAMES
        if (found := getattr(extraction, name)).value is not None
    }
    return replace(extraction, **changes)


# Supplier ----------------------------------------------------------------------------

_SUPPLIER_LABEL = re.compile(
    r"^(?:from|supplier|vendor|seller|sold by|bill(?:ed)? from|issued by|merchant)\s*[:\-]\s*(.+)$",
    re.IGNORECASE,
)
_TITLE_WORDS = re.compile(
    r"^(?:tax\s+)?(?:invoice|receipt|bill|statement|credit note|quotation|purchase order|"
    r"sales receipt|cash receipt|original|copy|page \d+.*)\W*$",
    re.IGNORECASE,
)
_NOT_A_NAME = re.compile(
    r"^(?:to|bill to|ship to|invoice|receipt|date|due|total|subtotal|tax|amount|page|tel|"
    r"phone|fax|email|www|http)\b",
    re.IGNORECASE,
)


def find_supplier_name(lines: Sequence[str]) -> Found:
    """`From: Acme Ltd` (labelled), else the first line that reads like a name."""
    for line in lines:
        match = _SUPPLIER_LABEL.match(line)
        if match and letters(match.group(1)) >= 2:
            return Found(_clean_name(match.group(1)), LABELLED)
    for line in lines[:8]:
        if _TITLE_WORDS.match(line) or _NOT_A_NAME.match(line) or ":" in line:
            continue
        if letters(line) >= 3 and letters(line) >= len(line.replace(" ", "")) / 2:
            return Found(_clean_name(line), HEURISTIC)
    return NOTHING


def _clean_name(text: str) -> str:
    return text.strip(" .,:;-|")[:200]


# Document number ---------------------------------------------------------------------

_NUMBER_TOKEN = r"([A-Za-z0-9][A-Za-z0-9\-/._]*\d[A-Za-z0-9\-/._]*|\d[A-Za-z0-9\-/._]*)"
_NUMBER_LABELS = (
    re.compile(
        r"\b(?:invoice|inv|receipt|bill|document|doc|reference|ref)\.?\s*"
        r"(?:no\.?|number|num\.?|nr\.?|#)\s*[:#.]?\s*" + _NUMBER_TOKEN,
        re.IGNORECASE,
    ),
    re.compile(r"\b(?:invoice|receipt)\s*[:#]\s*" + _NUMBER_TOKEN, re.IGNORECASE),
)
_NUMBER_SHAPE = re.compile(r"\b([A-Z]{2,5}[-/]\d{2,}(?:[-/]\d+)*)\b")


def find_document_number(lines: Sequence[str]) -> Found:
    """`Invoice No: INV-42`, `Invoice # 42`, `Receipt: R-7` (labelled), else an `ABC-123` token."""
    for line in lines:
        for label in _NUMBER_LABELS:
            match = label.search(line)
            if match:
                return Found(match.group(1).rstrip("._-/"), LABELLED)
    for line in lines:
        match = _NUMBER_SHAPE.search(line)
        if match:
            return Found(match.group(1), WEAK)
    return NOTHING


# Currency ----------------------------------------------------------------------------

_CODE_LIST = (
    "USD EUR GBP JPY CAD AUD NZD CHF SEK NOK DKK PLN CZK HUF CNY HKD SGD MYR IDR THB "
    "PHP INR KRW TWD ZAR BRL MXN AED SAR ILS TRY RUB"
)
_CODES = frozenset(_CODE_LIST.split())
_CODE = re.compile(r"\b(" + "|".join(sorted(_CODES)) + r")\b")
_CURRENCY_LABEL = re.compile(r"\bcurrency\s*[:\-]?\s*([A-Z]{3})\b", re.IGNORECASE)
_SYMBOLS = (
    ("€", "EUR", 0.85),
    ("£", "GBP", 0.85),
    ("₹", "INR", 0.85),
    ("₩", "KRW", 0.85),
    ("¥", "JPY", 0.6),
    ("RM", "MYR", 0.7),
    ("$", "USD", 0.6),  # also CAD, AUD, SGD ...: a guess
)


def find_currency(text: str) -> Found:
    """`Currency: EUR` (labelled), an ISO code beside the amounts, else a currency symbol."""
    label = _CURRENCY_LABEL.search(text)
    if label and label.group(1).upper() in _CODES:
        return Found(label.group(1).upper(), 0.95)
    codes = _CODE.findall(text)
    if codes:
        most = max(set(codes), key=codes.count)
        return Found(most, 0.85)
    for symbol, code, confidence in _SYMBOLS:
        pattern = r"\bRM\s?\d" if symbol == "RM" else re.escape(symbol)
        if re.search(pattern, text):
            return Found(code, confidence)
    return NOTHING
