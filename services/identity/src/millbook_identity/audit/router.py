"""The read-only audit trail over HTTP."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from millbook_identity.audit import service
from millbook_identity.audit.repository import AuditFilters
from millbook_identity.audit.schemas import AuditEntry
from millbook_platform.api_types import Instant, InstantUntil
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.errors import ValidationFailed, field_error
from millbook_platform.pagination import DataResponse, ListResponse, Page

router = APIRouter(prefix="/v1/audit", tags=["audit"])

Text = Annotated[str | None, Query(max_length=200)]


@router.get("", response_model=ListResponse[AuditEntry])
async def list_audit_entries(
    principal: Annotated[Principal, needs("audit:read")],
    session: TenantSession,
    page: Page,
    actor_id: Text = None,
    action: Text = None,
    resource_type: Text = None,
    resource_id: Text = None,
    date_from: Instant | None = None,
    date_to: InstantUntil | None = None,
) -> ListResponse[AuditEntry]:
    """What happened in the organization, newest first: who did what to which resource."""
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed(
            "The date range is empty.", details=[field_error("date_from", "after date_to")]
        )
    filters = AuditFilters(actor_id, action, resource_type, resource_id, date_from, date_to)
    entries, meta = await service.list_entries(session, principal.tenant_id, filters, page)
    return ListResponse(data=[AuditEntry.model_validate(e) for e in entries], meta=meta)


@router.get("/{entry_id}", response_model=DataResponse[AuditEntry])
async def get_audit_entry(
    entry_id: uuid.UUID,
    principal: Annotated[Principal, needs("audit:read")],
    session: TenantSession,
) -> DataResponse[AuditEntry]:
    """One entry of the organization's audit trail."""
    entry = await service.get_entry(session, principal.tenant_id, entry_id)
    return DataResponse(data=AuditEntry.model_validate(entry))
