"""HTTP endpoints for login and the public signing keys."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response

from millbook_identity.auth import service
from millbook_identity.auth.schemas import Jwks, LoginRequest, TokenPair
from millbook_identity.auth.tokens import TOKEN_TYPE
from millbook_identity.config import Settings
from millbook_identity.deps import IdentitySettings
from millbook_identity.users.schemas import User
from millbook_platform.auth import JWKS_PATH
from millbook_platform.deps import SystemSession
from millbook_platform.pagination import DataResponse

router = APIRouter(tags=["auth"])

JWKS_MAX_AGE_S = 60


def token_policy(settings: Settings) -> service.TokenPolicy:
    return service.TokenPolicy(
        access_ttl=timedelta(seconds=settings.access_token_ttl_s),
        refresh_ttl=timedelta(days=settings.refresh_token_ttl_days),
    )


@router.post("/v1/auth/login", response_model=DataResponse[TokenPair])
async def login(
    body: LoginRequest, session: SystemSession, settings: IdentitySettings, response: Response
) -> DataResponse[TokenPair]:
    """Exchange an email and password for an access token (15 minutes) and a refresh token."""
    response.headers["Cache-Control"] = "no-store"
    issued = await service.login(
        session,
        email=body.email,
        password=body.password,
        organization_id=body.organization_id,
        policy=token_policy(settings),
    )
    pair = TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        token_type=TOKEN_TYPE,
        expires_in=issued.expires_in,
        user=User.model_validate(issued.user),
    )
    return DataResponse(data=pair)


@router.get(JWKS_PATH, response_model=Jwks)
async def jwks(session: SystemSession, response: Response) -> Jwks:
    """The public keys that verify Millbook access tokens, as a JSON Web Key Set."""
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_S}"
    return Jwks.model_validate(await service.jwks(session))
