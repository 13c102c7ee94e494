"""Ed25519 signing key material: generation, PEM round trip, the public JWK, and the
vault that keeps private keys encrypted at rest.

A `KeyMaterial` is the decrypted key, only ever in memory. The database holds the
private key as PKCS#8 PEM encrypted with the server's passphrase
(`MILLBOOK_SIGNING_KEY_PASSPHRASE`), through `KeyVault.seal` and `KeyVault.open`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from millbook_platform.auth import ALGORITHM

ENCRYPTED_PEM_HEADER = "-----BEGIN ENCRYPTED PRIVATE KEY-----"
MIN_PASSPHRASE_LENGTH = 16


class SigningKeyUnavailable(RuntimeError):
    """The signing keys cannot be used: no passphrase, or not the one they were sealed with."""


@dataclass(frozen=True)
class KeyMaterial:
    """A signing key in memory: its id, private PEM (unencrypted) and public JWK."""

    kid: str
    private_key_pem: str
    public_jwk: dict[str, Any]

    def private_key(self) -> Ed25519PrivateKey:
        return _ed25519(
            self.kid, serialization.load_pem_private_key(self.private_key_pem.encode(), None)
        )


def _ed25519(kid: str, key: object) -> Ed25519PrivateKey:
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"signing key {kid} is not an Ed25519 key")
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


def is_sealed(pem: str) -> bool:
    """Whether a stored private key is encrypted (PKCS#8 `ENCRYPTED PRIVATE KEY`)."""
    return pem.lstrip().startswith(ENCRYPTED_PEM_HEADER)


def seal_pem(plain_pem: str, passphrase: bytes) -> str:
    """An unencrypted PKCS#8 PEM, encrypted with the passphrase (the best the library has)."""
    key = serialization.load_pem_private_key(plain_pem.encode(), None)
    return (
        _ed25519("?", key)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )
        .decode()
    )


@dataclass(frozen=True)
class KeyVault:
    """Seals private signing keys for the database and opens them to sign."""

    passphrase: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.passphrase) < MIN_PASSPHRASE_LENGTH:
            raise SigningKeyUnavailable(
                f"MILLBOOK_SIGNING_KEY_PASSPHRASE must be at least {MIN_PASSPHRASE_LENGTH}"
                " characters long."
            )

    def seal(self, material: KeyMaterial) -> str:
        return self.seal_plain(material.private_key_pem)

    def seal_plain(self, plain_pem: str) -> str:
        return seal_pem(plain_pem, self.passphrase)

    def open(self, kid: str, stored_pem: str, jwk: dict[str, Any]) -> KeyMaterial:
        """The stored key decrypted, or SigningKeyUnavailable saying why it cannot be."""
        if not is_sealed(stored_pem):
            raise SigningKeyUnavailable(
                f"Signing key {kid} is stored unencrypted; run identity's migrations with"
                " MILLBOOK_SIGNING_KEY_PASSPHRASE set to encrypt it."
            )
        try:
            key = serialization.load_pem_private_key(stored_pem.encode(), self.passphrase)
        except ValueError as exc:
            raise SigningKeyUnavailable(
                f"Signing key {kid} does not open with MILLBOOK_SIGNING_KEY_PASSPHRASE:"
                " it was encrypted with another passphrase."
            ) from exc
        plain = _ed25519(kid, key).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return KeyMaterial(kid=kid, private_key_pem=plain.decode(), public_jwk=jwk)

    def subkey(self, purpose: str) -> bytes:
        """A key for another purpose derived from the passphrase, so one secret serves both."""
        return hmac.new(self.passphrase, b"millbook:" + purpose.encode(), hashlib.sha256).digest()
