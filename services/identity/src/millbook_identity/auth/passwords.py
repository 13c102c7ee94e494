"""Password policy and argon2 hashing.

Hashing costs tens of milliseconds of CPU on purpose, so the async callers run
it in a worker thread rather than on the event loop.
"""

from __future__ import annotations

import asyncio
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
# A local part this short ("al@...") is too likely inside an ordinary passphrase to refuse.
MIN_LOCAL_PART = 3
MAX_LENGTH = 256  # argon2 takes any length; a bound keeps a request from buying CPU

_hasher = PasswordHasher()
# Verified against when the email is unknown, so that answer takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("millbook-dummy-password")


def password_problems(password: str, email: str) -> list[str]:
    """Why `password` is not acceptable for the account `email`; empty when it is."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"must be at most {MAX_LENGTH} characters")
    lowered = password.strip().lower()
    local_part = email.strip().lower().partition("@")[0]
    if lowered == email.strip().lower():
        problems.append("must not be the email address")
    elif len(local_part) >= MIN_LOCAL_PART and local_part in lowered:
        problems.append("must not contain the email address's name")
    if lowered in common_passwords():
        problems.append("is one of the most common passwords; choose another")
    return problems


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common breached passwords, lower-cased."""
    text = (
        resources.files("millbook_identity.auth")
        .joinpath("common_passwords.txt")
        .read_text("utf-8")
    )
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def waste_a_verification(password: str) -> None:
    """Spend the time of one verification without an account, against user enumeration."""
    password_matches(_DUMMY_HASH, password)


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def password_matches_async(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(password_matches, password_hash, password)


async def waste_a_verification_async(password: str) -> None:
    await asyncio.to_thread(waste_a_verification, password)
