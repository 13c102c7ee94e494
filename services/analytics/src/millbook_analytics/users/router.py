"""Users analytics endpoints."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from millbook_analytics.users.projection import user_count
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import DataResponse

router = APIRouter(prefix="/v1/analytics/users", tags=["analytics"])


class UserCount(BaseModel):
    count: int


@router.get("/count", response_model=DataResponse[UserCount])
async def count_users(
    principal: Annotated[Principal, needs("analytics:read")], session: TenantSession
) -> DataResponse[UserCount]:
    """How many users the caller's organization has, as seen by the event stream."""
    count = await user_count(session, principal.tenant_id)
    return DataResponse(data=UserCount(count=count))
