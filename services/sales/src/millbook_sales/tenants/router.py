"""HTTP endpoints for sales' tenant settings: parse, authorize, delegate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import DataResponse
from millbook_sales.tenants import service
from millbook_sales.tenants.schemas import SalesSettingsUpdate, SalesSettingsView

router = APIRouter(prefix="/v1/sales/settings", tags=["settings"])


@router.get("", response_model=DataResponse[SalesSettingsView])
async def get_sales_settings(
    principal: Annotated[Principal, needs("quotations:read")], session: TenantSession
) -> DataResponse[SalesSettingsView]:
    """The organization's name, base currency and the currencies sales documents may use."""
    return DataResponse(data=await service.get_settings(session, principal.tenant_id))


@router.put("", response_model=DataResponse[SalesSettingsView])
async def put_sales_settings(
    body: SalesSettingsUpdate,
    principal: Annotated[Principal, needs("admin")],
    session: TenantSession,
) -> DataResponse[SalesSettingsView]:
    """Set the accepted currencies (an admin's call); the base currency is always accepted."""
    return DataResponse(data=await service.update_settings(session, principal.tenant_id, body))
