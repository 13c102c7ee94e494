"""Token introspection: is an access token active right now, and what does it claim?"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.api_keys.service import key_is_live
from millbook_identity.auth.service import session_is_live
from millbook_platform.auth import API_KEY_KIND, JwksVerifier
from millbook_platform.errors import AuthExpired, AuthInvalid


async def introspect(
    session: AsyncSession, verifier: JwksVerifier, token: str
) -> tuple[bool, dict[str, Any]]:
    """(active, claims); an inactive token shows no claims."""
    try:
        principal = await verifier.verify(token)
    except (AuthInvalid, AuthExpired):
        return False, {}
    if principal.session_id is not None and not await session_is_live(
        session, principal.session_id
    ):
        return False, {}
    if principal.kind == API_KEY_KIND and not await key_is_live(session, principal.subject_id):
        return False, {}
    return True, dict(principal.claims)
