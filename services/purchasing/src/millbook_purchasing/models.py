"""Purchasing' tables. Features arrive with the purchasing issue."""

from sqlalchemy.orm import DeclarativeBase

from millbook_platform.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
