"""HTTP endpoints for the tenant's billing settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from millbook_billing.settings import service
from millbook_billing.settings.schemas import BillingSettingsIn, BillingSettingsOut
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import DataResponse

router = APIRouter(prefix="/v1/billing/settings", tags=["billing settings"])


@router.get("", response_model=DataResponse[BillingSettingsOut])
async def get_settings(
    principal: Annotated[Principal, needs("invoices:read")], session: TenantSession
) -> DataResponse[BillingSettingsOut]:
    """The tenant's billing settings (defaults until saved)."""
    return DataResponse(data=await service.current_settings(session, principal.tenant_id))


@router.put("", response_model=DataResponse[BillingSettingsOut])
async def put_settings(
    body: BillingSettingsIn,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
) -> DataResponse[BillingSettingsOut]:
    """Replace the billing settings: invoice-from-order mode, seller details, default terms."""
    return DataResponse(data=await service.replace_settings(session, principal.tenant_id, body))
