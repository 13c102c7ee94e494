"""The chart of accounts every tenant starts with (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from millbook_billing.ledger.postings import Account


@dataclass(frozen=True)
class AccountSpec:
    account: Account
    name: str
    account_type: str  # asset | liability | equity | revenue | expense

    @property
    def normal_side(self) -> str:
        """Assets and expenses grow by debits; liabilities, equity and revenue by credits."""
        return "debit" if self.account_type in ("asset", "expense") else "credit"


CHART: tuple[AccountSpec, ...] = (
    AccountSpec(Account.CASH, "Cash", "asset"),
    AccountSpec(Account.ACCOUNTS_RECEIVABLE, "Accounts Receivable", "asset"),
    AccountSpec(Account.INVENTORY, "Inventory", "asset"),
    AccountSpec(Account.INPUT_TAX, "Input Tax", "asset"),
    AccountSpec(Account.ACCOUNTS_PAYABLE, "Accounts Payable", "liability"),
    AccountSpec(Account.TAX_PAYABLE, "Tax Payable", "liability"),
    AccountSpec(Account.CUSTOMER_CREDITS, "Customer Credits", "liability"),
    AccountSpec(Account.GOODS_RECEIVED_NOT_INVOICED, "Goods Received Not Invoiced", "liability"),
    AccountSpec(Account.OPENING_EQUITY, "Opening Equity", "equity"),
    AccountSpec(Account.RETAINED_EARNINGS, "Retained Earnings", "equity"),
    AccountSpec(Account.SALES, "Sales", "revenue"),
    AccountSpec(Account.COST_OF_GOODS_SOLD, "Cost of Goods Sold", "expense"),
    AccountSpec(Account.PURCHASE_PRICE_VARIANCE, "Purchase Price Variance", "expense"),
    AccountSpec(Account.FX_GAIN_LOSS, "FX Gain/Loss", "expense"),
    AccountSpec(Account.EXPENSE_OFFICE, "Office Expenses", "expense"),
    AccountSpec(Account.EXPENSE_TRAVEL, "Travel Expenses", "expense"),
    AccountSpec(Account.EXPENSE_MEALS, "Meals Expenses", "expense"),
    AccountSpec(Account.EXPENSE_SOFTWARE, "Software Expenses", "expense"),
    AccountSpec(Account.EXPENSE_MARKETING, "Marketing Expenses", "expense"),
    AccountSpec(Account.EXPENSE_OTHER, "Other Expenses", "expense"),
)

BY_CODE: dict[str, AccountSpec] = {spec.account.value: spec for spec in CHART}
