"""HTTP endpoints for three-way matching: parse, authorize, delegate."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from millbook_billing.matching import service
from millbook_billing.matching.domain import Tolerance
from millbook_billing.matching.schemas import Matching, MatchingDefaults, MatchRequest
from millbook_billing.models import MatchingResult
from millbook_platform.auth import Principal
from millbook_platform.deps import EventSource, TenantSession, needs
from millbook_platform.pagination import (
    DataResponse,
    ListResponse,
    Page,
    list_response,
    parse_fields,
)

router = APIRouter(prefix="/v1/matching", tags=["matching"])


def view(result: MatchingResult) -> Matching:
    return Matching.model_validate(
        {
            "id": result.id,
            "bill_id": result.bill_id,
            "purchase_order_id": result.purchase_order_id,
            "result": result.status,
            "tolerance_threshold": result.price_tolerance,
            "quantity_tolerance": result.quantity_tolerance,
            "lines": result.lines,
            "variances": result.variances,
            "matched_at": result.matched_at,
        }
    )


@router.get("/pending", response_model=None, responses={200: {"model": ListResponse[Matching]}})
async def list_pending(
    principal: Annotated[Principal, needs("matching:read")],
    session: TenantSession,
    page: Page,
) -> JSONResponse:
    """Draft bills awaiting their purchase order or whose match is an exception."""
    fields = parse_fields(page.fields, Matching)
    rows, meta = await service.list_pending(session, principal.tenant_id, page)
    return JSONResponse(list_response([view(row) for row in rows], meta, fields))


@router.post("/match", response_model=DataResponse[Matching])
async def match(
    body: MatchRequest,
    principal: Annotated[Principal, needs("matching:write")],
    session: TenantSession,
    source: EventSource,
) -> DataResponse[Matching]:
    """Match a bill against its purchase order and deliveries now, optionally with tolerances."""
    tolerance = None
    if body.tolerance_threshold is not None or body.quantity_tolerance is not None:
        default = await service.default_tolerance(session, principal.tenant_id)
        tolerance = Tolerance(
            price=body.tolerance_threshold
            if body.tolerance_threshold is not None
            else default.price,
            quantity=(
                body.quantity_tolerance if body.quantity_tolerance is not None else default.quantity
            ),
        )
    result = await service.match_bill(
        session, principal.tenant_id, body.bill_id, tolerance, source=source
    )
    return DataResponse(data=view(result))


@router.get("/settings", response_model=DataResponse[MatchingDefaults])
async def get_defaults(
    principal: Annotated[Principal, needs("matching:read")],
    session: TenantSession,
) -> DataResponse[MatchingDefaults]:
    """The tenant's default matching tolerances."""
    tolerance = await service.default_tolerance(session, principal.tenant_id)
    return DataResponse(data=_defaults(tolerance))


@router.put("/settings", response_model=DataResponse[MatchingDefaults])
async def set_defaults(
    body: MatchingDefaults,
    principal: Annotated[Principal, needs("matching:write")],
    session: TenantSession,
    source: EventSource,
) -> DataResponse[MatchingDefaults]:
    """Set the tenant's default tolerances; draft bills that follow them are rematched."""
    tolerance = Tolerance(body.tolerance_threshold, body.quantity_tolerance)
    await service.set_default_tolerance(session, principal.tenant_id, tolerance, source=source)
    return DataResponse(data=_defaults(tolerance))


def _defaults(tolerance: Tolerance) -> MatchingDefaults:
    return MatchingDefaults(
        tolerance_threshold=tolerance.price, quantity_tolerance=tolerance.quantity
    )


@router.get("/{matching_id}", response_model=DataResponse[Matching])
async def get_match(
    matching_id: uuid.UUID,
    principal: Annotated[Principal, needs("matching:read")],
    session: TenantSession,
) -> DataResponse[Matching]:
    """One bill's latest match: per PO line ordered, received and billed, and each variance."""
    return DataResponse(
        data=view(await service.get_result(session, principal.tenant_id, matching_id))
    )
