"""The declarative base of sales' tables and the gap-free document counters."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import BigInteger, Integer, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import Uuid

from millbook_platform.db import new_metadata

# Amounts keep four places so unit prices may be finer than a cent; what a client
# sees is rounded to the currency's minor unit.
Money = Numeric(18, 4)
Quantity = Numeric(18, 4)
Rate = Numeric(9, 6)


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = {Decimal: Money}


class DocumentCounter(Base):
    """The last number handed out in one series (`customer`, `quotation`, `order`) and period.

    Incremented inside the business transaction, whose row lock makes numbers gap-free:
    a rolled-back transaction gives its number back.
    """

    __tablename__ = "document_counters"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)  # the year, or 0
    last_value: Mapped[int] = mapped_column(BigInteger)
