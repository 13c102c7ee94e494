from millbook_sales.tenants.domain import tenant_currencies


def test_nothing_known_accepts_any_currency_with_a_usd_base():
    currencies = tenant_currencies(None, None)
    assert currencies.base == "USD"
    assert currencies.accepts("JPY")
    assert currencies.listed() is None


def test_a_known_organization_accepts_its_base_only_by_default():
    currencies = tenant_currencies("EUR", None)
    assert (currencies.base, currencies.listed()) == ("EUR", ["EUR"])
    assert currencies.accepts("EUR")
    assert not currencies.accepts("USD")


def test_accepted_currencies_always_include_the_base_listed_first():
    currencies = tenant_currencies("EUR", ["USD", "GBP"])
    assert currencies.listed() == ["EUR", "GBP", "USD"]
    assert all(currencies.accepts(code) for code in ("EUR", "GBP", "USD"))
    assert not currencies.accepts("JPY")


def test_settings_saved_before_the_organization_is_known_restrict_with_a_usd_base():
    currencies = tenant_currencies(None, ["CHF"])
    assert currencies.listed() == ["USD", "CHF"]
    assert not currencies.accepts("EUR")
