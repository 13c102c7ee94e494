"""HTTP endpoints for pricing: the tenant's rate card and price calculations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import DataResponse
from millbook_sales.deps import SalesSettings
from millbook_sales.pricing import drafts, service
from millbook_sales.pricing.schemas import (
    PricingRequest,
    PricingResult,
    PricingSettings,
    PricingSettingsIn,
    QuotationPricingRequest,
)

router = APIRouter(tags=["pricing"])


@router.get("/v1/sales/pricing-settings", response_model=DataResponse[PricingSettings])
async def get_pricing_settings(
    principal: Annotated[Principal, needs("quotations:read")], session: TenantSession
) -> DataResponse[PricingSettings]:
    """The tenant's rates, complexity table and material prices (defaults until saved)."""
    return DataResponse(data=await service.get_settings(session, principal.tenant_id))


@router.put("/v1/sales/pricing-settings", response_model=DataResponse[PricingSettings])
async def replace_pricing_settings(
    body: PricingSettingsIn,
    principal: Annotated[Principal, needs("quotations:write")],
    session: TenantSession,
) -> DataResponse[PricingSettings]:
    """Replace the tenant's whole rate card."""
    settings = await service.replace_settings(
        session, principal.tenant_id, body, actor=principal.actor
    )
    return DataResponse(data=settings)


@router.post("/v1/pricing/calculate", response_model=DataResponse[PricingResult])
async def calculate_pricing(
    body: PricingRequest,
    principal: Annotated[Principal, needs("quotations:read")],
    session: TenantSession,
) -> DataResponse[PricingResult]:
    """Price parts from material, complexity and quantity; nothing is saved."""
    return DataResponse(data=await service.calculate(session, principal.tenant_id, body))


@router.post(
    "/v1/quotations/{quotation_id}/calculate-pricing", response_model=DataResponse[PricingResult]
)
async def calculate_quotation_pricing(
    quotation_id: uuid.UUID,
    body: QuotationPricingRequest,
    principal: Annotated[Principal, needs("quotations:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[PricingResult]:
    """Price a quotation's parts; with `apply`, write the prices into the draft's lines."""
    result = await drafts.calculate_for_quotation(
        session, principal.tenant_id, quotation_id, body, source=settings.source
    )
    return DataResponse(data=result)
