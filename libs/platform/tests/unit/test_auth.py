import uuid

import pytest

from millbook_platform.auth import JwksVerifier, Principal, require_scopes
from millbook_platform.errors import (
    AuthExpired,
    AuthInvalid,
    PermissionDenied,
    UpstreamUnavailable,
)
from millbook_testing.tokens import TestKey


async def test_a_valid_token_becomes_a_principal_with_its_tenant_and_scopes():
    keys = TestKey()
    tenant = str(uuid.uuid4())
    principal = await JwksVerifier(keys.fetch).verify(keys.token(tid=tenant, scope="users:read"))
    assert str(principal.tenant_id) == tenant
    assert principal.scopes == frozenset({"users:read"})


async def test_an_expired_token_is_auth_expired():
    keys = TestKey()
    with pytest.raises(AuthExpired):
        await JwksVerifier(keys.fetch).verify(keys.token(ttl_s=-10))


async def test_a_token_signed_by_another_key_is_auth_invalid():
    keys, other = TestKey(), TestKey()
    forged = other.token(kid=keys.kid)
    with pytest.raises(AuthInvalid):
        await JwksVerifier(keys.fetch).verify(forged)


async def test_an_unknown_key_id_refreshes_the_jwks_once_then_fails():
    keys = TestKey()
    verifier = JwksVerifier(keys.fetch)
    await verifier.verify(keys.token())
    with pytest.raises(AuthInvalid, match="unknown key"):
        await verifier.verify(keys.token(kid="rotated"))
    with pytest.raises(AuthInvalid):
        await verifier.verify(keys.token(kid="rotated"))
    assert keys.fetches == 1  # the second miss is within the refresh interval


async def test_a_refresh_token_is_not_an_access_token():
    keys = TestKey()
    with pytest.raises(AuthInvalid, match="not an access token"):
        await JwksVerifier(keys.fetch).verify(keys.token(typ="refresh"))


async def test_garbage_is_auth_invalid():
    with pytest.raises(AuthInvalid):
        await JwksVerifier(TestKey().fetch).verify("not.a.jwt")


def test_admin_implies_every_scope_and_others_name_what_is_missing():
    admin = Principal(uuid.uuid4(), uuid.uuid4(), frozenset({"admin"}))
    require_scopes(admin, "invoices:write", "users:delete")
    viewer = Principal(uuid.uuid4(), uuid.uuid4(), frozenset({"users:read"}))
    with pytest.raises(PermissionDenied, match="users:write"):
        require_scopes(viewer, "users:read", "users:write")


async def test_identity_down_is_unavailable_not_a_bad_token_and_is_not_asked_every_time():
    calls = []

    async def down() -> dict:
        calls.append(1)
        raise ConnectionError("identity is down")

    verifier = JwksVerifier(down)
    token = TestKey().token()
    for _ in range(2):  # the second, within the refresh interval, is not a bad token either
        with pytest.raises(UpstreamUnavailable) as refused:
            await verifier.verify(token)
        assert int(refused.value.headers["Retry-After"]) > 0
    assert len(calls) == 1


async def test_a_verified_token_is_not_verified_again_until_it_expires(monkeypatch):
    import jwt as pyjwt

    keys = TestKey()
    verifier = JwksVerifier(keys.fetch)
    token = keys.token(ttl_s=60)
    decodes = []
    real_decode = pyjwt.decode
    monkeypatch.setattr(pyjwt, "decode", lambda *a, **k: decodes.append(1) or real_decode(*a, **k))
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first
    assert len(decodes) == 1
    # Past its expiry the token is checked afresh (where PyJWT refuses an expired one).
    later = first.claims["exp"] + 10
    monkeypatch.setattr("millbook_platform.auth.time.time", lambda: later)
    await verifier.verify(token)
    assert len(decodes) == 2
