"""Ed25519 signing key material: generation, PEM round trip and the public JWK."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from millbook_platform.auth import ALGORITHM


@dataclass(frozen=True)
class KeyMaterial:
    """A signing key as stored: its id, private PEM and public JWK."""

    kid: str
    private_key_pem: str
    public_jwk: dict[str, Any]

    def private_key(self) -> Ed25519PrivateKey:
        key = serialization.load_pem_private_key(self.private_key_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise TypeError(f"signing key {self.kid} is not an Ed25519 key")
        return key


def new_kid() -> str:
    return secrets.token_urlsafe(9)


def generate_key_material() -> KeyMaterial:
    private = Ed25519PrivateKey.generate()
    kid = new_kid()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return KeyMaterial(kid=kid, private_key_pem=pem, public_jwk=public_jwk(private, kid))


def public_jwk(private: Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    x = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": ALGORITHM, "use": "sig"}
