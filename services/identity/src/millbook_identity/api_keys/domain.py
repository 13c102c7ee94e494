"""API key rules without I/O: secrets, IP allow-lists, rotation grace and usability."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

PREFIX_LENGTH = 12  # "sk_live_" plus four random characters: enough to tell keys apart
MAX_GRACE = timedelta(days=7)
DEFAULT_GRACE = timedelta(hours=24)
# `last_used_at` is written at most this often per key: resolving must stay a read.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class KeyMode(StrEnum):
    LIVE = "live"
    TEST = "test"


def new_secret(mode: KeyMode) -> str:
    """`sk_live_…` or `sk_test_…` followed by 256 random bits."""
    return f"sk_{mode.value}_{secrets.token_urlsafe(32)}"


def display_prefix(secret: str) -> str:
    return secret[:PREFIX_LENGTH]


def parse_networks(cidrs: Iterable[str]) -> tuple[list[str], list[str]]:
    """The allow-list in canonical form, and the entries that are not IPs or CIDRs."""
    valid, invalid = [], []
    for cidr in cidrs:
        try:
            valid.append(str(ipaddress.ip_network(cidr.strip(), strict=False)))
        except ValueError:
            invalid.append(cidr)
    return valid, invalid


def ip_allowed(allowed: Sequence[str], client_ip: str | None) -> bool:
    """An empty allow-list admits every address; otherwise the address must be in a network."""
    if not allowed:
        return True
    if not client_ip:
        return False
    try:
        address = ipaddress.ip_address(client_ip.strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in allowed)


@dataclass(frozen=True)
class KeyState:
    """What resolving a secret needs to know about its key."""

    revoked_at: datetime | None
    expires_at: datetime | None
    allowed_ips: Sequence[str]
    matched_previous_secret: bool
    previous_expires_at: datetime | None


class Refusal(StrEnum):
    """Why a secret cannot be used now."""

    REVOKED = "revoked"
    EXPIRED = "expired"
    ROTATED_OUT = "rotated_out"
    ADDRESS_NOT_ALLOWED = "address_not_allowed"


def refusal(key: KeyState, now: datetime, client_ip: str | None) -> Refusal | None:
    """Revoked, expired, a rotated-out secret past its grace, or a foreign IP; None if usable."""
    if key.revoked_at is not None:
        return Refusal.REVOKED
    if key.expires_at is not None and key.expires_at <= now:
        return Refusal.EXPIRED
    if key.matched_previous_secret and (
        key.previous_expires_at is None or key.previous_expires_at <= now
    ):
        return Refusal.ROTATED_OUT
    if not ip_allowed(key.allowed_ips, client_ip):
        return Refusal.ADDRESS_NOT_ALLOWED
    return None


def usable(key: KeyState, now: datetime, client_ip: str | None) -> bool:
    return refusal(key, now, client_ip) is None


def usable_until(key: KeyState) -> datetime | None:
    """When this secret stops working by itself: the key's expiry, or its rotation grace's end."""
    ends = [key.expires_at, key.previous_expires_at if key.matched_previous_secret else None]
    return min((end for end in ends if end is not None), default=None)


def needs_last_used_update(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION
