"""HTTP endpoints for password reset; both are public."""

from __future__ import annotations

from fastapi import APIRouter, Response

from millbook_identity.deps import IdentitySettings
from millbook_identity.password_reset import service
from millbook_identity.password_reset.schemas import ResetAccepted, ResetConfirm, ResetRequest
from millbook_platform.deps import SystemSession
from millbook_platform.pagination import DataResponse

router = APIRouter(prefix="/v1/auth/password-reset", tags=["auth"])


@router.post("", status_code=202, response_model=DataResponse[ResetAccepted])
async def request_password_reset(
    body: ResetRequest, session: SystemSession, settings: IdentitySettings
) -> DataResponse[ResetAccepted]:
    """Ask for a reset link by email; the answer is the same whether or not it has an account."""
    await service.request_reset(
        session, body.email, source=settings.source, inbox_key=settings.inbox_public_key()
    )
    return DataResponse(data=ResetAccepted())


@router.post("/confirm", status_code=204)
async def confirm_password_reset(
    body: ResetConfirm, session: SystemSession, settings: IdentitySettings
) -> Response:
    """Set a new password with the token from the reset link; every session of the account ends."""
    await service.confirm_reset(session, body.token, body.new_password, source=settings.source)
    return Response(status_code=204)
