"""Report math over summed ledger rows: trial balance, P&L, balance sheet, cash flow, aging."""

from __future__ import annotations

import csv
import io
import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from millbook_billing.reports.aging import (
    BUCKET_LIMITS,
    BUCKETS,
    OPEN_ENDED,
    OpenItem,
    PartyBuckets,
    aging,
    bucket_of,
    days_past_due,
    party_aging,
    party_name,
)
from millbook_billing.reports.domain import (
    CURRENT_EARNINGS,
    AccountTotals,
    CashMovement,
    PeriodKind,
    PeriodTotals,
    balance_sheet,
    cash_flow,
    periods_between,
    profit_loss,
    trial_balance,
)
from millbook_billing.reports.exports import (
    aged_item_row,
    csv_lines,
    profit_loss_rows,
    trial_balance_rows,
)

D = Decimal
AS_OF = date(2026, 6, 30)

LEDGER = [
    AccountTotals("1000", "Cash", "asset", D("700"), D("150")),
    AccountTotals("1100", "Accounts Receivable", "asset", D("1100"), D("600")),
    AccountTotals("1300", "Input Tax", "asset", D("5"), D("0")),
    AccountTotals("2000", "Accounts Payable", "liability", D("0"), D("0")),
    AccountTotals("2100", "Tax Payable", "liability", D("0"), D("100")),
    AccountTotals("2200", "Customer Credits", "liability", D("0"), D("100")),
    AccountTotals("3000", "Opening Equity", "equity", D("0"), D("0")),
    AccountTotals("4000", "Sales", "revenue", D("0"), D("1000")),
    AccountTotals("6300", "Meals Expenses", "expense", D("145"), D("0")),
]


def test_trial_balance_totals_agree_and_skip_unused_accounts() -> None:
    report = trial_balance(LEDGER, AS_OF)
    assert report.total_debit == report.total_credit == D("1200")
    assert [line.code for line in report.lines] == [
        "1000", "1100", "1300", "2100", "2200", "4000", "6300"
    ]  # fmt: skip
    cash = report.lines[0]
    assert (cash.debit, cash.credit) == (D("550"), D(0))


def test_balance_sheet_balances_with_the_unclosed_result_in_equity() -> None:
    report = balance_sheet(LEDGER, AS_OF)
    assert report.assets.total == D("1055")  # 550 cash + 500 AR + 5 input tax
    assert report.liabilities.total == D("200")
    earnings = report.equity.lines[-1]
    assert (earnings.code, earnings.name, earnings.amount) == (None, CURRENT_EARNINGS, D("855"))
    assert report.equity.total == D("855")
    assert report.balanced


def test_balance_sheet_without_the_current_result_would_not_balance() -> None:
    without_results = [row for row in LEDGER if row.account_type not in ("revenue", "expense")]
    report = balance_sheet(without_results, AS_OF)
    assert report.equity.lines[-1].amount == 0
    assert not report.balanced


def test_random_balanced_ledgers_always_give_a_balanced_sheet_and_trial_balance() -> None:
    rng = random.Random(42)
    accounts = [(row.code, row.name, row.account_type) for row in LEDGER]
    for _ in range(200):
        sums = {code: [D(0), D(0)] for code, _, _ in accounts}
        for _ in range(rng.randint(1, 20)):
            amount = D(rng.randint(1, 10**7)) / 100
            debit, credit = rng.sample([code for code, _, _ in accounts], 2)
            sums[debit][0] += amount
            sums[credit][1] += amount
        rows = [AccountTotals(c, n, t, *sums[c]) for c, n, t in accounts]
        tb = trial_balance(rows, AS_OF)
        assert tb.total_debit == tb.total_credit
        assert balance_sheet(rows, AS_OF).balanced


def test_periods_are_calendar_periods_clipped_to_the_range() -> None:
    quarters = periods_between(date(2026, 2, 15), date(2026, 8, 10), PeriodKind.QUARTERLY)
    assert [(p.key, p.start, p.end) for p in quarters] == [
        ("2026-Q1", date(2026, 2, 15), date(2026, 3, 31)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 8, 10)),
    ]
    months = periods_between(date(2025, 12, 1), date(2026, 2, 28), PeriodKind.MONTHLY)
    assert [p.key for p in months] == ["2025-12", "2026-01", "2026-02"]
    years = periods_between(date(2025, 6, 1), date(2026, 1, 1), PeriodKind.YEARLY)
    assert [(p.key, p.end) for p in years] == [
        ("2025", date(2025, 12, 31)),
        ("2026", date(2026, 1, 1)),
    ]
    with pytest.raises(ValueError, match="before"):
        periods_between(date(2026, 2, 1), date(2026, 1, 1), PeriodKind.MONTHLY)


def test_profit_and_loss_per_month_with_gross_profit_and_net_income() -> None:
    rows = [
        PeriodTotals("4000", "Sales", "revenue", date(2026, 1, 1), D("0"), D("1000")),
        PeriodTotals("4000", "Sales", "revenue", date(2026, 2, 1), D("100"), D("500")),
        PeriodTotals("5000", "Cost of Goods Sold", "expense", date(2026, 1, 1), D("300"), D(0)),
        PeriodTotals("5100", "Purchase Price Variance", "expense", date(2026, 2, 1), D("20"), D(0)),
        PeriodTotals("6200", "Travel Expenses", "expense", date(2026, 2, 1), D("80"), D(0)),
        PeriodTotals("1000", "Cash", "asset", date(2026, 2, 1), D("999"), D(0)),
    ]
    report = profit_loss(rows, date(2026, 1, 10), date(2026, 3, 5), PeriodKind.MONTHLY)
    assert [p.key for p in report.periods] == ["2026-01", "2026-02", "2026-03"]
    assert report.revenue.amounts == (D(1000), D(400), D(0))
    assert report.revenue.total == D(1400)
    assert [a.code for a in report.cost_of_goods_sold.accounts] == ["5000", "5100"]
    assert report.gross_profit.amounts == (D(700), D(380), D(0))
    assert [a.code for a in report.expenses.accounts] == ["6200"]
    assert report.net_income.amounts == (D(700), D(300), D(0))
    assert report.net_income.total == D(1000)


def test_cash_flow_groups_by_the_other_side_and_closes() -> None:
    movements = [
        CashMovement("payment_received", D("500"), D("0")),
        CashMovement("supplier_payment", D("0"), D("200")),
        CashMovement("expense_approved", D("0"), D("44")),
        CashMovement("customer_refund", D("0"), D("25")),
        CashMovement("manual_adjustment", D("10"), D("0")),
    ]
    report = cash_flow(D("1000"), movements, date(2026, 1, 1), date(2026, 1, 31))
    by_category = {line.category: line.net for line in report.lines}
    assert by_category == {
        "receipts_from_customers": D(500),
        "payments_to_suppliers": D(-200),
        "expenses": D(-44),
        "refunds": D(-25),
        "other": D(10),
    }
    assert report.net_change == D(241)
    assert report.closing_cash == D(1241)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(-5, "current"), (0, "current"), (1, "days_30"), (30, "days_30"), (31, "days_60"),
     (60, "days_60"), (61, "days_90"), (90, "days_90"), (91, "days_90_plus"),
     (400, "days_90_plus")],
)  # fmt: skip
def test_aging_buckets_by_days_past_due(days: int, bucket: str) -> None:
    assert bucket_of(days) == bucket


def test_days_past_due_counts_from_the_due_date() -> None:
    assert days_past_due(date(2026, 3, 31), date(2026, 3, 1)) == 30
    assert days_past_due(date(2026, 3, 1), date(2026, 3, 31)) == 0
    assert days_past_due(date(2026, 3, 1), None) == 0


def item(party: uuid.UUID, name: str, due: date, amount: str, number: str = "INV") -> OpenItem:
    return OpenItem(party, name, "invoice", uuid.uuid4(), number, due, D(amount))


def test_aging_sums_per_customer_and_overall_and_drops_settled_items() -> None:
    acme, bolt = uuid.uuid4(), uuid.uuid4()
    items = [
        item(acme, "Acme", date(2026, 7, 15), "100"),  # not due
        item(acme, "Acme", date(2026, 6, 10), "50"),  # 20 days
        item(acme, "Acme", date(2026, 3, 1), "25"),  # 121 days
        item(bolt, "Bolt", date(2026, 4, 20), "70"),  # 71 days
        item(bolt, "Bolt", date(2026, 1, 1), "0"),  # paid
    ]
    report = aging(items, AS_OF)
    assert report.summary == {
        "current": D(100), "days_30": D(50), "days_60": D(0), "days_90": D(70),
        "days_90_plus": D(25),
    }  # fmt: skip
    assert report.total == D(245)
    assert [(p.party_name, p.total) for p in report.parties] == [("Acme", D(175)), ("Bolt", D(70))]
    assert len(report.parties[1].documents) == 1
    assert [d.days_past_due for d in report.parties[0].documents] == [121, 20, 0]


def test_the_same_items_age_as_the_report_date_moves() -> None:
    acme = uuid.uuid4()
    items = [item(acme, "Acme", date(2026, 6, 1), "80")]
    assert aging(items, date(2026, 5, 31)).summary["current"] == D(80)
    assert aging(items, date(2026, 7, 1)).summary["days_30"] == D(80)
    assert aging(items, date(2026, 9, 15)).summary["days_90_plus"] == D(80)


def test_bucket_limits_rise_and_name_every_bucket_but_the_open_ended_last() -> None:
    limits = [limit for _, limit in BUCKET_LIMITS]
    assert limits == sorted(set(limits))
    assert (*(name for name, _ in BUCKET_LIMITS), OPEN_ENDED) == BUCKETS
    assert [bucket_of(limit) for limit in limits] == list(BUCKETS[:-1])
    assert bucket_of(limits[-1] + 1) == OPEN_ENDED


def test_a_party_shows_under_its_greatest_name_by_code_point() -> None:
    assert party_name(["Zephyr", None, "zephyr", "Zephyr Ltd"]) == "zephyr"
    assert party_name([None]) is None
    zephyr = uuid.uuid4()
    report = aging(
        [item(zephyr, "Zephyr", date(2026, 6, 1), "1"), item(zephyr, "zephyr", None, "2")], AS_OF
    )
    assert [(p.party_name, p.total) for p in report.parties] == [("zephyr", D(3))]


def test_party_totals_give_the_report_the_items_behind_them_give() -> None:
    rng = random.Random(7)
    parties = [(uuid.uuid4(), name) for name in ("acme", "Bolt", "Acme Two", "zed")] + [
        (None, None)
    ]
    items = [
        OpenItem(
            *rng.choice(parties), "invoice", uuid.uuid4(), f"INV-{n}",
            rng.choice([None, date(2026, 1, 1) + timedelta(rng.randrange(300))]),
            D(rng.randrange(-5_000, 50_000)) / 100,
        )
        for n in range(300)
    ]  # fmt: skip
    for as_of in (date(2025, 12, 1), date(2026, 3, 31), AS_OF, date(2027, 1, 1)):
        full = aging(items, as_of)
        sums = [PartyBuckets(p.party_id, p.party_name, dict(p.buckets)) for p in full.parties]
        rng.shuffle(sums)  # the database returns them in no order
        summed = party_aging(sums, as_of)
        assert summed.with_documents is False
        assert [
            (p.party_id, p.party_name, p.buckets, p.total, p.documents) for p in summed.parties
        ] == [(p.party_id, p.party_name, p.buckets, p.total, ()) for p in full.parties]
        assert (summed.summary, summed.total) == (full.summary, full.total)
    assert [p.party_name for p in full.parties] == [None, "acme", "Acme Two", "Bolt", "zed"]
    missing = party_aging([PartyBuckets(None, "Lone", {"days_60": D(5)})], AS_OF).parties[0]
    assert (missing.buckets["current"], missing.total) == (D(0), D(5))


def parse(lines: list[str]) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(lines))))


def test_csv_rows_carry_money_with_minor_digits_and_quote_commas() -> None:
    tb = parse(list(csv_lines(trial_balance_rows(trial_balance(LEDGER, AS_OF), "USD"))))
    assert tb[0] == ["code", "name", "account_type", "debit", "credit"]
    assert tb[1] == ["1000", "Cash", "asset", "550.00", "0.00"]
    assert tb[-1] == ["", "Total", "", "1200.00", "1200.00"]
    odd = OpenItem(uuid.uuid4(), 'Acme, "the" shop', "invoice", uuid.uuid4(), "INV-1", None, D(5))
    row = parse(
        [next(csv_lines([aged_item_row(aging([odd], AS_OF).parties[0].documents[0], "JPY")]))]
    )
    assert row[0][1] == 'Acme, "the" shop'
    assert row[0][-1] == "5"


def test_profit_and_loss_csv_has_a_column_per_period() -> None:
    rows = [PeriodTotals("4000", "Sales", "revenue", date(2026, 1, 1), D(0), D("10"))]
    report = profit_loss(rows, date(2026, 1, 1), date(2026, 2, 28), PeriodKind.MONTHLY)
    table = parse(list(csv_lines(profit_loss_rows(report, "USD"))))
    assert table[0] == ["section", "code", "name", "2026-01", "2026-02", "total"]
    assert ["revenue", "4000", "Sales", "10.00", "0.00", "10.00"] in table
    assert table[-1][0] == "net_income"
    assert table[-1][-1] == "10.00"
