"""The scheduled retention purge, run beside the identity HTTP app."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_identity.audit import service
from millbook_platform.app import PeriodicJob
from millbook_platform.db import unit_of_work

log = logging.getLogger("millbook.identity.audit")


def retention_job(every_s: float) -> PeriodicJob:
    """Purge expired audit entries now and then every `every_s` seconds."""

    async def purge(sessions: async_sessionmaker[AsyncSession]) -> int:
        async with unit_of_work(sessions) as session:
            removed = await service.purge_expired(session)
        if removed:
            log.info("audit retention purged %d entries", removed)
        return removed

    return PeriodicJob(name="audit-retention", every_s=every_s, run=purge)
