"""Which currencies a tenant does business in (pure).

Identity owns the organization and its base currency; sales keeps a read model of it
and lets the tenant accept more currencies. Until identity's first organization event
arrives nothing is known, so every currency is accepted and the base is USD.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

FALLBACK_BASE_CURRENCY = "USD"


@dataclass(frozen=True)
class TenantCurrencies:
    base: str
    # None: no restriction (nothing is known about the organization yet).
    accepted: frozenset[str] | None

    def accepts(self, currency_code: str) -> bool:
        return self.accepted is None or currency_code in self.accepted

    def listed(self) -> list[str] | None:
        """The accepted currencies, base first, the rest in alphabetical order."""
        if self.accepted is None:
            return None
        return [self.base, *sorted(self.accepted - {self.base})]


def tenant_currencies(
    base_currency: str | None, accepted_currencies: Iterable[str] | None
) -> TenantCurrencies:
    """The effective rule from the read model's two columns; the base is always accepted."""
    base = base_currency or FALLBACK_BASE_CURRENCY
    if accepted_currencies is None:
        return TenantCurrencies(base, None if base_currency is None else frozenset({base}))
    return TenantCurrencies(base, frozenset(accepted_currencies) | {base})
