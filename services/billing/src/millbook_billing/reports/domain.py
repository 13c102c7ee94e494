"""Financial report math over ledger rows already summed by SQL (pure, no I/O).

Signs: assets and expenses are shown as debit minus credit; liabilities, equity and
revenue as credit minus debit, so every normal balance is positive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from millbook_billing.ledger.postings import Account

ZERO = Decimal(0)
DEBIT_NORMAL = ("asset", "expense")


class PeriodKind(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


@dataclass(frozen=True)
class AccountTotals:
    """One account's summed debits and credits (a SQL aggregate row)."""

    code: str
    name: str
    account_type: str
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        """The balance on the account's normal side (positive when normal)."""
        net = self.debit - self.credit
        return net if self.account_type in DEBIT_NORMAL else -net


# --- trial balance -------------------------------------------------------------------


@dataclass(frozen=True)
class TrialBalanceLine:
    code: str
    name: str
    account_type: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class TrialBalance:
    as_of: date
    lines: tuple[TrialBalanceLine, ...]
    total_debit: Decimal
    total_credit: Decimal


def trial_balance(rows: Iterable[AccountTotals], as_of: date) -> TrialBalance:
    """Each account's net balance in its debit or credit column; the two totals agree."""
    lines = []
    for row in sorted(rows, key=lambda r: r.code):
        if row.debit == 0 and row.credit == 0:
            continue
        net = row.debit - row.credit
        lines.append(
            TrialBalanceLine(row.code, row.name, row.account_type, max(net, ZERO), max(-net, ZERO))
        )
    return TrialBalance(
        as_of,
        tuple(lines),
        sum((line.debit for line in lines), ZERO),
        sum((line.credit for line in lines), ZERO),
    )


# --- profit and loss -----------------------------------------------------------------

COST_OF_SALES = frozenset({Account.COST_OF_GOODS_SOLD.value, Account.PURCHASE_PRICE_VARIANCE.value})


@dataclass(frozen=True)
class Period:
    key: str  # 2026-03 | 2026-Q1 | 2026
    start: date
    end: date


def period_key(day: date, kind: PeriodKind) -> str:
    if kind is PeriodKind.MONTHLY:
        return f"{day.year}-{day.month:02d}"
    if kind is PeriodKind.QUARTERLY:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def _period_start(day: date, kind: PeriodKind) -> date:
    if kind is PeriodKind.MONTHLY:
        return day.replace(day=1)
    if kind is PeriodKind.QUARTERLY:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


def _next_period_start(day: date, kind: PeriodKind) -> date:
    first = _period_start(day, kind)
    months = {PeriodKind.MONTHLY: 1, PeriodKind.QUARTERLY: 3, PeriodKind.YEARLY: 12}[kind]
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def periods_between(start: date, end: date, kind: PeriodKind) -> tuple[Period, ...]:
    """The calendar periods covering start..end, the first and last clipped to them."""
    if end < start:
        raise ValueError("end_date is before start_date")
    periods = []
    cursor = start
    while cursor <= end:
        following = _next_period_start(cursor, kind)
        periods.append(Period(period_key(cursor, kind), cursor, min(end, following - timedelta(1))))
        cursor = following
    return tuple(periods)


@dataclass(frozen=True)
class PeriodTotals:
    """One account's debits and credits within one period (a SQL aggregate row)."""

    code: str
    name: str
    account_type: str
    day: date  # any day in the period, e.g. its date_trunc start
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class PnlAccount:
    code: str
    name: str
    amounts: tuple[Decimal, ...]
    total: Decimal


@dataclass(frozen=True)
class PnlSection:
    accounts: tuple[PnlAccount, ...]
    amounts: tuple[Decimal, ...]
    total: Decimal


@dataclass(frozen=True)
class PnlTotal:
    amounts: tuple[Decimal, ...]
    total: Decimal


@dataclass(frozen=True)
class ProfitLoss:
    start: date
    end: date
    kind: PeriodKind
    periods: tuple[Period, ...]
    revenue: PnlSection
    cost_of_goods_sold: PnlSection
    gross_profit: PnlTotal
    expenses: PnlSection
    net_income: PnlTotal


def profit_loss(
    rows: Iterable[PeriodTotals], start: date, end: date, kind: PeriodKind
) -> ProfitLoss:
    """Revenue - cost of goods sold = gross profit; - expenses = net income; per period."""
    periods = periods_between(start, end, kind)
    index = {period.key: number for number, period in enumerate(periods)}
    grid: dict[tuple[str, str, str], list[Decimal]] = {}
    for row in rows:
        if row.account_type not in ("revenue", "expense"):
            continue
        amounts = grid.setdefault((row.code, row.name, row.account_type), [ZERO] * len(periods))
        net = row.credit - row.debit if row.account_type == "revenue" else row.debit - row.credit
        amounts[index[period_key(row.day, kind)]] += net
    revenue = _section(grid, lambda code, kind_: kind_ == "revenue", len(periods))
    cogs = _section(grid, lambda code, kind_: code in COST_OF_SALES, len(periods))
    expenses = _section(
        grid, lambda code, kind_: kind_ == "expense" and code not in COST_OF_SALES, len(periods)
    )
    gross = _difference(revenue.amounts, cogs.amounts)
    net_income = _difference(gross.amounts, expenses.amounts)
    return ProfitLoss(start, end, kind, periods, revenue, cogs, gross, expenses, net_income)


def _section(
    grid: dict[tuple[str, str, str], list[Decimal]],
    belongs: Callable[[str, str], bool],
    width: int,
) -> PnlSection:
    accounts = tuple(
        PnlAccount(code, name, tuple(amounts), sum(amounts, ZERO))
        for (code, name, kind), amounts in sorted(grid.items())
        if belongs(code, kind)
    )
    columns = tuple(sum((a.amounts[i] for a in accounts), ZERO) for i in range(width))
    return PnlSection(accounts, columns, sum(columns, ZERO))


def _difference(left: Sequence[Decimal], right: Sequence[Decimal]) -> PnlTotal:
    amounts = tuple(a - b for a, b in zip(left, right, strict=True))
    return PnlTotal(amounts, sum(amounts, ZERO))


# --- balance sheet -------------------------------------------------------------------

CURRENT_EARNINGS = "Current earnings (not yet closed)"


@dataclass(frozen=True)
class BalanceLine:
    code: str | None
    name: str
    amount: Decimal


@dataclass(frozen=True)
class BalanceSection:
    lines: tuple[BalanceLine, ...]
    total: Decimal


@dataclass(frozen=True)
class BalanceSheet:
    as_of: date
    assets: BalanceSection
    liabilities: BalanceSection
    equity: BalanceSection

    @property
    def balanced(self) -> bool:
        return self.assets.total == self.liabilities.total + self.equity.total


def balance_sheet(rows: Iterable[AccountTotals], as_of: date) -> BalanceSheet:
    """Assets = liabilities + equity, where equity carries the result not yet closed into it."""
    rows = sorted(rows, key=lambda r: r.code)
    earnings = sum((r.balance for r in rows if r.account_type == "revenue"), ZERO) - sum(
        (r.balance for r in rows if r.account_type == "expense"), ZERO
    )
    equity = _lines(rows, "equity")
    equity.append(BalanceLine(None, CURRENT_EARNINGS, earnings))
    return BalanceSheet(
        as_of,
        _balance_section(_lines(rows, "asset")),
        _balance_section(_lines(rows, "liability")),
        _balance_section(equity),
    )


def _lines(rows: Iterable[AccountTotals], account_type: str) -> list[BalanceLine]:
    return [
        BalanceLine(r.code, r.name, r.balance)
        for r in rows
        if r.account_type == account_type and (r.debit or r.credit)
    ]


def _balance_section(lines: Sequence[BalanceLine]) -> BalanceSection:
    return BalanceSection(tuple(lines), sum((line.amount for line in lines), ZERO))


# --- cash flow -----------------------------------------------------------------------

CASH_CATEGORIES: dict[str, str] = {
    "payment_received": "receipts_from_customers",
    "supplier_payment": "payments_to_suppliers",
    "expense_approved": "expenses",
    "customer_refund": "refunds",
}
CASH_LABELS: dict[str, str] = {
    "receipts_from_customers": "Receipts from customers",
    "payments_to_suppliers": "Payments to suppliers",
    "expenses": "Expenses paid",
    "refunds": "Refunds to customers",
    "other": "Other",
}


@dataclass(frozen=True)
class CashMovement:
    """Cash lines of one kind of fact in the period (a SQL aggregate row).

    `source_type` is the fact's, or for a reversal the reversed fact's, so a voided
    payment nets inside its own category.
    """

    source_type: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class CashFlowLine:
    category: str
    label: str
    inflow: Decimal
    outflow: Decimal

    @property
    def net(self) -> Decimal:
        return self.inflow - self.outflow


@dataclass(frozen=True)
class CashFlow:
    start: date
    end: date
    opening_cash: Decimal
    lines: tuple[CashFlowLine, ...]

    @property
    def net_change(self) -> Decimal:
        return sum((line.net for line in self.lines), ZERO)

    @property
    def closing_cash(self) -> Decimal:
        return self.opening_cash + self.net_change


def cash_flow(
    opening_cash: Decimal, movements: Iterable[CashMovement], start: date, end: date
) -> CashFlow:
    """Direct method: cash in and out grouped by what was on the other side."""
    inflow = dict.fromkeys(CASH_LABELS, ZERO)
    outflow = dict.fromkeys(CASH_LABELS, ZERO)
    for movement in movements:
        category = CASH_CATEGORIES.get(movement.source_type, "other")
        inflow[category] += movement.debit
        outflow[category] += movement.credit
    lines = tuple(
        CashFlowLine(category, label, inflow[category], outflow[category])
        for category, label in CASH_LABELS.items()
    )
    return CashFlow(start, end, opening_cash, lines)
