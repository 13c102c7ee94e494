"""Users analytics endpoints."""

from fastapi import APIRouter
from pydantic import BaseModel

from millbook_analytics.users.projection import user_count
from millbook_platform.auth import require_scopes
from millbook_platform.deps import CurrentPrincipal, TenantSession
from millbook_platform.pagination import DataResponse

router = APIRouter(prefix="/v1/analytics/users", tags=["analytics"])


class UserCount(BaseModel):
    count: int


@router.get("/count", response_model=DataResponse[UserCount])
async def count_users(
    principal: CurrentPrincipal, session: TenantSession
) -> DataResponse[UserCount]:
    """How many users the caller's organization has, as seen by the event stream."""
    require_scopes(principal, "analytics:read")
    count = await user_count(session, principal.tenant_id)
    return DataResponse(data=UserCount(count=count))
