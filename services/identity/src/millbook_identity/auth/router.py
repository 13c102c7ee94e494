"""HTTP endpoints for login, signup, sessions and the signing keys."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_identity.auth import introspection, service
from millbook_identity.auth.keys import KeyVault
from millbook_identity.auth.lockout import source_of
from millbook_identity.auth.schemas import (
    Jwks,
    KeyRotation,
    LoginRequest,
    RefreshRequest,
    RetiringKey,
    SignupRequest,
    TokenPair,
    Verification,
    VerifyRequest,
)
from millbook_identity.auth.tokens import TOKEN_TYPE
from millbook_identity.config import Settings
from millbook_identity.deps import IdentitySettings, Sessions, SigningVault, require_platform_admin
from millbook_identity.organizations import service as organizations
from millbook_identity.users.schemas import User
from millbook_platform.auth import JWKS_PATH
from millbook_platform.deps import CurrentPrincipal, SystemSession, TenantSession
from millbook_platform.errors import PermissionDenied, ValidationFailed
from millbook_platform.pagination import DataResponse

router = APIRouter(tags=["auth"])

JWKS_MAX_AGE_S = 60
LOGIN_FAILURE_KEY_PURPOSE = "login failures"
# The client's address, set by the gateway on every request it forwards (overwriting any
# the client sent). Read here only as the login throttling key.
CLIENT_IP_HEADER = "X-Millbook-Client-Ip"


def token_policy(settings: Settings, vault: KeyVault) -> service.TokenPolicy:
    return service.TokenPolicy(
        access_ttl=timedelta(seconds=settings.access_token_ttl_s),
        refresh_ttl=timedelta(days=settings.refresh_token_ttl_days),
        vault=vault,
        remember_ttl=timedelta(days=settings.remember_me_ttl_days),
    )


def refusals(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, vault: KeyVault
) -> service.Refusals:
    return service.Refusals(sessions, settings.source, vault.subkey(LOGIN_FAILURE_KEY_PURPOSE))


def _pair(issued: service.IssuedTokens, response: Response) -> DataResponse[TokenPair]:
    response.headers["Cache-Control"] = "no-store"
    pair = TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        token_type=TOKEN_TYPE,
        expires_in=issued.expires_in,
        user=User.model_validate(issued.user),
    )
    return DataResponse(data=pair)


@router.post(
    "/v1/auth/login",
    response_model=DataResponse[TokenPair],
    responses={401: {"description": "The email or password is incorrect (`AUTH_INVALID`)."}},
)
async def login(
    body: LoginRequest,
    session: SystemSession,
    sessions: Sessions,
    settings: IdentitySettings,
    vault: SigningVault,
    request: Request,
    response: Response,
) -> DataResponse[TokenPair]:
    """Exchange an email and password for an access token (15 minutes) and a refresh token.

    Repeated wrong passwords from one client address lock that address out of the
    account for a while (429 with `Retry-After`, doubling for each further lock);
    other addresses can still log in.
    """
    peer = request.client.host if request.client else None
    issued = await service.login(
        session,
        email=body.email,
        password=body.password,
        organization_id=body.organization_id,
        remember_me=body.remember_me,
        policy=token_policy(settings, vault),
        refusals=refusals(sessions, settings, vault),
        client=source_of(request.headers.get(CLIENT_IP_HEADER), peer),
    )
    return _pair(issued, response)


@router.post(
    "/v1/auth/signup",
    status_code=201,
    response_model=DataResponse[TokenPair],
    responses={403: {"description": "Public signup is turned off (`PERMISSION_DENIED`)."}},
)
async def signup(
    body: SignupRequest,
    session: SystemSession,
    settings: IdentitySettings,
    vault: SigningVault,
    response: Response,
) -> DataResponse[TokenPair]:
    """Create an organization with you as its first admin, and log you in."""
    if not settings.public_signup:
        raise PermissionDenied(
            "Public signup is turned off on this installation; ask its operator for an account."
        )
    founded = await organizations.sign_up(session, body, source=settings.source)
    issued = await service.open_session(session, founded.admin, token_policy(settings, vault))
    return _pair(issued, response)


@router.post(
    "/v1/auth/refresh",
    response_model=DataResponse[TokenPair],
    responses={401: {"description": "The refresh token is unknown, used or expired."}},
)
async def refresh(
    body: RefreshRequest,
    session: SystemSession,
    sessions: Sessions,
    settings: IdentitySettings,
    vault: SigningVault,
    response: Response,
) -> DataResponse[TokenPair]:
    """Trade a refresh token for a new one and a new access token; each works only once."""
    issued = await service.refresh(
        session,
        refresh_token=body.refresh_token,
        policy=token_policy(settings, vault),
        refusals=refusals(sessions, settings, vault),
    )
    return _pair(issued, response)


@router.post("/v1/auth/logout", status_code=204)
async def logout(
    principal: CurrentPrincipal, session: TenantSession, settings: IdentitySettings
) -> Response:
    """End the session of this access token; its tokens stop working everywhere."""
    if principal.session_id is None:
        raise ValidationFailed("This credential has no session to end (it is not a login).")
    await service.logout(session, principal.tenant_id, principal.session_id, source=settings.source)
    return Response(status_code=204)


@router.post("/v1/auth/verify", response_model=DataResponse[Verification])
async def verify(
    body: VerifyRequest, principal: CurrentPrincipal, session: SystemSession, request: Request
) -> DataResponse[Verification]:
    """Whether an access token is active (signed by us, unexpired, not revoked), with its claims."""
    active, claims = await introspection.introspect(session, request.app.state.verifier, body.token)
    return DataResponse(data=Verification(active=active, claims=claims))


@router.post("/v1/auth/keys/rotate", response_model=DataResponse[KeyRotation])
async def rotate_keys(
    principal: CurrentPrincipal,
    session: SystemSession,
    settings: IdentitySettings,
    vault: SigningVault,
) -> DataResponse[KeyRotation]:
    """Platform admins: sign with a new key; old keys verify until their tokens expire."""
    require_platform_admin(principal)
    rotation = await service.rotate_signing_keys(
        session, timedelta(seconds=settings.access_token_ttl_s), vault
    )
    retiring = [RetiringKey(kid=kid, retires_at=at) for kid, at in rotation.retiring]
    return DataResponse(data=KeyRotation(kid=rotation.current, retiring=retiring))


@router.get(JWKS_PATH, response_model=Jwks)
async def jwks(session: SystemSession, vault: SigningVault, response: Response) -> Jwks:
    """The public keys that verify Millbook access tokens, as a JSON Web Key Set."""
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_S}"
    return Jwks.model_validate(await service.jwks(session, vault))
