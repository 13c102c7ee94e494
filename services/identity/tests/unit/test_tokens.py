import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from millbook_identity.auth.keys import KeyMaterial, generate_key_material
from millbook_identity.auth.tokens import (
    AccessGrant,
    access_claims,
    new_refresh_token,
    refresh_token_digest,
    sign,
)
from millbook_platform.auth import JwksVerifier
from millbook_platform.errors import AuthExpired, AuthInvalid

GRANT = AccessGrant(
    subject_id=uuid.uuid4(),
    tenant_id=uuid.uuid4(),
    session_id=uuid.uuid4(),
    scope="customers:read users:read",
)


def verifier_for(*keys: KeyMaterial) -> JwksVerifier:
    async def fetch():
        return {"keys": [key.public_jwk for key in keys]}

    return JwksVerifier(fetch)


def fresh_token(key: KeyMaterial, *, now: datetime | None = None) -> str:
    claims = access_claims(GRANT, now=now or datetime.now(UTC), ttl=timedelta(minutes=15))
    return sign(claims, key)


def test_public_jwk_describes_an_ed25519_signing_key():
    jwk = generate_key_material().public_jwk
    assert {k: jwk[k] for k in ("kty", "crv", "alg", "use")} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "alg": "EdDSA",
        "use": "sig",
    }
    assert "d" not in jwk


def test_claims_carry_every_field_services_rely_on():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    claims = access_claims(GRANT, now=now, ttl=timedelta(minutes=15))
    assert claims["sub"] == str(GRANT.subject_id)
    assert claims["tid"] == str(GRANT.tenant_id)
    assert claims["sid"] == str(GRANT.session_id)
    assert (claims["typ"], claims["kind"]) == ("access", "user")
    assert (claims["iss"], claims["aud"]) == ("millbook-identity", "millbook")
    assert claims["exp"] - claims["iat"] == 900


def test_a_users_token_carries_the_scope_version_it_was_issued_at():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    user = dataclasses.replace(GRANT, scope_version=4)

    assert access_claims(user, now=now, ttl=timedelta(minutes=15))["scope_version"] == 4
    assert "scope_version" not in access_claims(GRANT, now=now, ttl=timedelta(minutes=15))


def test_a_keys_token_names_its_secret_and_stops_no_earlier_and_no_later_than_it():
    now = datetime(2026, 1, 1, 12, 0, 0, 900_000, tzinfo=UTC)
    key = dataclasses.replace(
        GRANT,
        session_id=None,
        kind="api_key",
        key_prefix="sk_live_AbCd",
        not_after=now + timedelta(seconds=10.2),
    )

    claims = access_claims(key, now=now, ttl=timedelta(minutes=5))
    lasting = access_claims(
        dataclasses.replace(key, not_after=now + timedelta(days=1)),
        now=now,
        ttl=timedelta(minutes=5),
    )

    assert claims["key_prefix"] == "sk_live_AbCd"
    # `exp` is whole seconds: rounded up, never before the secret stops (12:00:11.1).
    assert claims["exp"] == int(datetime(2026, 1, 1, 12, 0, 12, tzinfo=UTC).timestamp())
    assert lasting["exp"] - lasting["iat"] == 300


async def test_signed_token_verifies_into_the_principal():
    key = generate_key_material()
    token = fresh_token(key)
    assert jwt.get_unverified_header(token)["kid"] == key.kid

    principal = await verifier_for(key).verify(token)

    assert principal.subject_id == GRANT.subject_id
    assert principal.tenant_id == GRANT.tenant_id
    assert principal.session_id == GRANT.session_id
    assert principal.scopes == {"customers:read", "users:read"}
    assert principal.kind == "user"


async def test_expired_token_is_refused_as_expired():
    key = generate_key_material()
    token = fresh_token(key, now=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(AuthExpired):
        await verifier_for(key).verify(token)


async def test_token_signed_by_another_key_under_a_known_kid_is_refused():
    served, forger = generate_key_material(), generate_key_material()
    impostor = KeyMaterial(served.kid, forger.private_key_pem, served.public_jwk)
    with pytest.raises(AuthInvalid):
        await verifier_for(served).verify(fresh_token(impostor))


def test_refresh_tokens_are_random_and_stored_only_as_a_digest():
    first, second = new_refresh_token(), new_refresh_token()
    assert first != second
    assert len(first) >= 43  # 32 random bytes
    digest = refresh_token_digest(first)
    assert len(digest) == 64
    assert first not in digest
    assert digest == refresh_token_digest(first)
