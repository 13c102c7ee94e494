"""Sealed boxes: a secret that travels through the outbox and Kafka, readable by one service.

A service that must hand a secret to another one durably (identity's password-reset
token, which the inbox mails) seals it to the recipient's public key with libsodium's
sealed box (X25519 + XSalsa20-Poly1305, an ephemeral sender key per message). The
sealed text can sit in an event, in Kafka and in the audit trail: only the holder of
the private key opens it, and the sender itself cannot. Keys are 32 raw bytes, written
as standard base64; `millbook up` generates one pair per stack state folder.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

KEY_BYTES = 32


class SealingKeyError(ValueError):
    """A sealing key that is missing or not 32 bytes of base64."""


class SealedTextError(ValueError):
    """A sealed text that this private key cannot open (other key, damaged, or not base64)."""


@dataclass(frozen=True)
class SealingKeyPair:
    """A new key pair, both halves as base64 text (the private one is a secret)."""

    public_key: str
    private_key: str


def checked_key(text: str | None, *, setting: str) -> str:
    """`text` stripped, once it is known to be a 32-byte base64 key; SealingKeyError if not."""
    _decode_key(text, setting)
    return (text or "").strip()


def configured_key(value: str | None, file: Path | None, *, setting: str, missing: str) -> str:
    """A key given by the setting `setting` or by the file its `_FILE` twin names, checked;
    SealingKeyError saying `missing` when neither gives one, or naming an unreadable file."""
    text = value
    if text is None and file is not None:
        try:
            text = file.read_text()
        except OSError as exc:
            raise SealingKeyError(f"{setting}_FILE {file} cannot be read: {exc.strerror}.") from exc
    if text is None or not text.strip():
        raise SealingKeyError(missing)
    return checked_key(text, setting=setting)


def generate_key_pair() -> SealingKeyPair:
    private = PrivateKey.generate()
    return SealingKeyPair(_encode(bytes(private.public_key)), _encode(bytes(private)))


def public_key_of(private_key: str, *, setting: str = "the private key") -> str:
    """The base64 public half of a base64 private key."""
    return _encode(bytes(PrivateKey(_decode_key(private_key, setting)).public_key))


def seal(plaintext: str, public_key: str, *, setting: str = "the public key") -> str:
    """`plaintext` sealed to `public_key`, as base64; `setting` names the key in errors."""
    box = SealedBox(PublicKey(_decode_key(public_key, setting)))
    return _encode(box.encrypt(plaintext.encode()))


def open_sealed(sealed: str, private_key: str, *, setting: str = "the private key") -> str:
    """The plaintext of a `seal`ed text; SealedTextError when this key cannot open it."""
    box = SealedBox(PrivateKey(_decode_key(private_key, setting)))
    try:
        return box.decrypt(base64.b64decode(sealed, validate=True)).decode()
    except (binascii.Error, CryptoError, UnicodeDecodeError) as exc:
        raise SealedTextError(
            "The sealed text cannot be opened with this private key: it was sealed to"
            " another key, or damaged."
        ) from exc


def _decode_key(text: str | None, setting: str) -> bytes:
    if not text or not text.strip():
        raise SealingKeyError(f"{setting} is not set: a base64 sealing key is required.")
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as exc:
        raise SealingKeyError(f"{setting} is not valid base64.") from exc
    if len(raw) != KEY_BYTES:
        raise SealingKeyError(
            f"{setting} must be {KEY_BYTES} bytes once base64-decoded, not {len(raw)}."
        )
    return raw


def _encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
