"""Password policy and argon2 hashing.

Hashing costs tens of milliseconds of CPU on purpose, so the async callers run
it in a worker thread rather than on the event loop.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
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
    if password.strip().lower() == email.strip().lower():
        problems.append("must not be the email address")
    return problems


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
