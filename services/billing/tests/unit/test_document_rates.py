"""Which rate a document is fixed at: base 1, then the given rate, then the tenant's, else a 422."""

import uuid
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest

from millbook_billing.settings.exchange_rates import documents
from millbook_billing.settings.exchange_rates.domain import (
    BaseCurrencyRateRefused,
    rate_on,
    stated_rate,
)
from millbook_billing.settings.exchange_rates.router import router
from millbook_platform.errors import ValidationFailed

TENANT = uuid.uuid4()
DAY = date(2026, 3, 1)


class TenantRates:
    """The tenant's rate table as `latest_rate` reads it, counting the reads."""

    def __init__(self, *rates: tuple[date, str]) -> None:
        self.rates = [(since, D(rate)) for since, rate in rates]
        self.reads: list[tuple[str, date]] = []

    async def latest_rate(
        self, session: Any, tenant_id: uuid.UUID, currency_code: str, day: date
    ) -> D | None:
        assert tenant_id == TENANT
        self.reads.append((currency_code, day))
        return rate_on(self.rates, day)


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> TenantRates:
    rates = TenantRates((date(2026, 2, 1), "1.08"), (date(2026, 3, 15), "1.12"))
    monkeypatch.setattr(documents.repository, "latest_rate", rates.latest_rate)
    return rates


async def fixed(currency: str, given: str | None, day: date = DAY) -> D:
    rate = None if given is None else D(given)
    return await documents.document_rate(None, TENANT, currency, day, rate, base="USD")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("currency", "given", "expected"),
    [
        ("USD", None, D(1)),
        ("USD", D("1"), D(1)),
        ("USD", D("1.0000"), D(1)),
        ("EUR", D("1.25"), D("1.25")),
        ("EUR", None, None),
    ],
)
def test_a_document_states_1_in_the_base_currency_else_the_given_rate(
    currency: str, given: D | None, expected: D | None
) -> None:
    assert stated_rate(currency, "USD", given) == expected


def test_a_base_currency_document_with_another_rate_is_refused() -> None:
    with pytest.raises(BaseCurrencyRateRefused):
        stated_rate("USD", "USD", D("1.1"))
    with pytest.raises(ValidationFailed) as refused:
        documents.stated_rate("USD", D("1.1"), "USD", field="rate")
    assert [d["field"] for d in refused.value.details] == ["rate"]


async def test_the_given_rate_wins_over_the_tenants_and_the_table_is_not_read(
    table: TenantRates,
) -> None:
    assert await fixed("EUR", "1.25") == D("1.25")
    assert await fixed("USD", None) == D(1)
    assert table.reads == []


async def test_without_a_given_rate_the_tenants_latest_on_or_before_the_day_is_taken(
    table: TenantRates,
) -> None:
    assert await fixed("EUR", None, date(2026, 3, 1)) == D("1.08")
    assert await fixed("EUR", None, date(2026, 3, 15)) == D("1.12")  # effective that day
    assert await fixed("EUR", None, date(2026, 3, 14)) == D("1.08")  # not the later one yet
    assert table.reads[0] == ("EUR", date(2026, 3, 1))


async def test_no_rate_at_all_is_a_422_naming_the_field_and_saying_what_to_do(
    table: TenantRates,
) -> None:
    with pytest.raises(ValidationFailed) as missing:
        await fixed("EUR", None, date(2026, 1, 31))  # before the first rate
    assert missing.value.status_code == 422
    assert missing.value.details == [
        {
            "field": "exchange_rate",
            "message": "give exchange_rate, or set a rate for EUR on or before 2026-01-31"
            " with PUT /v1/billing/exchange-rates/EUR/2026-01-31",
        }
    ]
    assert (
        missing.value.message == "No exchange rate from EUR to the base currency USD on 2026-01-31."
    )


def test_the_hint_points_at_the_exchange_rates_endpoint() -> None:
    assert router.prefix == documents.RATES_PATH
    put_paths = {route.path for route in router.routes if "PUT" in getattr(route, "methods", ())}
    assert f"{router.prefix}/{{currency_code}}/{{effective_date}}" in put_paths
