"""Forged access tokens, through the gateway and straight at each service.

Each forgery is built from organization A's admin's real token (its claims, its `kid`)
or from identity's real signing key where only one claim is wrong; every one must be a
401 everywhere, and none may read A's data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..e2e.test_bad_input import identity_signing_key
from .tally import Tally

pytestmark = pytest.mark.e2e

# Services a forged token is sent to directly, beside the gateway, with a route each reads.
CONTROL = "re-signed with identity's key, nothing changed"
DIRECT = {"identity": "/v1/users/me", "sales": "/v1/customers", "billing": "/v1/invoices"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(claims).encode())
    return f"{head}.{body}.{signature}"


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    token = unsigned({**header, "alg": "HS256"}, claims)[:-1]
    signature = hmac.new(secret, token.encode(), hashlib.sha256).digest()
    return f"{token}.{b64(signature)}"


def forgeries(real: str, stack: Any, jwks: dict[str, Any], b_org: str) -> dict[str, str]:
    header = jwt.get_unverified_header(real)
    claims = jwt.decode(real, options={"verify_signature": False})
    kid = header["kid"]
    public = next(k for k in jwks["keys"] if k["kid"] == kid)
    _, key = identity_signing_key(stack)
    now = int(time.time())

    def signed(**changes: Any) -> str:
        edited = {k: v for k, v in {**claims, **changes}.items() if v is not None}
        return jwt.encode(edited, key, algorithm="EdDSA", headers={"kid": kid})

    head, _, signature = real.split(".")
    return {
        # The control: signed like identity signs, refused for nothing; not a forgery.
        CONTROL: signed(),
        "alg none": unsigned({"alg": "none", "kid": kid, "typ": "JWT"}, claims),
        "alg None, signature kept": unsigned({"alg": "None", "kid": kid}, claims, signature),
        "HS256 with the public key (x)": hs256(header, claims, public["x"].encode()),
        "HS256 with the public key (raw)": hs256(
            header, claims, base64.urlsafe_b64decode(public["x"] + "==")
        ),
        "HS256 with the JWKS entry": hs256(header, claims, json.dumps(public).encode()),
        "edited tid, signature kept": unsigned(header, {**claims, "tid": b_org}, signature),
        "edited scope, signature kept": unsigned(
            header, {**claims, "scope": "admin platform:admin"}, signature
        ),
        "edited exp, signature kept": unsigned(header, {**claims, "exp": now + 10**6}, signature),
        "no signature": f"{head}.{real.split('.')[1]}.",
        "foreign key, real kid": jwt.encode(
            claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid}
        ),
        "foreign key, foreign kid": jwt.encode(
            claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "attacker"}
        ),
        "kid naming a path": jwt.encode(
            claims,
            Ed25519PrivateKey.generate(),
            algorithm="EdDSA",
            headers={"kid": "../../../../dev/null"},
        ),
        "jku pointing elsewhere": jwt.encode(
            claims,
            Ed25519PrivateKey.generate(),
            algorithm="EdDSA",
            headers={"kid": "attacker", "jku": "http://127.0.0.1:1/jwks.json"},
        ),
        "expired": signed(iat=now - 7200, exp=now - 60),
        "wrong audience": signed(aud="someone-else"),
        "no audience": signed(aud=None),
        "wrong issuer": signed(iss="https://attacker.example.com"),
        "no expiry": signed(exp=None),
        "refresh token type": signed(typ="refresh"),
        "no tenant": signed(tid=None),
        "issued in the future": signed(iat=now + 3600, nbf=now + 3600),
    }


async def test_every_forged_token_is_refused_everywhere(stack, gateway_client, tenants):
    a, b = tenants
    jwks = (await gateway_client.get("/.well-known/jwks.json")).json()
    real = await gateway_client.get("/v1/users/me", headers=a.headers)
    assert real.status_code == 200, "the token the forgeries start from works"
    tally = Tally("jwt forgeries", "accepted")
    targets: list[tuple[str, str, Callable[[], httpx.AsyncClient]]] = [
        ("gateway", route, lambda: gateway_client) for route in DIRECT.values()
    ]
    async with httpx.AsyncClient(timeout=30) as direct:
        targets += [
            (service, stack.url(service) + route, lambda: direct)
            for service, route in DIRECT.items()
        ]
        for name, token in forgeries(a.token, stack, jwks, b.organization_id).items():
            for where, url, client in targets:
                response = await client().get(url, headers={"Authorization": f"Bearer {token}"})
                if name == CONTROL:
                    assert response.status_code != 401 or where != "gateway", response.text
                    continue
                leaked = a.marker in response.text or a.email in response.text
                tally.tried(
                    response.status_code == 401 and not leaked,
                    f"{name} at {where} {url}: {response.status_code} {response.text[:200]}",
                )
    tally.check()
