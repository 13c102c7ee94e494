"""The rate a document is fixed at, the one rule every document follows.

1 in the base currency; else the rate given in the body; else the tenant's latest rate
effective on or before the document's own date (invoice_date, payment_date, bill_date...);
else a 422 naming the field and saying how to give the document a rate.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.settings.exchange_rates import domain, repository
from millbook_platform.errors import ValidationFailed, field_error

RATES_PATH = "/v1/billing/exchange-rates"


def stated_rate(
    currency_code: str, given: Decimal | None, base: str, *, field: str = "exchange_rate"
) -> Decimal | None:
    """The rate a draft keeps: 1 in the base currency, else the given one or None (fixed later)."""
    try:
        return domain.stated_rate(currency_code, base, given)
    except domain.BaseCurrencyRateRefused as exc:
        raise ValidationFailed(
            f"A document in the base currency {base} has the exchange rate 1.",
            details=[field_error(field, "must be 1 or omitted for the base currency")],
        ) from exc


async def document_rate(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    currency_code: str,
    day: date,
    given: Decimal | None,
    *,
    base: str,
    field: str = "exchange_rate",
) -> Decimal:
    """The rate of a document in `currency_code` dated `day` (see the module's rule)."""
    stated = stated_rate(currency_code, given, base, field=field)
    if stated is not None:
        return stated
    effective = await repository.latest_rate(session, tenant_id, currency_code, day)
    if effective is None:
        raise missing_rate(currency_code, base, day, field=field)
    return effective


def missing_rate(
    currency_code: str, base: str, day: date, *, field: str = "exchange_rate"
) -> ValidationFailed:
    """The 422 of a document no rate is known for: it says how to give it one."""
    return ValidationFailed(
        f"No exchange rate from {currency_code} to the base currency {base} on {day.isoformat()}.",
        details=[field_error(field, missing_rate_hint(currency_code, day, field=field))],
    )


def missing_rate_hint(currency_code: str, day: date, *, field: str = "exchange_rate") -> str:
    on = day.isoformat()
    return (
        f"give {field}, or set a rate for {currency_code} on or before {on}"
        f" with PUT {RATES_PATH}/{currency_code}/{on}"
    )
