"""The declarative base of billing's tables and its gap-free document counters."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric
from sqlalchemy.orm import DeclarativeBase

from millbook_platform.db import new_metadata
from millbook_platform.numbering import DocumentCounterColumns

# Amounts keep four places so unit prices and base-currency conversions may be finer
# than a cent; what a client sees, and what the ledger posts, is rounded to the minor unit.
Money = Numeric(18, 4)
Quantity = Numeric(18, 4)
Rate = Numeric(18, 8)  # tax rates, exchange rates


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = {Decimal: Money}


class DocumentCounter(DocumentCounterColumns, Base):
    """Billing's series: `invoice`, `credit_note`, `payment`, `bill`."""
