import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from millbook_contracts.events import Event
from millbook_platform.db import create_engine, session_factory


class ThingHappened(Event):
    """A scratch event on a scratch topic, so platform tests never touch real topics."""

    event_type = "test.thing.happened"
    thing_id: uuid.UUID
    n: int
    at: datetime | None = None

    def subject(self) -> str:
        return str(self.thing_id)


class Scratch(BaseModel):
    url: str
    engine: AsyncEngine

    model_config = {"arbitrary_types_allowed": True}

    @property
    def sessions(self):
        return session_factory(self.engine)


@pytest.fixture
async def platform_db(infra) -> AsyncIterator[Scratch]:
    url = await asyncio.to_thread(infra.platform_database)
    engine = create_engine(url, pool_size=5)
    yield Scratch(url=url, engine=engine)
    await engine.dispose()
