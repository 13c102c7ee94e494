"""Dates on a document: parsed in the usual ways of writing them, found by their labels."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from millbook_billing.documents.confidence import (
    HEURISTIC,
    LABEL_ON_NEXT_LINE,
    LABELLED,
    NOTHING,
    Found,
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b"), "ymd"),
    (re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b"), "dmy"),
    (re.compile(r"\b(\d{1,2})[/-](\d{1,2})[/-](\d{4})\b"), "ambiguous"),
    (
        re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?[ -]" + _MONTH + r"\.?,?[ -](\d{4})\b", re.I),
        "d_mon_y",
    ),
    (re.compile(r"\b" + _MONTH + r"\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})\b", re.I), "mon_d_y"),
)
_DUE_LABEL = re.compile(r"\b(?:due(?: date)?|payment due|pay by|due by)\b", re.IGNORECASE)
_DATE_LABEL = re.compile(
    r"\b(?:(?:invoice|receipt|issue|document|bill|transaction|tax point) date|date of issue|"
    r"issued(?: on)?|dated?)\b",
    re.IGNORECASE,
)
_NET_TERMS = re.compile(r"\bnet\s*(\d{1,3})\b", re.IGNORECASE)


@dataclass(frozen=True)
class DateReading:
    value: date
    certain: bool  # False when day and month could be either way round


def parse_date(text: str) -> DateReading | None:
    """The first date in the text, in any of the usual ways of writing one."""
    found: list[tuple[int, DateReading]] = []
    for pattern, shape in DATE_PATTERNS:
        for match in pattern.finditer(text):
            reading = _reading(match.groups(), shape)
            if reading is not None:
                found.append((match.start(), reading))
    return min(found, key=lambda item: item[0])[1] if found else None


def _reading(groups: Sequence[str], shape: str) -> DateReading | None:
    try:
        if shape == "ymd":
            return DateReading(date(int(groups[0]), int(groups[1]), int(groups[2])), True)
        if shape == "dmy":
            return DateReading(date(int(groups[2]), int(groups[1]), int(groups[0])), True)
        if shape == "d_mon_y":
            month = _MONTHS[groups[1].lower()[:3] if groups[1].lower() != "sept" else "sep"]
            return DateReading(date(int(groups[2]), month, int(groups[0])), True)
        if shape == "mon_d_y":
            month = _MONTHS[groups[0].lower()[:3]]
            return DateReading(date(int(groups[2]), month, int(groups[1])), True)
        return _slashed(int(groups[0]), int(groups[1]), int(groups[2]))
    except (ValueError, KeyError):
        return None


def _slashed(first: int, second: int, year: int) -> DateReading:
    """`04/03/2026`: month first unless that cannot be (US style, as our seeds write it)."""
    if first > 12:
        return DateReading(date(year, second, first), True)
    certain = second > 12 or first == second
    return DateReading(date(year, first, second), certain)


def _dated(reading: DateReading, confidence: float) -> Found:
    penalty = 1.0 if reading.certain else 0.7
    return Found(reading.value.isoformat(), round(confidence * penalty, 3))


def find_document_date(lines: Sequence[str]) -> Found:
    """`Invoice Date: 2026-03-04` (labelled), else the first date that is not a due date."""
    for index, line in enumerate(lines):
        if _DATE_LABEL.search(line) and not _DUE_LABEL.search(line):
            reading = parse_date(line)
            if reading is not None:
                return _dated(reading, LABELLED)
            if index + 1 < len(lines) and (reading := parse_date(lines[index + 1])):
                return _dated(reading, LABEL_ON_NEXT_LINE)
    for line in lines:
        if not _DUE_LABEL.search(line) and (reading := parse_date(line)):
            return _dated(reading, HEURISTIC)
    return NOTHING


def find_due_date(lines: Sequence[str], document_date: Found) -> Found:
    """`Due Date: 2026-04-03` (labelled), else the document date plus `Net 30` terms."""
    for index, line in enumerate(lines):
        if _DUE_LABEL.search(line):
            reading = parse_date(line)
            if reading is not None:
                return _dated(reading, LABELLED)
            if index + 1 < len(lines) and (reading := parse_date(lines[index + 1])):
                return _dated(reading, LABEL_ON_NEXT_LINE)
    if document_date.value is not None:
        for line in lines:
            terms = _NET_TERMS.search(line)
            if terms:
                due = date.fromisoformat(document_date.value) + timedelta(days=int(terms.group(1)))
                return Found(due.isoformat(), round(min(document_date.confidence, 0.7), 3))
    return NOTHING
