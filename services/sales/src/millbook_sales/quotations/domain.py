"""Quotation rules: the status machine (pure, no I/O). Totals: `millbook_platform.money`."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class QuotationStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


# action -> (the statuses it may start from, the status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[QuotationStatus], QuotationStatus]] = {
    "send": (frozenset({QuotationStatus.DRAFT}), QuotationStatus.SENT),
    "accept": (frozenset({QuotationStatus.SENT}), QuotationStatus.ACCEPTED),
    "reject": (frozenset({QuotationStatus.SENT}), QuotationStatus.REJECTED),
    "expire": (frozenset({QuotationStatus.SENT}), QuotationStatus.EXPIRED),
}


class IllegalStep(Exception):
    """An action the quotation's current status does not allow."""


def next_status(current: str, action: str) -> QuotationStatus:
    allowed_from, target = TRANSITIONS[action]
    if QuotationStatus(current) not in allowed_from:
        raise IllegalStep(f"cannot {action} a {current} quotation")
    return target


def is_editable(status: str) -> bool:
    return status == QuotationStatus.DRAFT


def has_lapsed(valid_until: date | None, today: date) -> bool:
    """A quotation is valid through its `valid_until` day; one without it never lapses."""
    return valid_until is not None and valid_until < today
