"""The declarative base of sales' tables and the gap-free document counters."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric
from sqlalchemy.orm import DeclarativeBase

from millbook_platform.db import new_metadata
from millbook_platform.numbering import DocumentCounterColumns

# Amounts keep four places so unit prices may be finer than a cent; what a client
# sees is rounded to the currency's minor unit.
Money = Numeric(18, 4)
Quantity = Numeric(18, 4)
Rate = Numeric(9, 6)


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = {Decimal: Money}


class DocumentCounter(DocumentCounterColumns, Base):
    """Sales' series: `customer`, `quotation`, `order`."""
