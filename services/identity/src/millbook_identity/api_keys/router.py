"""HTTP endpoints for API keys, under `/v1/api-keys` and the seeds' alias `/v1/keys`."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.routing import APIRoute

from millbook_identity.api_keys import service
from millbook_identity.api_keys.schemas import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyRotate,
    ApiKeyWithSecret,
    ResolvedKey,
    ResolveRequest,
)
from millbook_identity.deps import IdentitySettings, SigningVault
from millbook_platform.auth import Principal
from millbook_platform.deps import SystemSession, TenantSession, needs
from millbook_platform.pagination import DataResponse, ListResponse, Page


def _with_secret(issued: service.IssuedKey) -> ApiKeyWithSecret:
    shown = ApiKey.model_validate(issued.key).model_dump()
    return ApiKeyWithSecret(**shown, secret=issued.secret)


def keys_router(prefix: str, *, alias_of: str | None = None) -> APIRouter:
    """The key endpoints under `prefix`; an alias is documented as deprecated, naming the path."""
    router = APIRouter(prefix=prefix, tags=["api keys"], deprecated=alias_of is not None)

    @router.post("", status_code=201, response_model=DataResponse[ApiKeyWithSecret])
    async def create_api_key(
        body: ApiKeyCreate,
        principal: Annotated[Principal, needs("api_keys:write")],
        session: TenantSession,
        settings: IdentitySettings,
        response: Response,
    ) -> DataResponse[ApiKeyWithSecret]:
        """Create a key with at most your own scopes; its secret is shown only in this answer."""
        response.headers["Cache-Control"] = "no-store"
        issued = await service.create_key(session, principal, body, source=settings.source)
        return DataResponse(data=_with_secret(issued))

    @router.get("", response_model=ListResponse[ApiKey])
    async def list_api_keys(
        principal: Annotated[Principal, needs("api_keys:read")], session: TenantSession, page: Page
    ) -> ListResponse[ApiKey]:
        """The organization's keys, newest first, without their secrets."""
        keys, meta = await service.list_keys(session, principal.tenant_id, page)
        return ListResponse(data=[ApiKey.model_validate(k) for k in keys], meta=meta)

    @router.get("/{key_id}", response_model=DataResponse[ApiKey])
    async def get_api_key(
        key_id: uuid.UUID,
        principal: Annotated[Principal, needs("api_keys:read")],
        session: TenantSession,
    ) -> DataResponse[ApiKey]:
        """One key of the organization, with when it was last used."""
        key = await service.get_key(session, principal.tenant_id, key_id)
        return DataResponse(data=ApiKey.model_validate(key))

    @router.post("/{key_id}/revoke", response_model=DataResponse[ApiKey])
    async def revoke_api_key(
        key_id: uuid.UUID,
        principal: Annotated[Principal, needs("api_keys:write")],
        session: TenantSession,
        settings: IdentitySettings,
    ) -> DataResponse[ApiKey]:
        """Stop the key at once; requests with it are refused from now on."""
        key = await service.revoke_key(session, principal.tenant_id, key_id, source=settings.source)
        return DataResponse(data=ApiKey.model_validate(key))

    @router.post("/{key_id}/rotate", response_model=DataResponse[ApiKeyWithSecret])
    async def rotate_api_key(
        key_id: uuid.UUID,
        principal: Annotated[Principal, needs("api_keys:write")],
        session: TenantSession,
        settings: IdentitySettings,
        response: Response,
        body: ApiKeyRotate | None = None,
    ) -> DataResponse[ApiKeyWithSecret]:
        """Issue a new secret; the old one keeps working for the grace period you pick."""
        response.headers["Cache-Control"] = "no-store"
        grace = (body or ApiKeyRotate()).grace
        issued = await service.rotate_key(
            session, principal.tenant_id, key_id, grace, source=settings.source
        )
        return DataResponse(data=_with_secret(issued))

    if alias_of:
        for route in router.routes:
            if isinstance(route, APIRoute):
                route.description += f" Deprecated alias of `{alias_of}`: use that path."
    return router


router = keys_router("/v1/api-keys")
# The seeds' name; it answers exactly as `/v1/api-keys` and stays for clients built on them.
alias_router = keys_router("/v1/keys", alias_of="/v1/api-keys")

# Not routed by the gateway (no `/internal` prefix in its route table): reachable only on
# the service network, where the gateway calls it to turn an `X-API-Key` into a token.
internal_router = APIRouter(prefix="/internal/v1/api-keys", tags=["internal"])


@internal_router.post("/resolve", response_model=DataResponse[ResolvedKey])
async def resolve_api_key(
    body: ResolveRequest,
    session: SystemSession,
    settings: IdentitySettings,
    vault: SigningVault,
    response: Response,
) -> DataResponse[ResolvedKey]:
    """For the gateway: a key's secret and the caller's IP in, a short access token out."""
    response.headers["Cache-Control"] = "no-store"
    resolved = await service.resolve(
        session,
        body.secret,
        body.client_ip,
        token_ttl=timedelta(seconds=settings.api_key_token_ttl_s),
        vault=vault,
    )
    key = resolved.key
    data = ResolvedKey(
        access_token=resolved.access_token,
        expires_in=resolved.expires_in,
        key_id=key.id,
        tenant_id=resolved.tenant_id,
        mode=key.mode,
        scopes=sorted(key.scopes),
        tier=resolved.tier,
        usable_until=resolved.usable_until,
    )
    return DataResponse(data=data)
