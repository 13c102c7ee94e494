"""A value read from a document and how sure the reading is (the confidence scale)."""

from __future__ import annotations

from dataclasses import dataclass

# How a value was found, from most to least trusted.
LABELLED = 0.9
LABEL_ON_NEXT_LINE = 0.75
HEURISTIC = 0.5
WEAK = 0.35
CROSS_CHECKED = 0.98
CONTRADICTED = 0.6  # factor applied when subtotal + tax != total
DERIVED_FACTOR = 0.7  # a value computed from two others rather than read
OCR_FACTOR = 0.9


@dataclass(frozen=True)
class Found:
    """One extracted value (text, ISO date or decimal string) and how sure we are."""

    value: str | None = None
    confidence: float = 0.0


NOTHING = Found()


def letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)
