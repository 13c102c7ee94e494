"""Lead rules: vocabulary, round-robin assignment, how a lead's name splits (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import StrEnum


class LeadSource(StrEnum):
    WEBSITE = "website"
    REFERRAL = "referral"
    EMAIL = "email"
    TRADE_SHOW = "trade_show"
    OTHER = "other"


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"
    CONVERTED = "converted"


def next_assignee(circle: Sequence[uuid.UUID], last: uuid.UUID | None) -> uuid.UUID | None:
    """The user after `last` in the circle (sorted ids), wrapping; the first if `last` left."""
    if not circle:
        return None
    after = [user for user in circle if last is not None and user > last]
    return after[0] if after else circle[0]


def split_name(name: str) -> tuple[str, str]:
    """`Ada King Lovelace` -> (`Ada`, `King Lovelace`); a single name has no last name."""
    first, _, rest = name.strip().partition(" ")
    return first, rest.strip()
