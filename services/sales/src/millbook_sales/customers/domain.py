"""Customer rules: codes, status, what counts as a change, company-name matching (pure)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

CODE_PREFIX = "CUST"
CODE_SERIES = "customer"

# Legal-form words that do not make two company names different.
_LEGAL_FORM_WORDS = (
    "inc incorporated llc ltd limited co corp corporation company gmbh ag sa sas sarl bv nv "
    "plc pty pte sdn bhd kk oy ab as spa srl lp llp"
)
_LEGAL_FORMS = frozenset(_LEGAL_FORM_WORDS.split())


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


def generated_code(number: int) -> str:
    """`CUST-0001`: the code a customer gets when the caller names none."""
    return f"{CODE_PREFIX}-{number:04d}"


def company_key(name: str | None) -> str | None:
    """A company name reduced to what identifies it: case, accents, punctuation and
    legal forms do not count (`ACME Corp.` and `Acme, Inc` are the same company)."""
    if not name:
        return None
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", " ", ascii_name.lower().replace("&", " and ")).split()
    kept = [word for word in words if word not in _LEGAL_FORMS]
    return " ".join(kept or words) or None


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    return sorted(name for name, value in after.items() if before.get(name) != value)
