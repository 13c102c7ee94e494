"""The `customer_id` filter billing's lists take, by one definition."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from millbook_platform.query_guard import synonyms

# Seed 001 calls customers clients: `?client=` is refused with a hint at `customer_id`.
CustomerFilter = Annotated[
    uuid.UUID | None,
    Query(description="Only this customer's.", json_schema_extra=synonyms("client", "client_id")),
]
