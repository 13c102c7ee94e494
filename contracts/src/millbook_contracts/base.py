"""The base of every event payload contract."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from millbook_contracts.envelope import Envelope, dataschema_for
from millbook_contracts.topics import topic_of


class Event(BaseModel):
    """Base of every event payload."""

    # Consumers must tolerate fields added later within the same version.
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def topic(cls) -> str:
        return topic_of(str(cls.event_type))

    @classmethod
    def dataschema(cls) -> str:
        return dataschema_for(str(cls.event_type), int(cls.version))

    def subject(self) -> str:
        """The aggregate id: the Kafka key, so one aggregate's events stay in order."""
        raise NotImplementedError

    def envelope(
        self,
        *,
        tenant_id: uuid.UUID,
        source: str,
        event_id: uuid.UUID | None = None,
        traceparent: str | None = None,
        actor: str | None = None,
        request_id: str | None = None,
    ) -> Envelope:
        """This event as a CloudEvent of `source` (`/millbook/<service>`), stamped now."""
        return Envelope(
            id=event_id or uuid.uuid4(),
            source=source,
            type=self.event_type,
            subject=self.subject(),
            tenant_id=tenant_id,
            time=datetime.now(UTC),
            dataschema=self.dataschema(),
            data=self.model_dump_json().encode(),
            traceparent=traceparent,
            actor=actor,
            request_id=request_id,
        )
