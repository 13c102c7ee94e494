"""Queries on organizations."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.models import Organization


def add(session: AsyncSession, org: Organization) -> None:
    session.add(org)
